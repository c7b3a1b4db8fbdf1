//! IAM facts derived from policy statements: the least-privilege `analysis` of each policy
//! document, and the effective `permissions` of each user and role, which combine every policy
//! that applies to the principal (attached customer-managed and AWS-managed policies, inline
//! policies, a user's groups' policies), subtract every Deny and cap by the permissions
//! boundary. Both read the escalation catalog (`escalation`) and the scan clock (`conditions`).

mod conditions;
pub mod escalation;
pub mod grants;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::strings;
use crate::inventory::{CollectionError, ResourceDoc};
use escalation::EscalationPath;
use grants::{PolicySet, Reach, Reading, Statement, can_be_target};

const POLICY: &str = "aws.iam.policy";
const ROLE: &str = "aws.iam.role";
const USER: &str = "aws.iam.user";
const GROUP: &str = "aws.iam.group";
/// Where principals' policies come from, named in the errors of an incomplete principal.
const SOURCE: &str = "iam:GetAccountAuthorizationDetails";

/// Action-name prefixes that only read.
const READ_PREFIXES: &[&str] = &[
    "get", "list", "describe", "head", "batchget", "query", "scan", "search", "lookup", "view",
    "select", "check", "validate",
];

fn is_read_only(action: &str) -> bool {
    match action.split_once(':') {
        Some((_, name)) => {
            !name.contains('*') && READ_PREFIXES.iter().any(|p| name.starts_with(p))
                || READ_PREFIXES
                    .iter()
                    .any(|p| name.starts_with(p) && name.ends_with('*') && name.len() > p.len())
        }
        None => false,
    }
}

/// The `analysis` group of one policy document from its normalized statements.
#[must_use]
pub fn policy_analysis(statements: &[Value], now: OffsetDateTime) -> Value {
    let set = PolicySet {
        identity: Statement::of_policy("", statements, now),
        boundary: None,
    };
    let admin_statements = set.admin_statements();
    let everywhere = |action: &str| set.reach(action, Reading::MayAllow).everywhere();
    let mut service_wildcards = Vec::new();
    let mut writes = Vec::new();
    for (statement, raw) in set.identity.iter().zip(statements) {
        if !statement.may_apply() || !statement.on_every_resource() {
            continue;
        }
        for a in strings(raw, "actions") {
            if a.ends_with(":*") && everywhere(&a.replace('*', "anyaction")) {
                service_wildcards.push(a.to_string());
            }
            let probe = a.replace('*', "anyaction");
            if !is_read_only(a) && everywhere(&probe) {
                writes.push(a.to_string());
            }
        }
        let not_actions = strings(raw, "not_actions");
        if !not_actions.is_empty() && everywhere("posture:anyaction") {
            writes.push(format!("* except {}", not_actions.join(", ")));
        }
    }
    for v in [&mut service_wildcards, &mut writes] {
        v.sort();
        v.dedup();
    }
    let mut reaches = HashMap::new();
    let paths: Vec<String> = escalation::catalog()
        .iter()
        .filter(|p| p.judged_on_a_policy())
        .filter(|p| path_steps(&set, p, &mut reaches).is_some())
        .map(|p| p.id.clone())
        .collect();
    json!({
        "allows_admin": !admin_statements.is_empty(),
        "admin_statements": admin_statements,
        "service_wildcards_on_all_resources": service_wildcards,
        "write_actions_on_all_resources": writes,
        "privilege_escalation_paths": paths,
    })
}

/// For each action of `path`, where it is allowed and by which statements; None when some
/// action is not allowed (the key action: not on any resource that can be the target).
fn path_steps<'p>(
    set: &PolicySet,
    path: &'p EscalationPath,
    reaches: &mut HashMap<String, Reach>,
) -> Option<Vec<(&'p str, Reach)>> {
    let mut steps = Vec::new();
    for (i, action) in path.actions.iter().enumerate() {
        // Paths share actions (iam:PassRole is in half of them): each is judged once.
        let mut reach = reaches
            .entry(action.clone())
            .or_insert_with(|| set.reach(action, Reading::MayAllow))
            .clone();
        if i == 0 {
            reach.patterns.retain(|p| can_be_target(p, &path.target));
        }
        if reach.is_empty() {
            return None;
        }
        steps.push((action.as_str(), reach));
    }
    Some(steps)
}

/// What one statement grants toward the paths found: the evidence, grouped by statement so an
/// administrator's 67 paths cost one entry, not two hundred.
#[derive(Default)]
struct Grant {
    actions: BTreeSet<String>,
    allowed_on: BTreeSet<String>,
    conditions: BTreeSet<String>,
}

/// Sets `permissions` on every user and role whose policies were collected (or failed to be).
pub fn principals(docs: &mut [ResourceDoc], now: OffsetDateTime) {
    let mut policies: HashMap<(String, String), Result<Vec<Statement>, String>> = HashMap::new();
    let mut groups: HashMap<(String, String), Result<Value, String>> = HashMap::new();
    let mut trusts = Trusts::default();
    for doc in docs.iter() {
        let key = (doc.account.clone(), doc.arn.clone());
        match doc.resource_type.as_str() {
            POLICY => {
                let read = match (doc.attributes.get("policy"), doc.errors.get("policy")) {
                    (_, Some(error)) => {
                        Err(format!("policy {} could not be read: {error}", doc.arn))
                    }
                    (Some(policy), None) => match policy.get("statements") {
                        Some(Value::Array(statements)) => {
                            Ok(Statement::of_policy(&doc.arn, statements, now))
                        }
                        _ => Err(format!("policy {} has no statements", doc.arn)),
                    },
                    (None, None) => Err(format!(
                        "the document of policy {} was not collected",
                        doc.arn
                    )),
                };
                policies.insert(key, read);
            }
            GROUP => {
                let read = match (doc.attributes.get("policies"), doc.errors.get("policies")) {
                    (_, Some(error)) => Err(format!(
                        "the policies of group {} could not be read: {error}",
                        doc.arn
                    )),
                    (Some(p), None) => Ok(p.clone()),
                    (None, None) => Err(format!(
                        "the policies of group {} were not collected",
                        doc.arn
                    )),
                };
                groups.insert(key, read);
            }
            ROLE => {
                if let Some(trust) = doc.attributes.get("trust") {
                    trusts.add(&doc.account, &doc.arn, &strings(trust, "aws_principals"));
                }
            }
            _ => {}
        }
    }
    let index = Index {
        policies,
        groups,
        trusts,
    };
    // Principals are independent once the index is built: judge them in parallel.
    docs.par_iter_mut().for_each(|doc| {
        if !matches!(doc.resource_type.as_str(), USER | ROLE) {
            return;
        }
        if !doc.attributes.contains_key("policies") && !doc.errors.contains_key("policies") {
            // Nothing to derive them from: permissions are never taken on trust.
            if doc.attributes.remove("permissions").is_some() {
                doc.fail(
                    "permissions",
                    CollectionError::new(
                        "inventory",
                        "NotDerivable",
                        "permissions are derived from the principal's policies, which this document lacks",
                    ),
                );
            }
            return;
        }
        doc.attributes.remove("permissions");
        doc.errors.remove("permissions");
        match index.permissions(doc) {
            Ok(value) => doc.set("permissions", value),
            Err(reason) => doc.fail(
                "permissions",
                CollectionError::new(SOURCE, "Incomplete", reason),
            ),
        }
    });
}

struct Index {
    /// Each policy's statements, read once however many principals hold it.
    policies: HashMap<(String, String), Result<Vec<Statement>, String>>,
    groups: HashMap<(String, String), Result<Value, String>>,
    trusts: Trusts,
}

impl Index {
    fn statements(&self, account: &str, arn: &str) -> Result<Vec<Statement>, String> {
        match self.policies.get(&(account.to_string(), arn.to_string())) {
            Some(Ok(statements)) => Ok(statements.clone()),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err(format!("policy {arn} was not collected")),
        }
    }

    fn permissions(&self, doc: &ResourceDoc) -> Result<Value, String> {
        if let Some(error) = doc.errors.get("policies") {
            return Err(format!(
                "the policies of {} could not be read: {error}",
                doc.arn
            ));
        }
        let own = doc
            .attributes
            .get("policies")
            .cloned()
            .unwrap_or(Value::Null);
        let mut arns: Vec<String> = Vec::new();
        let mut add = |policies: &Value| {
            for key in ["attached_policy_arns", "inline_policy_arns"] {
                arns.extend(strings(policies, key).into_iter().map(str::to_string));
            }
        };
        add(&own);
        for group in strings(&own, "group_arns") {
            match self.groups.get(&(doc.account.clone(), group.to_string())) {
                Some(Ok(policies)) => add(policies),
                Some(Err(reason)) => return Err(reason.clone()),
                None => return Err(format!("group {group} was not collected")),
            }
        }
        arns.sort();
        arns.dedup();
        let mut set = PolicySet::default();
        for arn in &arns {
            set.identity.extend(self.statements(&doc.account, arn)?);
        }
        let boundary_arn = own.get("permissions_boundary_arn").and_then(Value::as_str);
        if let Some(boundary) = boundary_arn {
            set.boundary = Some(self.statements(&doc.account, boundary)?);
        }
        let admin = set.admin_statements();
        let mut paths = Vec::new();
        let mut reaches = HashMap::new();
        let mut grants: BTreeMap<String, Grant> = BTreeMap::new();
        let mut assumable = BTreeSet::new();
        for path in escalation::catalog() {
            let Some(steps) = path_steps(&set, path, &mut reaches) else {
                continue;
            };
            if path.needs.as_deref() == Some("trusting-role") {
                let roles = self.roles_admitting(doc, &steps[0].1.patterns);
                if roles.is_empty() {
                    continue;
                }
                assumable.extend(roles);
            }
            for (action, reach) in steps {
                for statement in &reach.granted_by {
                    let grant = grants.entry(statement.clone()).or_default();
                    grant.actions.insert(action.to_string());
                    grant.allowed_on.extend(reach.patterns.iter().cloned());
                    grant.conditions.extend(
                        reach
                            .conditions
                            .iter()
                            .filter(|c| c.starts_with(statement.as_str()))
                            .cloned(),
                    );
                }
            }
            paths.push(path.id.clone());
        }
        let grants: Vec<Value> = grants
            .into_iter()
            .map(|(statement, g)| {
                json!({
                    "statement": statement,
                    "actions": g.actions,
                    "allowed_on": g.allowed_on,
                    "allowed_under_conditions": g.conditions,
                })
            })
            .collect();
        let mut out = Map::new();
        out.insert("allows_admin".into(), json!(!admin.is_empty()));
        out.insert("admin_statements".into(), json!(admin));
        out.insert("privilege_escalation_paths".into(), json!(paths));
        out.insert("escalation_grants".into(), Value::Array(grants));
        out.insert("assumable_roles".into(), json!(assumable));
        out.insert("policy_arns".into(), json!(arns));
        out.insert("permissions_boundary_arn".into(), json!(boundary_arn));
        out.insert(
            "service_linked".into(),
            json!(doc.resource_type == ROLE && doc.arn.contains(":role/aws-service-role/")),
        );
        Ok(Value::Object(out))
    }

    /// Other roles of the account whose trust policy admits `doc` (by ARN, by its account's
    /// root or id, or everyone) and that the `AssumeRole` step is allowed on: the first
    /// `ASSUMABLE_NAMED` of them, which is evidence enough (an account-wide trust admits every
    /// principal, so listing them all would grow with principals times roles).
    fn roles_admitting(&self, doc: &ResourceDoc, allowed: &[String]) -> Vec<String> {
        let by_arn = self
            .trusts
            .by_principal
            .get(&(doc.account.clone(), doc.arn.clone()));
        let account_wide = self.trusts.account_wide.get(&doc.account);
        by_arn
            .into_iter()
            .flatten()
            .chain(account_wide.into_iter().flatten())
            .filter(|role| *role != &doc.arn)
            .filter(|role| {
                allowed
                    .iter()
                    .any(|p| crate::iam_policy::resource_matches(p, role))
            })
            .take(ASSUMABLE_NAMED)
            .cloned()
            .collect()
    }
}

/// How many assumable roles the evidence names.
const ASSUMABLE_NAMED: usize = 5;

/// Which roles trust whom, indexed so a principal's candidates are found without scanning
/// every role.
#[derive(Default)]
struct Trusts {
    /// (account, principal ARN) -> roles whose trust names that principal.
    by_principal: HashMap<(String, String), Vec<String>>,
    /// account -> roles whose trust admits the whole account (its root, its id, or `*`).
    account_wide: HashMap<String, Vec<String>>,
}

impl Trusts {
    fn add(&mut self, account: &str, role: &str, admitted: &[&str]) {
        let mut wide = false;
        for principal in admitted {
            let account_root = principal.strip_prefix("arn:").and_then(|rest| {
                let fields: Vec<&str> = rest.split(':').collect();
                matches!(fields.as_slice(), [_, "iam", "", a, "root"] if *a == account)
                    .then_some(())
            });
            if *principal == "*" || *principal == account || account_root.is_some() {
                wide = true;
            } else {
                self.by_principal
                    .entry((account.to_string(), (*principal).to_string()))
                    .or_default()
                    .push(role.to_string());
            }
        }
        if wide {
            self.account_wide
                .entry(account.to_string())
                .or_default()
                .push(role.to_string());
        }
    }
}

#[cfg(test)]
mod tests;
