//! Why a piece of a resource document is missing: the structured record of one failed read,
//! kept on the document (and in saved inventories) so reports and `posture health` read fields
//! instead of parsing text back apart.

use serde::{Deserialize, Serialize};

/// One read that could not be completed: an AWS answer other than "not configured", a transport
/// failure, or an answer that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct CollectionError {
    /// Service prefix of the action (`s3`, `iam`, ...); empty when not known.
    pub service: String,
    /// IAM action of the call that failed (`s3:GetBucketLogging`); empty when not known.
    pub action: String,
    /// The service's error code (`AccessDenied`), or posture's name for a failure that has
    /// none: `Timeout`, `DispatchFailure`, `ResponseError`, `InvalidPolicyDocument` ...
    pub code: String,
    /// What the service (or the transport) said.
    pub message: String,
    /// Whether trying again later may succeed (throttling, 5xx, timeouts, dropped connections).
    pub retryable: bool,
    /// HTTP status of the answer, when one came.
    pub http_status: Option<u16>,
}

/// Error codes that mean "too many requests" across AWS services.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
];

impl CollectionError {
    /// A failure of `action` (`service:Operation`) with a code and message.
    pub fn new(action: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        CollectionError {
            service: action.split_once(':').map_or("", |(s, _)| s).to_string(),
            action: action.to_string(),
            retryable: THROTTLING_CODES.contains(&code.as_str()),
            code,
            message: message.into(),
            http_status: None,
        }
    }

    /// A failure known only by its text (an inventory written by hand or by an older posture).
    pub fn from_reason(reason: impl Into<String>) -> Self {
        CollectionError {
            service: String::new(),
            action: String::new(),
            code: String::new(),
            message: reason.into(),
            retryable: false,
            http_status: None,
        }
    }

    #[must_use]
    /// The same failure, marked as worth (or not worth) trying again.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    #[must_use]
    /// The same failure, with the HTTP status of the answer.
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.http_status = status;
        self
    }

    #[must_use]
    /// Whether the failure's code is one of `codes` (e.g. a "not configured" answer).
    pub fn is_code(&self, codes: &[&str]) -> bool {
        codes.contains(&self.code.as_str())
    }

    #[must_use]
    /// Whether AWS refused for the request rate (see `THROTTLING_CODES`).
    pub fn is_throttling(&self) -> bool {
        self.is_code(THROTTLING_CODES)
    }

    /// Refused by IAM (or an SCP): a 403, or an access-denied code without one.
    #[must_use]
    pub fn is_access_denied(&self) -> bool {
        self.http_status == Some(403)
            || self.code.contains("AccessDenied")
            || self.is_code(&["UnauthorizedOperation", "AuthorizationError"])
    }

    /// `"<code>: <message> (<action>)"`: what an auditor needs to fix the scan's permissions or to
    /// see that AWS itself failed. Parts that are not known are left out.
    fn render(&self) -> String {
        let message = if self.message.is_empty() {
            "no message"
        } else {
            self.message.as_str()
        };
        match (self.code.is_empty(), self.action.is_empty()) {
            (false, false) => format!("{}: {message} ({})", self.code, self.action),
            (false, true) => format!("{}: {message}", self.code),
            (true, false) => format!("{message} ({})", self.action),
            (true, true) => message.to_string(),
        }
    }
}

/// The saved form: the rendered reason for people and older readers, and the parts for tools.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    service: String,
    #[serde(default)]
    retryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
}

/// What a saved inventory may hold: the object, or (inventories of format 1 written before the
/// parts were kept, and hand-written rule tests) the reason alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum Saved {
    Reason(String),
    Recorded(Recorded),
}

impl Serialize for CollectionError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Recorded {
            reason: self.render(),
            code: self.code.clone(),
            message: self.message.clone(),
            action: self.action.clone(),
            service: self.service.clone(),
            retryable: self.retryable,
            http_status: self.http_status,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CollectionError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Saved::deserialize(deserializer)? {
            Saved::Reason(reason) => CollectionError::from_reason(reason),
            // Only the reason is known: it is the message.
            Saved::Recorded(recorded) if recorded.code.is_empty() && recorded.action.is_empty() => {
                CollectionError::from_reason(recorded.reason)
                    .retryable(recorded.retryable)
                    .with_status(recorded.http_status)
            }
            // The parts are what was recorded; `reason` is only their rendering.
            Saved::Recorded(recorded) => CollectionError {
                service: recorded.service,
                action: recorded.action,
                code: recorded.code,
                message: recorded.message,
                retryable: recorded.retryable,
                http_status: recorded.http_status,
            },
        })
    }
}

impl From<&str> for CollectionError {
    fn from(reason: &str) -> Self {
        CollectionError::from_reason(reason)
    }
}

impl From<String> for CollectionError {
    fn from(reason: String) -> Self {
        CollectionError::from_reason(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_the_parts_it_knows() {
        let denied = CollectionError::new("s3:GetBucketLogging", "AccessDenied", "no");
        assert_eq!(denied.to_string(), "AccessDenied: no (s3:GetBucketLogging)");
        assert_eq!(denied.service, "s3");
        assert!(!denied.retryable);
        assert!(CollectionError::new("kms:ListKeys", "ThrottlingException", "slow").retryable);
        assert_eq!(CollectionError::from_reason("gone").to_string(), "gone");
        assert_eq!(
            CollectionError::new("", "InvalidPolicyDocument", "bad").to_string(),
            "InvalidPolicyDocument: bad"
        );
    }

    #[test]
    fn saved_form_round_trips_and_reads_bare_reasons() {
        let error = CollectionError::new("iam:GetRole", "AccessDenied", "denied (by SCP)")
            .with_status(Some(403));
        let saved = serde_json::to_value(&error).expect("serialize");
        assert_eq!(
            saved,
            json!({"reason": "AccessDenied: denied (by SCP) (iam:GetRole)", "code": "AccessDenied",
                   "message": "denied (by SCP)", "action": "iam:GetRole", "service": "iam", "retryable": false, "http_status": 403})
        );
        let read: CollectionError = serde_json::from_value(saved).expect("deserialize");
        assert_eq!(read, error);
        let bare: CollectionError = serde_json::from_value(json!("AccessDenied")).expect("bare");
        assert_eq!(bare, CollectionError::from_reason("AccessDenied"));
        assert!(serde_json::from_value::<CollectionError>(json!({"reason": 1})).is_err());
        assert!(serde_json::from_value::<CollectionError>(json!({"why": "x"})).is_err());
    }

    #[test]
    fn access_denied_is_told_by_status_or_code() {
        let unknown =
            CollectionError::new("kms:ListKeys", "UnknownError", "<").with_status(Some(403));
        assert!(unknown.is_access_denied());
        assert!(CollectionError::new("s3:GetBucketPolicy", "AccessDenied", "").is_access_denied());
        assert!(!CollectionError::new("s3:GetBucketPolicy", "NoSuchBucket", "").is_access_denied());
    }
}
