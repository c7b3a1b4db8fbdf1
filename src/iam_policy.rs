//! IAM policy analysis: normalizes a policy document (Statement as object or list, Action /
//! `NotAction` / Resource as string or list, actions lower-cased) and derives the least-privilege
//! facts rules read. Pure: JSON in, JSON out, used by collectors and by tests alike.
//!
//! Semantics: only Allow statements grant; an unconditional Deny on every resource removes what
//! it matches. Deny statements never add a finding. An Allow with `NotAction` grants every action
//! it does not list, and an Allow with `NotResource` applies to (almost) every resource.

use serde_json::{Map, Value, json};

/// Well-known privilege-escalation paths: each is complete when every action is allowed.
pub const ESCALATION_PATHS: &[(&str, &[&str])] = &[
    ("iam:CreatePolicyVersion", &["iam:createpolicyversion"]),
    (
        "iam:SetDefaultPolicyVersion",
        &["iam:setdefaultpolicyversion"],
    ),
    ("iam:CreateAccessKey", &["iam:createaccesskey"]),
    ("iam:CreateLoginProfile", &["iam:createloginprofile"]),
    ("iam:UpdateLoginProfile", &["iam:updateloginprofile"]),
    ("iam:AttachUserPolicy", &["iam:attachuserpolicy"]),
    ("iam:AttachGroupPolicy", &["iam:attachgrouppolicy"]),
    ("iam:AttachRolePolicy", &["iam:attachrolepolicy"]),
    ("iam:PutUserPolicy", &["iam:putuserpolicy"]),
    ("iam:PutGroupPolicy", &["iam:putgrouppolicy"]),
    ("iam:PutRolePolicy", &["iam:putrolepolicy"]),
    ("iam:AddUserToGroup", &["iam:addusertogroup"]),
    (
        "iam:UpdateAssumeRolePolicy+sts:AssumeRole",
        &["iam:updateassumerolepolicy", "sts:assumerole"],
    ),
    (
        "iam:PassRole+ec2:RunInstances",
        &["iam:passrole", "ec2:runinstances"],
    ),
    (
        "iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:invokefunction",
        ],
    ),
    (
        "iam:PassRole+lambda:CreateFunction+lambda:CreateEventSourceMapping",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:createeventsourcemapping",
        ],
    ),
    ("lambda:UpdateFunctionCode", &["lambda:updatefunctioncode"]),
    (
        "iam:PassRole+glue:CreateDevEndpoint",
        &["iam:passrole", "glue:createdevendpoint"],
    ),
    ("glue:UpdateDevEndpoint", &["glue:updatedevendpoint"]),
    (
        "iam:PassRole+cloudformation:CreateStack",
        &["iam:passrole", "cloudformation:createstack"],
    ),
    (
        "iam:PassRole+datapipeline:CreatePipeline",
        &[
            "iam:passrole",
            "datapipeline:createpipeline",
            "datapipeline:putpipelinedefinition",
        ],
    ),
    (
        "iam:PassRole+sagemaker:CreateNotebookInstance",
        &[
            "iam:passrole",
            "sagemaker:createnotebookinstance",
            "sagemaker:createpresignednotebookinstanceurl",
        ],
    ),
];

/// Action-name prefixes that only read.
const READ_PREFIXES: &[&str] = &[
    "get", "list", "describe", "head", "batchget", "query", "scan", "search", "lookup", "view",
    "select", "check", "validate",
];

/// Normalized statements and the `analysis` group of a policy document.
#[must_use]
pub fn analyze(document: &Value) -> (Vec<Value>, Value) {
    let statements = normalize_statements(document);
    let analysis = analysis_of(&statements);
    (statements, analysis)
}

fn is_allow(s: &Value) -> bool {
    s.get("effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("allow"))
}

fn on_all_resources(s: &Value) -> bool {
    list(s, "resources").iter().any(|r| r == "*") || !list(s, "not_resources").is_empty()
}

fn unconditional(s: &Value) -> bool {
    !s.get("has_condition")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Whether an IAM action pattern (`*`, `s3:*`, `iam:Pass*`, lower-cased) matches `action`.
#[must_use]
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(
        pattern.to_ascii_lowercase().as_bytes(),
        action.to_ascii_lowercase().as_bytes(),
    )
}

/// Whether a resource pattern of a policy (`arn:aws:s3:::bucket/*`) matches `arn`. Resource
/// ARNs compare case-sensitively, as IAM compares them.
#[must_use]
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    glob(pattern.as_bytes(), arn.as_bytes())
}

/// IAM wildcard matching: `*` any run of characters, `?` one character. Greedy with
/// backtracking to the last `*` only, so policy text cannot make it exponential.
fn glob(p: &[u8], a: &[u8]) -> bool {
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == a[ai]) {
            pi += 1;
            ai += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ai));
            pi += 1;
        } else if let Some((star_pi, star_ai)) = star {
            pi = star_pi + 1;
            ai = star_ai + 1;
            star = Some((star_pi, star_ai + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// Whether statement `s` (of any effect) covers `action`.
fn covers(s: &Value, action: &str) -> bool {
    let not_actions = list(s, "not_actions");
    if !not_actions.is_empty() {
        return !not_actions.iter().any(|p| action_matches(p, action));
    }
    list(s, "actions").iter().any(|p| action_matches(p, action))
}

/// Allowed by some Allow statement and not removed by an unconditional Deny on every resource.
fn allowed(statements: &[Value], action: &str) -> bool {
    let granted = statements.iter().any(|s| is_allow(s) && covers(s, action));
    let denied = statements
        .iter()
        .any(|s| !is_allow(s) && on_all_resources(s) && unconditional(s) && covers(s, action));
    granted && !denied
}

fn label(s: &Value, index: usize) -> String {
    s.get("sid")
        .and_then(Value::as_str)
        .filter(|sid| !sid.is_empty())
        .map_or_else(|| format!("#{index}"), str::to_string)
}

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

/// The `analysis` group from already-normalized statements.
#[must_use]
pub fn analysis_of(statements: &[Value]) -> Value {
    let denies_everything = statements.iter().any(|s| {
        !is_allow(s)
            && on_all_resources(s)
            && unconditional(s)
            && list(s, "actions").iter().any(|a| a == "*")
    });
    let mut admin_statements = Vec::new();
    let mut service_wildcards = Vec::new();
    let mut writes = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        if !is_allow(s) || !on_all_resources(s) {
            continue;
        }
        let actions = list(s, "actions");
        let not_actions = list(s, "not_actions");
        if (actions.iter().any(|a| a == "*") || !not_actions.is_empty()) && !denies_everything {
            admin_statements.push(label(s, i));
        }
        for a in &actions {
            if a.ends_with(":*") && allowed(statements, &a.replace('*', "anyaction")) {
                service_wildcards.push(a.clone());
            }
            if !is_read_only(a) && (a.contains('*') || allowed(statements, a)) && !denies_everything
            {
                writes.push(a.clone());
            }
        }
        if !not_actions.is_empty() && !denies_everything {
            writes.push(format!("* except {}", not_actions.join(", ")));
        }
    }
    let escalation: Vec<&str> = ESCALATION_PATHS
        .iter()
        .filter(|(_, actions)| actions.iter().all(|a| allowed(statements, a)))
        .map(|(name, _)| *name)
        .collect();
    for v in [&mut service_wildcards, &mut writes] {
        v.sort();
        v.dedup();
    }
    json!({
        "allows_admin": !admin_statements.is_empty(),
        "admin_statements": admin_statements,
        "service_wildcards_on_all_resources": service_wildcards,
        "write_actions_on_all_resources": writes,
        "privilege_escalation_paths": escalation,
    })
}

/// Statement as object or list; Action/NotAction/Resource/NotResource as string or list;
/// actions lower-cased; principals flattened; Condition kept as written.
pub fn normalize_statements(document: &Value) -> Vec<Value> {
    let raw = match document.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(item @ Value::Object(_)) => vec![item.clone()],
        _ => Vec::new(),
    };
    raw.iter()
        .filter_map(Value::as_object)
        .map(normalize_statement)
        .collect()
}

fn normalize_statement(statement: &Map<String, Value>) -> Value {
    let strings = |key: &str| -> Vec<String> {
        match statement.get(key) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    let lower = |items: Vec<String>| -> Vec<String> {
        items.into_iter().map(|s| s.to_lowercase()).collect()
    };
    let mut out = Map::new();
    if let Some(sid) = statement.get("Sid").and_then(Value::as_str) {
        out.insert("sid".into(), json!(sid));
    }
    let effect = statement
        .get("Effect")
        .and_then(Value::as_str)
        .unwrap_or("");
    out.insert("effect".into(), json!(effect));
    out.insert("actions".into(), json!(lower(strings("Action"))));
    out.insert("not_actions".into(), json!(lower(strings("NotAction"))));
    out.insert("resources".into(), json!(strings("Resource")));
    out.insert("not_resources".into(), json!(strings("NotResource")));
    out.insert(
        "principals".into(),
        json!(principals(statement.get("Principal"))),
    );
    let condition = statement.get("Condition").cloned();
    out.insert("has_condition".into(), json!(condition.is_some()));
    if let Some(condition) = condition {
        out.insert("condition".into(), condition);
    }
    Value::Object(out)
}

fn principals(principal: Option<&Value>) -> Vec<String> {
    match principal {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(map)) => map
            .values()
            .flat_map(|v| match v {
                Value::String(s) => vec![s.clone()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether normalized statements allow `action` on `resource`: some Allow statement covers both
/// (conditions are not evaluated, so a conditional Allow counts), and no unconditional Deny does.
#[must_use]
pub fn allows(statements: &[Value], action: &str, resource: &str) -> bool {
    let on = |s: &Value| {
        let not_resources = list(s, "not_resources");
        if !not_resources.is_empty() {
            return !not_resources.iter().any(|p| resource_matches(p, resource));
        }
        list(s, "resources")
            .iter()
            .any(|p| resource_matches(p, resource))
    };
    let granted = statements
        .iter()
        .any(|s| is_allow(s) && covers(s, action) && on(s));
    let denied = statements
        .iter()
        .any(|s| !is_allow(s) && unconditional(s) && covers(s, action) && on(s));
    granted && !denied
}

fn list(statement: &Value, key: &str) -> Vec<String> {
    statement
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(doc: Value) -> Value {
        analyze(&doc).1
    }

    #[test]
    fn admin_as_object_or_list_and_case_insensitive() {
        let single = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        assert_eq!(facts(single)["allows_admin"], true);
        let listed = json!({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]});
        assert_eq!(facts(listed)["admin_statements"], json!(["A"]));
        let scoped = json!({"Statement": [{"Effect": "Allow", "Action": "S3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
        let f = facts(scoped);
        assert_eq!(f["allows_admin"], false);
        assert_eq!(f["write_actions_on_all_resources"], json!([]));
    }

    #[test]
    fn not_action_allow_on_everything_is_admin() {
        let doc =
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]});
        let f = facts(doc);
        assert_eq!(f["allows_admin"], true);
        assert_eq!(f["admin_statements"], json!(["#0"]));
    }

    #[test]
    fn deny_statements_never_add_findings() {
        let doc = json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]});
        let f = facts(doc);
        assert_eq!(f["allows_admin"], false);
        assert_eq!(f["privilege_escalation_paths"], json!([]));
        // And a blanket Deny neutralizes an Allow-all in the same document.
        let both = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "*", "Resource": "*"}]});
        assert_eq!(facts(both)["allows_admin"], false);
    }

    #[test]
    fn service_wildcards_and_writes_on_all_resources() {
        let doc = json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "ec2:Describe*", "dynamodb:PutItem"], "Resource": "*"}]});
        let f = facts(doc);
        assert_eq!(f["service_wildcards_on_all_resources"], json!(["s3:*"]));
        assert_eq!(
            f["write_actions_on_all_resources"],
            json!(["dynamodb:putitem", "s3:*"])
        );
    }

    #[test]
    fn escalation_paths_need_every_action() {
        let doc = json!({"Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]});
        assert_eq!(
            facts(doc)["privilege_escalation_paths"],
            json!(["iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction"])
        );
        let partial = json!({"Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction"], "Resource": "*"}]});
        assert_eq!(facts(partial)["privilege_escalation_paths"], json!([]));
        let wildcard =
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]});
        let paths = facts(wildcard)["privilege_escalation_paths"]
            .as_array()
            .unwrap()
            .len();
        assert!(paths >= 10, "iam:* completes the IAM paths, got {paths}");
        let denied = json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"}]});
        assert_eq!(facts(denied)["privilege_escalation_paths"], json!([]));
    }

    #[test]
    fn allows_checks_action_and_resource() {
        let (statements, _) = analyze(&json!({"Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:eu-west-1:1:function:orders-*"},
            {"Effect": "Deny", "Action": "lambda:*", "Resource": "arn:aws:lambda:eu-west-1:1:function:orders-admin"}]}));
        assert!(allows(
            &statements,
            "lambda:InvokeFunction",
            "arn:aws:lambda:eu-west-1:1:function:orders-api"
        ));
        assert!(!allows(
            &statements,
            "lambda:InvokeFunction",
            "arn:aws:lambda:eu-west-1:1:function:billing"
        ));
        assert!(!allows(
            &statements,
            "lambda:InvokeFunction",
            "arn:aws:lambda:eu-west-1:1:function:orders-admin"
        ));
        assert!(!allows(
            &statements,
            "lambda:DeleteFunction",
            "arn:aws:lambda:eu-west-1:1:function:orders-api"
        ));
    }

    #[test]
    fn action_globs() {
        assert!(action_matches("iam:pass*", "iam:passrole"));
        assert!(action_matches("*", "s3:getobject"));
        assert!(!action_matches("s3:get*", "s3:putobject"));
        assert!(action_matches("s3:?etobject", "s3:getobject"));
        assert!(action_matches("s3:*object*", "s3:getobjectacl"));
        assert!(!action_matches("s3:*object", "s3:getobjectacl"));
        let long = format!("{}b", "a*".repeat(40));
        assert!(
            !action_matches(&long, &"a".repeat(200)),
            "no exponential blow-up"
        );
    }
}
