//! Whether a resource policy (an SQS queue's or an SNS topic's) grants access to everyone, from
//! its normalized statements, in the sense AWS uses for "public" (S3 Block Public Access, IAM
//! Access Analyzer): an Allow to every principal that no condition pins to known callers.
//!
//! An Allow statement is public when its principal is `*` (`"*"` or `{"AWS": "*"}`) or it names
//! a `NotPrincipal` (everyone but those), unless its Condition has an entry that fixes one of
//! the keys naming the caller or its network (`aws:SourceArn`, `aws:SourceAccount`,
//! `aws:SourceOwner`, `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:PrincipalOrgID`,
//! `aws:PrincipalOrgPaths`, `aws:userid`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceIp`)
//! with a positive operator (equals, like, `IpAddress`) and only fixed values: no wildcard under
//! an operator that expands it, no policy variable, no `/0` range (AWS Config's
//! `sqs-queue-no-public-access` and `sns-topic-no-public-access` define "non-public" as access
//! granted only to fixed values). `...IfExists` operators and `ForAllValues:` do not pin (a
//! request without the key passes), nor do negated operators.
//!
//! Deny statements are not weighed against the grant: a Deny that would close it is rare and
//! depends on its own conditions, so a policy with a public Allow is public (a FAIL to review,
//! never a PASS that hides the grant).

use serde_json::{Map, Value, json};

use super::{statement_label, strings};

/// Keys whose fixed values name the caller, its account or organization, or its network.
const PINNING_KEYS: [&str; 11] = [
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
];

/// Operators that admit only requests whose key has one of the listed values.
const PINNING_OPERATORS: [&str; 6] = [
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
    "ipaddress",
];

/// Sets `public` and `public_statements` of a `policy` group from its `statements`.
pub(super) fn annotate(policy: &mut Map<String, Value>) {
    let Some(Value::Array(statements)) = policy.get("statements") else {
        return;
    };
    let public: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| is_public(s))
        .map(|(i, s)| statement_label(s, i))
        .collect();
    policy.insert("public".into(), json!(!public.is_empty()));
    policy.insert("public_statements".into(), json!(public));
}

fn is_public(statement: &Value) -> bool {
    let allow = statement
        .get("effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
    let everyone = strings(statement, "principals").contains(&"*")
        || statement.get("not_principals").is_some();
    allow && everyone && !statement.get("condition").is_some_and(pins_the_caller)
}

/// Whether some entry of a Condition block admits only known callers (entries AND together, so
/// one such entry is enough).
fn pins_the_caller(condition: &Value) -> bool {
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.iter().any(|(operator, entries)| {
        let operator = operator.to_ascii_lowercase();
        // ForAnyValue: some value of the request's key must match: still a pin.
        let operator = operator.strip_prefix("foranyvalue:").unwrap_or(&operator);
        if !PINNING_OPERATORS.contains(&operator) {
            return false;
        }
        let Some(entries) = entries.as_object() else {
            return false;
        };
        entries.iter().any(|(key, values)| {
            let key = key.to_ascii_lowercase();
            PINNING_KEYS.contains(&key.as_str()) && all_values_exclude(operator, values)
        })
    })
}

fn all_values_exclude(operator: &str, values: &Value) -> bool {
    let values: Vec<&str> = match values {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    // No string value at all: nothing posture can read as a pin, so none is assumed.
    !values.is_empty() && values.iter().all(|v| is_fixed(operator, v))
}

/// Whether one condition value is a fixed value that leaves callers out. A policy variable
/// (`${aws:PrincipalAccount}`) takes each caller's own value; a wildcard under an operator
/// that expands it (`...Like`, `Arn...`) admits more than one value, which AWS's definition
/// of a non-public policy does not allow.
fn is_fixed(operator: &str, value: &str) -> bool {
    if value.is_empty() || value.contains("${") {
        return false;
    }
    let expands_wildcards = operator.starts_with("arn") || operator.ends_with("like");
    if expands_wildcards && value.contains(['*', '?']) {
        return false;
    }
    operator != "ipaddress" || !value.ends_with("/0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam_policy::normalize_statements;

    fn public_statements(document: Value) -> Vec<String> {
        let mut policy = Map::new();
        policy.insert("statements".into(), json!(normalize_statements(&document)));
        annotate(&mut policy);
        assert_eq!(
            policy["public"],
            json!(!policy["public_statements"].as_array().unwrap().is_empty())
        );
        serde_json::from_value(policy["public_statements"].clone()).unwrap()
    }

    fn allow(principal: Value, condition: Option<Value>) -> Value {
        let mut statement = json!({"Sid": "s", "Effect": "Allow", "Principal": principal, "Action": "sqs:SendMessage", "Resource": "*"});
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        json!({ "Statement": [statement] })
    }

    #[test]
    fn everyone_without_a_pinning_condition_is_public() {
        assert_eq!(public_statements(allow(json!("*"), None)), ["s"]);
        assert_eq!(public_statements(allow(json!({"AWS": "*"}), None)), ["s"]);
        // A condition on something other than the caller does not pin it.
        let secure = json!({"Bool": {"aws:SecureTransport": "true"}});
        assert_eq!(public_statements(allow(json!("*"), Some(secure))), ["s"]);
        let not_principal = json!({"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sns:Publish", "Resource": "*"}});
        assert_eq!(public_statements(not_principal), ["#0"]);
    }

    #[test]
    fn fixed_callers_accounts_and_networks_pin_the_grant() {
        for condition in [
            json!({"StringEquals": {"AWS:SourceOwner": "111122223333"}}),
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/orders"}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": ["o-abc123"]}}),
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            json!({"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": "o-abc/r-1/ou-2/"}}),
            // StringEquals takes `*` literally: no caller has that account id.
            json!({"StringEquals": {"aws:SourceAccount": "*"}}),
        ] {
            assert!(
                public_statements(allow(json!("*"), Some(condition.clone()))).is_empty(),
                "{condition}"
            );
        }
        let service = allow(json!({"Service": "events.amazonaws.com"}), None);
        assert!(public_statements(service).is_empty());
        let account = allow(json!({"AWS": "arn:aws:iam::111122223333:root"}), None);
        assert!(public_statements(account).is_empty());
    }

    #[test]
    fn conditions_that_any_caller_can_meet_do_not_pin() {
        for condition in [
            json!({"StringLike": {"aws:SourceAccount": "*"}}),
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:*:rule/x"}}),
            // A wildcard is not a fixed value, even inside one account.
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/*"}}),
            json!({"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}),
            json!({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}),
            json!({"StringNotEquals": {"aws:SourceAccount": "111122223333"}}),
            json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
            json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "0.0.0.0/0"]}}),
            json!({"StringEquals": {"aws:SourceAccount": []}}),
        ] {
            assert_eq!(
                public_statements(allow(json!("*"), Some(condition.clone()))),
                ["s"],
                "{condition}"
            );
        }
    }

    #[test]
    fn deny_statements_are_never_public() {
        let deny = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]});
        assert!(public_statements(deny).is_empty());
    }
}
