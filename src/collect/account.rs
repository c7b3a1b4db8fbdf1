//! The account itself: who the scan runs as (STS) and which regions it covers.

use aws_sdk_account::types::RegionOptStatus;
use aws_types::SdkConfig;
use serde_json::json;

use super::error::{self, TargetError};
use super::{CollectOptions, RegionSelection};
use crate::inventory::{CollectionError, ResourceDoc};
use crate::plan::Plan;

pub(crate) const TYPE: &str = "aws.account";

#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub account: String,
    pub caller_arn: String,
}

impl Identity {
    /// `aws`, `aws-cn`, `aws-us-gov`: from the caller's ARN, so every ARN we build matches.
    pub(crate) fn partition(&self) -> String {
        self.caller_arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_string()
    }
}

pub(crate) async fn identify(config: &SdkConfig, target: &str) -> Result<Identity, TargetError> {
    const ACTION: &str = "sts:GetCallerIdentity";
    let sts = aws_sdk_sts::Client::new(config);
    let identify_error = |error| TargetError::Identify {
        target: target.to_string(),
        error,
    };
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| identify_error(error::failure(&e, ACTION)))?;
    let account = out.account().filter(|a| !a.is_empty()).ok_or_else(|| {
        identify_error(CollectionError::new(
            ACTION,
            "EmptyResponse",
            "STS returned no account id",
        ))
    })?;
    Ok(Identity {
        account: account.to_string(),
        caller_arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// The regions to scan for one account, in a stable order; the first is the account's home
/// (where global services are read).
pub(crate) async fn regions(
    options: &CollectOptions,
    base: &SdkConfig,
    target: &str,
) -> Result<Vec<String>, TargetError> {
    let home = base.region().map(|r| r.as_ref().to_string());
    match &options.regions {
        RegionSelection::Default => home.map(|r| vec![r]).ok_or_else(|| TargetError::NoRegion {
            target: target.to_string(),
        }),
        RegionSelection::List(list) => {
            let mut regions: Vec<String> = Vec::new();
            for region in list {
                if !regions.contains(region) {
                    regions.push(region.clone());
                }
            }
            if regions.is_empty() {
                return Err(TargetError::EmptyRegionList);
            }
            Ok(regions)
        }
        RegionSelection::All => {
            let client = aws_sdk_account::Client::new(base);
            let mut pages = client
                .list_regions()
                .region_opt_status_contains(RegionOptStatus::Enabled)
                .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
                .into_paginator()
                .send();
            let mut regions = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| TargetError::ListRegions {
                    error: error::failure(&e, "account:ListRegions"),
                })?;
                regions.extend(
                    page.regions()
                        .iter()
                        .filter_map(|r| r.region_name())
                        .map(str::to_string),
                );
            }
            regions.sort();
            if regions.is_empty() {
                return Err(TargetError::NoEnabledRegion);
            }
            // Keep the configured region first so global services are read where the user expects.
            if let Some(home) = home.filter(|h| regions.contains(h)) {
                regions.retain(|r| r != &home);
                regions.insert(0, home);
            }
            Ok(regions)
        }
    }
}

/// The `aws.account` document of a target whose account could not be reached. Its account id is
/// the role ARN's when the target is a role, else unknown; every planned type gets a listing
/// error for all regions (so each rule is ERROR for it) and every planned group of the account
/// itself fails with the reason.
pub(crate) fn unreachable_document(
    target: &super::config::TargetSource,
    error: &CollectionError,
    plan: &Plan,
) -> ResourceDoc {
    let account = match target {
        super::config::TargetSource::Role(arn) => arn
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .unwrap_or("unknown"),
        _ => "unknown",
    };
    let arn = match target {
        super::config::TargetSource::Role(arn) => arn.clone(),
        other => other.label(),
    };
    let mut doc = ResourceDoc::new(TYPE, arn, account, "global");
    doc.name = target.label();
    for (resource_type, groups) in &plan.groups {
        if resource_type == TYPE {
            for group in groups {
                doc.fail(group, error.clone());
            }
        } else {
            doc.errors
                .insert(format!("{resource_type}@all regions"), error.clone());
        }
    }
    doc
}

/// The `aws.account` document; `identity` only when the plan asks for it.
pub(crate) fn document(identity: &Identity, plan: &Plan) -> ResourceDoc {
    let arn = format!(
        "arn:{}:iam::{}:root",
        identity.partition(),
        identity.account
    );
    let mut doc = ResourceDoc::new(TYPE, arn, &identity.account, "global");
    doc.name.clone_from(&identity.account);
    if plan.wants(TYPE, "identity") {
        doc.set(
            "identity",
            json!({ "account_id": identity.account, "caller_arn": identity.caller_arn }),
        );
    }
    doc
}
