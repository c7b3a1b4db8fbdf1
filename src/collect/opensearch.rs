//! `OpenSearch` Service domains of one region: `ListDomainNames`, then `DescribeDomains` for up to
//! five domains a request, and tags from tag:GetResources or `ListTags` per domain.

use std::collections::HashMap;

use aws_sdk_opensearch::types::{DomainStatus, LogPublishingOption, LogType};
use serde_json::{Value, json};

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service, tagging};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.opensearch.domain";
const DESCRIBE: &str = "es:DescribeDomains";
const GROUPS: [&str; 5] = [
    "configuration",
    "encryption",
    "endpoint",
    "logging",
    "access",
];
/// `DescribeDomains` takes at most five names.
const DESCRIBE_BATCH: usize = 5;

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let client = aws_sdk_opensearch::Client::new(&scope.config);
    let listed = scope
        .read(
            Service::OpenSearch,
            "es:ListDomainNames",
            client.list_domain_names().send(),
        )
        .await;
    let names: Vec<String> = match listed {
        Ok(out) => out
            .domain_names()
            .iter()
            .filter_map(|d| d.domain_name().map(str::to_string))
            .collect(),
        Err(error) => {
            scope.listing_failed(TYPE, error);
            return Vec::new();
        }
    };
    let index = tagging::index_for(scope, TYPE, "es").await;
    let (client, index) = (&client, index.as_ref());
    let batches: Vec<Vec<String>> = names
        .chunks(DESCRIBE_BATCH)
        .map(<[String]>::to_vec)
        .collect();
    let mut docs = Vec::new();
    let described = futures::future::join_all(batches.into_iter().map(|batch| async move {
        let wanted = GROUPS.iter().any(|g| scope.wants(TYPE, g));
        let statuses = if wanted {
            let request = client
                .describe_domains()
                .set_domain_names(Some(batch.clone()))
                .send();
            Some(
                scope
                    .read(Service::OpenSearch, DESCRIBE, request)
                    .await
                    .map(|out| out.domain_status_list().to_vec()),
            )
        } else {
            None
        };
        (batch, statuses)
    }))
    .await;
    for (batch, statuses) in described {
        for name in batch {
            let arn = scope.arn("es", &format!("domain/{name}"));
            let mut doc = scope.doc(TYPE, arn, &name);
            match &statuses {
                None => {}
                Some(Ok(list)) => match list.iter().find(|s| s.domain_name() == name) {
                    Some(status) => {
                        doc.arn = status.arn().to_string();
                        set_groups(scope, &mut doc, status);
                    }
                    // Deleted between the listing and the description.
                    None => continue,
                },
                Some(Err(e)) => scope.fail_groups(&mut doc, TYPE, &GROUPS, e),
            }
            docs.push(doc);
        }
    }
    scope
        .each(docs, |mut doc| async move {
            let arn = doc.arn.clone();
            scope
                .fill_tags(TYPE, index, &mut doc, || async move {
                    let request = client.list_tags().arn(arn).send();
                    let out = scope
                        .read(Service::OpenSearch, "es:ListTags", request)
                        .await?;
                    Ok(tag_map(out.tag_list().iter().map(|t| (t.key(), t.value()))))
                })
                .await;
            doc
        })
        .await
}

fn set_groups(scope: &Scope<'_>, doc: &mut ResourceDoc, status: &DomainStatus) {
    let at_rest = status.encryption_at_rest_options();
    let endpoint = status.domain_endpoint_options();
    let vpc = status.vpc_options();
    let vpc_id = vpc.and_then(|v| v.vpc_id());
    // A VPC domain has VPC options with subnets (AWS also names the VPC; moto only the subnets).
    let in_vpc = vpc.is_some_and(|v| vpc_id.is_some() || !v.subnet_ids().is_empty());
    let groups =
        [
            (
                "configuration",
                object(vec![("engine_version", opt_str(status.engine_version()))]),
            ),
            (
                "encryption",
                object(vec![
                    (
                        "at_rest",
                        json!(
                            at_rest.and_then(
                                aws_sdk_opensearch::types::EncryptionAtRestOptions::enabled
                            )
                        ),
                    ),
                    ("kms_key_id", opt_str(at_rest.and_then(|o| o.kms_key_id()))),
                    (
                        "node_to_node",
                        json!(status.node_to_node_encryption_options().and_then(
                            aws_sdk_opensearch::types::NodeToNodeEncryptionOptions::enabled
                        )),
                    ),
                ]),
            ),
            (
                "endpoint",
                object(vec![
                    (
                        "enforce_https",
                        json!(endpoint.and_then(
                            aws_sdk_opensearch::types::DomainEndpointOptions::enforce_https
                        )),
                    ),
                    (
                        "tls_policy",
                        opt_str(
                            endpoint
                                .and_then(|e| e.tls_security_policy())
                                .map(aws_sdk_opensearch::types::TlsSecurityPolicy::as_str),
                        ),
                    ),
                    // A VPC domain answers with `Endpoints.vpc` and no public `Endpoint`.
                    ("in_vpc", json!(in_vpc)),
                    ("vpc_id", opt_str(vpc_id)),
                    ("public_endpoint", json!(status.endpoint().is_some())),
                ]),
            ),
            ("logging", logging(status.log_publishing_options())),
            (
                "access",
                object(vec![(
                    "fine_grained",
                    json!(
                        status
                            .advanced_security_options()
                            .and_then(aws_sdk_opensearch::types::AdvancedSecurityOptions::enabled)
                            .unwrap_or(false)
                    ),
                )]),
            ),
        ];
    scope.set_wanted(TYPE, doc, groups);
}

/// Each log type: published to `CloudWatch` Logs (enabled with a log group), else false.
fn logging(options: Option<&HashMap<LogType, LogPublishingOption>>) -> Value {
    let published = |log_type: LogType| {
        options.and_then(|o| o.get(&log_type)).is_some_and(|o| {
            o.enabled() == Some(true) && o.cloud_watch_logs_log_group_arn().is_some()
        })
    };
    json!({
        "audit": published(LogType::AuditLogs),
        "application": published(LogType::EsApplicationLogs),
        "search_slow": published(LogType::SearchSlowLogs),
        "index_slow": published(LogType::IndexSlowLogs),
    })
}
