//! Pure evaluation of rules over resource documents: no I/O, no AWS types, no clock (the
//! caller passes "now"). Every verdict carries the values it was decided on.

mod clause;
mod coverage;
mod describe;
mod focus;
mod index;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use coverage::{ACCOUNT_TYPE, Coverage, Gap};
pub use describe::describe;

use crate::inventory::{AccountScope, Inventory, ResourceDoc};
use crate::rules::{Rule, RuleSet, Severity};

pub use focus::{FocusRecord, ResourceFocus};

/// The evaluator's verdict on one rule and one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The resource meets the rule.
    Pass,
    /// The resource does not meet the rule.
    Fail,
    /// The rule could not be decided, e.g. a value it needs was not collected.
    Error,
    /// The rule's `where` excluded the resource.
    NotApplicable,
}

impl Status {
    /// The serialized form, e.g. `NOT_APPLICABLE`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Reads the serialized form back; None for any other text.
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
    /// Resource type, e.g. `s3_bucket`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// ARN of the resource.
    pub arn: String,
    /// AWS account id (12 digits).
    pub account: String,
    /// AWS region, e.g. `eu-west-1`; `global` for global services.
    pub region: String,
    /// Display name (bucket name, role name, ...).
    pub name: String,
}

/// Every path a rule read and the value observed, sorted by path. A map sized to its entries:
/// there is one per finding, and a `BTreeMap` node takes about 1.2 KB however few paths it holds
/// (at 100k resources the evidence maps were 150 MB of the peak).
pub type Evidence = Map<String, Value>;

/// The evaluator's sorted evidence as a compact, still sorted, map.
fn compact(evidence: BTreeMap<String, Value>) -> Evidence {
    let mut out = Map::with_capacity(evidence.len());
    out.extend(evidence);
    out
}

/// The verdict of one rule on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// PASS, FAIL, ERROR or NOT_APPLICABLE.
    pub status: Status,
    /// Every path the rule read and the value observed (null: absent or not collected).
    pub evidence: Evidence,
    /// Why it failed or could not be decided, in words.
    pub reasons: Vec<String>,
}

/// One rule's verdict on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Id of the rule.
    pub rule_id: String,
    /// Version of the rule.
    pub rule_version: u32,
    /// Severity of the rule.
    pub severity: Severity,
    /// The resource judged.
    pub resource: ResourceRef,
    /// The verdict, its evidence and reasons.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Per-rule outcome counts, including what the selector excluded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleTally {
    /// Resources of the rule's type that were collected.
    pub resources_of_type: usize,
    /// Resources that passed.
    pub pass: usize,
    /// Resources that failed.
    pub fail: usize,
    /// Resources that could not be decided.
    pub error: usize,
    /// Resources the rule's `where` excluded.
    pub not_applicable: usize,
}

/// Checks decided (PASS or FAIL) and undecided (ERROR) in one account and region.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Checks {
    /// Verdicts that were PASS or FAIL.
    pub decided: usize,
    /// Verdicts that were ERROR: the data behind them could not be collected.
    pub undecided: usize,
}

impl Checks {
    /// Adds another count to this one.
    pub fn add(&mut self, other: Checks) {
        self.decided += other.decided;
        self.undecided += other.undecided;
    }

    fn count(&mut self, status: Status) {
        match status {
            Status::Pass | Status::Fail => self.decided += 1,
            Status::Error => self.undecided += 1,
            Status::NotApplicable => {}
        }
    }
}

/// (account, region) -> checks of one rule there.
pub type ChecksByScope = BTreeMap<(String, String), Checks>;

/// The result of evaluating a rule set over an inventory.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// PASS, FAIL and ERROR findings, sorted by rule id then ARN.
    pub findings: Vec<Finding>,
    /// rule id -> outcome counts, for every rule evaluated.
    pub tallies: BTreeMap<String, RuleTally>,
    /// rule id -> where its checks were decided and where not (passes the evaluation did not
    /// keep are counted too).
    pub checks: BTreeMap<String, ChecksByScope>,
}

/// A resource document as rules read it: top-level fields and attribute groups side by side.
pub struct DocView<'d> {
    /// The collected document.
    pub doc: &'d ResourceDoc,
    /// The JSON object rules read paths from.
    pub root: Value,
}

impl<'d> DocView<'d> {
    /// Builds the view; a top-level field wins over an attribute group of the same name.
    #[must_use]
    pub fn new(doc: &'d ResourceDoc) -> Self {
        let mut root = Self::top_level(doc);
        for (group, value) in &doc.attributes {
            root.entry(group.clone()).or_insert_with(|| value.clone());
        }
        DocView {
            doc,
            root: Value::Object(root),
        }
    }

    /// The view's root with `doc`'s attribute groups moved in rather than copied, so a large
    /// inventory is not held twice. `doc` keeps its type, ARN, tags and errors.
    fn root_taking_attributes(doc: &mut ResourceDoc) -> Value {
        let mut root = Self::top_level(doc);
        for (group, value) in std::mem::take(&mut doc.attributes) {
            root.entry(group).or_insert(value);
        }
        Value::Object(root)
    }

    fn top_level(doc: &ResourceDoc) -> Map<String, Value> {
        // Sized once: the groups follow, and a grown map keeps its slack for the whole scan.
        let mut root = Map::with_capacity(6 + doc.attributes.len());
        root.insert("type".into(), Value::String(doc.resource_type.clone()));
        root.insert("arn".into(), Value::String(doc.arn.clone()));
        root.insert("account".into(), Value::String(doc.account.clone()));
        root.insert("region".into(), Value::String(doc.region.clone()));
        root.insert("name".into(), Value::String(doc.name.clone()));
        let mut tags = Map::with_capacity(doc.tags.len());
        tags.extend(
            doc.tags
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
        );
        root.insert("tags".into(), Value::Object(tags));
        root
    }
}

/// What the evaluator may look at besides the resource itself.
pub struct Context<'d> {
    /// The clock for age rules (the collection time, not the wall clock).
    pub now: OffsetDateTime,
    /// resource type -> every document of that type, for rules that look at other resources.
    pub by_type: HashMap<&'d str, Vec<DocView<'d>>>,
    /// Lookups by ARN and by referenced attribute, so rules that look at other resources stay
    /// linear in the inventory.
    index: index::Indexes<'d>,
    /// What the inventory vouches for: a reference into a type that was not collected (or
    /// whose listing failed) is undecided, not "matches nothing".
    pub coverage: Coverage,
}

impl<'d> Context<'d> {
    /// Groups the documents by type.
    #[must_use]
    pub fn new(docs: &'d [ResourceDoc], now: OffsetDateTime) -> Self {
        let mut by_type: HashMap<&str, Vec<DocView>> = HashMap::new();
        for doc in docs {
            by_type
                .entry(doc.resource_type.as_str())
                .or_default()
                .push(DocView::new(doc));
        }
        let index = index::Indexes::new(&by_type);
        Context {
            now,
            by_type,
            index,
            coverage: Coverage::new(&[], docs),
        }
    }

    /// As `new`, but moves each document's attribute groups into its view instead of copying
    /// them: the documents keep everything else (type, ARN, tags, errors).
    #[must_use]
    pub fn taking_attributes(
        docs: &'d mut [ResourceDoc],
        accounts: &[AccountScope],
        now: OffsetDateTime,
    ) -> Self {
        let coverage = Coverage::new(accounts, docs);
        let roots: Vec<Value> = docs
            .iter_mut()
            .map(DocView::root_taking_attributes)
            .collect();
        let docs: &'d [ResourceDoc] = docs;
        let mut by_type: HashMap<&str, Vec<DocView>> = HashMap::new();
        for (doc, root) in docs.iter().zip(roots) {
            by_type
                .entry(doc.resource_type.as_str())
                .or_default()
                .push(DocView { doc, root });
        }
        let index = index::Indexes::new(&by_type);
        Context {
            now,
            by_type,
            index,
            coverage,
        }
    }

    /// The document of `resource_type` with this ARN.
    #[must_use]
    pub fn find(&self, resource_type: &str, arn: &str) -> Option<&DocView<'d>> {
        let at = self.index.position(resource_type, arn)?;
        self.by_type.get(resource_type)?.get(at)
    }

    /// Documents of `resource_type` whose `attribute` (a dotted path) equals `wanted`, numbers
    /// compared by value.
    #[must_use]
    pub fn referenced(
        &self,
        resource_type: &str,
        attribute: &str,
        wanted: &Value,
    ) -> Vec<&DocView<'d>> {
        let Some(views) = self.by_type.get(resource_type) else {
            return Vec::new();
        };
        self.index
            .referenced(resource_type, attribute, wanted, views)
            .into_iter()
            .filter_map(|at| views.get(at))
            .collect()
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
                    evidence: compact(run.evidence),
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
                    evidence: compact(run.evidence),
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
        evidence: compact(run.evidence),
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

/// The account-level findings a rule owes for data the inventory does not have: one per
/// account and region whose listing of the rule's type failed, one per account where the type
/// was not collected. A group of the rule's type that was not collected is found on each
/// resource instead (reading it is ERROR there).
fn coverage_gaps(rule: &Rule, ctx: &Context) -> Vec<(ResourceRef, String)> {
    let account_ref = |account: &str, region: &str| {
        let doc = ctx
            .by_type
            .get(coverage::ACCOUNT_TYPE)
            .and_then(|views| views.iter().find(|v| v.doc.account == account));
        ResourceRef {
            resource_type: coverage::ACCOUNT_TYPE.to_string(),
            arn: doc.map_or_else(
                || format!("arn:aws:iam::{account}:root"),
                |v| v.doc.arn.clone(),
            ),
            account: account.to_string(),
            region: region.to_string(),
            name: doc.map_or_else(|| account.to_string(), |v| v.doc.name.clone()),
        }
    };
    let mut gaps = Vec::new();
    for resource_type in &rule.resource_types {
        for account in ctx.coverage.failed_accounts(resource_type) {
            if let Some(Gap::ListingFailed(failures)) =
                ctx.coverage.type_gap(resource_type, &account, None)
            {
                for (region, error) in failures {
                    gaps.push((
                        account_ref(&account, &region),
                        format!(
                            "{resource_type} resources in {region} could not be listed: {error}"
                        ),
                    ));
                }
            }
        }
        for account in ctx.coverage.accounts() {
            match ctx.coverage.type_gap(resource_type, account, None) {
                Some(gap @ (Gap::NotCollected | Gap::Unrecorded)) => gaps.push((
                    account_ref(account, "global"),
                    gap.describe(resource_type, account),
                )),
                _ => {}
            }
        }
    }
    gaps
}

/// One rule over every resource of its type: its findings and its tally.
fn evaluate_rule(
    rule: &Rule,
    set: &RuleSet,
    ctx: &Context,
    keep_passes: bool,
    focus: &ResourceFocus,
) -> (Vec<Finding>, RuleTally, ChecksByScope) {
    use rayon::prelude::*;
    let params = set.params_of(&rule.id);
    let views: Vec<&DocView> = rule
        .resource_types
        .iter()
        .flat_map(|ty| {
            ctx.by_type
                .get(ty.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
        .filter(|view| focus.includes(view.doc))
        .collect();
    let mut tally = RuleTally {
        resources_of_type: views.len(),
        ..RuleTally::default()
    };
    // Resources are independent: judge them in parallel, then count in order.
    let verdicts: Vec<(&DocView, Verdict)> = views
        .par_iter()
        .map(|view| (*view, evaluate_resource(rule, &params, view, ctx)))
        .collect();
    let mut findings = Vec::new();
    let mut checks = ChecksByScope::new();
    let mut count = |account: &str, region: &str, status: Status| {
        if status != Status::NotApplicable {
            checks
                .entry((account.to_string(), region.to_string()))
                .or_default()
                .count(status);
        }
    };
    for (view, verdict) in verdicts {
        count(&view.doc.account, &view.doc.region, verdict.status);
        match verdict.status {
            Status::Pass => {
                tally.pass += 1;
                if !keep_passes {
                    continue;
                }
            }
            Status::Fail => tally.fail += 1,
            Status::Error => tally.error += 1,
            Status::NotApplicable => {
                tally.not_applicable += 1;
                continue;
            }
        }
        findings.push(Finding {
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
    // A type whose listing failed, or that was never collected, in an account may have
    // resources nobody saw: that is an undecided check, never "no resources".
    for (resource, reason) in coverage_gaps(rule, ctx) {
        tally.error += 1;
        count(&resource.account, &resource.region, Status::Error);
        findings.push(Finding {
            rule_id: rule.id.clone(),
            rule_version: rule.version,
            severity: rule.severity,
            resource,
            verdict: Verdict {
                status: Status::Error,
                evidence: Evidence::new(),
                reasons: vec![reason],
            },
        });
    }
    (findings, tally, checks)
}

/// Evaluates every rule over every resource of its type, rules and resources in parallel.
/// The result does not depend on the order the threads finish in: findings are sorted. The
/// inventory is consumed: its attribute groups become the evaluator's views without a copy.
pub fn evaluate(set: &RuleSet, inventory: Inventory, now: OffsetDateTime) -> Evaluation {
    evaluate_keeping(set, inventory, now, true)
}

/// As `evaluate`; PASS findings are kept only when `keep_passes` (they are always counted in
/// the tallies). Passes are most findings of a healthy estate, so a report that lists none
/// need not hold them.
pub fn evaluate_keeping(
    set: &RuleSet,
    inventory: Inventory,
    now: OffsetDateTime,
    keep_passes: bool,
) -> Evaluation {
    evaluate_focused(
        set,
        inventory,
        now,
        keep_passes,
        &ResourceFocus::everything(),
    )
}

/// `evaluate_keeping` judging only the resources in `focus`; every document is still read
/// where a rule refers to other resources.
pub fn evaluate_focused(
    set: &RuleSet,
    inventory: Inventory,
    now: OffsetDateTime,
    keep_passes: bool,
    focus: &ResourceFocus,
) -> Evaluation {
    use rayon::prelude::*;
    let mut inventory = inventory;
    let ctx = Context::taking_attributes(&mut inventory.resources, &inventory.accounts, now);
    let per_rule: Vec<(Vec<Finding>, RuleTally, ChecksByScope)> = set
        .rules
        .par_iter()
        .map(|rule| evaluate_rule(rule, set, &ctx, keep_passes, focus))
        .collect();
    let mut evaluation = Evaluation::default();
    for (rule, (findings, tally, checks)) in set.rules.iter().zip(per_rule) {
        evaluation.findings.extend(findings);
        evaluation.tallies.insert(rule.id.clone(), tally);
        evaluation.checks.insert(rule.id.clone(), checks);
    }
    evaluation.findings.par_sort_by(|a, b| {
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
