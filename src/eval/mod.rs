//! Pure evaluation of rules over resource documents: no I/O, no AWS types, no clock (the
//! caller passes "now"). Every verdict carries the values it was decided on.

mod clause;
mod describe;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use describe::describe;

use crate::inventory::{CollectionError, Inventory, ResourceDoc};
use crate::rules::{Rule, RuleSet, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pass,
    Fail,
    Error,
    NotApplicable,
}

impl Status {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::NotApplicable => "NOT_APPLICABLE",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Pass,
            Status::Fail,
            Status::Error,
            Status::NotApplicable,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource a finding is about.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct ResourceRef {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
}

/// The verdict of one rule on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub status: Status,
    /// Every path the rule read and the value observed (null: absent or not collected).
    pub evidence: BTreeMap<String, Value>,
    /// Why it failed or could not be decided, in words.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_version: u32,
    pub severity: Severity,
    pub resource: ResourceRef,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Per-rule outcome counts, including what the selector excluded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleTally {
    pub resources_of_type: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub not_applicable: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// PASS, FAIL and ERROR findings, sorted by rule id then ARN.
    pub findings: Vec<Finding>,
    pub tallies: BTreeMap<String, RuleTally>,
}

/// A resource document as rules read it: top-level fields and attribute groups side by side.
pub struct DocView<'d> {
    pub doc: &'d ResourceDoc,
    pub root: Value,
}

impl<'d> DocView<'d> {
    #[must_use]
    pub fn new(doc: &'d ResourceDoc) -> Self {
        let mut root = Map::new();
        root.insert("type".into(), Value::String(doc.resource_type.clone()));
        root.insert("arn".into(), Value::String(doc.arn.clone()));
        root.insert("account".into(), Value::String(doc.account.clone()));
        root.insert("region".into(), Value::String(doc.region.clone()));
        root.insert("name".into(), Value::String(doc.name.clone()));
        let tags = doc
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        root.insert("tags".into(), Value::Object(tags));
        for (group, value) in &doc.attributes {
            root.entry(group.clone()).or_insert_with(|| value.clone());
        }
        DocView {
            doc,
            root: Value::Object(root),
        }
    }
}

/// What the evaluator may look at besides the resource itself.
pub struct Context<'d> {
    pub now: OffsetDateTime,
    pub by_type: HashMap<&'d str, Vec<DocView<'d>>>,
}

impl<'d> Context<'d> {
    #[must_use]
    pub fn new(docs: &'d [ResourceDoc], now: OffsetDateTime) -> Self {
        let mut by_type: HashMap<&str, Vec<DocView>> = HashMap::new();
        for doc in docs {
            by_type
                .entry(doc.resource_type.as_str())
                .or_default()
                .push(DocView::new(doc));
        }
        Context { now, by_type }
    }
}

/// Evaluates one rule on one resource.
#[must_use]
pub fn evaluate_resource(
    rule: &Rule,
    params: &BTreeMap<String, Value>,
    view: &DocView,
    ctx: &Context,
) -> Verdict {
    let mut run = clause::Run::new(params, ctx, view);
    if let Some(selector) = &rule.selector {
        match run.clause(selector, &view.root, "") {
            clause::Outcome::Pass => {}
            clause::Outcome::Fail(_) => {
                return Verdict {
                    status: Status::NotApplicable,
                    evidence: run.evidence,
                    reasons: Vec::new(),
                };
            }
            clause::Outcome::Error(reasons) => {
                let reasons = dedup(
                    reasons
                        .into_iter()
                        .map(|r| format!("cannot tell whether the rule applies: {r}"))
                        .collect(),
                );
                return Verdict {
                    status: Status::Error,
                    evidence: run.evidence,
                    reasons,
                };
            }
        }
    }
    let (status, reasons) = match run.clause(&rule.assertion, &view.root, "") {
        clause::Outcome::Pass => (Status::Pass, Vec::new()),
        clause::Outcome::Fail(r) => (Status::Fail, r),
        clause::Outcome::Error(r) => (Status::Error, r),
    };
    Verdict {
        status,
        evidence: run.evidence,
        reasons: dedup(reasons),
    }
}

/// Several paths of one failed group give the same reason; say it once.
fn dedup(reasons: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    reasons
        .into_iter()
        .filter(|r| seen.insert(r.clone()))
        .collect()
}

/// Listing failures recorded on `aws.account` documents as `errors["<type>@<region>"]`.
fn listing_failures<'c>(
    ctx: &'c Context,
    resource_type: &str,
) -> Vec<(&'c ResourceDoc, &'c str, &'c CollectionError)> {
    let prefix = format!("{resource_type}@");
    let accounts = ctx
        .by_type
        .get("aws.account")
        .map(Vec::as_slice)
        .unwrap_or_default();
    accounts
        .iter()
        .flat_map(|view| {
            let prefix = prefix.clone();
            view.doc.errors.iter().filter_map(move |(key, reason)| {
                key.strip_prefix(prefix.as_str())
                    .map(|region| (view.doc, region, reason))
            })
        })
        .collect()
}

/// Evaluates every rule over every resource of its type.
pub fn evaluate(set: &RuleSet, inventory: &Inventory, now: OffsetDateTime) -> Evaluation {
    let ctx = Context::new(&inventory.resources, now);
    let mut evaluation = Evaluation::default();
    for rule in &set.rules {
        let params = set.params_of(&rule.id);
        let mut tally = RuleTally::default();
        let views = ctx
            .by_type
            .get(rule.resource_type.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        tally.resources_of_type = views.len();
        for view in views {
            let verdict = evaluate_resource(rule, &params, view, &ctx);
            match verdict.status {
                Status::Pass => tally.pass += 1,
                Status::Fail => tally.fail += 1,
                Status::Error => tally.error += 1,
                Status::NotApplicable => {
                    tally.not_applicable += 1;
                    continue;
                }
            }
            evaluation.findings.push(Finding {
                rule_id: rule.id.clone(),
                rule_version: rule.version,
                severity: rule.severity,
                resource: ResourceRef {
                    resource_type: view.doc.resource_type.clone(),
                    arn: view.doc.arn.clone(),
                    account: view.doc.account.clone(),
                    region: view.doc.region.clone(),
                    name: view.doc.name.clone(),
                },
                verdict,
            });
        }
        // A type whose listing failed in some account and region may have resources nobody
        // saw: that is an undecided check, never "no resources".
        for (account_doc, region, reason) in listing_failures(&ctx, &rule.resource_type) {
            tally.error += 1;
            evaluation.findings.push(Finding {
                rule_id: rule.id.clone(),
                rule_version: rule.version,
                severity: rule.severity,
                resource: ResourceRef {
                    resource_type: account_doc.resource_type.clone(),
                    arn: account_doc.arn.clone(),
                    account: account_doc.account.clone(),
                    region: region.to_string(),
                    name: account_doc.name.clone(),
                },
                verdict: Verdict {
                    status: Status::Error,
                    evidence: BTreeMap::new(),
                    reasons: vec![format!(
                        "{} resources in {region} could not be listed: {reason}",
                        rule.resource_type
                    )],
                },
            });
        }
        evaluation.tallies.insert(rule.id.clone(), tally);
    }
    evaluation.findings.sort_by(|a, b| {
        (&a.rule_id, &a.resource.arn, &a.resource.region).cmp(&(
            &b.rule_id,
            &b.resource.arn,
            &b.resource.region,
        ))
    });
    evaluation
}

#[cfg(test)]
mod tests;
