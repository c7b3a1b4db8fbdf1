//! S3 Glacier vaults of one region: `ListVaults`, then per vault its tags (`ListTagsForVault`)
//! and, for the vaults the loaded rules select by tag, its Vault Lock (`GetVaultLock`). Vaults
//! are few, so tags are read per vault rather than through tag:GetResources.

use serde_json::json;

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.glacier.vault";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_glacier::Client::new(&scope.config);
    // "-" is the caller's own account.
    let pages = client.list_vaults().account_id("-").into_paginator().send();
    let Some(pages) = scope
        .listing(TYPE, Service::Glacier, "glacier:ListVaults", pages)
        .await
    else {
        return Vec::new();
    };
    let vaults: Vec<(String, String)> = pages
        .iter()
        .flat_map(aws_sdk_glacier::operation::list_vaults::ListVaultsOutput::vault_list)
        .filter_map(|v| {
            let name = v.vault_name()?.to_string();
            let arn = v.vault_arn().map_or_else(
                || scope.arn("glacier", &format!("vaults/{name}")),
                str::to_string,
            );
            Some((name, arn))
        })
        .collect();
    let client = &client;
    scope
        .each(vaults, |(name, arn)| async move {
            let mut doc = scope.doc(TYPE, arn, &name);
            if scope.wants(TYPE, "tags") {
                let request = client
                    .list_tags_for_vault()
                    .account_id("-")
                    .vault_name(&name)
                    .send();
                match scope
                    .read(Service::Glacier, "glacier:ListTagsForVault", request)
                    .await
                {
                    Ok(out) => {
                        let pairs = out.tags().into_iter().flatten();
                        doc.tags = tag_map(pairs.map(|(k, v)| (k.as_str(), v.as_str())));
                    }
                    Err(e) => doc.fail("tags", e),
                }
            }
            if scope.wants_for(TYPE, "lock", &doc) {
                let request = client
                    .get_vault_lock()
                    .account_id("-")
                    .vault_name(&name)
                    .send();
                match scope
                    .read(Service::Glacier, "glacier:GetVaultLock", request)
                    .await
                {
                    Ok(out) => doc.set(
                        "lock",
                        object(vec![
                            ("state", json!(out.state().unwrap_or("None"))),
                            ("policy_present", json!(out.policy().is_some())),
                            ("expiration_date", opt_str(out.expiration_date())),
                        ]),
                    ),
                    // A vault that never had a lock policy.
                    Err(e) if e.is_code(&["ResourceNotFoundException"]) => {
                        doc.set("lock", json!({ "state": "None", "policy_present": false }));
                    }
                    Err(e) => doc.fail("lock", e),
                }
            }
            doc
        })
        .await
}
