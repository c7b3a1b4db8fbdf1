//! Three-valued (Kleene) evaluation of a clause: FAIL dominates `all`, PASS dominates `any`,
//! and anything that depends on an uncollected attribute is ERROR rather than a guess.

use std::collections::BTreeMap;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::describe::{describe, show};
use super::{Context, DocView};
use crate::catalog::RolePermissions;
use crate::derived::iam::grants::{PolicySet, Reach, Reading, Statement};
use crate::inventory::TOP_LEVEL_FIELDS;
use crate::rules::{Clause, Cmp, Op, Operand};

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    Fail(Vec<String>),
    Error(Vec<String>),
}

/// How many failing list items a message names before it summarizes.
const ITEMS_NAMED: usize = 3;

pub struct Run<'r, 'd> {
    params: &'r BTreeMap<String, Value>,
    ctx: &'r Context<'d>,
    view: &'r DocView<'d>,
    pub evidence: BTreeMap<String, Value>,
}

enum Lookup<'v> {
    Found(&'v Value),
    Absent,
    Errored(String),
}

fn all(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
    let (mut fails, mut errors) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Outcome::Pass => {}
            Outcome::Fail(r) => fails.extend(r),
            Outcome::Error(r) => errors.extend(r),
        }
    }
    if !fails.is_empty() {
        Outcome::Fail(fails)
    } else if !errors.is_empty() {
        Outcome::Error(errors)
    } else {
        Outcome::Pass
    }
}

fn any(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
    let (mut fails, mut errors) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Outcome::Pass => return Outcome::Pass,
            Outcome::Fail(r) => fails.extend(r),
            Outcome::Error(r) => errors.extend(r),
        }
    }
    if errors.is_empty() {
        Outcome::Fail(fails)
    } else {
        Outcome::Error(errors)
    }
}

fn check(ok: bool, reason: impl FnOnce() -> String) -> Outcome {
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail(vec![reason()])
    }
}

/// An exemption: an alternative that only says what the item is not (`kind: { not_in: ... }`),
/// so that its failure means "not exempt", which is not the cause worth reporting.
fn is_exemption(clause: &Clause) -> bool {
    match clause {
        Clause::Check { ops, .. } => {
            !ops.is_empty()
                && ops
                    .iter()
                    .all(|op| matches!(op, Op::NotIn(_) | Op::NotEquals(_)))
        }
        _ => false,
    }
}

/// Why an `any` failed, in one sentence: "neither (A) nor (B)", or "none of: A; B; C", naming the
/// alternatives that could have held; exemptions are left out when another alternative failed.
fn neither_nor(items: &[Clause], outcomes: &[Outcome]) -> String {
    let failed: Vec<(bool, String)> = items
        .iter()
        .zip(outcomes)
        .filter_map(|(clause, outcome)| match outcome {
            Outcome::Fail(reasons) if !reasons.is_empty() => {
                Some((is_exemption(clause), reasons.join(" and ")))
            }
            _ => None,
        })
        .collect();
    let substantive: Vec<&str> = failed
        .iter()
        .filter(|(exemption, _)| !exemption)
        .map(|(_, r)| r.as_str())
        .collect();
    let shown: Vec<&str> = if substantive.is_empty() {
        failed.iter().map(|(_, r)| r.as_str()).collect()
    } else {
        substantive
    };
    match shown.as_slice() {
        [] => "no alternative holds".to_string(),
        [only] => (*only).to_string(),
        [a, b] => format!("neither ({a}) nor ({b})"),
        many => format!("none of: {}", many.join("; ")),
    }
}

fn full_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path) {
        (true, _) => path.to_string(),
        (false, ".") => prefix.to_string(),
        (false, _) => format!("{prefix}.{path}"),
    }
}

impl<'r, 'd> Run<'r, 'd> {
    pub fn new(
        params: &'r BTreeMap<String, Value>,
        ctx: &'r Context<'d>,
        view: &'r DocView<'d>,
    ) -> Self {
        Run {
            params,
            ctx,
            view,
            evidence: BTreeMap::new(),
        }
    }

    /// Evaluates `clause` with paths relative to `scope`; `prefix` names the scope in messages
    /// (empty at the document root, `lifecycle.rules[2]` inside a list).
    pub fn clause(&mut self, clause: &Clause, scope: &Value, prefix: &str) -> Outcome {
        match clause {
            Clause::All(items) => all(items
                .iter()
                .map(|c| self.clause(c, scope, prefix))
                .collect::<Vec<_>>()),
            Clause::Any(items) => {
                let outcomes: Vec<Outcome> = items
                    .iter()
                    .map(|c| self.clause(c, scope, prefix))
                    .collect();
                match any(outcomes.iter().cloned()) {
                    Outcome::Fail(_) => Outcome::Fail(vec![neither_nor(items, &outcomes)]),
                    decided => decided,
                }
            }
            Clause::Not(inner) => match self.clause(inner, scope, prefix) {
                Outcome::Pass => Outcome::Fail(vec![format!(
                    "expected not: {}",
                    describe(inner, prefix, self.params)
                )]),
                Outcome::Fail(_) => Outcome::Pass,
                error => error,
            },
            Clause::Check { path, ops } => {
                let at_root = prefix.is_empty();
                let lookup = self.lookup(scope, path, at_root);
                let shown = full_path(prefix, path);
                if at_root {
                    let observed = match &lookup {
                        Lookup::Found(v) => (*v).clone(),
                        _ => Value::Null,
                    };
                    self.evidence.insert(shown.clone(), observed);
                }
                all(ops
                    .iter()
                    .map(|op| self.op(op, &lookup, &shown))
                    .collect::<Vec<_>>())
            }
            Clause::SomeResource {
                resource_type,
                filter,
            } => self.some_resource(resource_type, filter),
        }
    }

    fn lookup<'v>(&self, scope: &'v Value, path: &str, at_root: bool) -> Lookup<'v>
    where
        'r: 'v,
    {
        if path == "." {
            return if scope.is_null() {
                Lookup::Absent
            } else {
                Lookup::Found(scope)
            };
        }
        if let Some(name) = path.strip_prefix("$params.") {
            return self.params.get(name).map_or(Lookup::Absent, Lookup::Found);
        }
        let mut segments = path.split('.');
        let first = segments.next().unwrap_or("");
        if at_root && !TOP_LEVEL_FIELDS.contains(&first) {
            if let Some(reason) = self.view.doc.errors.get(first) {
                return Lookup::Errored(format!("`{first}` could not be collected: {reason}"));
            }
            if self.view.root.get(first).is_none() {
                return Lookup::Errored(self.not_collected(first));
            }
            // A field the collector could read but not know (a function chosen at run time).
            if let Some(reason) = self.view.doc.errors.get(path) {
                return Lookup::Errored(format!("`{path}` is not known: {reason}"));
            }
        }
        if at_root && first == "tags" {
            if let Some(reason) = self.view.doc.errors.get("tags") {
                return Lookup::Errored(format!("`tags` could not be collected: {reason}"));
            }
            // Documents always carry a tag map; whether it was filled is the coverage's to say.
            let doc = self.view.doc;
            if !self
                .ctx
                .coverage
                .group_collected(&doc.resource_type, "tags", &doc.account)
            {
                return Lookup::Errored(self.not_collected("tags"));
            }
        }
        let mut value = match scope.get(first) {
            Some(v) => v,
            None => return Lookup::Absent,
        };
        for segment in segments {
            value = match value.get(segment) {
                Some(v) => v,
                None => return Lookup::Absent,
            };
        }
        if value.is_null() {
            Lookup::Absent
        } else {
            Lookup::Found(value)
        }
    }

    /// Why `group` of this resource is missing: never asked for in this inventory, or absent
    /// from this document (a collector skipped it, or the document was edited).
    fn not_collected(&self, group: &str) -> String {
        let doc = self.view.doc;
        if self
            .ctx
            .coverage
            .group_collected(&doc.resource_type, group, &doc.account)
        {
            format!("`{group}` was not collected (absent from the resource document)")
        } else {
            format!(
                "`{group}` of {} was not collected in this inventory for account {}",
                doc.resource_type, doc.account
            )
        }
    }

    /// Why `wanted` matching no collected resource of `resource_types` proves nothing: the
    /// resource lives in an account the inventory does not cover, or a type it could be was not
    /// collected or failed to list there. None when "matches nothing" is a fact.
    fn unseen(&self, resource_types: &[String], wanted: &Value) -> Option<String> {
        let coverage = &self.ctx.coverage;
        let (mut account, mut region) = (self.view.doc.account.as_str(), None);
        if let Some(arn) = wanted.as_str().and_then(|w| w.strip_prefix("arn:")) {
            let parts: Vec<&str> = arn.splitn(5, ':').collect();
            if let [_, _, arn_region, arn_account, _] = parts.as_slice() {
                if !arn_account.is_empty() {
                    account = arn_account;
                }
                if !arn_region.is_empty() {
                    region = Some(*arn_region);
                }
            }
        }
        if !coverage.accounts().is_empty() && !coverage.scanned(account) {
            return Some(format!(
                "{} is in account {account}, which this inventory does not cover",
                show(wanted)
            ));
        }
        let gaps: Vec<String> = resource_types
            .iter()
            .filter_map(|ty| {
                coverage
                    .type_gap(ty, account, region)
                    .map(|gap| gap.describe(ty, account))
            })
            .collect();
        (!gaps.is_empty()).then(|| {
            format!(
                "cannot tell whether {} exists: {}",
                show(wanted),
                gaps.join("; ")
            )
        })
    }

    fn operand(&self, operand: &Operand) -> Result<Value, String> {
        match operand {
            Operand::Literal(v) => Ok(v.clone()),
            Operand::Param(name) => self
                .params
                .get(name)
                .cloned()
                .ok_or_else(|| format!("parameter `{name}` has no value")),
        }
    }

    fn op(&mut self, op: &Op, lookup: &Lookup, path: &str) -> Outcome {
        let observed = match lookup {
            Lookup::Errored(reason) => return Outcome::Error(vec![reason.clone()]),
            Lookup::Found(v) => Some(*v),
            Lookup::Absent => None,
        };
        let resolve = |run: &Self, operand: &Operand| run.operand(operand);
        let is = |v: Option<&Value>| v.map_or_else(|| "absent".to_string(), show);
        macro_rules! param {
            ($operand:expr) => {
                match resolve(self, $operand) {
                    Ok(v) => v,
                    Err(e) => return Outcome::Error(vec![e]),
                }
            };
        }
        match op {
            Op::Equals(expected) => {
                let expected = param!(expected);
                check(observed.is_some_and(|v| loose_eq(v, &expected)), || {
                    format!("{path} is {}, expected {}", is(observed), show(&expected))
                })
            }
            Op::NotEquals(unwanted) => {
                let unwanted = param!(unwanted);
                check(!observed.is_some_and(|v| loose_eq(v, &unwanted)), || {
                    format!("{path} is {}, expected anything else", show(&unwanted))
                })
            }
            Op::Compare(cmp, bound) => {
                let bound = param!(bound);
                self.compare(observed, *cmp, &bound, path, "")
            }
            Op::In(list) | Op::NotIn(list) => {
                let list = param!(list);
                let items = list.as_array().cloned().unwrap_or_default();
                let member = observed.is_some_and(|v| items.iter().any(|i| loose_eq(v, i)));
                if matches!(op, Op::In(_)) {
                    check(member, || {
                        format!(
                            "{path} is {}, expected one of {}",
                            is(observed),
                            show(&list)
                        )
                    })
                } else {
                    check(!member, || {
                        format!(
                            "{path} is {}, which is one of the disallowed {}",
                            is(observed),
                            show(&list)
                        )
                    })
                }
            }
            Op::Contains(needle) => {
                let needle = param!(needle);
                let found = match observed {
                    Some(Value::Array(items)) => items.iter().any(|i| loose_eq(i, &needle)),
                    Some(Value::String(s)) => needle.as_str().is_some_and(|n| s.contains(n)),
                    _ => false,
                };
                check(found, || {
                    format!(
                        "{path} ({}) does not contain {}",
                        is(observed),
                        show(&needle)
                    )
                })
            }
            Op::Matches(re) | Op::NotMatches(re) => {
                let text = match observed {
                    Some(Value::String(s)) => Some(s.as_str()),
                    None => None,
                    Some(other) => {
                        return Outcome::Error(vec![format!(
                            "{path} is {}, not a string",
                            show(other)
                        )]);
                    }
                };
                let hit = text.is_some_and(|t| re.is_match(t));
                if matches!(op, Op::Matches(_)) {
                    check(hit, || {
                        format!(
                            "{path} is {}, expected to match /{}/",
                            is(observed),
                            re.as_str()
                        )
                    })
                } else {
                    check(!hit, || {
                        format!(
                            "{path} is {}, which matches /{}/",
                            is(observed),
                            re.as_str()
                        )
                    })
                }
            }
            Op::Exists(wanted) => {
                let present = observed.is_some();
                check(present == *wanted, || {
                    if *wanted {
                        format!("{path} is absent")
                    } else {
                        format!("{path} is {}, expected it to be absent", is(observed))
                    }
                })
            }
            Op::AnyItem(inner) | Op::AllItems(inner) | Op::NoItem(inner) => {
                let items = match observed {
                    Some(Value::Array(items)) => items.as_slice(),
                    None => &[],
                    Some(other) => {
                        return Outcome::Error(vec![format!(
                            "{path} is {}, not a list",
                            show(other)
                        )]);
                    }
                };
                self.quantify(op, inner, items, path)
            }
            Op::Count { filter, bounds } => {
                let items = match observed {
                    Some(Value::Array(items)) => items.as_slice(),
                    None => &[],
                    Some(other) => {
                        return Outcome::Error(vec![format!(
                            "{path} is {}, not a list",
                            show(other)
                        )]);
                    }
                };
                let mut count = 0usize;
                let mut counted_names = Vec::new();
                let mut errors = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match filter
                        .as_deref()
                        .map(|f| self.clause(f, item, &format!("{path}[{i}]")))
                    {
                        None | Some(Outcome::Pass) => {
                            count += 1;
                            // Name the items that made the count (statement ids, ARNs) when
                            // they are plain values, so the reason says which ones.
                            if let Some(name) = item.as_str().filter(|_| counted_names.len() < 3) {
                                counted_names.push(name.to_string());
                            }
                        }
                        Some(Outcome::Fail(_)) => {}
                        Some(Outcome::Error(r)) => errors.extend(r),
                    }
                }
                let noun = match (filter.is_some(), count) {
                    (true, 1) => "matching item",
                    (true, _) => "matching items",
                    (false, 1) => "item",
                    (false, _) => "items",
                };
                let what = match counted_names.len() {
                    0 => noun.to_string(),
                    shown if shown < count => {
                        format!("{noun}: {}, ...", counted_names.join(", "))
                    }
                    _ => format!("{noun}: {}", counted_names.join(", ")),
                };
                let what = what.as_str();
                let counted = Value::from(count);
                let mut outcomes = Vec::new();
                for (cmp, bound) in bounds {
                    let bound = param!(bound);
                    outcomes.push(self.compare(
                        Some(&counted),
                        *cmp,
                        &bound,
                        &format!("{path} has"),
                        what,
                    ));
                }
                match all(outcomes) {
                    // An undecidable item could change the count either way.
                    Outcome::Pass | Outcome::Fail(_) if !errors.is_empty() => {
                        Outcome::Error(errors)
                    }
                    outcome => outcome,
                }
            }
            Op::AgeDays(bounds) => {
                let Some(text) = observed.and_then(Value::as_str) else {
                    return Outcome::Fail(vec![format!(
                        "{path} is {}, expected a timestamp",
                        is(observed)
                    )]);
                };
                let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) else {
                    return Outcome::Error(vec![format!(
                        "{path} is {text}, not an RFC 3339 timestamp"
                    )]);
                };
                let age = Value::from((self.ctx.now - at).whole_days());
                let mut outcomes = Vec::new();
                for (cmp, bound) in bounds {
                    let bound = param!(bound);
                    outcomes.push(self.compare(
                        Some(&age),
                        *cmp,
                        &bound,
                        &format!("{path} ({text}) is"),
                        "days old",
                    ));
                }
                all(outcomes)
            }
            Op::References {
                resource_types,
                attribute,
                filter,
            } => self.references(observed, path, resource_types, attribute, filter.as_deref()),
            Op::HasKeys(keys) => {
                let keys = param!(keys);
                let missing: Vec<String> = keys
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter(|k| {
                        !observed
                            .and_then(|o| o.as_object())
                            .is_some_and(|m| k.as_str().is_some_and(|k| m.contains_key(k)))
                    })
                    .map(show)
                    .collect();
                check(missing.is_empty(), || {
                    format!("{path} lacks {}", missing.join(", "))
                })
            }
            Op::AllowedByRole {
                role_path,
                action,
                permissions,
            } => self.allowed_by_role(observed, path, role_path, action, permissions),
            Op::Deprecation {
                schedule,
                warn_days,
            } => {
                let warn_days = param!(warn_days);
                let Some(key) = observed.and_then(Value::as_str) else {
                    return Outcome::Fail(vec![format!(
                        "{path} is {}, expected a value listed in {}",
                        is(observed),
                        schedule.file
                    )]);
                };
                let Some(date) = schedule.dates.get(key) else {
                    return Outcome::Error(vec![format!(
                        "{path} {key} is not in {}; add it to the schedule to judge it",
                        schedule.file
                    )]);
                };
                let Some(date) = date else {
                    return Outcome::Pass;
                };
                let today = self.ctx.now.date();
                let window = warn_days.as_f64().unwrap_or(0.0) as i64;
                if *date <= today {
                    Outcome::Fail(vec![format!("{path} {key} was deprecated on {date}")])
                } else if (*date - today).whole_days() <= window {
                    Outcome::Fail(vec![format!(
                        "{path} {key} is deprecated on {date}, within the {window}-day warning window"
                    )])
                } else {
                    Outcome::Pass
                }
            }
        }
    }

    fn allowed_by_role(
        &mut self,
        observed: Option<&Value>,
        path: &str,
        role_path: &str,
        action: &str,
        permissions: &RolePermissions,
    ) -> Outcome {
        let resources: Vec<&str> = match observed {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            Some(other) => {
                return Outcome::Error(vec![format!("{path} is {}, not ARNs", show(other))]);
            }
            None => return Outcome::Pass,
        };
        if resources.is_empty() {
            return Outcome::Pass;
        }
        let view = self.view;
        let role_arn = match self.lookup(&view.root, role_path, true) {
            Lookup::Found(Value::String(arn)) => arn.clone(),
            Lookup::Errored(reason) => return Outcome::Error(vec![reason]),
            _ => {
                return Outcome::Fail(vec![format!(
                    "{role_path} is absent, so no role can allow {action}"
                )]);
            }
        };
        self.evidence
            .insert(role_path.to_string(), Value::String(role_arn.clone()));
        let ctx = self.ctx;
        let find = |ty: &str, arn: &str| ctx.find(ty, arn);
        let RolePermissions {
            role_type,
            role_group,
            policy_arn_fields,
            policy_type,
            policy_group,
            statements_field,
        } = permissions;
        let Some(role) = find(role_type, &role_arn) else {
            let wanted = Value::String(role_arn.clone());
            if let Some(reason) = self.unseen(std::slice::from_ref(role_type), &wanted) {
                return Outcome::Error(vec![reason]);
            }
            return Outcome::Fail(vec![format!(
                "{role_path} refers to role {role_arn}, which does not exist: no collected {role_type} has that ARN"
            )]);
        };
        if let Some(reason) = role.doc.errors.get(role_group) {
            return Outcome::Error(vec![format!(
                "the policies of {role_arn} could not be collected: {reason}"
            )]);
        }
        let arns: Vec<&str> = policy_arn_fields
            .iter()
            .flat_map(|k| {
                role.root[role_group][k]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            })
            .filter_map(Value::as_str)
            .collect();
        let boundary = role.root[role_group]["permissions_boundary_arn"].as_str();
        let mut set = PolicySet::default();
        let mut unknown = Vec::new();
        let mut statements_of = |arn: &str| match find(policy_type, arn) {
            Some(policy) => match policy.doc.errors.get(policy_group) {
                None => Some(Statement::of_policy(
                    arn,
                    policy.root[policy_group][statements_field]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    ctx.now,
                )),
                Some(reason) => {
                    unknown.push(format!("{arn} ({reason})"));
                    None
                }
            },
            None => {
                unknown.push(format!("{arn} (not collected)"));
                None
            }
        };
        for arn in arns {
            set.identity.extend(statements_of(arn).unwrap_or_default());
        }
        if let Some(boundary) = boundary {
            set.boundary = Some(statements_of(boundary).unwrap_or_default());
        }
        // Proving a permission: only grants that hold whatever the request; any Deny that may
        // apply removes (grants::Reading).
        let surely = set.reach(action, Reading::SurelyAllows);
        let covered = |reach: &Reach, r: &str| {
            reach
                .patterns
                .iter()
                .any(|p| p == "*" || crate::iam_policy::resource_matches(p, r))
        };
        let denied: Vec<&str> = resources
            .iter()
            .copied()
            .filter(|r| !covered(&surely, r))
            .collect();
        if !unknown.is_empty() {
            // A policy posture did not see may grant what is missing, or deny what is granted.
            return Outcome::Error(vec![format!(
                "cannot tell whether {role_arn} allows {action} on {}: policies not judged: {}",
                if denied.is_empty() {
                    resources.join(", ")
                } else {
                    denied.join(", ")
                },
                unknown.join(", ")
            )]);
        }
        if denied.is_empty() {
            return Outcome::Pass;
        }
        let maybe = set.reach(action, Reading::MayAllow);
        Outcome::Fail(
            denied
                .iter()
                .map(|r| {
                    if covered(&maybe, r) {
                        format!(
                            "{role_arn} allows {action} on {r} only under conditions that may not hold: {}",
                            if maybe.conditions.is_empty() {
                                "a Deny that may apply".to_string()
                            } else {
                                maybe.conditions.join("; ")
                            }
                        )
                    } else {
                        format!("{role_arn} does not allow {action} on {r}")
                    }
                })
                .collect(),
        )
    }

    fn references(
        &mut self,
        observed: Option<&Value>,
        path: &str,
        resource_types: &[String],
        attribute: &str,
        filter: Option<&Clause>,
    ) -> Outcome {
        let kinds = resource_types.join(" or ");
        let wanted: Vec<&Value> = match observed {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v) => vec![v],
            None => {
                return Outcome::Fail(vec![format!(
                    "{path} is absent, expected a reference to a {kinds}"
                )]);
            }
        };
        let ctx = self.ctx;
        let mut reasons = Vec::new();
        let mut errors = Vec::new();
        for w in wanted {
            let matches: Vec<&DocView> = resource_types
                .iter()
                .flat_map(|t| ctx.referenced(t, attribute, w))
                .collect();
            if matches.is_empty() {
                if let Some(reason) = self.unseen(resource_types, w) {
                    errors.push(reason);
                    continue;
                }
                // A missing resource reads differently from one that breaks the rule.
                reasons.push(format!(
                    "{path} refers to {}, which does not exist: no collected {kinds} has that {attribute}",
                    show(w)
                ));
                continue;
            }
            let Some(filter) = filter else { continue };
            let mut outcomes = Vec::new();
            for candidate in &matches {
                let mut run = Run::new(self.params, ctx, candidate);
                outcomes.push(run.clause(filter, &candidate.root, ""));
            }
            match any(outcomes.iter().cloned()) {
                Outcome::Pass => {}
                Outcome::Fail(_) => {
                    // Name the resource and the fact that fails it, not the rule's condition.
                    let (candidate, why) = matches
                        .iter()
                        .zip(&outcomes)
                        .find_map(|(c, o)| match o {
                            Outcome::Fail(r) => Some((c, r.join("; "))),
                            _ => None,
                        })
                        .unwrap_or((&matches[0], describe(filter, "", self.params)));
                    let doc = candidate.doc;
                    let name = if doc.name.is_empty() {
                        &doc.arn
                    } else {
                        &doc.name
                    };
                    reasons.push(format!(
                        "{path} refers to {} {name}, where {why}",
                        doc.resource_type
                    ));
                }
                Outcome::Error(r) => {
                    errors.extend(r.into_iter().map(|r| format!("{}: {r}", show(w))));
                }
            }
        }
        if !reasons.is_empty() {
            Outcome::Fail(reasons)
        } else if !errors.is_empty() {
            Outcome::Error(errors)
        } else {
            Outcome::Pass
        }
    }

    fn compare(
        &self,
        observed: Option<&Value>,
        cmp: Cmp,
        bound: &Value,
        subject: &str,
        unit: &str,
    ) -> Outcome {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        let Some(observed) = observed else {
            return Outcome::Fail(vec![format!(
                "{subject} is absent, expected {} {}",
                cmp.symbol(),
                show(bound)
            )]);
        };
        let (Some(left), Some(right)) = (observed.as_f64(), bound.as_f64()) else {
            return Outcome::Error(vec![format!(
                "cannot compare {subject} {} with {}",
                show(observed),
                show(bound)
            )]);
        };
        let sep = if subject.ends_with(" is") || subject.ends_with(" has") {
            " "
        } else {
            " is "
        };
        check(cmp.holds(left, right), || {
            format!(
                "{subject}{sep}{}{unit}, expected {} {}",
                show(observed),
                cmp.symbol(),
                show(bound)
            )
        })
    }

    fn quantify(&mut self, op: &Op, inner: &Clause, items: &[Value], path: &str) -> Outcome {
        let outcomes: Vec<(usize, Outcome)> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (i, self.clause(inner, item, &format!("{path}[{i}]"))))
            .collect();
        let errors: Vec<String> = outcomes
            .iter()
            .filter_map(|(_, o)| {
                if let Outcome::Error(r) = o {
                    Some(r.clone())
                } else {
                    None
                }
            })
            .flatten()
            .collect();
        match op {
            Op::AnyItem(_) => {
                if outcomes.iter().any(|(_, o)| *o == Outcome::Pass) {
                    Outcome::Pass
                } else if !errors.is_empty() {
                    Outcome::Error(errors)
                } else if items.is_empty() {
                    Outcome::Fail(vec![format!(
                        "{path} is empty, expected an item where {}",
                        describe(inner, "", self.params)
                    )])
                } else {
                    // The item that came closest: the fewest failed conditions, the first of
                    // those; what it lacked is the cause worth reading.
                    let closest = outcomes
                        .iter()
                        .filter_map(|(i, o)| match o {
                            Outcome::Fail(r) => Some((*i, r)),
                            _ => None,
                        })
                        .min_by_key(|(_, r)| r.len());
                    let which = if items.len() == 1 {
                        "the only item".to_string()
                    } else {
                        "the closest".to_string()
                    };
                    let lacked = closest
                        .map(|(i, r)| {
                            format!("; {which}, {path}[{i}], fails because {}", r.join(" and "))
                        })
                        .unwrap_or_default();
                    Outcome::Fail(vec![format!(
                        "no item of {path} ({} item{}) has {}{lacked}",
                        items.len(),
                        if items.len() == 1 { "" } else { "s" },
                        describe(inner, "", self.params)
                    )])
                }
            }
            Op::AllItems(_) => {
                let fails: Vec<String> = outcomes
                    .iter()
                    .filter_map(|(_, o)| {
                        if let Outcome::Fail(r) = o {
                            Some(r.join("; "))
                        } else {
                            None
                        }
                    })
                    .collect();
                if !fails.is_empty() {
                    Outcome::Fail(summarize(fails))
                } else if !errors.is_empty() {
                    Outcome::Error(errors)
                } else {
                    Outcome::Pass
                }
            }
            _ => {
                let hits: Vec<String> = outcomes
                    .iter()
                    .filter(|(_, o)| *o == Outcome::Pass)
                    .map(|(i, _)| {
                        format!(
                            "{path}[{i}] is {}, expected no item with {}",
                            show(&items[*i]),
                            describe(inner, "", self.params)
                        )
                    })
                    .collect();
                if !hits.is_empty() {
                    Outcome::Fail(summarize(hits))
                } else if !errors.is_empty() {
                    Outcome::Error(errors)
                } else {
                    Outcome::Pass
                }
            }
        }
    }

    fn some_resource(&mut self, resource_type: &str, filter: &Clause) -> Outcome {
        let ctx = self.ctx;
        let account = &self.view.doc.account;
        let candidates: Vec<&DocView> = ctx
            .by_type
            .get(resource_type)
            .map(|views| views.iter().filter(|v| &v.doc.account == account).collect())
            .unwrap_or_default();
        let mut matched = Vec::new();
        let mut errors = Vec::new();
        for candidate in &candidates {
            let mut run = Run::new(self.params, ctx, candidate);
            match run.clause(filter, &candidate.root, "") {
                Outcome::Pass => matched.push(Value::String(candidate.doc.arn.clone())),
                Outcome::Fail(_) => {}
                Outcome::Error(r) => {
                    errors.extend(r.into_iter().map(|r| format!("{}: {r}", candidate.doc.arn)));
                }
            }
        }
        self.evidence.insert(
            format!("some_resource({resource_type})"),
            Value::Array(matched.clone()),
        );
        if !matched.is_empty() {
            return Outcome::Pass;
        }
        if let Some(gap) = ctx.coverage.type_gap(resource_type, account, None) {
            errors.push(format!(
                "cannot tell whether account {account} has a {resource_type} with {}: {}",
                describe(filter, "", self.params),
                gap.describe(resource_type, account)
            ));
        }
        if !errors.is_empty() {
            Outcome::Error(errors)
        } else {
            Outcome::Fail(vec![format!(
                "none of the {} {resource_type} resources in account {account} has {}",
                candidates.len(),
                describe(filter, "", self.params)
            )])
        }
    }
}

fn summarize(mut reasons: Vec<String>) -> Vec<String> {
    if reasons.len() > ITEMS_NAMED {
        let more = reasons.len() - ITEMS_NAMED;
        reasons.truncate(ITEMS_NAMED);
        reasons.push(format!("... and {more} more"));
    }
    reasons
}

/// Equality that treats 7 and 7.0 as the same number.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}
