//! Turns SDK errors into the `CollectionError`s recorded under a document's `errors`. Which
//! answers mean "not configured" (data, not failure) each collector says with
//! `CollectionError::is_code`.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::inventory::CollectionError;

/// The failure of one call of `action` (`service:Operation`, as IAM names it): the service's
/// code and message when it answered, a code of posture's own for transport failures.
pub(crate) fn failure<E>(err: &SdkError<E, HttpResponse>, action: &str) -> CollectionError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message, transient) = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let message = e.message().map_or_else(|| source_text(err), str::to_string);
            let code = match (e.code(), status) {
                (Some(code), _) => code,
                // JSON-protocol services behind an XML-speaking authorizer (moto, some proxies)
                // answer 403 with a body the SDK cannot parse: still a refusal.
                (None, Some(403)) => "AccessDenied",
                (None, _) => "UnknownError",
            };
            (code, message, status.is_some_and(|s| s >= 500))
        }
        SdkError::TimeoutError(_) => ("Timeout", source_text(err), true),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            ("Timeout", source_text(err), true)
        }
        SdkError::DispatchFailure(failure) => {
            ("DispatchFailure", source_text(err), !failure.is_user())
        }
        SdkError::ResponseError(_) => (
            "ResponseError",
            source_text(err),
            status.is_some_and(|s| s >= 500),
        ),
        SdkError::ConstructionFailure(_) => ("ConstructionFailure", source_text(err), false),
        _ => ("UnknownError", source_text(err), false),
    };
    let error = CollectionError::new(action, code, message).with_status(status);
    let retryable = transient || error.is_throttling();
    error.retryable(retryable)
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

/// Why one scan target (the default credential chain, a profile, a role) could not be scanned.
/// The scan goes on with the other targets; this one is recorded as unreachable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TargetError {
    /// Neither the target's profile nor the environment names a region.
    #[error("no AWS region configured for {target}; set AWS_REGION or pass --regions")]
    NoRegion {
        /// The target, as `--profile`/`--role-arn` named it.
        target: String,
    },
    /// `--regions` named none.
    #[error("the region list is empty")]
    EmptyRegionList,
    /// STS GetCallerIdentity failed: no credentials, an expired session, a role not assumable.
    #[error("cannot identify the account of {target}: {error}{}", credential_hint(target, &error.message))]
    Identify {
        /// The target, as `--profile`/`--role-arn` named it.
        target: String,
        /// The failed call.
        error: CollectionError,
    },
    /// `--regions all` could not list the account's regions.
    #[error(
        "cannot list the account's enabled regions ({error}); pass the regions to scan with --regions"
    )]
    ListRegions {
        /// The failed call.
        error: CollectionError,
    },
    /// `--regions all` found no enabled region.
    #[error("account:ListRegions returned no enabled region; pass --regions")]
    NoEnabledRegion,
}

/// What to do about the failures people hit first, which the SDK words for its own developers:
/// a profile that does not exist, no credentials anywhere, and an endpoint that does not answer.
fn credential_hint(target: &str, message: &str) -> &'static str {
    let no_credentials = message.contains("no providers in chain provided credentials")
        || message.contains("NoCredentials");
    // With no config file at all, the SDK reports a missing profile as "no credentials".
    if message.contains("was not defined") || (no_credentials && target.starts_with("profile ")) {
        "\n  hint: that profile is in neither the config file (AWS_CONFIG_FILE, default \
         ~/.aws/config) nor the credentials file (AWS_SHARED_CREDENTIALS_FILE, default \
         ~/.aws/credentials); `aws configure list-profiles` lists the ones that are"
    } else if no_credentials {
        "\n  hint: no credentials were found. Tried, in order: AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the default profile in the config and credentials \
         files (including SSO and credential_process), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), \
         the ECS container and EC2 instance metadata. Set one of them, pass --profile, or run \
         `aws sso login`; an offline scan needs none (--inventory FILE)"
    } else if message.contains("dispatch failure") || message.contains("DispatchFailure") {
        // No answer at all: the request never reached a service.
        "\n  hint: the endpoint could not be reached (refused, unresolvable, timed out or a TLS \
         failure): with --endpoint-url, check that the emulator or proxy is running at that \
         address; otherwise check the network, HTTPS_PROXY and the region name"
    } else {
        ""
    }
}

impl TargetError {
    /// What every planned group and listing of the unreachable target records: the failed
    /// call's code and action when there was one, with this error's whole text as the message.
    pub(crate) fn as_collection_error(&self) -> CollectionError {
        match self {
            TargetError::Identify { error, .. } | TargetError::ListRegions { error } => {
                CollectionError {
                    message: self.to_string(),
                    ..error.clone()
                }
            }
            other => CollectionError::from_reason(other.to_string()),
        }
    }
}
