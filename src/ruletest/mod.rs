//! Rule tests: each rule's sibling `<id>.tests.yaml` holds resource documents and the verdicts
//! the rule must reach on them. Run by `posture rules test` and by `cargo test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::eval::{self, Context, DocView, Status};
use crate::inventory::ResourceDoc;
use crate::rules::RuleSet;

mod shape;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// Defaults to the file name without `.tests.yaml`.
    rule: Option<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    expect: String,
    resource: Value,
    #[serde(default)]
    others: Vec<Value>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    /// The evaluation clock; defaults to a fixed date so tests never drift.
    now: Option<String>,
    /// A reason of the verdict must contain this text.
    reason_contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
/// A test case whose rule did not reach the expected verdict, or that could not be run.
pub struct CaseFailure {
    /// The tests file holding the case.
    pub file: PathBuf,
    /// Id of the rule under test.
    pub rule: String,
    /// The case's `name`.
    pub case: String,
    /// What went wrong: the verdict and reasons got, a missing reason text, or a bad case.
    pub problem: String,
}

#[derive(Debug, Default)]
/// The outcome of running every tests file found; `posture rules test` prints it.
pub struct TestRun {
    /// Tests files run.
    pub files: usize,
    /// Cases run across those files; zero makes `rules test` fail.
    pub cases: usize,
    /// Cases that did not pass, in file and case order.
    pub failures: Vec<CaseFailure>,
    /// Rules loaded with no tests file.
    pub untested_rules: Vec<String>,
}

/// Whether `path` is a tests file (`*.tests.yaml`), not a rule.
#[must_use]
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tests.yaml"))
}

const DEFAULT_NOW: &str = "2026-06-01T00:00:00Z";

/// Builds a full resource document from a test's partial one.
fn complete_doc(value: &Value, default_type: &str, index: usize) -> anyhow::Result<ResourceDoc> {
    let mut value = value.clone();
    let obj = value
        .as_object_mut()
        .context("a resource must be a mapping")?;
    obj.entry("type")
        .or_insert_with(|| Value::String(default_type.to_string()));
    obj.entry("arn").or_insert_with(|| {
        Value::String(format!(
            "arn:aws:test:us-east-1:123456789012:resource/{index}"
        ))
    });
    obj.entry("account")
        .or_insert_with(|| Value::String("123456789012".into()));
    obj.entry("region")
        .or_insert_with(|| Value::String("us-east-1".into()));
    let doc: ResourceDoc = serde_json::from_value(value)?;
    Ok(doc)
}

/// Runs every tests file under `paths` against `rules`.
pub fn run(paths: &[PathBuf], rules: &RuleSet) -> anyhow::Result<TestRun> {
    let files = crate::rules::find_files(paths, is_test_file)?;
    let mut run = TestRun::default();
    let mut tested = std::collections::BTreeSet::new();
    for file in &files {
        let text = crate::rules::pack::read(file, crate::input::FileKind::Rules)?.text;
        let docs = crate::yaml::parse(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}:{}:{}: {}",
                file.display(),
                e.pos.line,
                e.pos.col,
                e.message
            )
        })?;
        let Some(root) = docs.first() else {
            anyhow::bail!(
                "{}:1:1: a tests file needs `cases`; this one is empty",
                file.display()
            );
        };
        let case_problems =
            shape::check(root, crate::catalog::Catalog::builtin()).map_err(|e| {
                anyhow::anyhow!("{}:{}:{}: {}", file.display(), e.line, e.col, e.message)
            })?;
        let tests: TestFile = serde_json::from_value(root.to_json())
            .with_context(|| format!("{}: not a valid tests file", file.display()))?;
        let default_id = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .trim_end_matches(".tests.yaml");
        let rule_id = tests.rule.unwrap_or_else(|| default_id.to_string());
        let rule = rules
            .get(&rule_id)
            .with_context(|| format!("{}: no loaded rule has id `{rule_id}`", file.display()))?;
        tested.insert(rule_id.clone());
        run.files += 1;
        for (index, case) in tests.cases.iter().enumerate() {
            run.cases += 1;
            let fail = |problem: String| CaseFailure {
                file: file.clone(),
                rule: rule_id.clone(),
                case: case.name.clone(),
                problem,
            };
            // A resource that does not fit the catalog tests nothing real: say where.
            let problems: Vec<String> = case_problems
                .iter()
                .filter(|p| p.case == index)
                .map(|p| format!("{}:{}:{}: {}", file.display(), p.line, p.col, p.message))
                .collect();
            if !problems.is_empty() {
                run.failures.push(fail(problems.join("; ")));
                continue;
            }
            let outcome = (|| -> anyhow::Result<Option<String>> {
                let expected = Status::parse(&case.expect).with_context(|| {
                    format!(
                        "expect must be PASS, FAIL, ERROR or NOT_APPLICABLE, not `{}`",
                        case.expect
                    )
                })?;
                let mut docs = vec![complete_doc(&case.resource, &rule.resource_type, 0)?];
                for (i, other) in case.others.iter().enumerate() {
                    docs.push(complete_doc(other, &rule.resource_type, i + 1)?);
                }
                let now =
                    OffsetDateTime::parse(case.now.as_deref().unwrap_or(DEFAULT_NOW), &Rfc3339)
                        .context("`now` must be an RFC 3339 timestamp")?;
                // As when an inventory is loaded: derived facts come from the data.
                crate::derived::derive_all(&mut docs, now);
                let mut params = rules.params_of(&rule_id);
                for (k, v) in &case.params {
                    anyhow::ensure!(params.contains_key(k), "the rule has no parameter `{k}`");
                    params.insert(k.clone(), v.clone());
                }
                let ctx = Context::new(&docs, now);
                let verdict = eval::evaluate_resource(rule, &params, &DocView::new(&docs[0]), &ctx);
                if verdict.status != expected {
                    return Ok(Some(format!(
                        "expected {expected}, got {}{}",
                        verdict.status,
                        if verdict.reasons.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", verdict.reasons.join("; "))
                        }
                    )));
                }
                if let Some(needle) = &case.reason_contains
                    && !verdict.reasons.iter().any(|r| r.contains(needle.as_str()))
                {
                    return Ok(Some(format!(
                        "no reason contains `{needle}`; reasons: {:?}",
                        verdict.reasons
                    )));
                }
                Ok(None)
            })();
            match outcome {
                Ok(None) => {}
                Ok(Some(problem)) => run.failures.push(fail(problem)),
                Err(e) => run.failures.push(fail(format!("{e:#}"))),
            }
        }
    }
    run.untested_rules = rules
        .rules
        .iter()
        .filter(|r| !tested.contains(&r.id) && paths.iter().any(|p| r.file.starts_with(p)))
        .map(|r| r.id.clone())
        .collect();
    Ok(run)
}
