//! IAM policy documents: normalizes one (Statement as object or list, Action / `NotAction` /
//! Resource as string or list, actions lower-cased) and matches actions and resources the way
//! IAM does. What a set of policies allows is `crate::derived::iam`.

use serde_json::{Map, Value, json};

/// Whether an IAM action pattern (`*`, `s3:*`, `iam:Pass*`) matches `action`, ignoring case
/// as IAM does.
#[must_use]
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(pattern.as_bytes(), action.as_bytes(), |p, a| {
        p.eq_ignore_ascii_case(&a)
    })
}

/// Whether a resource pattern of a policy (`arn:aws:s3:::bucket/*`) matches `arn`. Resource
/// ARNs compare case-sensitively, as IAM compares them.
#[must_use]
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    glob(pattern.as_bytes(), arn.as_bytes(), |p, a| p == a)
}

/// IAM wildcard matching: `*` any run of characters, `?` one character. Greedy with
/// backtracking to the last `*` only, so policy text cannot make it exponential.
fn glob(p: &[u8], a: &[u8], same: impl Fn(u8, u8) -> bool) -> bool {
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        if pi < p.len() && p[pi] != b'*' && (p[pi] == b'?' || same(p[pi], a[ai])) {
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

/// Statement as object or list; Action/NotAction/Resource/NotResource as string or list;
/// actions lower-cased; principals (and `NotPrincipal`, when given) flattened; Condition kept
/// as written.
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
    // Everyone but these: an Allow with NotPrincipal grants to the whole world.
    if let Some(not_principal) = statement.get("NotPrincipal") {
        out.insert(
            "not_principals".into(),
            json!(principals(Some(not_principal))),
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
