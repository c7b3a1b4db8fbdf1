//! Rule files: loading, validation against the catalog, parameters and their overrides.

mod data_files;
mod diagnostic;
mod framework_titles;
mod frameworks;
mod model;
mod operators;
pub mod pack;
mod parse;
mod schema;
mod select;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use crate::input::{FileKind, InputError, InputProblem};

pub use diagnostic::Diagnostic;
pub use framework_titles::{FrameworkTitles, is_framework_file};
pub use frameworks::FRAMEWORKS;
pub use model::{
    Clause, Cmp, Op, Operand, ParamRange, Rule, RuleFile, RuleSet, Schedule, Severity,
};
pub use operators::{fits, json_kind};
pub use select::Selection;

use crate::catalog::Catalog;

/// How many errors `RuleErrors::render` shows in full; the rest are counted.
pub const MAX_RENDERED_ERRORS: usize = 200;

/// Rule files that failed validation, with their text so each error can show its line.
#[derive(Debug, Default)]
pub struct RuleErrors {
    /// Every error of every file, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// Each file's text, so a diagnostic can show its source line.
    pub sources: BTreeMap<PathBuf, String>,
}

impl RuleErrors {
    /// Every diagnostic sorted by file, line and column, then a count of errors and files.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut ordered: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        ordered.sort_by_key(|d| (d.file.clone(), d.pos.line, d.pos.col));
        // A hostile file can hold a million errors; the first ones are what a person reads,
        // and rendering each one scans its file for the line.
        for d in ordered.iter().take(MAX_RENDERED_ERRORS) {
            let source = self.sources.get(&d.file).map_or("", String::as_str);
            out.push_str(&d.render(source));
        }
        if ordered.len() > MAX_RENDERED_ERRORS {
            out.push_str(&format!(
                "... and {} more errors not shown\n",
                ordered.len() - MAX_RENDERED_ERRORS
            ));
        }
        let files: std::collections::BTreeSet<_> =
            self.diagnostics.iter().map(|d| &d.file).collect();
        out.push_str(&format!(
            "{} error{} in {} file{}\n",
            self.diagnostics.len(),
            if self.diagnostics.len() == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        ));
        out
    }
}

impl std::fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for RuleErrors {}

/// Rule files are YAML files; their sibling tests (`*.tests.yaml`), data files
/// (`*.data.yaml`) and framework files (`frameworks/*.yaml`) are not rules.
#[must_use]
pub fn is_rule_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && !name.ends_with(".tests.yaml")
        && !name.ends_with(".data.yaml")
        && !is_framework_file(path)
}

/// Every file under `paths` matching `keep`, sorted so loading order never changes results.
pub fn find_files(paths: &[PathBuf], keep: fn(&Path) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if pack::is_builtin(path) {
            files.extend(pack::builtin_files(path, keep)?);
            continue;
        }
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        if !path.exists() {
            anyhow::bail!("no such rule file or directory: {}", path.display());
        }
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry =
                entry.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            if entry.file_type().is_file() && keep(entry.path()) {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Loads and validates every rule under `paths`. All errors of all files come back at once.
pub fn load(paths: &[PathBuf], catalog: &Catalog) -> anyhow::Result<Result<RuleSet, RuleErrors>> {
    // find_files keeps files named on the command line whatever their name: filter again.
    let files: Vec<PathBuf> = find_files(paths, is_rule_file)?
        .into_iter()
        .filter(|p| !is_framework_file(p))
        .collect();
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!("no rule files (*.yaml) found in {}", shown.join(", "));
    }
    let mut errors = RuleErrors::default();
    let mut set = RuleSet::default();
    let mut first_seen: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
    for file in files {
        let read = match pack::read(&file, FileKind::Rules) {
            Ok(read) => read,
            Err(InputError {
                problem: InputProblem::Read(e),
                ..
            }) => anyhow::bail!("cannot read {}: {e}", file.display()),
            Err(e) => {
                errors.diagnostics.push(Diagnostic::from(&e));
                continue;
            }
        };
        let text = read.text;
        let parsed = parse::parse_file(&file, &text, catalog);
        errors.diagnostics.extend(parsed.diagnostics);
        for data_file in parsed.data_files {
            if let Ok(data) = pack::read(&data_file, FileKind::Rules) {
                let digest = RuleFile {
                    path: data_file.display().to_string(),
                    sha256: data.sha256,
                };
                if !set.files.contains(&digest) {
                    set.files.push(digest);
                }
            }
        }
        for (rule, pos) in parsed.rules {
            if let Some((other, line)) = first_seen.get(&rule.id) {
                errors.diagnostics.push(Diagnostic::new(
                    &file,
                    pos,
                    format!(
                        "duplicate rule id `{}` (first defined at {}:{line})",
                        rule.id,
                        other.display()
                    ),
                ));
                continue;
            }
            first_seen.insert(rule.id.clone(), (file.clone(), pos.line));
            set.params.insert(rule.id.clone(), rule.params.clone());
            set.rules.push(rule);
        }
        set.files.push(RuleFile {
            path: file.display().to_string(),
            sha256: read.sha256,
        });
        errors.sources.insert(file, text);
    }
    load_escalation_catalog(paths, &mut set, &mut errors)?;
    load_framework_files(paths, &mut set, &mut errors)?;
    if !errors.diagnostics.is_empty() {
        return Ok(Err(errors));
    }
    set.rules.sort_by(|a, b| a.id.cmp(&b.id));
    set.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Ok(set))
}

/// Which rules a command loads: the built-in pack, rule files of the user's, or both.
#[derive(Debug, Clone, Default)]
pub struct PackSpec {
    /// Load the pack compiled into the binary.
    pub builtin: bool,
    /// Rule files or directories on disk.
    pub paths: Vec<PathBuf>,
}

/// The built-in pack as a report records it.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct BuiltinPack {
    /// SHA-256 over the pack's files (path and digest of each, in path order).
    pub sha256: String,
    /// Built-in rules that a rule file of the same id replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<String>,
}

/// Loads what `spec` names. A user's rule with a built-in rule's id replaces it (how an
/// exported and edited pack is used); a user pack's escalation catalog replaces the built-in one.
pub fn load_pack(
    spec: &PackSpec,
    catalog: &Catalog,
) -> anyhow::Result<Result<RuleSet, RuleErrors>> {
    let user = if spec.paths.is_empty() {
        None
    } else {
        match load(&spec.paths, catalog)? {
            Ok(set) => Some(set),
            Err(errors) => return Ok(Err(errors)),
        }
    };
    if !spec.builtin {
        return user
            .map(Ok)
            .context("no rules to load: --no-builtin-rules needs rule files (--rules PATH)");
    }
    let mut set = match load(&[pack::builtin_root()], catalog)? {
        Ok(set) => set,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut builtin = BuiltinPack {
        sha256: pack::builtin_digest(),
        replaced: Vec::new(),
    };
    if let Some(user) = user {
        let replacing: std::collections::BTreeSet<&str> =
            user.rules.iter().map(|r| r.id.as_str()).collect();
        set.rules.retain(|r| {
            let replaced = replacing.contains(r.id.as_str());
            if replaced {
                builtin.replaced.push(r.id.clone());
            }
            !replaced
        });
        for id in &builtin.replaced {
            set.params.remove(id);
        }
        set.rules.extend(user.rules);
        set.params.extend(user.params);
        set.files.extend(user.files);
        for (name, titles) in user.frameworks {
            set.frameworks.entry(name).or_default().merge(titles);
        }
        if user.escalation_paths.is_some() {
            set.escalation_paths = user.escalation_paths;
        }
        set.rules.sort_by(|a, b| a.id.cmp(&b.id));
        set.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    set.builtin_pack = Some(builtin);
    Ok(Ok(set))
}

/// Name of the privilege-escalation catalog in a rule pack.
pub const ESCALATION_CATALOG: &str = "escalation-paths.data.yaml";

/// Reads the pack's escalation catalog, if it has one: at most one per pack, checked entry by
/// entry, its digest recorded with the rule files.
fn load_escalation_catalog(
    paths: &[PathBuf],
    set: &mut RuleSet,
    errors: &mut RuleErrors,
) -> anyhow::Result<()> {
    let is_catalog = |p: &Path| p.file_name().and_then(|n| n.to_str()) == Some(ESCALATION_CATALOG);
    // find_files keeps files named on the command line whatever their name: filter again.
    let found: Vec<PathBuf> = find_files(paths, is_catalog)?
        .into_iter()
        .filter(|p| is_catalog(p))
        .collect();
    let Some(file) = found.first() else {
        return Ok(());
    };
    if let Some(second) = found.get(1) {
        errors.diagnostics.push(Diagnostic::new(
            second,
            crate::yaml::Pos::default(),
            format!(
                "a rule pack has one escalation catalog; {} is another",
                file.display()
            ),
        ));
        return Ok(());
    }
    let read = match pack::read(file, FileKind::Rules) {
        Ok(read) => read,
        Err(InputError {
            problem: InputProblem::Read(e),
            ..
        }) => anyhow::bail!("cannot read {}: {e}", file.display()),
        Err(e) => {
            errors.diagnostics.push(Diagnostic::from(&e));
            return Ok(());
        }
    };
    match crate::derived::iam::escalation::parse(&read.text) {
        Ok(paths) => set.escalation_paths = Some(paths),
        Err(e) => errors
            .diagnostics
            .push(Diagnostic::new(file, e.pos, e.message)),
    }
    set.files.push(RuleFile {
        path: file.display().to_string(),
        sha256: read.sha256,
    });
    errors.sources.insert(file.clone(), read.text);
    Ok(())
}

/// Reads the framework files under `paths` (`frameworks/*.yaml`): names and control titles
/// for the views, their digests recorded with the rule files. Two files of one framework merge.
fn load_framework_files(
    paths: &[PathBuf],
    set: &mut RuleSet,
    errors: &mut RuleErrors,
) -> anyhow::Result<()> {
    let found: Vec<PathBuf> = find_files(paths, is_framework_file)?
        .into_iter()
        .filter(|p| is_framework_file(p))
        .collect();
    for file in found {
        let read = match pack::read(&file, FileKind::Rules) {
            Ok(read) => read,
            Err(InputError {
                problem: InputProblem::Read(e),
                ..
            }) => anyhow::bail!("cannot read {}: {e}", file.display()),
            Err(e) => {
                errors.diagnostics.push(Diagnostic::from(&e));
                continue;
            }
        };
        match framework_titles::parse(&file, &read.text) {
            Ok((name, titles)) => set.frameworks.entry(name).or_default().merge(titles),
            Err(found) => errors.diagnostics.extend(found),
        }
        set.files.push(RuleFile {
            path: file.display().to_string(),
            sha256: read.sha256,
        });
        errors.sources.insert(file, read.text);
    }
    Ok(())
}

/// Validates one rule file's text (for tests and editors); `path` only names it in errors.
pub fn parse_str(path: &Path, text: &str, catalog: &Catalog) -> Result<Vec<Rule>, RuleErrors> {
    let parsed = parse::parse_file(path, text, catalog);
    if parsed.diagnostics.is_empty() {
        Ok(parsed.rules.into_iter().map(|(rule, _)| rule).collect())
    } else {
        let sources = BTreeMap::from([(path.to_path_buf(), text.to_string())]);
        Err(RuleErrors {
            diagnostics: parsed.diagnostics,
            sources,
        })
    }
}

/// A `rule_id.name=value` override, from a flag or a config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamOverride {
    /// Id of the rule whose parameter is set.
    pub rule: String,
    /// Parameter name, one the rule declares under `params`.
    pub name: String,
    /// The value as given; applying it checks it against the type of the default.
    pub value: Value,
    /// Where it came from, for error messages (`--param`, `posture.toml`).
    pub origin: String,
}

impl ParamOverride {
    /// Parses `rule_id.name=value`; the value is read as a YAML scalar or flow list.
    pub fn parse_flag(text: &str) -> Result<Self, String> {
        let (key, raw) = text
            .split_once('=')
            .ok_or(format!("`{text}`: expected rule_id.name=value"))?;
        let (rule, name) = key
            .rsplit_once('.')
            .ok_or(format!("`{text}`: expected rule_id.name=value"))?;
        let value = match crate::yaml::parse(raw) {
            Ok(docs) => docs
                .first()
                .map_or(Value::String(String::new()), super::yaml::Node::to_json),
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(ParamOverride {
            rule: rule.to_string(),
            name: name.to_string(),
            value,
            origin: "--param".into(),
        })
    }
}

impl RuleSet {
    /// Applies overrides; each must name a loaded rule and a declared parameter, with a value of
    /// the default's type.
    pub fn apply_overrides(&mut self, overrides: &[ParamOverride]) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for o in overrides {
            let Some(params) = self.params.get_mut(&o.rule) else {
                let near =
                    crate::catalog::nearest(&o.rule, self.rules.iter().map(|r| r.id.as_str()));
                problems.push(format!(
                    "{}: no loaded rule has id `{}`{}",
                    o.origin,
                    o.rule,
                    near.first()
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default()
                ));
                continue;
            };
            let Some(default) = params.get(&o.name) else {
                let known: Vec<&String> = params.keys().collect();
                problems.push(format!(
                    "{}: rule `{}` has no parameter `{}` (it has: {})",
                    o.origin,
                    o.rule,
                    o.name,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                continue;
            };
            let value = coerce(&o.value, default);
            let range = self
                .rules
                .iter()
                .find(|r| r.id == o.rule)
                .and_then(|r| r.param_ranges.get(&o.name));
            if let Err(problem) = check_value(&value, default, range) {
                problems.push(format!("{}: `{}.{}` {problem}", o.origin, o.rule, o.name));
                continue;
            }
            if std::mem::discriminant(&value) != std::mem::discriminant(default) {
                problems.push(format!(
                    "{}: `{}.{}` must be {} like its default {}, found {}",
                    o.origin,
                    o.rule,
                    o.name,
                    json_kind(default),
                    default,
                    json_kind(&o.value)
                ));
                continue;
            }
            params.insert(o.name.clone(), value);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Numeric checks on an override: an integer default takes only integers, and declared bounds
/// hold. (The kind of value itself is compared by the caller.)
fn check_value(value: &Value, default: &Value, range: Option<&ParamRange>) -> Result<(), String> {
    let (Value::Number(default), Value::Number(number)) = (default, value) else {
        return Ok(());
    };
    if (default.is_i64() || default.is_u64()) && !(number.is_i64() || number.is_u64()) {
        return Err(format!(
            "must be an integer like its default {default}, found {number}"
        ));
    }
    if let (Some(range), Some(n)) = (range, number.as_f64())
        && !range.contains(n)
    {
        return Err(format!("must be {range}, found {number}"));
    }
    Ok(())
}

/// A flag value `5` for a string parameter means the string "5"; keep the author's type. A
/// whole number written with a fraction (`30.0`) for an integer parameter is that integer.
fn coerce(value: &Value, default: &Value) -> Value {
    if let (Value::Number(d), Value::Number(n)) = (default, value)
        && (d.is_i64() || d.is_u64())
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.0e15
    {
        return Value::from(f as i64);
    }
    match (default, value) {
        (Value::String(_), Value::Number(n)) => Value::String(n.to_string()),
        (Value::String(_), Value::Bool(b)) => Value::String(b.to_string()),
        (Value::Array(_), v @ (Value::String(_) | Value::Number(_))) => {
            Value::Array(vec![v.clone()])
        }
        _ => value.clone(),
    }
}
