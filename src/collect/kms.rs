//! KMS keys of one region. Aliases are listed once per region and matched to keys, rather than
//! one `ListAliases` call per key.

use std::collections::BTreeMap;

use serde_json::json;

use super::util::{object, opt_i64, opt_str, rfc3339, strings, tag_map};
use super::{Scope, Service, tagging};
use crate::inventory::{CollectionError, ResourceDoc};

const TYPE: &str = "aws.kms.key";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_kms::Client::new(&scope.config);
    let pages = client.list_keys().into_paginator().send();
    let Some(pages) = scope
        .listing(TYPE, Service::Kms, "kms:ListKeys", pages)
        .await
    else {
        return Vec::new();
    };
    let keys: Vec<(String, Option<String>)> = pages
        .iter()
        .flat_map(aws_sdk_kms::operation::list_keys::ListKeysOutput::keys)
        .filter_map(|k| Some((k.key_id()?.to_string(), k.key_arn().map(str::to_string))))
        .collect();

    // key id -> alias names; Err when the listing failed (then every key's group fails).
    let aliases: Option<Result<BTreeMap<String, Vec<String>>, CollectionError>> =
        if scope.wants(TYPE, "aliases") {
            let pages = client.list_aliases().into_paginator().send();
            Some(
                scope
                    .pages(Service::Kms, "kms:ListAliases", pages)
                    .await
                    .map(|pages| {
                        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
                        for alias in pages.iter().flat_map(
                            aws_sdk_kms::operation::list_aliases::ListAliasesOutput::aliases,
                        ) {
                            if let (Some(name), Some(key)) =
                                (alias.alias_name(), alias.target_key_id())
                            {
                                by_key
                                    .entry(key.to_string())
                                    .or_default()
                                    .push(name.to_string());
                            }
                        }
                        by_key
                    }),
            )
        } else {
            None
        };
    let tag_index = tagging::index_for(scope, TYPE, "kms").await;
    let tag_index = tag_index.as_ref();
    let client = &client;
    let aliases = &aliases;

    scope
        .each(keys, |(key_id, key_arn)| async move {
            let arn = key_arn.unwrap_or_else(|| scope.arn("kms", &format!("key/{key_id}")));
            let mut doc = scope.doc(TYPE, arn, &key_id);
            if scope.wants(TYPE, "metadata") {
                let request = client.describe_key().key_id(&key_id).send();
                match scope.read(Service::Kms, "kms:DescribeKey", request).await {
                    Ok(out) => match out.key_metadata() {
                        Some(m) => doc.set(
                            "metadata",
                            object(vec![
                                (
                                    "manager",
                                    opt_str(
                                        m.key_manager()
                                            .map(aws_sdk_kms::types::KeyManagerType::as_str),
                                    ),
                                ),
                                (
                                    "state",
                                    opt_str(
                                        m.key_state().map(aws_sdk_kms::types::KeyState::as_str),
                                    ),
                                ),
                                (
                                    "key_spec",
                                    opt_str(m.key_spec().map(aws_sdk_kms::types::KeySpec::as_str)),
                                ),
                                (
                                    "key_usage",
                                    opt_str(
                                        m.key_usage().map(aws_sdk_kms::types::KeyUsageType::as_str),
                                    ),
                                ),
                                (
                                    "origin",
                                    opt_str(m.origin().map(aws_sdk_kms::types::OriginType::as_str)),
                                ),
                                ("multi_region", json!(m.multi_region().unwrap_or(false))),
                                (
                                    "created_at",
                                    opt_str(m.creation_date().and_then(rfc3339).as_deref()),
                                ),
                            ]),
                        ),
                        None => doc.fail(
                            "metadata",
                            CollectionError::new(
                                "kms:DescribeKey",
                                "EmptyResponse",
                                "DescribeKey returned no metadata",
                            ),
                        ),
                    },
                    Err(e) => doc.fail("metadata", e),
                }
            }
            if scope.wants(TYPE, "rotation") {
                let request = client.get_key_rotation_status().key_id(&key_id).send();
                match scope
                    .read(Service::Kms, "kms:GetKeyRotationStatus", request)
                    .await
                {
                    Ok(out) => doc.set(
                        "rotation",
                        object(vec![
                            ("enabled", json!(out.key_rotation_enabled())),
                            (
                                "period_days",
                                opt_i64(out.rotation_period_in_days().map(i64::from)),
                            ),
                        ]),
                    ),
                    // Asymmetric, HMAC and imported keys cannot rotate automatically: not enabled.
                    Err(e) if e.is_code(&["UnsupportedOperationException"]) => {
                        doc.set("rotation", json!({ "enabled": false }));
                    }
                    Err(e) => doc.fail("rotation", e),
                }
            }
            match aliases {
                Some(Ok(by_key)) => {
                    let names = by_key.get(&key_id).map(Vec::as_slice).unwrap_or_default();
                    doc.set(
                        "aliases",
                        json!({ "names": strings(names.iter().map(String::as_str)) }),
                    );
                }
                Some(Err(error)) => doc.fail("aliases", error.clone()),
                None => {}
            }
            let pages = client.list_resource_tags().key_id(&key_id).into_paginator();
            scope
                .fill_tags(TYPE, tag_index, &mut doc, || async move {
                    let pages = scope
                        .pages(Service::Kms, "kms:ListResourceTags", pages.send())
                        .await?;
                    let tags = pages.iter().flat_map(
                        aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput::tags,
                    );
                    Ok(tag_map(tags.map(|t| (t.tag_key(), t.tag_value()))))
                })
                .await;
            doc
        })
        .await
}
