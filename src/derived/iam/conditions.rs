//! Which IAM conditions the scan clock alone decides: date operators on `aws:CurrentTime`,
//! `aws:EpochTime` and `aws:TokenIssueTime`. A statement whose condition can never hold again
//! grants nothing; every other condition is left to AWS and reported, since posture cannot
//! know the request it would be evaluated against.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How long a session token can live (role chaining aside, 36 hours for federation): a token
/// issued before `now - TOKEN_LIFETIME` is no longer valid, so a condition that needs one can
/// never hold again.
const TOKEN_LIFETIME_SECONDS: i64 = 36 * 3600;

/// What the scan clock says about a statement's `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionState {
    /// No condition at all.
    None,
    /// Some operator can never hold again (a date in the past the request must precede).
    Never(String),
    /// Conditions posture cannot decide, as written (`aws:SourceIp IpAddress 10.0.0.0/8`).
    Undecided(Vec<String>),
}

impl ConditionState {
    /// Whether the statement may apply to some request from now on.
    pub fn may_hold(&self) -> bool {
        !matches!(self, ConditionState::Never(_))
    }
}

/// Judges a Condition block (`{ operator: { key: value or [values] } }`) at `now`. Operators
/// and keys must all hold, while any one value of a key is enough, so one pair whose every
/// value is impossible makes the whole block impossible.
pub fn judge(condition: Option<&Value>, now: OffsetDateTime) -> ConditionState {
    let Some(Value::Object(operators)) = condition else {
        return match condition {
            None | Some(Value::Null) => ConditionState::None,
            Some(other) => ConditionState::Undecided(vec![other.to_string()]),
        };
    };
    if operators.is_empty() {
        return ConditionState::None;
    }
    let mut undecided = Vec::new();
    for (operator, keys) in operators {
        let Some(keys) = keys.as_object() else {
            undecided.push(format!("{operator} {keys}"));
            continue;
        };
        for (key, values) in keys {
            let values: Vec<&Value> = match values {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let written = format!(
                "{key} {operator} {}",
                values
                    .iter()
                    .map(|v| text(v))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            match never_holds(operator, key, &values, now) {
                Some(true) => return ConditionState::Never(written),
                Some(false) => {}
                None => undecided.push(written),
            }
        }
    }
    if undecided.is_empty() {
        // Every pair was a clock condition that can still hold: the statement applies.
        ConditionState::None
    } else {
        ConditionState::Undecided(undecided)
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// Some(true) when no request from `now` on can satisfy `key operator values`, Some(false) when
/// some can, None when the clock does not decide it.
fn never_holds(operator: &str, key: &str, values: &[&Value], now: OffsetDateTime) -> Option<bool> {
    let key = key.to_ascii_lowercase();
    // Set operators and negations over clock keys are rare; leave them to AWS.
    let operator = operator.strip_suffix("IfExists").unwrap_or(operator);
    let (date_like, earliest_request) = match key.as_str() {
        "aws:currenttime" | "aws:epochtime" => (true, now.unix_timestamp()),
        "aws:tokenissuetime" => (true, now.unix_timestamp() - TOKEN_LIFETIME_SECONDS),
        _ => (false, 0),
    };
    if !date_like {
        return None;
    }
    let numeric = key == "aws:epochtime" && operator.starts_with("Numeric");
    let bound_of = |v: &Value| -> Option<i64> {
        if numeric {
            return v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        }
        instant(v)
    };
    let bounds: Option<Vec<i64>> = values.iter().map(|v| bound_of(v)).collect();
    let bounds = bounds?;
    if bounds.is_empty() {
        return None;
    }
    // The request time t is at least `earliest_request` from now on, and unbounded above.
    let impossible = |bound: i64| match operator {
        "DateLessThan" | "NumericLessThan" => earliest_request >= bound,
        "DateLessThanEquals" | "NumericLessThanEquals" => earliest_request > bound,
        "DateEquals" | "NumericEquals" => earliest_request > bound,
        "DateGreaterThan"
        | "DateGreaterThanEquals"
        | "DateNotEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals"
        | "NumericNotEquals" => false,
        _ => false,
    };
    let known = matches!(
        operator,
        "DateLessThan"
            | "DateLessThanEquals"
            | "DateEquals"
            | "DateGreaterThan"
            | "DateGreaterThanEquals"
            | "DateNotEquals"
            | "NumericLessThan"
            | "NumericLessThanEquals"
            | "NumericEquals"
            | "NumericGreaterThan"
            | "NumericGreaterThanEquals"
            | "NumericNotEquals"
    );
    if !known {
        return None;
    }
    Some(bounds.into_iter().all(impossible))
}

/// A date condition value: RFC 3339 / ISO 8601 (`2020-01-01T00:00:00Z`), a bare date
/// (`2020-01-01`), or epoch seconds, as IAM accepts them.
fn instant(value: &Value) -> Option<i64> {
    if let Some(n) = value.as_i64() {
        return Some(n);
    }
    let s = value.as_str()?.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let date =
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

    fn state(condition: Value) -> ConditionState {
        judge(Some(&condition), NOW)
    }

    #[test]
    fn a_past_deadline_never_holds_again() {
        let past = state(json!({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}));
        assert!(matches!(past, ConditionState::Never(_)), "{past:?}");
        let bare_date = state(json!({"DateLessThanEquals": {"aws:CurrentTime": "2026-05-31"}}));
        assert!(!bare_date.may_hold());
        let epoch = state(json!({"NumericLessThan": {"aws:EpochTime": 1_600_000_000}}));
        assert!(!epoch.may_hold());
        let token = state(json!({"DateLessThan": {"aws:TokenIssueTime": "2026-05-01T00:00:00Z"}}));
        assert!(!token.may_hold());
    }

    #[test]
    fn future_deadlines_start_dates_and_other_keys_may_hold() {
        assert_eq!(
            state(json!({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
            ConditionState::None
        );
        assert_eq!(
            state(json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
            ConditionState::None
        );
        // One of the ORed values is still ahead.
        assert!(
            state(json!({"DateLessThan": {"aws:CurrentTime": ["2020-01-01", "2030-01-01"]}}))
                .may_hold()
        );
        // A token issued a day ago is still valid: the deadline an hour ago can hold.
        assert!(
            state(json!({"DateLessThan": {"aws:TokenIssueTime": "2026-05-31T23:00:00Z"}}))
                .may_hold()
        );
        let other = state(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}));
        assert_eq!(
            other,
            ConditionState::Undecided(vec!["aws:SourceIp IpAddress 10.0.0.0/8".into()])
        );
        assert_eq!(judge(None, NOW), ConditionState::None);
    }

    #[test]
    fn one_impossible_pair_decides_the_block() {
        let both = state(json!({
            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
            "DateLessThan": {"aws:CurrentTime": "2021-01-01T00:00:00Z"}
        }));
        assert!(!both.may_hold(), "{both:?}");
        let garbled = state(json!({"DateLessThan": {"aws:CurrentTime": "next tuesday"}}));
        assert!(
            garbled.may_hold(),
            "an unreadable date is not proof of anything"
        );
    }
}
