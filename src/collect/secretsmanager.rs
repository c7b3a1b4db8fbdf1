//! Secrets Manager secrets of one region: `ListSecrets` carries rotation, key and tags. The
//! secret value is never read (no `GetSecretValue`, no `BatchGetSecretValue`).

use aws_sdk_secretsmanager::types::{RotationRulesType, SecretListEntry};
use serde_json::{Value, json};

use super::util::{object, opt_i64, opt_str, rfc3339, tag_map};
use super::{Scope, Service};
use crate::inventory::{CollectionError, ResourceDoc};

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
            doc.record("rotation", rotation(s));
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

/// The rotation group: whether rotation is on and the longest interval it allows, from
/// `AutomaticallyAfterDays` or, when rotation is scheduled, from `ScheduleExpression`
/// (`rate()` or `cron()`). A schedule that cannot be read exactly is an error, not "no interval".
fn rotation(s: &SecretListEntry) -> Result<Value, CollectionError> {
    let rules = s.rotation_rules();
    let schedule = rules.and_then(RotationRulesType::schedule_expression);
    let interval = match (
        rules.and_then(RotationRulesType::automatically_after_days),
        schedule,
    ) {
        (Some(days), _) => Some(days),
        (None, Some(expression)) => Some(
            super::rotation_schedule::interval_days(expression).map_err(|why| {
                CollectionError::new(
                    "secretsmanager:ListSecrets",
                    "UnreadableSchedule",
                    format!("the rotation schedule cannot be read: {why}"),
                )
            })?,
        ),
        (None, None) => None,
    };
    Ok(object(vec![
        ("enabled", json!(s.rotation_enabled().unwrap_or(false))),
        ("interval_days", opt_i64(interval)),
        ("schedule_expression", opt_str(schedule)),
        (
            "last_rotated",
            opt_str(s.last_rotated_date().and_then(rfc3339).as_deref()),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(rules: RotationRulesType) -> SecretListEntry {
        SecretListEntry::builder()
            .name("db")
            .rotation_enabled(true)
            .rotation_rules(rules)
            .build()
    }

    #[test]
    fn a_scheduled_rotation_has_an_interval() {
        let weekly = secret(
            RotationRulesType::builder()
                .schedule_expression("cron(0 8 ? * MON *)")
                .build(),
        );
        let group = rotation(&weekly).expect("readable");
        assert_eq!(group["interval_days"], 7);
        assert_eq!(group["schedule_expression"], "cron(0 8 ? * MON *)");
        let rate = secret(
            RotationRulesType::builder()
                .schedule_expression("rate(10 days)")
                .build(),
        );
        assert_eq!(rotation(&rate).expect("readable")["interval_days"], 10);
        let days = secret(
            RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        );
        assert_eq!(rotation(&days).expect("readable")["interval_days"], 30);
        let odd = secret(
            RotationRulesType::builder()
                .schedule_expression("cron(0 0 1W * ? *)")
                .build(),
        );
        let error = rotation(&odd).expect_err("unreadable schedule");
        assert_eq!(error.code, "UnreadableSchedule");
    }
}
