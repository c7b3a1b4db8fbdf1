//! Amazon Bedrock settings of one account in one region: one document per scanned region
//! (`aws.bedrock.account`), holding the model invocation logging configuration, the audit
//! trail of what was asked of the models and what they answered.
//!
//! A region without a configuration is data (logging off). A region where Bedrock cannot be
//! read (the call is denied, or Bedrock is not offered there) is an ERROR for that region.

use serde_json::json;

use super::util::{object, opt_str};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.bedrock.account";
const ACTION: &str = "bedrock:GetModelInvocationLoggingConfiguration";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let client = aws_sdk_bedrock::Client::new(&scope.config);
    // Not a real ARN: Bedrock has no resource for its account settings. It names the account
    // and region, so findings and suppressions address it like any resource.
    let arn = scope.arn("bedrock", "model-invocation-logging");
    let mut doc = scope.doc(TYPE, arn, &format!("{}/{}", scope.account, scope.region));
    if scope.wants(TYPE, "invocation_logging") {
        let request = client.get_model_invocation_logging_configuration().send();
        match scope.read(Service::Bedrock, ACTION, request).await {
            Ok(out) => {
                let config = out.logging_config();
                let s3 = config.and_then(|c| c.s3_config());
                let logs = config.and_then(|c| c.cloud_watch_config());
                let bucket = s3.map(aws_sdk_bedrock::types::S3Config::bucket_name);
                let log_group = logs.map(aws_sdk_bedrock::types::CloudWatchConfig::log_group_name);
                let flag = |f: fn(&aws_sdk_bedrock::types::LoggingConfig) -> Option<bool>| {
                    json!(config.and_then(f).unwrap_or(false))
                };
                doc.set(
                    "invocation_logging",
                    object(vec![
                        ("enabled", json!(bucket.is_some() || log_group.is_some())),
                        ("s3_bucket", opt_str(bucket)),
                        (
                            "s3_bucket_arn",
                            opt_str(
                                bucket
                                    .map(|b| format!("arn:{}:s3:::{b}", scope.partition))
                                    .as_deref(),
                            ),
                        ),
                        ("s3_key_prefix", opt_str(s3.and_then(|s| s.key_prefix()))),
                        ("log_group_name", opt_str(log_group)),
                        (
                            "log_group_arn",
                            opt_str(
                                log_group
                                    .map(|g| scope.arn("logs", &format!("log-group:{g}")))
                                    .as_deref(),
                            ),
                        ),
                        ("text_data", flag(aws_sdk_bedrock::types::LoggingConfig::text_data_delivery_enabled)),
                        ("image_data", flag(aws_sdk_bedrock::types::LoggingConfig::image_data_delivery_enabled)),
                        (
                            "embedding_data",
                            flag(aws_sdk_bedrock::types::LoggingConfig::embedding_data_delivery_enabled),
                        ),
                        ("video_data", flag(aws_sdk_bedrock::types::LoggingConfig::video_data_delivery_enabled)),
                    ]),
                );
            }
            Err(e) => doc.fail("invocation_logging", e),
        }
    }
    scope.done(vec![doc])
}
