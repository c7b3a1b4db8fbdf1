//! Builds one `SdkConfig` per account target, then one per (target, region) from it, so that a
//! role is assumed once per account and its credentials cache is shared by every region.

use std::time::Duration;

use super::error::TargetError;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SharedCredentialsProvider;

use super::{CollectOptions, RegionSelection};

/// Where credentials for one account come from.
#[derive(Debug, Clone)]
pub(crate) enum TargetSource {
    DefaultChain,
    Profile(String),
    Role(String),
}

impl TargetSource {
    pub(crate) fn label(&self) -> String {
        match self {
            TargetSource::DefaultChain => "default credentials".to_string(),
            TargetSource::Profile(p) => format!("profile {p}"),
            TargetSource::Role(r) => format!("role {r}"),
        }
    }
}

/// Account targets in the order given: each profile, each role (assumed from the base
/// credentials), or the default chain when neither is given.
pub(crate) fn targets(options: &CollectOptions) -> Vec<TargetSource> {
    let mut targets: Vec<TargetSource> = options
        .profiles
        .iter()
        .cloned()
        .map(TargetSource::Profile)
        .collect();
    targets.extend(options.role_arns.iter().cloned().map(TargetSource::Role));
    if targets.is_empty() {
        targets.push(TargetSource::DefaultChain);
    }
    targets
}

/// The region used for account-wide calls (STS, Account, IAM, S3 `ListBuckets`) when the chain
/// names none: with an explicit region list, the first listed one.
fn fallback_region(options: &CollectOptions) -> Option<String> {
    match &options.regions {
        RegionSelection::List(regions) => regions.first().cloned(),
        RegionSelection::Default => None,
        RegionSelection::All => Some("us-east-1".to_string()),
    }
}

/// The one HTTPS client every SDK client uses: hyper 1 with rustls over ring and the system's
/// trust store. Shared, so every account and region draws on one connection pool.
#[must_use]
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    static CLIENT: std::sync::OnceLock<aws_smithy_runtime_api::client::http::SharedHttpClient> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https()
        })
        .clone()
}

/// Every `--profile` named is defined in the AWS config or credentials files, checked before
/// any request: one clear error (with the profiles that are defined) instead of an account
/// per typo that cannot be reached.
pub async fn check_profiles(profiles: &[String]) -> Result<(), String> {
    if profiles.is_empty() {
        return Ok(());
    }
    // The default files: ~/.aws/config and ~/.aws/credentials, or the environment's.
    let set = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &Default::default(),
        None,
    )
    .await
    .map_err(|e| {
        format!(
            "cannot read the AWS config files to find profile `{}`: {e}",
            profiles[0]
        )
    })?;
    let defined: Vec<&str> = set.profiles().collect();
    for profile in profiles {
        if defined.contains(&profile.as_str()) {
            continue;
        }
        let near = crate::catalog::nearest(profile, defined.iter().copied());
        let listed = if defined.is_empty() {
            "none is defined".to_string()
        } else {
            format!("defined: {}", defined.join(", "))
        };
        return Err(format!(
            "profile `{profile}` is not defined in the AWS config or credentials files ({listed}){}; \
             the files are ~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE and \
             AWS_SHARED_CREDENTIALS_FILE (`aws configure list-profiles` lists the profiles)",
            near.first()
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

/// Retry and timeout settings shared by every client: standard retry mode (exponential backoff
/// with jitter, retries throttling and 5xx) bounded by `max_attempts`, and a per-attempt timeout
/// so a hung connection costs at most `timeout` per attempt.
fn loader(options: &CollectOptions) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(10)))
                .build(),
        );
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

/// The account-level config of one target, in its home region.
pub(crate) async fn base_config(
    options: &CollectOptions,
    target: &TargetSource,
) -> Result<SdkConfig, TargetError> {
    let mut loader = loader(options);
    if let TargetSource::Profile(profile) = target {
        loader = loader.profile_name(profile);
    }
    let mut config = loader.load().await;
    if config.region().is_none() {
        let region = fallback_region(options).ok_or_else(|| TargetError::NoRegion {
            target: target.label(),
        })?;
        config = config.to_builder().region(Region::new(region)).build();
    }
    if let TargetSource::Role(role_arn) = target {
        let mut builder = AssumeRoleProvider::builder(role_arn.clone())
            .session_name(options.role_session_name.clone())
            .configure(&config);
        if let Some(external_id) = &options.external_id {
            builder = builder.external_id(external_id.clone());
        }
        let provider = builder.build().await;
        config = config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    Ok(config)
}

/// The same credentials and settings, pointed at another region.
pub(crate) fn in_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// An S3 client for one region; path-style addressing against an emulator endpoint, where
/// virtual-host names like `bucket.localhost` do not resolve.
pub(crate) fn s3_client(
    base: &SdkConfig,
    region: &str,
    endpoint_given: bool,
) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(base)
        .region(Region::new(region.to_string()))
        .force_path_style(endpoint_given)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
