//! S3 general purpose buckets: listed once per account (`ListBuckets` is global), each bucket read
//! through a client of its own region, including regions the scan does not otherwise cover.
//! Requests per bucket: one per planned group, plus `GetBucketLocation` only when neither the
//! listing nor a region-filtered listing told the bucket's region.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::tagging::{self, TagIndex};
use super::util::{object, opt_i64, opt_str, rfc3339, tag_map};
use super::{Scope, Service, config};
use crate::inventory::{CollectionError, ResourceDoc};

const TYPE: &str = "aws.s3.bucket";
/// `ListBuckets`' largest page.
const LIST_PAGE_SIZE: i32 = 10_000;
const GROUPS: [&str; 8] = [
    "tags",
    "encryption",
    "versioning",
    "object_lock",
    "lifecycle",
    "logging",
    "public_access_block",
    "policy",
];

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let listing = config::s3_client(&scope.config, &scope.region, scope.endpoint_given);
    // A page size makes S3 say each bucket's region (BucketRegion), saving a request per bucket.
    let mut buckets = match list_buckets(scope, &listing, None).await {
        Ok(buckets) => buckets,
        Err(error) => {
            scope.listing_failed(TYPE, error);
            return Vec::new();
        }
    };
    locate_by_region_filter(scope, &mut buckets).await;
    let clients = Clients {
        scope,
        by_region: Mutex::new(BTreeMap::new()),
    };
    let clients = &clients;
    let listing = &listing;
    scope
        .each_found(buckets, |(name, region)| async move {
            read_bucket(scope, clients, listing, name, region).await
        })
        .await
}

/// Bucket names with the region S3 reported for each, if any; `region_filter` lists only the
/// buckets of that region (and must be sent to that region's endpoint).
async fn list_buckets(
    scope: &Scope<'_>,
    client: &Client,
    region_filter: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, CollectionError> {
    let pages = client
        .list_buckets()
        .max_buckets(LIST_PAGE_SIZE)
        .set_bucket_region(region_filter.map(str::to_string))
        .into_paginator()
        .send();
    let pages = scope
        .pages(Service::S3, "s3:ListAllMyBuckets", pages)
        .await?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_s3::operation::list_buckets::ListBucketsOutput::buckets)
        .filter_map(|bucket| {
            let region = bucket
                .bucket_region()
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            Some((bucket.name()?.to_string(), region))
        })
        .collect())
}

/// S3-compatible endpoints that leave out `BucketRegion` (moto, older gateways) still filter by
/// region: one filtered listing per scanned region places most buckets without a
/// `GetBucketLocation` each. Buckets still unplaced (other regions, or a failed listing) are
/// located one by one in `read_bucket`.
async fn locate_by_region_filter(scope: &Scope<'_>, buckets: &mut [(String, Option<String>)]) {
    if buckets.iter().all(|(_, region)| region.is_some()) {
        return;
    }
    for region in scope.account_regions.iter() {
        let client = config::s3_client(&scope.config, region, scope.endpoint_given);
        let Ok(listed) = list_buckets(scope, &client, Some(region)).await else {
            continue;
        };
        let here: BTreeSet<String> = listed.into_iter().map(|(name, _)| name).collect();
        for (name, found) in buckets.iter_mut() {
            if found.is_none() && here.contains(name) {
                *found = Some(region.clone());
            }
        }
    }
}

/// One client and one tag index per bucket region, made on first use.
struct Clients<'a, 'b> {
    scope: &'a Scope<'b>,
    by_region: Mutex<BTreeMap<String, Regional>>,
}

#[derive(Clone)]
struct Regional {
    client: Client,
    tags: Arc<OnceCell<Option<TagIndex>>>,
}

impl Clients<'_, '_> {
    fn get(&self, region: &str) -> Regional {
        let mut map = match self.by_region.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(region.to_string())
            .or_insert_with(|| Regional {
                client: config::s3_client(&self.scope.config, region, self.scope.endpoint_given),
                tags: Arc::new(OnceCell::new()),
            })
            .clone()
    }
}

/// The tags of the region's buckets from tag:GetResources, fetched once per region.
async fn tag_index<'a>(
    scope: &Scope<'_>,
    regional: &'a Regional,
    region: &str,
) -> Option<&'a TagIndex> {
    regional
        .tags
        .get_or_init(|| async {
            tagging::index(scope, &config::in_region(&scope.config, region), "s3").await
        })
        .await
        .as_ref()
}

async fn read_bucket(
    scope: &Scope<'_>,
    clients: &Clients<'_, '_>,
    listing: &Client,
    name: String,
    listed_region: Option<String>,
) -> Option<ResourceDoc> {
    let arn = format!("arn:{}:s3:::{name}", scope.partition);
    let region = if let Some(region) = listed_region {
        Ok(region)
    } else {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketLocation",
                listing.get_bucket_location().bucket(&name).send(),
            )
            .await;
        out.map(|o| {
            bucket_region(
                o.location_constraint()
                    .map(aws_sdk_s3::types::BucketLocationConstraint::as_str),
            )
        })
        .map_err(|e| (e.is_code(&["NoSuchBucket"]), e))
    };
    let region = match region {
        Ok(region) => region,
        // Deleted since ListBuckets: there is nothing left to describe.
        Err((true, _)) => return None,
        // Without its region the bucket's groups cannot be read reliably; say so on each.
        Err((false, error)) => {
            let mut doc = ResourceDoc::new(TYPE, arn, &scope.account, &scope.region);
            doc.name = name;
            scope.fail_groups(&mut doc, TYPE, &GROUPS, &error);
            return Some(doc);
        }
    };
    let mut doc = ResourceDoc::new(TYPE, arn, &scope.account, &region);
    doc.name = name.clone();
    let regional = clients.get(&region);
    let client = &regional.client;
    let bucket = name.as_str();
    let wants = |group: &str| scope.wants(TYPE, group);

    let bulk_tags = if wants("tags") {
        tag_index(scope, &regional, &region).await
    } else {
        None
    };
    if let Some(index) = bulk_tags {
        doc.tags = index.tags_of(&doc.arn);
    } else if wants("tags") {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketTagging",
                client.get_bucket_tagging().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => doc.tags = tag_map(o.tag_set().iter().map(|t| (t.key(), t.value()))),
            Err(e) if e.is_code(&["NoSuchTagSet"]) => {}
            Err(e) => doc.fail("tags", e),
        }
    }
    if scope.wants_for(TYPE, "encryption", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetEncryptionConfiguration",
                client.get_bucket_encryption().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => {
                let rule = o
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first());
                let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
                doc.set(
                    "encryption",
                    object(vec![
                        ("enabled", json!(default.is_some())),
                        (
                            "algorithm",
                            opt_str(default.map(|d| d.sse_algorithm().as_str())),
                        ),
                        (
                            "kms_key_arn",
                            opt_str(default.and_then(|d| d.kms_master_key_id())),
                        ),
                        (
                            "bucket_key",
                            json!(
                                rule.and_then(
                                    aws_sdk_s3::types::ServerSideEncryptionRule::bucket_key_enabled
                                )
                                .unwrap_or(false)
                            ),
                        ),
                    ]),
                );
            }
            Err(e) if e.is_code(&["ServerSideEncryptionConfigurationNotFoundError"]) => {
                doc.set(
                    "encryption",
                    json!({ "enabled": false, "bucket_key": false }),
                );
            }
            Err(e) => doc.fail("encryption", e),
        }
    }
    if scope.wants_for(TYPE, "versioning", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketVersioning",
                client.get_bucket_versioning().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => doc.set(
                "versioning",
                json!({
                    "status": o.status().map_or("Disabled", |s| s.as_str()),
                    "mfa_delete": o.mfa_delete().is_some_and(|m| m.as_str() == "Enabled"),
                }),
            ),
            Err(e) => doc.fail("versioning", e),
        }
    }
    if scope.wants_for(TYPE, "object_lock", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketObjectLockConfiguration",
                client.get_object_lock_configuration().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => {
                let config = o.object_lock_configuration();
                let enabled = config
                    .and_then(|c| c.object_lock_enabled())
                    .is_some_and(|e| e.as_str() == "Enabled");
                let retention = config
                    .and_then(|c| c.rule())
                    .and_then(|r| r.default_retention());
                let retention = retention.map(|r| {
                    // moto sends Days=0 next to Years; a zero is no period at all.
                    let days = r.days().filter(|d| *d > 0).map(i64::from);
                    let years = r.years().filter(|y| *y > 0).map(|y| i64::from(y) * 365);
                    object(vec![
                        (
                            "mode",
                            opt_str(
                                r.mode()
                                    .map(aws_sdk_s3::types::ObjectLockRetentionMode::as_str),
                            ),
                        ),
                        ("days", opt_i64(days.or(years))),
                    ])
                });
                let mut value = json!({ "enabled": enabled });
                if let Some(retention) = retention {
                    value["default_retention"] = retention;
                }
                doc.set("object_lock", value);
            }
            Err(e) if e.is_code(&["ObjectLockConfigurationNotFoundError"]) => {
                doc.set("object_lock", json!({ "enabled": false }));
            }
            Err(e) => doc.fail("object_lock", e),
        }
    }
    if scope.wants_for(TYPE, "lifecycle", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetLifecycleConfiguration",
                client
                    .get_bucket_lifecycle_configuration()
                    .bucket(bucket)
                    .send(),
            )
            .await;
        match out {
            Ok(o) => doc.set(
                "lifecycle",
                json!({ "rules": o.rules().iter().map(lifecycle_rule).collect::<Vec<_>>() }),
            ),
            Err(e) if e.is_code(&["NoSuchLifecycleConfiguration"]) => {
                doc.set("lifecycle", json!({ "rules": [] }));
            }
            Err(e) => doc.fail("lifecycle", e),
        }
    }
    if scope.wants_for(TYPE, "logging", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketLogging",
                client.get_bucket_logging().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => {
                let logging = o.logging_enabled();
                doc.set(
                    "logging",
                    object(vec![
                        ("enabled", json!(logging.is_some())),
                        (
                            "target_bucket",
                            opt_str(logging.map(aws_sdk_s3::types::LoggingEnabled::target_bucket)),
                        ),
                        (
                            "target_prefix",
                            opt_str(logging.map(aws_sdk_s3::types::LoggingEnabled::target_prefix)),
                        ),
                    ]),
                );
            }
            Err(e) => doc.fail("logging", e),
        }
    }
    if scope.wants_for(TYPE, "public_access_block", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketPublicAccessBlock",
                client.get_public_access_block().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => {
                let c = o.public_access_block_configuration();
                let flag =
                    |f: fn(&aws_sdk_s3::types::PublicAccessBlockConfiguration) -> Option<bool>| {
                        c.and_then(f).unwrap_or(false)
                    };
                doc.set(
                    "public_access_block",
                    json!({
                        "block_public_acls": flag(aws_sdk_s3::types::PublicAccessBlockConfiguration::block_public_acls),
                        "ignore_public_acls": flag(aws_sdk_s3::types::PublicAccessBlockConfiguration::ignore_public_acls),
                        "block_public_policy": flag(aws_sdk_s3::types::PublicAccessBlockConfiguration::block_public_policy),
                        "restrict_public_buckets": flag(aws_sdk_s3::types::PublicAccessBlockConfiguration::restrict_public_buckets),
                    }),
                );
            }
            Err(e) if e.is_code(&["NoSuchPublicAccessBlockConfiguration"]) => doc.set(
                "public_access_block",
                json!({
                    "block_public_acls": false, "ignore_public_acls": false,
                    "block_public_policy": false, "restrict_public_buckets": false,
                }),
            ),
            Err(e) => doc.fail("public_access_block", e),
        }
    }
    if scope.wants_for(TYPE, "policy", &doc) {
        let out = scope
            .read(
                Service::S3,
                "s3:GetBucketPolicy",
                client.get_bucket_policy().bucket(bucket).send(),
            )
            .await;
        match out {
            Ok(o) => match o.policy().map(serde_json::from_str::<Value>) {
                Some(Ok(policy)) => doc.set(
                    "policy",
                    // The TLS facts are derived from the statements (crate::derived).
                    json!({
                        "present": true,
                        "statements": crate::iam_policy::normalize_statements(&policy),
                    }),
                ),
                Some(Err(e)) => doc.fail(
                    "policy",
                    CollectionError::new(
                        "s3:GetBucketPolicy",
                        "InvalidPolicyDocument",
                        e.to_string(),
                    ),
                ),
                None => doc.set("policy", no_policy()),
            },
            Err(e) if e.is_code(&["NoSuchBucketPolicy"]) => doc.set("policy", no_policy()),
            Err(e) => doc.fail("policy", e),
        }
    }
    Some(doc)
}

fn no_policy() -> Value {
    json!({ "present": false, "statements": [] })
}

/// `GetBucketLocation`'s answer as a region: empty means us-east-1, and `EU` is eu-west-1's old name.
fn bucket_region(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    }
}

fn lifecycle_rule(rule: &aws_sdk_s3::types::LifecycleRule) -> Value {
    let filter = rule.filter();
    let and = filter.and_then(|f| f.and());
    #[allow(deprecated)]
    let legacy_prefix = rule.prefix();
    let prefix = filter
        .and_then(|f| f.prefix())
        .or(and.and_then(|a| a.prefix()))
        .or(legacy_prefix)
        .unwrap_or("");
    let narrowed_by_filter = filter.is_some_and(|f| {
        f.tag().is_some()
            || f.object_size_greater_than().is_some()
            || f.object_size_less_than().is_some()
    });
    let narrowed_by_and = and.is_some_and(|a| {
        !a.tags().is_empty()
            || a.object_size_greater_than().is_some()
            || a.object_size_less_than().is_some()
    });
    let applies_to_all = prefix.is_empty() && !narrowed_by_filter && !narrowed_by_and;
    let transitions: Vec<Value> = rule
        .transitions()
        .iter()
        .map(|t| {
            object(vec![
                ("days", opt_i64(t.days().map(i64::from))),
                (
                    "storage_class",
                    opt_str(
                        t.storage_class()
                            .map(aws_sdk_s3::types::TransitionStorageClass::as_str),
                    ),
                ),
            ])
        })
        .collect();
    let noncurrent_transitions: Vec<Value> = rule
        .noncurrent_version_transitions()
        .iter()
        .map(|t| {
            object(vec![
                ("days", opt_i64(t.noncurrent_days().map(i64::from))),
                (
                    "storage_class",
                    opt_str(
                        t.storage_class()
                            .map(aws_sdk_s3::types::TransitionStorageClass::as_str),
                    ),
                ),
            ])
        })
        .collect();
    object(vec![
        ("id", opt_str(rule.id())),
        ("status", json!(rule.status().as_str())),
        ("applies_to_all_objects", json!(applies_to_all)),
        ("prefix", json!(prefix)),
        ("transitions", Value::Array(transitions)),
        (
            "expiration_days",
            opt_i64(
                rule.expiration()
                    .and_then(aws_sdk_s3::types::LifecycleExpiration::days)
                    .map(i64::from),
            ),
        ),
        // A Date expiration deletes every current object on that day, however young; a date
        // already past deletes objects as soon as they are written.
        (
            "expiration_date",
            opt_str(
                rule.expiration()
                    .and_then(aws_sdk_s3::types::LifecycleExpiration::date)
                    .and_then(rfc3339)
                    .as_deref(),
            ),
        ),
        (
            "noncurrent_transitions",
            Value::Array(noncurrent_transitions),
        ),
        (
            "noncurrent_expiration_days",
            opt_i64(
                rule.noncurrent_version_expiration()
                    .and_then(aws_sdk_s3::types::NoncurrentVersionExpiration::noncurrent_days)
                    .map(i64::from),
            ),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::types::{
        ExpirationStatus, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter, Tag,
    };

    fn rule(filter: Option<LifecycleRuleFilter>) -> Value {
        let rule = LifecycleRule::builder()
            .status(ExpirationStatus::Enabled)
            .set_filter(filter)
            .build()
            .expect("rule");
        lifecycle_rule(&rule)
    }

    #[test]
    fn only_unfiltered_rules_apply_to_all_objects() {
        assert_eq!(rule(None)["applies_to_all_objects"], true);
        let empty_prefix = LifecycleRuleFilter::builder().prefix("").build();
        assert_eq!(rule(Some(empty_prefix))["applies_to_all_objects"], true);
        let prefix = LifecycleRuleFilter::builder().prefix("tmp/").build();
        assert_eq!(rule(Some(prefix))["applies_to_all_objects"], false);
        let tag = Tag::builder().key("k").value("v").build().expect("tag");
        let tagged = LifecycleRuleFilter::builder().tag(tag.clone()).build();
        assert_eq!(rule(Some(tagged))["applies_to_all_objects"], false);
        let sized = LifecycleRuleFilter::builder()
            .object_size_greater_than(1024)
            .build();
        assert_eq!(rule(Some(sized))["applies_to_all_objects"], false);
        let and_tags = LifecycleRuleFilter::builder()
            .and(
                LifecycleRuleAndOperator::builder()
                    .prefix("")
                    .tags(tag)
                    .build(),
            )
            .build();
        assert_eq!(rule(Some(and_tags))["applies_to_all_objects"], false);
        let and_prefix = LifecycleRuleFilter::builder()
            .and(LifecycleRuleAndOperator::builder().prefix("logs/").build())
            .build();
        let value = rule(Some(and_prefix));
        assert_eq!(value["applies_to_all_objects"], false);
        assert_eq!(value["prefix"], "logs/");
    }

    #[test]
    fn bucket_location_names() {
        assert_eq!(bucket_region(None), "us-east-1");
        assert_eq!(bucket_region(Some("")), "us-east-1");
        assert_eq!(bucket_region(Some("EU")), "eu-west-1");
        assert_eq!(bucket_region(Some("ap-south-1")), "ap-south-1");
    }
}
