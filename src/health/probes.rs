//! One cheap read-only call per service, timed. Retries are off so throttling and errors show
//! as they happen instead of being hidden by backoff.

use std::time::Instant;

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{Sample, ServiceHealth, classify};
use crate::collect::config::{base_config, in_region, s3_client, targets};
use crate::collect::{CollectOptions, RegionSelection};
use crate::inventory::CollectionError;

/// Services `posture health` knows, named as the catalog's resource types name them
/// (`aws.events.rule`: `events`), with the call each one is probed with.
pub const SERVICES: &[(&str, &str)] = &[
    ("s3", "s3:ListBuckets"),
    ("kms", "kms:ListKeys"),
    ("dynamodb", "dynamodb:ListTables"),
    ("ssm", "ssm:DescribeParameters"),
    ("lambda", "lambda:ListFunctions"),
    ("events", "events:ListEventBuses"),
    ("sfn", "states:ListStateMachines"),
    ("bedrock", "bedrock:InvokeModel (Converse, maxTokens 1)"),
];

/// The IAM actions `posture health` needs: the read each probe makes (S3's `ListBuckets` is
/// authorized as s3:ListAllMyBuckets) and the account lookup. The Bedrock probe's
/// bedrock:InvokeModel is an inference, not a read, and is granted on its own.
pub const READ_ACTIONS: &[&str] = &[
    "dynamodb:ListTables",
    "events:ListEventBuses",
    "kms:ListKeys",
    "lambda:ListFunctions",
    "s3:ListAllMyBuckets",
    "ssm:DescribeParameters",
    "states:ListStateMachines",
    "sts:GetCallerIdentity",
];

/// What `posture health` probes, and how.
pub struct HealthOptions {
    /// Where to connect; `max_attempts` is forced to 1.
    pub collect: CollectOptions,
    /// Service keys to probe (see `SERVICES`); empty: all of them.
    pub services: Vec<String>,
    /// Calls per service and region.
    pub samples: usize,
    /// Latency (milliseconds) above which a service is DEGRADED.
    pub degraded_ms: f64,
    /// Bedrock is probed only when a model is configured.
    pub bedrock_model: Option<String>,
}

async fn time<T, E>(
    call: impl std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Sample
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let started = Instant::now();
    let result = call.await;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    Sample {
        millis,
        // The table names the action already: the failure is read for its code and message.
        error: result.err().map(|e| crate::collect::error::failure(&e, "")),
    }
}

async fn probe(
    service: &str,
    config: &SdkConfig,
    region: &str,
    endpoint_given: bool,
    model: Option<&str>,
) -> Sample {
    match service {
        "s3" => {
            time(
                s3_client(config, region, endpoint_given)
                    .list_buckets()
                    .max_buckets(1)
                    .send(),
            )
            .await
        }
        "kms" => time(aws_sdk_kms::Client::new(config).list_keys().limit(1).send()).await,
        "dynamodb" => {
            time(
                aws_sdk_dynamodb::Client::new(config)
                    .list_tables()
                    .limit(1)
                    .send(),
            )
            .await
        }
        "ssm" => {
            time(
                aws_sdk_ssm::Client::new(config)
                    .describe_parameters()
                    .max_results(1)
                    .send(),
            )
            .await
        }
        "lambda" => {
            time(
                aws_sdk_lambda::Client::new(config)
                    .list_functions()
                    .max_items(1)
                    .send(),
            )
            .await
        }
        "events" => {
            time(
                aws_sdk_eventbridge::Client::new(config)
                    .list_event_buses()
                    .limit(1)
                    .send(),
            )
            .await
        }
        "sfn" => {
            time(
                aws_sdk_sfn::Client::new(config)
                    .list_state_machines()
                    .max_results(1)
                    .send(),
            )
            .await
        }
        _ => {
            let Some(model) = model else {
                return Sample {
                    millis: 0.0,
                    error: Some(CollectionError::new(
                        "",
                        "NotConfigured",
                        "no --bedrock-model",
                    )),
                };
            };
            let message = Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text("ping".into()))
                .build();
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    return Sample {
                        millis: 0.0,
                        error: Some(CollectionError::new(
                            "",
                            "ConstructionFailure",
                            e.to_string(),
                        )),
                    };
                }
            };
            let client = aws_sdk_bedrockruntime::Client::new(config);
            time(
                client
                    .converse()
                    .model_id(model)
                    .messages(message)
                    .inference_config(InferenceConfiguration::builder().max_tokens(1).build())
                    .send(),
            )
            .await
        }
    }
}

/// The catalog's name for a service; the console's names (`eventbridge`, `stepfunctions`,
/// which earlier versions used) are accepted too.
#[must_use]
pub fn canonical_service(name: &str) -> &str {
    match name {
        "eventbridge" => "events",
        "stepfunctions" | "states" => "sfn",
        other => other,
    }
}

/// Probes every requested service in every region, `samples` times each.
pub async fn run(options: &HealthOptions) -> anyhow::Result<Vec<ServiceHealth>> {
    let mut collect = options.collect.clone();
    collect.max_attempts = 1;
    for service in &options.services {
        anyhow::ensure!(
            SERVICES.iter().any(|(name, _)| name == service),
            "unknown service `{service}`; known: {}",
            SERVICES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if options.services.iter().any(|s| s == "bedrock") && options.bedrock_model.is_none() {
        anyhow::bail!(
            "the bedrock probe needs a model: pass --bedrock-model ID (or set bedrock_model in posture.toml)"
        );
    }
    let target = targets(&collect)
        .into_iter()
        .next()
        .context("no account to probe")?;
    let base = base_config(&collect, &target).await?;
    let regions = match &collect.regions {
        RegionSelection::List(regions) => regions.clone(),
        RegionSelection::Default => vec![
            base.region()
                .map(std::string::ToString::to_string)
                .context("no region configured; pass --region")?,
        ],
        RegionSelection::All => {
            anyhow::bail!("health takes named regions (--regions a,b), not all")
        }
    };
    let mut results = Vec::new();
    for region in &regions {
        let config = in_region(&base, region);
        for service in &options.services {
            let action = SERVICES
                .iter()
                .find(|(n, _)| n == service)
                .map_or("", |(_, a)| *a);
            let mut samples = Vec::new();
            for _ in 0..options.samples.max(1) {
                samples.push(
                    probe(
                        service,
                        &config,
                        region,
                        collect.endpoint_url.is_some(),
                        options.bedrock_model.as_deref(),
                    )
                    .await,
                );
            }
            results.push(classify(
                service,
                region,
                action,
                &samples,
                options.degraded_ms,
            ));
        }
    }
    Ok(results)
}
