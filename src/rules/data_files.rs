//! Data files next to rules (`*.data.yaml`): the dated schedules that `deprecation` reads,
//! resolved beside the rule file, read once per file and checked date by date.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::model::{Op, Operand, Schedule};
use super::parse::Ctx;
use crate::yaml::{Kind, Node};

impl Ctx<'_> {
    pub(super) fn deprecation(&mut self, value: &Node) -> Option<Op> {
        let Some(schedule_name) = value.get("schedule").and_then(Node::as_str) else {
            self.error(
                value,
                "`deprecation` needs `schedule`: a *.data.yaml file next to the rule",
            );
            return None;
        };
        let warn_days = match value.get("warn_days") {
            Some(n) => self.number(n)?,
            None => Operand::Literal(Value::from(0)),
        };
        let path = self
            .file
            .parent()
            .unwrap_or(Path::new("."))
            .join(schedule_name);
        if let Some(schedule) = self.data_files.get(&path) {
            return Some(Op::Deprecation {
                schedule: schedule.clone(),
                warn_days,
            });
        }
        let node = value.get("schedule").unwrap_or(value);
        let text = match super::pack::read(&path, crate::input::FileKind::Rules) {
            Ok(read) => read.text,
            Err(e) => {
                self.error(node, format!("cannot use schedule: {e}"));
                return None;
            }
        };
        let entries = match crate::yaml::parse(&text) {
            Ok(docs) => docs.into_iter().next(),
            Err(e) => {
                self.error(
                    node,
                    format!(
                        "{}:{}:{}: {}",
                        path.display(),
                        e.pos.line,
                        e.pos.col,
                        e.message
                    ),
                );
                return None;
            }
        };
        let mut dates = BTreeMap::new();
        for (k, v) in entries.as_ref().and_then(Node::as_map).unwrap_or_default() {
            let date = match &v.kind {
                Kind::Null => None,
                Kind::Str(d) => {
                    if let Ok(date) = time::Date::parse(
                        d,
                        time::macros::format_description!("[year]-[month]-[day]"),
                    ) {
                        Some(date)
                    } else {
                        self.error(
                            node,
                            format!(
                                "{}:{}: `{d}` is not a YYYY-MM-DD date",
                                path.display(),
                                v.pos.line
                            ),
                        );
                        return None;
                    }
                }
                _ => {
                    self.error(
                        node,
                        format!(
                            "{}:{}: expected a YYYY-MM-DD date or null",
                            path.display(),
                            v.pos.line
                        ),
                    );
                    return None;
                }
            };
            if let Some(key) = k.as_str() {
                dates.insert(key.to_string(), date);
            }
        }
        if dates.is_empty() {
            self.error(node, format!("schedule {} has no entries", path.display()));
            return None;
        }
        let schedule = std::sync::Arc::new(Schedule {
            file: path.display().to_string(),
            dates,
        });
        self.data_files.insert(path, schedule.clone());
        Some(Op::Deprecation {
            schedule,
            warn_days,
        })
    }
}
