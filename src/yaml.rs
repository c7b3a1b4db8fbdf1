//! A YAML tree that remembers where every node came from, so rule-file errors can point at
//! `file:line:col`. Built on saphyr-parser's event stream; anchors and aliases are resolved.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A position in a source file (1-based line and column, byte offsets for snippets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

impl Node {
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Value of a string key in a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// What a person would call this kind of value, for error messages.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// The plain JSON value of this node (mapping keys become strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (key_text(k), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn key_text(node: &Node) -> String {
    match &node.kind {
        Kind::Str(s) => s.clone(),
        Kind::Null => "null".to_string(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        Kind::Float(f) => f.to_string(),
        Kind::Seq(_) | Kind::Map(_) => node.to_json().to_string(),
    }
}

/// Maps saphyr's character offsets to byte offsets (needed for snippets); identity for ASCII.
struct Offsets {
    char_starts: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let char_starts = (!text.is_ascii()).then(|| text.char_indices().map(|(b, _)| b).collect());
        Offsets {
            char_starts,
            len: text.len(),
        }
    }

    fn byte(&self, chars: usize) -> usize {
        match &self.char_starts {
            None => chars.min(self.len),
            Some(starts) => starts.get(chars).copied().unwrap_or(self.len),
        }
    }

    fn pos(&self, span: Span) -> Pos {
        Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
            start: self.byte(span.start.index()),
            end: self.byte(span.end.index()),
        }
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(value: &str) -> Kind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        _ => {}
    }
    if let Ok(i) = value.parse::<i64>() {
        return Kind::Int(i);
    }
    let looks_numeric = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.')
        && value.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric && let Ok(f) = value.parse::<f64>() {
        return Kind::Float(f);
    }
    Kind::Str(value.to_string())
}

/// Parses every document of a YAML stream. An empty stream gives no documents.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let offsets = Offsets::new(text);
    let mut builder = Builder {
        offsets,
        anchors: HashMap::new(),
        stack: Vec::new(),
        docs: Vec::new(),
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            let start = builder.offsets.byte(m.index());
            YamlError {
                message: format!("invalid YAML: {}", e.info()),
                pos: Pos {
                    line: m.line(),
                    col: m.col() + 1,
                    start,
                    end: start,
                },
            }
        })?;
        builder.event(event, span)?;
    }
    Ok(builder.docs)
}

enum Frame {
    Seq(Vec<Node>, Pos, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Pos, usize),
}

struct Builder {
    offsets: Offsets,
    anchors: HashMap<usize, Node>,
    stack: Vec<Frame>,
    docs: Vec<Node>,
}

impl Builder {
    fn event(&mut self, event: Event, span: Span) -> Result<(), YamlError> {
        let pos = self.offsets.pos(span);
        match event {
            Event::Scalar(value, style, anchor, _tag) => {
                let kind = match style {
                    ScalarStyle::Plain => resolve_plain(&value),
                    _ => Kind::Str(value.into_owned()),
                };
                self.push(Node { kind, pos }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq(Vec::new(), pos, anchor));
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(Vec::new(), None, pos, anchor));
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq(items, start, anchor)) => self.push(
                    Node {
                        kind: Kind::Seq(items),
                        pos: start,
                    },
                    anchor,
                ),
                _ => Err(YamlError {
                    message: "unbalanced sequence".into(),
                    pos,
                }),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map(entries, _, start, anchor)) => self.push(
                    Node {
                        kind: Kind::Map(entries),
                        pos: start,
                    },
                    anchor,
                ),
                _ => Err(YamlError {
                    message: "unbalanced mapping".into(),
                    pos,
                }),
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let mut node = node.clone();
                    node.pos = pos;
                    self.push(node, 0)
                }
                None => Err(YamlError {
                    message: "alias to an unknown anchor".into(),
                    pos,
                }),
            },
            _ => Ok(()),
        }
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(entries, pending, ..)) => match pending.take() {
                None => {
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.kind == node.kind) {
                        return Err(YamlError {
                            message: format!(
                                "duplicate key `{}` (first at line {})",
                                key_text(&node),
                                first.pos.line
                            ),
                            pos: node.pos,
                        });
                    }
                    *pending = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let docs = parse("a: 1\nb:\n  - x\n").unwrap();
        let b = docs[0].get("b").unwrap();
        let Kind::Seq(items) = &b.kind else {
            panic!("not a seq")
        };
        assert_eq!((items[0].pos.line, items[0].pos.col), (3, 5));
        assert_eq!(docs[0].get("a").unwrap().kind, Kind::Int(1));
    }

    #[test]
    fn scalars_resolve_like_yaml_1_2() {
        let docs = parse("[true, '1', 1.5, ~, abc, -3]").unwrap();
        assert_eq!(
            docs[0].to_json(),
            serde_json::json!([true, "1", 1.5, null, "abc", -3])
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn byte_offsets_survive_non_ascii_text() {
        let text = "title: Überprüfung\nbad: [x\n";
        let docs = parse("title: Überprüfung\nk: v\n").unwrap();
        let k = docs[0].get("k").unwrap();
        assert_eq!(&"title: Überprüfung\nk: v\n"[k.pos.start..k.pos.end], "v");
        assert!(parse(text).is_err());
    }

    #[test]
    fn aliases_resolve() {
        let docs = parse("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(docs[0].to_json()["b"]["k"], 1);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
        assert!(err.message.starts_with("invalid YAML"));
    }
}
