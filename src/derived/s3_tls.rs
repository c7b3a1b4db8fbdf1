//! Whether an S3 bucket policy makes the bucket TLS-only, and the lowest TLS version it lets
//! through, from its normalized statements.

use serde_json::{Map, Value, json};

use super::{statement_label, strings};
use crate::iam_policy::resource_matches;

/// Sets the TLS facts of a bucket's `policy` group from its normalized `statements`.
pub(super) fn bucket_policy(bucket_arn: &str, policy: &mut Map<String, Value>) {
    let Some(Value::Array(statements)) = policy.get("statements") else {
        return;
    };
    let tls_only = statements
        .iter()
        .enumerate()
        .find(|(_, s)| denies_all_s3_to_everyone(s, bucket_arn) && denies_insecure_transport(s))
        .map(|(i, s)| statement_label(s, i));
    let minimum = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| denies_all_s3_to_everyone(s, bucket_arn))
        .filter_map(|(i, s)| tls_version_floor(s).map(|v| (v, statement_label(s, i))))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    policy.insert(
        "denies_insecure_transport".into(),
        json!(tls_only.is_some()),
    );
    policy.insert("insecure_transport_statement".into(), json!(tls_only));
    policy.insert(
        "min_tls_version".into(),
        json!(minimum.as_ref().map(|(v, _)| *v)),
    );
    policy.insert(
        "min_tls_version_statement".into(),
        json!(minimum.map(|(_, l)| l)),
    );
}

/// A Deny for every principal of every S3 action on the bucket and all its objects: the
/// shape a TLS requirement must have to leave no request over plain HTTP allowed. A Deny of
/// one action, or on the objects only, leaves the rest reachable.
fn denies_all_s3_to_everyone(s: &Value, bucket_arn: &str) -> bool {
    let deny = s
        .get("effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("deny"));
    let everyone = strings(s, "principals").contains(&"*");
    let every_action = strings(s, "not_actions").is_empty()
        && strings(s, "actions")
            .iter()
            .any(|a| *a == "*" || *a == "s3:*");
    let resources = strings(s, "resources");
    let bucket = resources.iter().any(|r| resource_matches(r, bucket_arn));
    let objects = resources.iter().any(|r| covers_every_key(r, bucket_arn));
    deny && everyone && every_action && strings(s, "not_resources").is_empty() && bucket && objects
}

/// Whether `pattern` matches `<bucket arn>/<key>` for every key: it ends in `*` and what comes
/// before that star matches a prefix of `<bucket arn>/`.
fn covers_every_key(pattern: &str, bucket_arn: &str) -> bool {
    let Some(stem) = pattern.strip_suffix('*') else {
        return false;
    };
    let objects = format!("{bucket_arn}/");
    (0..=objects.len())
        .filter(|end| objects.is_char_boundary(*end))
        .any(|end| resource_matches(stem, &objects[..end]))
}

/// The statement's Condition as (operator, key, values), when it has exactly one operator with
/// exactly one key: any other condition narrows the statement.
fn only_condition(s: &Value) -> Option<(&str, &str, Vec<&Value>)> {
    let condition = s.get("condition")?.as_object()?;
    let [(operator, keys)] = condition.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let [(key, value)] = keys.as_object()?.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let values = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    Some((operator.as_str(), key.as_str(), values))
}

/// `Bool` (or `BoolIfExists`) `aws:SecureTransport = false`, and nothing else.
fn denies_insecure_transport(s: &Value) -> bool {
    let Some((operator, key, values)) = only_condition(s) else {
        return false;
    };
    let is_false = |v: &&Value| match v {
        Value::String(text) => text.eq_ignore_ascii_case("false"),
        Value::Bool(b) => !b,
        _ => false,
    };
    ["Bool", "BoolIfExists"].contains(&operator)
        && key.eq_ignore_ascii_case("aws:SecureTransport")
        && !values.is_empty()
        && values.iter().all(is_false)
}

/// The version below which `NumericLessThan s3:TlsVersion` denies, and nothing else.
fn tls_version_floor(s: &Value) -> Option<f64> {
    let (operator, key, values) = only_condition(s)?;
    if operator != "NumericLessThan" || !key.eq_ignore_ascii_case("s3:TlsVersion") {
        return None;
    }
    let numbers: Vec<f64> = values
        .iter()
        .map(|v| match v {
            Value::String(text) => text.trim().parse().ok(),
            Value::Number(n) => n.as_f64(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    // Several values deny below any of them: the statement holds up to the largest.
    numbers.into_iter().reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam_policy::normalize_statements;

    const BUCKET: &str = "arn:aws:s3:::audit";

    fn facts(statement: Value) -> Map<String, Value> {
        let statements = normalize_statements(&json!({ "Statement": [statement] }));
        let mut policy = Map::new();
        policy.insert("statements".into(), Value::Array(statements));
        bucket_policy(BUCKET, &mut policy);
        policy
    }

    fn tls_only(statement: Value) -> bool {
        facts(statement)["denies_insecure_transport"] == true
    }

    fn deny(action: Value, resource: Value, condition: Value) -> Value {
        json!({"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": resource, "Condition": condition})
    }

    fn insecure() -> Value {
        json!({"Bool": {"aws:SecureTransport": "false"}})
    }

    #[test]
    fn tls_only_needs_every_action_on_the_bucket_and_its_objects() {
        let both = json!([BUCKET, format!("{BUCKET}/*")]);
        assert!(tls_only(deny(json!("s3:*"), both.clone(), insecure())));
        assert!(tls_only(deny(json!("*"), json!("*"), insecure())));
        assert!(tls_only(deny(
            json!(["s3:*"]),
            json!("arn:aws:s3:::aud*"),
            insecure()
        )));
        assert_eq!(
            facts(deny(json!("s3:*"), both.clone(), insecure()))["insecure_transport_statement"],
            "TLS"
        );
        // One action, the objects only, the bucket only, a prefix of the objects: not TLS-only.
        assert!(!tls_only(deny(
            json!("s3:GetObject"),
            both.clone(),
            insecure()
        )));
        assert!(!tls_only(deny(
            json!("s3:*"),
            json!(format!("{BUCKET}/*")),
            insecure()
        )));
        assert!(!tls_only(deny(json!("s3:*"), json!(BUCKET), insecure())));
        assert!(!tls_only(deny(
            json!("s3:*"),
            json!([BUCKET, format!("{BUCKET}/logs/*")]),
            insecure()
        )));
        assert!(!tls_only(deny(
            json!("s3:*"),
            json!("arn:aws:s3:::other/*"),
            insecure()
        )));
        // NotAction / NotResource shapes do not count.
        let mut not_action = deny(json!("s3:*"), both.clone(), insecure());
        not_action["NotAction"] = not_action["Action"].take();
        not_action.as_object_mut().unwrap().remove("Action");
        assert!(!tls_only(not_action));
    }

    #[test]
    fn tls_only_needs_everyone_and_only_the_transport_condition() {
        let both = json!([BUCKET, format!("{BUCKET}/*")]);
        let mut one_principal = deny(json!("s3:*"), both.clone(), insecure());
        one_principal["Principal"] = json!({"AWS": "arn:aws:iam::123456789012:root"});
        assert!(!tls_only(one_principal));
        let mut allow = deny(json!("s3:*"), both.clone(), insecure());
        allow["Effect"] = json!("Allow");
        assert!(!tls_only(allow));
        assert!(tls_only(deny(
            json!("s3:*"),
            both.clone(),
            json!({"BoolIfExists": {"aws:securetransport": false}})
        )));
        assert!(!tls_only(deny(
            json!("s3:*"),
            both.clone(),
            json!({"Bool": {"aws:SecureTransport": "true"}})
        )));
        // A second condition narrows the Deny to some requests only.
        let narrowed = json!({"Bool": {"aws:SecureTransport": "false"},
            "StringEquals": {"aws:PrincipalAccount": "123456789012"}});
        assert!(!tls_only(deny(json!("s3:*"), both.clone(), narrowed)));
        let two_keys =
            json!({"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}});
        assert!(!tls_only(deny(json!("s3:*"), both, two_keys)));
    }

    #[test]
    fn the_tls_minimum_is_read_from_numeric_less_than() {
        let both = json!([BUCKET, format!("{BUCKET}/*")]);
        let floor = |value: Value| {
            facts(deny(
                json!("s3:*"),
                both.clone(),
                json!({"NumericLessThan": {"s3:TlsVersion": value}}),
            ))
        };
        assert_eq!(floor(json!("1.2"))["min_tls_version"], 1.2);
        assert_eq!(floor(json!(1.3))["min_tls_version"], 1.3);
        assert_eq!(floor(json!("1.2"))["min_tls_version_statement"], "TLS");
        assert_eq!(floor(json!("1.2"))["denies_insecure_transport"], false);
        assert_eq!(floor(json!("one"))["min_tls_version"], Value::Null);
        let objects_only = facts(deny(
            json!("s3:*"),
            json!(format!("{BUCKET}/*")),
            json!({"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        ));
        assert_eq!(objects_only["min_tls_version"], Value::Null);
    }
}
