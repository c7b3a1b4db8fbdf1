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

/// Retry and timeout settings shared by every client: standard retry mode (exponential backoff
/// with jitter, retries throttling and 5xx) bounded by `max_attempts`, and a per-attempt timeout
/// so a hung connection costs at most `timeout` per attempt.
fn loader(options: &CollectOptions) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
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
