//! Small conversions shared by the collectors.

use std::collections::BTreeMap;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value, json};

use crate::inventory::CollectionError;

/// RFC 3339, the inventory's one timestamp format.
pub(crate) fn rfc3339(time: &DateTime) -> Option<String> {
    time.fmt(Format::DateTime).ok()
}

/// An object without the keys whose value is null: absent fields stay absent in documents.
pub(crate) fn object(pairs: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        if !value.is_null() {
            map.insert(key.to_string(), value);
        }
    }
    Value::Object(map)
}

pub(crate) fn opt_str(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::String(s.to_string()))
}

pub(crate) fn opt_i64(value: Option<i64>) -> Value {
    value.map_or(Value::Null, Value::from)
}

pub(crate) fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(
        values
            .into_iter()
            .map(|s| Value::String(s.to_string()))
            .collect(),
    )
}

/// Tags from any SDK's key/value pairs.
pub(crate) fn tag_map<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// IAM returns policy documents URL-encoded (moto only some of them). Decoding plain JSON is
/// harmless unless it holds a literal `%xx`, so try the JSON as given when decoding breaks it.
/// `action` is the call that returned the document.
pub(crate) fn parse_policy_document(raw: &str, action: &str) -> Result<Value, CollectionError> {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    match serde_json::from_str(&decoded) {
        Ok(value) => Ok(value),
        Err(decoded_err) => serde_json::from_str(raw).map_err(|_| {
            CollectionError::new(action, "InvalidPolicyDocument", decoded_err.to_string())
        }),
    }
}

/// A resource policy attribute (SQS `Policy`, SNS `Policy`) as the `policy` group: present and
/// its normalized statements, from which `crate::derived` computes the public-access facts.
pub(crate) fn resource_policy(raw: Option<&str>, action: &str) -> Result<Value, CollectionError> {
    let Some(raw) = raw else {
        return Ok(json!({ "present": false, "statements": [] }));
    };
    let document: Value = serde_json::from_str(raw)
        .map_err(|e| CollectionError::new(action, "InvalidPolicyDocument", e.to_string()))?;
    Ok(json!({
        "present": true,
        "statements": crate::iam_policy::normalize_statements(&document),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_documents_parse_encoded_or_plain() {
        let plain = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let expected =
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
        assert_eq!(
            parse_policy_document(plain, "iam:GetRole"),
            Ok(expected.clone())
        );
        assert_eq!(parse_policy_document(encoded, "iam:GetRole"), Ok(expected));
        // A literal %xx in plain JSON survives: decoding it first would break the document.
        let literal = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/%7B%22"}]}"#;
        let parsed = parse_policy_document(literal, "iam:GetRole").expect("literal percent");
        assert_eq!(parsed["Statement"][0]["Resource"], "arn:aws:s3:::b/%7B%22");
        let invalid = parse_policy_document("not json", "iam:GetRole").expect_err("invalid");
        assert_eq!(
            (invalid.code.as_str(), invalid.action.as_str()),
            ("InvalidPolicyDocument", "iam:GetRole")
        );
    }

    #[test]
    fn null_fields_are_left_out() {
        let value = object(vec![
            ("a", json!(1)),
            ("b", Value::Null),
            ("c", opt_str(Some("x"))),
        ]);
        assert_eq!(value, json!({"a": 1, "c": "x"}));
    }
}
