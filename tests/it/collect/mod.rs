//! Live collection against moto server: each service seeded with a compliant and a
//! non-compliant resource through the SDK, then `posture::collect::collect` called directly.
//! Faults moto cannot produce come from `crate::support::fault_proxy`.
//!
//! Tests share one moto server (see `support`), so every resource name starts with the test's
//! own prefix and assertions look resources up by name.

mod accounts;
mod archives;
mod cache_search;
mod cloudtrail_kinesis;
mod events_sfn;
mod faults;
mod iam;
mod kms_dynamodb_logs;
mod lambda_ssm_secrets;
mod paging;
mod plan;
mod rds;
mod s3;
mod sqs_sns;
mod tags;

use std::time::Duration;

use crate::support::fault_proxy::{Fault, FaultProxy, Request};
use crate::support::{
    ACCOUNT, REGION, TestEnv, assumed_config, create_lambda_role, doc, full_plan, isolated,
    isolated_with, options, plan_of, s3_client, seed_config,
};
use aws_sdk_s3::primitives::Blob;
use posture::collect::{CollectOptions, NoProgress, RegionSelection, collect};
use posture::inventory::Inventory;
use serde_json::json;

async fn collect_all(endpoint: &str) -> Inventory {
    collect(&options(endpoint), &full_plan(), &NoProgress)
        .await
        .expect("collection succeeds")
}
