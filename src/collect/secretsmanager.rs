//! Secrets Manager secrets of one region: `ListSecrets` carries rotation, key and tags. The
//! secret value is never read (no `GetSecretValue`, no `BatchGetSecretValue`).

use serde_json::json;

use super::util::{object, opt_i64, opt_str, rfc3339, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.secretsmanager.secret";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_secretsmanager::Client::new(&scope.config);
    let Some(pages) = scope
        .listing(
            TYPE,
            Service::SecretsManager,
            "secretsmanager:ListSecrets",
            client.list_secrets().into_paginator().send(),
        )
        .await
    else {
        return Vec::new();
    };
    let mut docs = Vec::new();
    for s in pages
        .iter()
        .flat_map(aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput::secret_list)
    {
        let Some(name) = s.name() else { continue };
        let arn = s.arn().map_or_else(
            || scope.arn("secretsmanager", &format!("secret:{name}")),
            str::to_string,
        );
        let mut doc = scope.doc(TYPE, arn, name);
        if scope.wants(TYPE, "rotation") {
            doc.set(
                "rotation",
                object(vec![
                    ("enabled", json!(s.rotation_enabled().unwrap_or(false))),
                    (
                        "interval_days",
                        opt_i64(
                            s.rotation_rules()
                                .and_then(aws_sdk_secretsmanager::types::RotationRulesType::automatically_after_days),
                        ),
                    ),
                    (
                        "last_rotated",
                        opt_str(s.last_rotated_date().and_then(rfc3339).as_deref()),
                    ),
                ]),
            );
        }
        if scope.wants(TYPE, "encryption") {
            doc.set(
                "encryption",
                object(vec![("kms_key_id", opt_str(s.kms_key_id()))]),
            );
        }
        if scope.wants(TYPE, "tags") {
            doc.tags = tag_map(
                s.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))),
            );
        }
        docs.push(doc);
    }
    scope.done(docs)
}
