//! Turns SDK errors into the short reasons recorded under a document's `errors`, and tells
//! "not configured" answers (which are data) from real failures.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The service error code of a failed call, when the service sent one.
pub(crate) fn code<E, R>(err: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// True when the call failed with one of `codes` (e.g. `NoSuchBucketPolicy`).
pub(crate) fn is_code<E, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool
where
    E: ProvideErrorMetadata,
{
    code(err).is_some_and(|c| codes.contains(&c))
}

/// `"<ErrorCode>: <message> (<iam action>)"`: what an auditor needs to fix the scan's permissions
/// or to see that AWS itself failed. Transport failures get a code of their own kind.
pub(crate) fn reason<E, R>(err: &SdkError<E, R>, action: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (code, message) = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("UnknownError").to_string();
            let message = e
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| source_text(err));
            (code, message)
        }
        SdkError::TimeoutError(_) => ("Timeout".to_string(), source_text(err)),
        SdkError::DispatchFailure(failure) => {
            let code = if failure.is_timeout() {
                "Timeout"
            } else {
                "DispatchFailure"
            };
            (code.to_string(), source_text(err))
        }
        SdkError::ResponseError(_) => ("ResponseError".to_string(), source_text(err)),
        SdkError::ConstructionFailure(_) => ("ConstructionFailure".to_string(), source_text(err)),
        _ => ("UnknownError".to_string(), source_text(err)),
    };
    let message = if message.is_empty() {
        "no message".to_string()
    } else {
        message
    };
    format!("{code}: {message} ({action})")
}

/// The innermost useful description of an error chain (the SDK's top-level Display is terse).
fn source_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
