//! Framework files (`frameworks/<id>.yaml` in a rule pack): the framework's name and a title
//! for each control, so the compliance view and the HTML report say what a control is about.
//! They only name things: a missing title never changes a verdict.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::diagnostic::Diagnostic;
use super::frameworks::{
    FRAMEWORKS, control_id_hint, control_id_is_well_formed, is_custom_framework,
};
use crate::yaml::{Kind, Node, Pos};

/// Longest title accepted, in characters: a title is a line of a table, not a paragraph.
const MAX_TITLE_CHARS: usize = 200;

/// A framework's name and control titles, as framework files give them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrameworkTitles {
    /// The framework's full name, e.g. `HIPAA Security Rule (45 CFR 164 subpart C)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Control id -> title.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub controls: BTreeMap<String, String>,
}

impl FrameworkTitles {
    /// Adds `other` over `self`: its name and titles win where both give one.
    pub fn merge(&mut self, other: FrameworkTitles) {
        if other.title.is_some() {
            self.title = other.title;
        }
        self.controls.extend(other.controls);
    }
}

/// Framework files sit in a directory named `frameworks` of a rule pack.
#[must_use]
pub fn is_framework_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .is_some_and(|dir| dir == "frameworks")
}

/// Parses one framework file: `framework: <id>`, an optional `title`, and `controls` mapping
/// control ids to titles. Every problem comes back with its position.
pub fn parse(file: &Path, text: &str) -> Result<(String, FrameworkTitles), Vec<Diagnostic>> {
    let at = |pos: Pos, message: String| Diagnostic::new(file, pos, message);
    let docs = crate::yaml::parse(text).map_err(|e| vec![at(e.pos, e.message)])?;
    let mut docs = docs.into_iter();
    let Some(doc) = docs.next() else {
        return Err(vec![at(
            Pos::default(),
            "a framework file needs `framework`, `title` and `controls`; this one is empty".into(),
        )]);
    };
    if let Some(extra) = docs.next() {
        return Err(vec![at(
            extra.pos,
            "a framework file holds one YAML document".into(),
        )]);
    }
    let Some(entries) = doc.as_map() else {
        return Err(vec![at(
            doc.pos,
            format!("a framework file is a mapping, not {}", doc.kind_name()),
        )]);
    };
    let mut errors = Vec::new();
    let mut name = None;
    let mut titles = FrameworkTitles::default();
    let mut controls_node = None;
    for (key, value) in entries {
        match key.as_str() {
            Some("framework") => match value.as_str() {
                Some(id) if FRAMEWORKS.contains(&id) || is_custom_framework(id) => {
                    name = Some(id.to_string());
                }
                Some(id) => errors.push(
                    at(value.pos, format!("`{id}` is not a framework id")).with_help(
                        "a well-known framework (soc2, hipaa, gdpr, ferpa, coppa, hkma-tm-g-1, hkma-sa-2, cis-aws-v3, fsbp) or a lowercase id of your own",
                    ),
                ),
                None => errors.push(at(value.pos, "`framework` must be a string".into())),
            },
            Some("title") => match title(value) {
                Ok(t) => titles.title = Some(t),
                Err(message) => errors.push(at(value.pos, message)),
            },
            Some("controls") => controls_node = Some(value),
            Some(other) => errors.push(
                at(key.pos, format!("unknown framework-file key `{other}`"))
                    .with_help("a framework file has `framework`, `title` and `controls`"),
            ),
            None => errors.push(at(key.pos, "keys of a framework file are strings".into())),
        }
    }
    let Some(name) = name else {
        if errors.is_empty() {
            errors.push(at(
                doc.pos,
                "a framework file needs `framework: <id>`".into(),
            ));
        }
        return Err(errors);
    };
    match controls_node.map(|n| (n, &n.kind)) {
        None => {}
        Some((_, Kind::Map(pairs))) => {
            for (id_node, title_node) in pairs {
                let id = match &id_node.kind {
                    Kind::Str(s) => s.clone(),
                    // `3.6:` reads as a number; the id is what was written.
                    Kind::Int(_) | Kind::Float(_) => text
                        .get(id_node.pos.start..id_node.pos.end)
                        .unwrap_or("")
                        .to_string(),
                    _ => {
                        errors.push(at(id_node.pos, "a control id is a string".into()));
                        continue;
                    }
                };
                if !control_id_is_well_formed(&name, &id) {
                    errors.push(
                        at(
                            id_node.pos,
                            format!("`{id}` is not a well-formed {name} control id"),
                        )
                        .with_help(control_id_hint(&name)),
                    );
                    continue;
                }
                match title(title_node) {
                    Ok(t) => {
                        titles.controls.insert(id, t);
                    }
                    Err(message) => errors.push(at(title_node.pos, message)),
                }
            }
        }
        Some((node, _)) => errors.push(at(
            node.pos,
            format!(
                "`controls` maps control ids to titles, not {}",
                node.kind_name()
            ),
        )),
    }
    if errors.is_empty() {
        Ok((name, titles))
    } else {
        Err(errors)
    }
}

fn title(node: &Node) -> Result<String, String> {
    let Some(text) = node.as_str() else {
        return Err(format!("a title is a string, not {}", node.kind_name()));
    };
    let text = text.trim();
    if text.is_empty() {
        return Err("a title is not empty".into());
    }
    if text.chars().count() > MAX_TITLE_CHARS {
        return Err(format!("a title is at most {MAX_TITLE_CHARS} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("a title is one line of printable text".into());
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<(String, FrameworkTitles), Vec<Diagnostic>> {
        parse(Path::new("frameworks/x.yaml"), text)
    }

    #[test]
    fn a_framework_file_gives_a_name_and_control_titles() {
        let (name, titles) = parse_text(
            "framework: cis-aws-v3\ntitle: CIS v3\ncontrols:\n  3.6: Keys rotate\n  2.1.4: Block public access\n",
        )
        .expect("valid");
        assert_eq!(name, "cis-aws-v3");
        assert_eq!(titles.title.as_deref(), Some("CIS v3"));
        assert_eq!(titles.controls["3.6"], "Keys rotate");
        assert_eq!(titles.controls["2.1.4"], "Block public access");
    }

    #[test]
    fn bad_ids_keys_and_titles_are_errors_at_their_position() {
        let errors =
            parse_text("framework: soc2\nowner: me\ncontrols:\n  6.1: Access\n  CC6.1: [list]\n")
                .expect_err("invalid");
        let found: Vec<(usize, &str)> = errors
            .iter()
            .map(|d| (d.pos.line, d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "unknown framework-file key `owner`"),
                (4, "`6.1` is not a well-formed soc2 control id"),
                (5, "a title is a string, not a list"),
            ]
        );
        let errors = parse_text("framework: Not A Framework\n").expect_err("invalid");
        assert_eq!(errors[0].pos.line, 1);
        assert!(parse_text("").is_err());
    }
}
