//! What a set of IAM policies allows: for an action, the resource patterns it is allowed on
//! after every Deny and the permissions boundary, and which statements grant it. One policy
//! document is the smallest set; a principal's set is every policy that applies to it.
//!
//! Two readings, for two questions. Looking for a risk (admin, escalation), a conditional
//! Allow counts as allowing and a conditional Deny does not remove anything: the condition may
//! well hold. Proving a permission exists (a workflow's role can invoke its functions), the
//! opposite: only an unconditional Allow grants, and any Deny that may apply removes. Either
//! way, a condition the scan clock shows can never hold again makes its statement inert.

use serde_json::Value;
use time::OffsetDateTime;

use super::conditions::{ConditionState, judge};
use crate::derived::{statement_label, strings};
use crate::iam_policy::{action_matches, resource_matches};

/// A normalized statement with where it comes from.
#[derive(Debug, Clone)]
pub struct Statement {
    allow: bool,
    actions: Vec<String>,
    not_actions: Vec<String>,
    /// Full-wildcard ARNs (`arn:aws:*:*:*:*`) already read as `*`.
    resources: Vec<String>,
    not_resources: Vec<String>,
    condition: ConditionState,
    /// `<policy arn>#<sid or index>`, for evidence.
    pub source: String,
}

impl Statement {
    /// The statements of one normalized policy document (`policy.statements`).
    #[must_use]
    pub fn of_policy(policy_arn: &str, statements: &[Value], now: OffsetDateTime) -> Vec<Self> {
        statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let label = statement_label(s, i);
                Statement {
                    allow: s
                        .get("effect")
                        .and_then(Value::as_str)
                        .is_some_and(|e| e.eq_ignore_ascii_case("allow")),
                    actions: list(s, "actions"),
                    not_actions: list(s, "not_actions"),
                    resources: list(s, "resources")
                        .into_iter()
                        .map(normalize_resource)
                        .collect(),
                    not_resources: list(s, "not_resources"),
                    condition: judge(s.get("condition"), now),
                    source: if policy_arn.is_empty() {
                        label
                    } else {
                        format!("{policy_arn} {label}")
                    },
                }
            })
            .collect()
    }

    fn covers(&self, action: &str) -> bool {
        if !self.not_actions.is_empty() {
            return !self.not_actions.iter().any(|p| action_matches(p, action));
        }
        self.actions.iter().any(|p| action_matches(p, action))
    }

    /// Patterns this statement applies to: its resources, or (`NotResource`) nearly everything.
    fn patterns(&self) -> Vec<String> {
        if self.not_resources.is_empty() {
            self.resources.clone()
        } else {
            vec!["*".to_string()]
        }
    }

    /// An Allow whose condition may still hold.
    #[must_use]
    pub fn may_apply(&self) -> bool {
        self.allow && self.condition.may_hold()
    }

    /// Whether the statement names every resource (`*`, a full-wildcard ARN, or `NotResource`).
    #[must_use]
    pub fn on_every_resource(&self) -> bool {
        self.resources.iter().any(|r| r == "*") || !self.not_resources.is_empty()
    }

    /// Whether the statement grants every action on every resource.
    #[must_use]
    pub fn is_admin_allow(&self) -> bool {
        self.allow
            && self.condition.may_hold()
            && (self.actions.iter().any(|a| a == "*") || !self.not_actions.is_empty())
            && (self.resources.iter().any(|r| r == "*") || !self.not_resources.is_empty())
    }
}

fn list(statement: &Value, key: &str) -> Vec<String> {
    strings(statement, key)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// `*` for a pattern that matches every ARN of its partition (`arn:aws:*:*:*:*`, `arn:*`).
fn normalize_resource(pattern: String) -> String {
    const PROBES: [&str; 3] = [
        "arn:aws:s3:::probe",
        "arn:aws:iam::123456789012:role/probe",
        "arn:aws:lambda:us-east-1:123456789012:function:probe",
    ];
    let every = PROBES.iter().all(|probe| {
        let probe = match pattern.split(':').nth(1) {
            // Same shape in the pattern's own partition (aws-cn, aws-us-gov).
            Some(partition) if !partition.contains(['*', '?']) && partition != "aws" => {
                probe.replacen("arn:aws:", &format!("arn:{partition}:"), 1)
            }
            _ => (*probe).to_string(),
        };
        resource_matches(&pattern, &probe)
    });
    if every { "*".to_string() } else { pattern }
}

/// Which reading of conditions a question needs (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Looking for risk: a condition that may hold counts as holding.
    MayAllow,
    /// Proving a permission: only what holds whatever the request is.
    SurelyAllows,
}

/// Where an action is allowed and why.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Resource patterns the action is allowed on (`*` for everything).
    pub patterns: Vec<String>,
    /// Statements that grant it.
    pub granted_by: Vec<String>,
    /// Conditions the grant depends on, as written.
    pub conditions: Vec<String>,
}

impl Reach {
    /// Allowed nowhere.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Allowed on every resource.
    #[must_use]
    pub fn everywhere(&self) -> bool {
        self.patterns.iter().any(|p| p == "*")
    }
}

/// The policies that decide what a principal (or one document) may do.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Identity policies: attached, inline, and for users their groups' policies.
    pub identity: Vec<Statement>,
    /// The permissions boundary, when one is set: it caps, it never grants.
    pub boundary: Option<Vec<Statement>>,
}

impl PolicySet {
    /// Where `action` is allowed.
    #[must_use]
    pub fn reach(&self, action: &str, reading: Reading) -> Reach {
        let denies: Vec<&Statement> = self
            .identity
            .iter()
            .chain(self.boundary.iter().flatten())
            .filter(|s| !s.allow && s.covers(action) && denies_under(s, reading))
            .collect();
        let mut reach = allowed_by(&self.identity, action, reading, &denies);
        if let Some(boundary) = &self.boundary {
            let cap = allowed_by(boundary, action, reading, &denies);
            reach.patterns = intersect(&reach.patterns, &cap.patterns);
            reach.conditions.extend(cap.conditions);
        }
        if reach.patterns.is_empty() {
            reach.granted_by.clear();
        }
        reach
    }

    /// Statements that allow every action on every resource and survive every Deny and the
    /// boundary; empty when the set is not admin.
    #[must_use]
    pub fn admin_statements(&self) -> Vec<String> {
        if !self.reach("*", Reading::MayAllow).everywhere() {
            return Vec::new();
        }
        self.identity
            .iter()
            .filter(|s| s.is_admin_allow())
            .map(|s| s.source.clone())
            .collect()
    }
}

fn denies_under(deny: &Statement, reading: Reading) -> bool {
    match (&deny.condition, reading) {
        (ConditionState::None, _) => true,
        (ConditionState::Never(_), _) => false,
        (ConditionState::Undecided(_), Reading::MayAllow) => false,
        (ConditionState::Undecided(_), Reading::SurelyAllows) => true,
    }
}

fn allowed_by(
    statements: &[Statement],
    action: &str,
    reading: Reading,
    denies: &[&Statement],
) -> Reach {
    let mut reach = Reach::default();
    for s in statements.iter().filter(|s| s.allow && s.covers(action)) {
        match (&s.condition, reading) {
            (ConditionState::Never(_), _)
            | (ConditionState::Undecided(_), Reading::SurelyAllows) => {
                continue;
            }
            (ConditionState::Undecided(conditions), Reading::MayAllow) => {
                reach
                    .conditions
                    .extend(conditions.iter().map(|c| format!("{}: {c}", s.source)));
            }
            (ConditionState::None, _) => {}
        }
        let mut patterns = s.patterns();
        for deny in denies {
            patterns = subtract(patterns, deny);
        }
        if !patterns.is_empty() {
            reach.patterns.extend(patterns);
            reach.granted_by.push(s.source.clone());
        }
    }
    reach.patterns.sort();
    reach.patterns.dedup();
    reach
}

/// What is left of `patterns` once `deny` has removed what it covers.
fn subtract(patterns: Vec<String>, deny: &Statement) -> Vec<String> {
    if !deny.not_resources.is_empty() {
        // Denied everywhere but the NotResource list: only those stay allowed.
        return patterns
            .into_iter()
            .flat_map(|p| {
                if p == "*" {
                    deny.not_resources.clone()
                } else if deny.not_resources.iter().any(|n| overlaps(n, &p)) {
                    vec![p]
                } else {
                    Vec::new()
                }
            })
            .collect();
    }
    patterns
        .into_iter()
        .filter(|p| {
            !deny
                .resources
                .iter()
                .any(|d| d == "*" || resource_matches(d, p))
        })
        .collect()
}

/// Patterns of `a` that some pattern of `b` shares resources with (the narrower of the two).
fn intersect(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in a {
        if p == "*" {
            out.extend(b.iter().cloned());
        } else if b.iter().any(|q| overlaps(q, p)) {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn wildcard(p: &str) -> bool {
    p.contains(['*', '?'])
}

/// Whether two resource patterns can match a common ARN. Exact for a literal against a
/// pattern; for two patterns, whether their literal prefixes agree (a pattern's suffix rarely
/// excludes what its prefix allows, and erring here keeps a possible grant).
#[must_use]
pub fn overlaps(a: &str, b: &str) -> bool {
    match (wildcard(a), wildcard(b)) {
        (false, false) => a == b,
        (true, false) => resource_matches(a, b),
        (false, true) => resource_matches(b, a),
        (true, true) => {
            let prefix = |p: &str| p.split(['*', '?']).next().unwrap_or("").to_string();
            let (pa, pb) = (prefix(a), prefix(b));
            pa.starts_with(&pb) || pb.starts_with(&pa)
        }
    }
}

/// ARN shapes (service, resource prefix) of each kind of escalation target.
fn target_shapes(target: &str) -> &'static [(&'static str, &'static str)] {
    match target {
        "policy" => &[("iam", "policy/")],
        "user" => &[("iam", "user/")],
        "group" => &[("iam", "group/")],
        "role" => &[("iam", "role/")],
        "function" => &[("lambda", "function:")],
        "instance" => &[("ec2", "instance/"), ("ssm", "managed-instance/")],
        "stack" => &[
            ("cloudformation", "stack/"),
            ("cloudformation", "stackset/"),
        ],
        "notebook" => &[("sagemaker", "notebook-instance/")],
        "dev-endpoint" => &[("glue", "devEndpoint/")],
        "job" => &[("glue", "job/")],
        "project" => &[("codebuild", "project/")],
        "pipeline" => &[("datapipeline", "")],
        "cluster" => &[("ecs", "cluster/"), ("ecs", "task/")],
        _ => &[],
    }
}

/// Whether a resource pattern can match a customer's resource of the `target` kind. An
/// AWS-owned ARN (account `aws`: the AWS-managed policies) never can: no customer can change it.
#[must_use]
pub fn can_be_target(pattern: &str, target: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    if fields.get(4) == Some(&"aws") {
        return false;
    }
    if target == "any" {
        return true;
    }
    let [_, _, service, _, _, resource] = fields.as_slice() else {
        // `arn:aws:iam::*` style patterns swallow the rest: the prefix decides.
        return target_shapes(target).iter().any(|(service, _)| {
            overlaps(pattern, &format!("arn:aws:{service}:*"))
                || fields.get(2).is_some_and(|s| s.starts_with('*'))
        });
    };
    let agrees = |pattern: &str, literal: &str| {
        if !wildcard(pattern) {
            return pattern.starts_with(literal);
        }
        let prefix = pattern.split(['*', '?']).next().unwrap_or("");
        prefix.starts_with(literal) || literal.starts_with(prefix)
    };
    target_shapes(target)
        .iter()
        .any(|(want_service, want_prefix)| {
            let service_ok = if wildcard(service) {
                resource_matches(service, want_service)
            } else {
                service == want_service
            };
            service_ok && agrees(resource, want_prefix)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam_policy::normalize_statements;
    use serde_json::json;
    use time::macros::datetime;

    fn set(document: Value) -> PolicySet {
        let statements = normalize_statements(&document);
        PolicySet {
            identity: Statement::of_policy("p", &statements, datetime!(2026-06-01 00:00 UTC)),
            boundary: None,
        }
    }

    #[test]
    fn full_wildcard_arns_are_everything() {
        for pattern in ["arn:aws:*:*:*:*", "arn:*:*:*:*:*", "arn:aws:*", "*"] {
            assert_eq!(normalize_resource(pattern.to_string()), "*", "{pattern}");
        }
        assert_eq!(normalize_resource("arn:aws-cn:*:*:*:*".to_string()), "*");
        assert_ne!(normalize_resource("arn:aws:iam::*:*".to_string()), "*");
        let s = set(
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"}}),
        );
        assert_eq!(s.admin_statements(), vec!["p #0"]);
    }

    #[test]
    fn deny_not_resource_leaves_the_excluded_resources_allowed() {
        let s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "NotResource": "arn:aws:iam::111122223333:role/ops-*"}
        ]}));
        let reach = s.reach("iam:PutRolePolicy", Reading::MayAllow);
        assert_eq!(reach.patterns, vec!["arn:aws:iam::111122223333:role/ops-*"]);
        let scoped_away = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "arn:aws:iam::111122223333:role/app"},
            {"Effect": "Deny", "Action": "iam:*", "NotResource": "arn:aws:iam::111122223333:role/ops-*"}
        ]}));
        assert!(
            scoped_away
                .reach("iam:PutRolePolicy", Reading::MayAllow)
                .is_empty()
        );
        let plain = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PutRolePolicy", "Resource": "arn:aws:*:*:*:*"}
        ]}));
        assert!(
            plain
                .reach("iam:PutRolePolicy", Reading::MayAllow)
                .is_empty()
        );
    }

    #[test]
    fn a_boundary_caps_and_conditions_depend_on_the_question() {
        let mut s = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        ]}));
        assert_eq!(s.admin_statements(), vec!["p #0"]);
        // A conditional Deny may not apply: the risk stays; the permission is not proven.
        assert!(s.reach("s3:DeleteBucket", Reading::MayAllow).everywhere());
        assert!(s.reach("s3:DeleteBucket", Reading::SurelyAllows).is_empty());
        let boundary = normalize_statements(
            &json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
        );
        s.boundary = Some(Statement::of_policy(
            "b",
            &boundary,
            datetime!(2026-06-01 00:00 UTC),
        ));
        assert!(
            s.admin_statements().is_empty(),
            "the boundary caps the admin grant to s3"
        );
        assert!(s.reach("iam:PutRolePolicy", Reading::MayAllow).is_empty());
        assert!(s.reach("s3:GetObject", Reading::MayAllow).everywhere());
    }

    #[test]
    fn an_expired_allow_grants_nothing() {
        let s = set(
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}}}),
        );
        assert!(s.admin_statements().is_empty());
        let open = set(
            json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}}),
        );
        let reach = open.reach("iam:PassRole", Reading::MayAllow);
        assert!(reach.everywhere());
        assert_eq!(
            reach.conditions,
            vec!["p #0: iam:PassedToService StringEquals lambda.amazonaws.com"]
        );
    }

    #[test]
    fn aws_owned_arns_are_never_targets() {
        assert!(!can_be_target(
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "policy"
        ));
        assert!(!can_be_target("arn:aws:iam::aws:policy/*", "policy"));
        assert!(can_be_target(
            "arn:aws:iam::111122223333:policy/app-*",
            "policy"
        ));
        assert!(can_be_target("arn:aws:iam::*:policy/*", "policy"));
        assert!(can_be_target("*", "policy"));
        assert!(!can_be_target(
            "arn:aws:iam::111122223333:role/app",
            "policy"
        ));
        assert!(can_be_target("arn:aws:iam::111122223333:role/app", "role"));
        assert!(can_be_target(
            "arn:aws:ec2:*:111122223333:instance/*",
            "instance"
        ));
        assert!(!can_be_target(
            "arn:aws:ssm:*:*:document/AWS-RunShellScript",
            "instance"
        ));
        assert!(can_be_target("arn:aws:lambda:*:*:function:*", "function"));
    }
}
