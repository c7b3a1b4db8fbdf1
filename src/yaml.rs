//! A YAML tree that remembers where every node came from, so rule-file errors can point at
//! `file:line:col`. Built on saphyr-parser's event stream; anchors and aliases are resolved.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A position in a source file (1-based line and column, byte offsets for snippets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
    /// Byte offset where the node starts, for the snippet under a diagnostic.
    pub start: usize,
    /// Byte offset just past the node.
    pub end: usize,
}

/// A node's value, resolved with the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null`, or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A plain scalar that reads as a 64-bit integer.
    Int(i64),
    /// A plain scalar that reads as a number but not an integer.
    Float(f64),
    /// Any other scalar; quoted scalars are always strings.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in file order (duplicate keys are rejected while parsing).
    Map(Vec<(Node, Node)>),
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: Kind,
    /// Where it starts in the file.
    pub pos: Pos,
}

/// Why a stream is not acceptable YAML, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// What is wrong, for a person.
    pub message: String,
    /// Where it is wrong.
    pub pos: Pos,
}

impl Node {
    /// The text of a string scalar.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries of a mapping.
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

/// Deepest nesting of lists and mappings accepted. Rule files nest a few levels; the limit
/// keeps a hostile file from exhausting the stack of any recursive walk over the tree.
pub const MAX_DEPTH: usize = 64;

/// Most nodes that aliases may copy into a stream, in total. An alias copies its anchor's
/// whole subtree, so ten aliases of ten aliases... grow exponentially ("billion laughs").
pub const MAX_ALIAS_NODES: usize = 100_000;

/// The first character YAML does not allow anywhere in a stream (C0 controls other than tab,
/// line feed and carriage return, DEL, C1 controls other than NEL, and the non-characters
/// U+FFFE and U+FFFF), with its byte offset. Quoted strings cannot hold them either: they
/// must be written as escapes. saphyr would stop at a NUL without an error and drop the rest.
fn forbidden_character(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
            || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses every document of a YAML stream. An empty stream gives no documents.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    if let Some((offset, c)) = forbidden_character(text) {
        let (line, col) = line_col(text, offset);
        return Err(YamlError {
            message: format!(
                "control character U+{:04X} is not allowed in YAML (inside a double-quoted string, write it as an escape such as \\x{:02X})",
                c as u32,
                c as u32 & 0xFF
            ),
            pos: Pos {
                line,
                col,
                start: offset,
                end: offset + c.len_utf8(),
            },
        });
    }
    let offsets = Offsets::new(text);
    let mut builder = Builder {
        offsets,
        anchors: HashMap::new(),
        stack: Vec::new(),
        docs: Vec::new(),
        alias_nodes: 0,
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
    Map(MapFrame),
}

/// A mapping being built: its entries, the key waiting for its value, and the keys seen so
/// far (so a duplicate is found in constant time, not by scanning every earlier key).
struct MapFrame {
    entries: Vec<(Node, Node)>,
    pending: Option<Node>,
    seen: HashMap<KeyId, usize>,
    pos: Pos,
    anchor: usize,
}

/// What makes two keys the same key: `1` and `"1"` differ, `a` and `'a'` do not.
#[derive(Hash, PartialEq, Eq)]
struct KeyId(u8, String);

impl KeyId {
    fn of(node: &Node) -> KeyId {
        let kind = match node.kind {
            Kind::Null => 0,
            Kind::Bool(_) => 1,
            Kind::Int(_) => 2,
            Kind::Float(_) => 3,
            Kind::Str(_) => 4,
            Kind::Seq(_) => 5,
            Kind::Map(_) => 6,
        };
        KeyId(kind, key_text(node))
    }
}

struct Builder {
    offsets: Offsets,
    /// Anchored nodes with their size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    stack: Vec<Frame>,
    docs: Vec<Node>,
    /// Nodes copied by aliases so far.
    alias_nodes: usize,
}

/// Number of nodes in a tree (iterative: the tree may be as deep as `MAX_DEPTH`).
fn node_count(node: &Node) -> usize {
    let mut count = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        count += 1;
        match &node.kind {
            Kind::Seq(items) => pending.extend(items),
            Kind::Map(entries) => pending.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    count
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
                self.check_depth(pos)?;
                self.stack.push(Frame::Seq(Vec::new(), pos, anchor));
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(pos)?;
                self.stack.push(Frame::Map(MapFrame {
                    entries: Vec::new(),
                    pending: None,
                    seen: HashMap::new(),
                    pos,
                    anchor,
                }));
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
                Some(Frame::Map(map)) => self.push(
                    Node {
                        kind: Kind::Map(map.entries),
                        pos: map.pos,
                    },
                    map.anchor,
                ),
                _ => Err(YamlError {
                    message: "unbalanced mapping".into(),
                    pos,
                }),
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    self.alias_nodes = self.alias_nodes.saturating_add(*size);
                    if self.alias_nodes > MAX_ALIAS_NODES {
                        return Err(YamlError {
                            message: format!(
                                "aliases expand to more than {MAX_ALIAS_NODES} nodes; a rule file never needs that many (is this an alias bomb?)"
                            ),
                            pos,
                        });
                    }
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

    fn check_depth(&self, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("lists and mappings nest deeper than {MAX_DEPTH} levels"),
                pos,
            });
        }
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(map)) => match map.pending.take() {
                None => {
                    let line = node.pos.line;
                    if let Some(first_line) = map.seen.insert(KeyId::of(&node), line) {
                        return Err(YamlError {
                            message: format!(
                                "duplicate key `{}` (first at line {first_line})",
                                key_text(&node),
                            ),
                            pos: node.pos,
                        });
                    }
                    map.pending = Some(node);
                }
                Some(key) => map.entries.push((key, node)),
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
    fn a_nul_byte_is_an_error_at_its_position_not_the_end_of_the_file() {
        let err = parse("a: 1\nb: x\0y\nc: 3\n").unwrap_err();
        assert!(err.message.contains("U+0000"), "{}", err.message);
        assert_eq!((err.pos.line, err.pos.col, err.pos.start), (2, 5, 9));
        assert!(parse("a: \"tab\tand \\0 escaped\"\n").is_ok());
        assert!(
            parse("a: \u{1b}[31m\n").is_err(),
            "ESC is a control character"
        );
    }

    #[test]
    fn an_alias_bomb_stops_at_the_expansion_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let prev = level - 1;
            let refs = vec![format!("*a{prev}"); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        let started = std::time::Instant::now();
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("aliases expand"), "{}", err.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(err.pos.line > 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Compact block sequences: one line, 50,000 levels.
        let block = "- ".repeat(50_000) + "x\n";
        let err = parse(&block).unwrap_err();
        assert!(err.message.contains("nest deeper"), "{}", err.message);
        assert_eq!((err.pos.line, err.pos.col), (1, 2 * MAX_DEPTH + 1));
        let mapping: String = (0..2_000)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        let err = parse(&mapping).unwrap_err();
        assert!(err.message.contains("nest deeper"), "{}", err.message);
        assert_eq!(err.pos.line, MAX_DEPTH + 1);
        let flow = "[".repeat(50_000);
        let err = parse(&flow).unwrap_err();
        // saphyr's scanner runs ahead of the events and stops flow nesting itself.
        assert!(err.pos.line == 1 && err.pos.col > 1, "{err:?}");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn duplicate_key_detection_is_linear() {
        let mut text: String = (0..200_000).map(|i| format!("k{i}: {i}\n")).collect();
        let started = std::time::Instant::now();
        assert_eq!(parse(&text).unwrap()[0].as_map().unwrap().len(), 200_000);
        text.push_str("k7: again\n");
        let err = parse(&text).unwrap_err();
        assert!(
            err.message.contains("duplicate key `k7` (first at line 8)"),
            "{}",
            err.message
        );
        // Quadratic detection took minutes on this input; linear takes well under a second.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn keys_of_different_types_are_different_keys() {
        assert!(parse("1: a\n'1': b\n").is_ok());
        assert!(parse("a: 1\n'a': 2\n").is_err());
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
        assert!(err.message.starts_with("invalid YAML"));
    }
}
