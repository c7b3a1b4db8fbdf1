//! PLACEHOLDER for the IAM policy analysis that the rule-engine branch owns; replaced at merge.
//! Only the signatures are the contract: `analyze` and `normalize_statements`.
//! This version normalizes statements and computes `allows_admin`; the other facts stay empty.

use serde_json::{Map, Value, json};

/// Normalized statements and the `analysis` group of a policy document.
pub fn analyze(document: &Value) -> (Vec<Value>, Value) {
    let statements = normalize_statements(document);
    let admin = statements.iter().any(|s| {
        let allow = s.get("effect").and_then(Value::as_str) == Some("Allow");
        let all_resources = list(s, "resources").iter().any(|r| r == "*");
        let all_actions =
            list(s, "actions").iter().any(|a| a == "*") || !list(s, "not_actions").is_empty();
        allow && all_resources && all_actions
    });
    let analysis = json!({
        "allows_admin": admin,
        "admin_statements": [],
        "service_wildcards_on_all_resources": [],
        "write_actions_on_all_resources": [],
        "privilege_escalation_paths": [],
    });
    (statements, analysis)
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
