//! Suppressions: accepted risks, each with a justification, an owner and an expiry date.
//!
//! The file is a YAML list (or `suppressions:` holding one) of entries
//! `{ rule, resource | tags, justification, owner, expires }`. It is parsed with positions so a
//! bad entry is reported at <file:line:col>. Expiry is judged at the report's clock (the
//! inventory's `collected_at` or `--now`), never the wall clock, so reports stay reproducible.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use globset::{Glob, GlobMatcher};
use time::Date;
use time::macros::format_description;

use super::{AppliedSuppression, FindingStatus, Report, SuppressionRecord, SuppressionState};
use crate::input::{FileKind, InputError, InputProblem};
use crate::rules::{Diagnostic, RuleFile};
use crate::yaml::{self, Kind, Node};

const KEYS: &[&str] = &[
    "rule",
    "resource",
    "tags",
    "justification",
    "owner",
    "expires",
    "scope",
];

/// Share of the FAIL and ERROR findings above which one entry's suppressions are worth a
/// warning (`suppression_warn_share` in `posture.toml` overrides it).
pub const DEFAULT_WARN_SHARE: f64 = 0.5;

/// Whether a glob matches every string: only `*` characters.
fn matches_everything(glob: &str) -> bool {
    !glob.is_empty() && glob.chars().all(|c| c == '*')
}

/// One validated entry: its globs compile and its expiry is a date.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Rule id glob, e.g. `s3-*`.
    pub rule: String,
    rule_glob: GlobMatcher,
    /// ARN glob; None: any resource of the rule.
    pub resource: Option<String>,
    resource_glob: Option<GlobMatcher>,
    /// Tags a resource must all carry; empty: no tag condition.
    pub tags: BTreeMap<String, String>,
    /// Why the risk was accepted.
    pub justification: String,
    /// Who accepted the risk, when given.
    pub owner: Option<String>,
    /// Last day the entry is in force.
    pub expires: Date,
    /// `file:line` of the entry.
    pub origin: String,
}

impl Entry {
    /// Whether `today` is past the expiry date.
    #[must_use]
    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }

    fn expires_text(&self) -> String {
        format_date(self.expires)
    }

    fn matches(&self, rule_id: &str, arn: &str, tags: Option<&BTreeMap<String, String>>) -> bool {
        if !self.rule_glob.is_match(rule_id) {
            return false;
        }
        if let Some(glob) = &self.resource_glob
            && !glob.is_match(arn)
        {
            return false;
        }
        self.tags
            .iter()
            .all(|(k, v)| tags.and_then(|t| t.get(k)) == Some(v))
    }
}

/// A loaded suppression file.
#[derive(Debug, Clone)]
pub struct SuppressionFile {
    /// Where the file was read from.
    pub path: PathBuf,
    /// SHA-256 (hex) of the file's bytes.
    pub sha256: String,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| date.to_string())
}

fn glob(text: &str) -> Result<GlobMatcher, String> {
    Glob::new(text)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`{text}` is not a valid glob: {}", e.kind()))
}

/// Reads and validates a suppression file. The inner `Err` holds every problem rendered as
/// `file:line:col` diagnostics (an invalid file is a bad invocation: exit 2).
pub fn load(path: &Path) -> anyhow::Result<Result<SuppressionFile, String>> {
    let read = match crate::input::read_text(path, FileKind::Suppressions) {
        Ok(read) => read,
        Err(
            e @ InputError {
                problem: InputProblem::Read(_),
                ..
            },
        ) => return Err(e).context("cannot read suppressions"),
        Err(e) => return Ok(Err(Diagnostic::from(&e).render(""))),
    };
    Ok(match parse_str(path, &read.text) {
        Ok(entries) => Ok(SuppressionFile {
            path: path.to_path_buf(),
            sha256: read.sha256,
            entries,
        }),
        Err(diagnostics) => Err(diagnostics.iter().map(|d| d.render(&read.text)).collect()),
    })
}

/// Parses suppression entries, reporting every problem at once.
pub fn parse_str(path: &Path, text: &str) -> Result<Vec<Entry>, Vec<Diagnostic>> {
    let docs = yaml::parse(text).map_err(|e| vec![Diagnostic::new(path, e.pos, e.message)])?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    if let Some(second) = docs.iter().skip(1).find(|d| d.kind != Kind::Null) {
        // Entries in a later document would be dropped without a word: refuse the file instead.
        return Err(vec![Diagnostic::new(
            path,
            second.pos,
            "a suppression file holds one YAML document; this is a second one (put every entry under one `suppressions:` list)",
        )]);
    }
    let list = match &doc.kind {
        Kind::Null => return Ok(Vec::new()),
        Kind::Seq(items) => items.as_slice(),
        Kind::Map(entries) if entries.len() == 1 && doc.get("suppressions").is_some() => {
            match doc.get("suppressions").map(|n| &n.kind) {
                Some(Kind::Seq(items)) => items.as_slice(),
                Some(Kind::Null) => return Ok(Vec::new()),
                _ => {
                    return Err(vec![Diagnostic::new(
                        path,
                        doc.pos,
                        "`suppressions` must be a list of entries",
                    )]);
                }
            }
        }
        _ => {
            return Err(vec![
                Diagnostic::new(path, doc.pos, "expected a list of suppression entries").with_help(
                    "each entry: { rule, resource | tags, justification, owner, expires }",
                ),
            ]);
        }
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for node in list {
        if let Some(entry) = parse_entry(path, node, &mut errors) {
            out.push(entry);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn string_of<'n>(
    path: &Path,
    node: &'n Node,
    key: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<&'n str> {
    if let Some(s) = node.as_str() {
        Some(s)
    } else {
        errors.push(Diagnostic::new(
            path,
            node.pos,
            format!("`{key}` must be a string, found {}", node.kind_name()),
        ));
        None
    }
}

fn parse_entry(path: &Path, node: &Node, errors: &mut Vec<Diagnostic>) -> Option<Entry> {
    let Some(map) = node.as_map() else {
        errors.push(Diagnostic::new(
            path,
            node.pos,
            format!(
                "a suppression entry must be a mapping, found {}",
                node.kind_name()
            ),
        ));
        return None;
    };
    let before = errors.len();
    for (key, _) in map {
        let name = key.as_str().unwrap_or_default();
        if !KEYS.contains(&name) {
            errors.push(
                Diagnostic::new(
                    path,
                    key.pos,
                    format!(
                        "unknown key `{}`",
                        key.as_str()
                            .map_or_else(|| key.to_json().to_string(), str::to_string)
                    ),
                )
                .with_help(format!("allowed keys: {}", KEYS.join(", "))),
            );
        }
    }
    let missing = |errors: &mut Vec<Diagnostic>, key: &str, help: &str| {
        errors.push(
            Diagnostic::new(path, node.pos, format!("suppression entry has no `{key}`"))
                .with_help(help.to_string()),
        );
    };

    let mut rule = None;
    match node.get("rule") {
        None => missing(errors, "rule", "give the rule id or a glob such as `s3-*`"),
        Some(n) => {
            if let Some(text) = string_of(path, n, "rule", errors) {
                match glob(text) {
                    Ok(g) => rule = Some((text.to_string(), g)),
                    Err(msg) => errors.push(Diagnostic::new(path, n.pos, msg)),
                }
            }
        }
    }
    let mut resource = None;
    if let Some(n) = node.get("resource")
        && let Some(text) = string_of(path, n, "resource", errors)
    {
        match glob(text) {
            Ok(g) => resource = Some((text.to_string(), g)),
            Err(msg) => errors.push(Diagnostic::new(path, n.pos, msg)),
        }
    }
    let mut tags = BTreeMap::new();
    if let Some(n) = node.get("tags") {
        match n.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    match (&k.kind, &v.kind) {
                        (Kind::Str(k), Kind::Str(v)) => {
                            tags.insert(k.clone(), v.clone());
                        }
                        (Kind::Str(k), Kind::Int(_) | Kind::Float(_) | Kind::Bool(_)) => {
                            // Tag values are strings in AWS; `Env: 1` means "1".
                            let v = v.to_json().to_string();
                            tags.insert(k.clone(), v);
                        }
                        _ => errors.push(Diagnostic::new(
                            path,
                            v.pos,
                            "tag keys and values must be strings",
                        )),
                    }
                }
            }
            None => errors.push(Diagnostic::new(
                path,
                n.pos,
                format!(
                    "`tags` must be a mapping of tag to value, found {}",
                    n.kind_name()
                ),
            )),
        }
    }
    if node.get("resource").is_none() && node.get("tags").is_none() {
        errors.push(
            Diagnostic::new(
                path,
                node.pos,
                "suppression entry has neither `resource` nor `tags`",
            )
            .with_help(
                "give an ARN glob (`resource: arn:aws:s3:::legacy-*`) or `tags: {Key: value}`",
            ),
        );
    }
    let everything = rule
        .as_ref()
        .is_some_and(|(text, _)| matches_everything(text))
        && resource
            .as_ref()
            .is_none_or(|(text, _)| matches_everything(text))
        && tags.is_empty();
    match node.get("scope") {
        None if everything => errors.push(
            Diagnostic::new(
                path,
                node.pos,
                "this entry suppresses every finding of every rule",
            )
            .with_help(
                "narrow `rule`, `resource` or `tags`, or say `scope: all` if silencing everything is intended",
            ),
        ),
        None => {}
        Some(n) if n.as_str() == Some("all") => {}
        Some(n) => errors.push(Diagnostic::new(
            path,
            n.pos,
            format!("`scope` can only be `all`, found {}", n.to_json()),
        )),
    }
    let mut justification = None;
    match node.get("justification") {
        None => missing(errors, "justification", "say why the risk is accepted"),
        Some(n) => {
            if let Some(text) = string_of(path, n, "justification", errors) {
                if text.trim().is_empty() {
                    errors.push(Diagnostic::new(path, n.pos, "`justification` is empty"));
                } else {
                    justification = Some(text.trim().to_string());
                }
            }
        }
    }
    let owner = node
        .get("owner")
        .and_then(|n| string_of(path, n, "owner", errors))
        .map(str::to_string);
    let mut expires = None;
    match node.get("expires") {
        None => missing(
            errors,
            "expires",
            "every suppression expires: add `expires: YYYY-MM-DD`",
        ),
        Some(n) => {
            let text = match &n.kind {
                Kind::Str(s) => s.clone(),
                _ => n.to_json().to_string(),
            };
            match Date::parse(&text, format_description!("[year]-[month]-[day]")) {
                Ok(date) => expires = Some(date),
                Err(_) => errors.push(Diagnostic::new(
                    path,
                    n.pos,
                    format!("`expires` must be a date YYYY-MM-DD, found `{text}`"),
                )),
            }
        }
    }
    if errors.len() > before {
        return None;
    }
    let ((rule, rule_glob), justification, expires) = (rule?, justification?, expires?);
    let (resource, resource_glob) = match resource {
        Some((text, g)) => (Some(text), Some(g)),
        None => (None, None),
    };
    Some(Entry {
        rule,
        rule_glob,
        resource,
        resource_glob,
        tags,
        justification,
        owner,
        expires,
        origin: format!("{}:{}", path.display(), node.pos.line),
    })
}

/// Applies the suppressions in force at `today` to the report's FAIL and ERROR findings, records
/// every entry in the report, and returns the warnings it added (expired or unused entries).
/// `tags` maps a resource ARN to its tags (findings do not carry tags).
pub fn apply(
    report: &mut Report,
    file: &SuppressionFile,
    today: Date,
    tags: &BTreeMap<String, BTreeMap<String, String>>,
    warn_share: f64,
) -> Vec<String> {
    let undecided_or_failing = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Error))
        .count();
    let mut matched = vec![0usize; file.entries.len()];
    for index in 0..report.findings.len() {
        let finding = &report.findings[index];
        if !matches!(finding.status, FindingStatus::Fail | FindingStatus::Error) {
            continue;
        }
        let resource_tags = tags.get(&finding.resource.arn);
        let hit = file.entries.iter().enumerate().find(|(_, e)| {
            !e.is_expired(today)
                && e.matches(&finding.rule_id, &finding.resource.arn, resource_tags)
        });
        if let Some((i, entry)) = hit {
            matched[i] += 1;
            let applied = AppliedSuppression {
                original_status: finding.status,
                justification: entry.justification.clone(),
                owner: entry.owner.clone(),
                expires: entry.expires_text(),
                origin: entry.origin.clone(),
            };
            report.suppress_finding(index, applied);
        }
    }
    let mut warnings = Vec::new();
    let mut records = Vec::new();
    for (entry, matched) in file.entries.iter().zip(matched) {
        let state = if entry.is_expired(today) {
            let mut w = String::new();
            let _ = write!(
                w,
                "suppression at {} (rule `{}`) expired on {}; it no longer suppresses",
                entry.origin,
                entry.rule,
                entry.expires_text()
            );
            warnings.push(w);
            SuppressionState::Expired
        } else {
            if matched == 0 {
                warnings.push(format!(
                    "suppression at {} (rule `{}`) matched no FAIL or ERROR finding; remove it if the issue is fixed",
                    entry.origin, entry.rule
                ));
            } else if matched as f64 > warn_share * undecided_or_failing as f64 {
                warnings.push(format!(
                    "suppression at {} (rule `{}`) suppresses {matched} of the {undecided_or_failing} FAIL and ERROR findings, more than {:.0} %; check that it is not broader than meant",
                    entry.origin,
                    entry.rule,
                    warn_share * 100.0
                ));
            }
            SuppressionState::Active
        };
        records.push(SuppressionRecord {
            rule: entry.rule.clone(),
            resource: entry.resource.clone(),
            tags: entry.tags.clone(),
            justification: entry.justification.clone(),
            owner: entry.owner.clone(),
            expires: entry.expires_text(),
            origin: entry.origin.clone(),
            state,
            matched,
        });
    }
    report.suppressions = Some(super::Suppressions {
        file: RuleFile {
            path: file.path.display().to_string(),
            sha256: file.sha256.clone(),
        },
        entries: records,
    });
    report.warnings.extend(warnings.iter().cloned());
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Entry>, Vec<Diagnostic>> {
        parse_str(Path::new("s.yaml"), text)
    }

    fn messages(text: &str) -> Vec<(usize, usize, String)> {
        match parse(text) {
            Ok(_) => Vec::new(),
            Err(ds) => ds
                .into_iter()
                .map(|d| (d.pos.line, d.pos.col, d.message))
                .collect(),
        }
    }

    #[test]
    fn a_list_or_a_suppressions_key_holds_the_entries() {
        let entry = "rule: s3-*\n  resource: arn:aws:s3:::a*\n  justification: why\n  expires: 2026-01-02\n";
        let listed = parse(&format!("- {entry}"))
            .map_err(|_| "list")
            .map(|e| e.len());
        assert_eq!(listed, Ok(1));
        let keyed = parse(&format!("suppressions:\n- {entry}"))
            .map_err(|_| "key")
            .map(|e| e.len());
        assert_eq!(keyed, Ok(1));
        assert_eq!(parse("").map_err(|_| "empty").map(|e| e.len()), Ok(0));
        assert_eq!(
            messages("rule: x\n")[0].2,
            "expected a list of suppression entries"
        );
    }

    #[test]
    fn bad_globs_and_missing_selectors_are_reported_where_they_are() {
        let found = messages(
            "- rule: \"s3-[\"\n  resource: x\n  justification: j\n  expires: 2026-01-01\n- rule: a\n  justification: j\n  expires: 2026-01-01\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (1, 9));
        assert!(found[0].2.contains("not a valid glob"), "{found:?}");
        assert_eq!((found[1].0, found[1].1), (5, 3));
        assert!(found[1].2.contains("neither `resource` nor `tags`"));
    }

    #[test]
    fn resource_and_tags_must_both_match() {
        let entries = parse(
            "- rule: s3-*\n  resource: \"arn:aws:s3:::legacy-*\"\n  tags: {Env: dev, Tier: 1}\n  justification: j\n  expires: 2026-06-30\n",
        )
        .unwrap_or_default();
        let entry = &entries[0];
        let tags: BTreeMap<String, String> = [("Env", "dev"), ("Tier", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(entry.matches("s3-encryption", "arn:aws:s3:::legacy-a", Some(&tags)));
        assert!(!entry.matches("s3-encryption", "arn:aws:s3:::new-a", Some(&tags)));
        assert!(!entry.matches("s3-encryption", "arn:aws:s3:::legacy-a", None));
        assert!(!entry.matches("iam-x", "arn:aws:s3:::legacy-a", Some(&tags)));
        let day = |d| Date::from_calendar_date(2026, time::Month::June, d).unwrap_or(Date::MIN);
        assert!(!entry.is_expired(day(30)), "in force on its last day");
        assert!(
            Date::from_calendar_date(2026, time::Month::July, 1).is_ok_and(|d| entry.is_expired(d))
        );
    }
}
