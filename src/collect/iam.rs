//! IAM, read once per account from GetAccountAuthorizationDetails: customer-managed policies
//! (default version), inline policies of roles, users and groups, and roles, up to a thousand
//! entities per request. Reading them one by one would cost three to five requests per role and
//! one per policy; IAM's request rate is the lowest of any service a scan touches.
//!
//! Inline policies have no ARN of their own; their document ARN is
//! `<owner arn>/inline-policy/<policy name>`, e.g.
//! `arn:aws:iam::123456789012:role/app/inline-policy/s3-access`, unique within the account.
//! IAM is global, so its documents carry the region `global`.

use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, PolicyDetail, RoleDetail};
use serde_json::{Value, json};

use super::util::{object, opt_i64, parse_policy_document, strings, tag_map};
use super::{Scope, Service, error};
use crate::inventory::ResourceDoc;

const POLICY: &str = "aws.iam.policy";
const ROLE: &str = "aws.iam.role";
const GLOBAL: &str = "global";
const ACTION: &str = "iam:GetAccountAuthorizationDetails";

/// Everything one GetAccountAuthorizationDetails listing returned, over all pages.
#[derive(Default)]
struct Details {
    policies: Vec<ManagedPolicyDetail>,
    roles: Vec<RoleDetail>,
    /// Inline policies of users and groups: (owner ARN, policy).
    other_inline: Vec<(String, PolicyDetail)>,
}

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let wants_policies = scope.wants_type(POLICY);
    let wants_roles = scope.wants_type(ROLE);
    if !wants_policies && !wants_roles {
        return Vec::new();
    }
    let client = aws_sdk_iam::Client::new(&scope.config);
    let mut filter = vec![EntityType::Role];
    if wants_policies {
        filter.extend([
            EntityType::LocalManagedPolicy,
            EntityType::User,
            EntityType::Group,
        ]);
    }
    let details = match authorization_details(scope, &client, filter).await {
        Ok(details) => details,
        Err(reason) => {
            for (wanted, resource_type) in [(wants_roles, ROLE), (wants_policies, POLICY)] {
                if wanted {
                    scope.listing_failed(resource_type, reason.clone());
                }
            }
            return Vec::new();
        }
    };

    let mut docs = Vec::new();
    if wants_roles {
        docs.extend(details.roles.iter().map(|role| role_doc(scope, role)));
    }
    if wants_policies {
        for role in &details.roles {
            let owner = role.arn().unwrap_or_default();
            for policy in role.role_policy_list() {
                docs.push(inline_policy_doc(scope, owner, policy));
            }
        }
        for (owner, policy) in &details.other_inline {
            docs.push(inline_policy_doc(scope, owner, policy));
        }
    }
    let mut docs = scope.done(docs);
    if wants_policies {
        let client = &client;
        docs.extend(
            scope
                .each(details.policies, |policy| async move {
                    managed_policy_doc(scope, client, policy).await
                })
                .await,
        );
    }
    docs
}

async fn authorization_details(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    filter: Vec<EntityType>,
) -> Result<Details, String> {
    let mut details = Details::default();
    let mut pages = client
        .get_account_authorization_details()
        .set_filter(Some(filter))
        .max_items(1000)
        .into_paginator()
        .send();
    while let Some(page) = scope.call(Service::Iam, pages.next()).await {
        let page = page.map_err(|e| error::reason(&e, ACTION))?;
        details.policies.extend(page.policies().iter().cloned());
        details
            .roles
            .extend(page.role_detail_list().iter().cloned());
        for user in page.user_detail_list() {
            let owner = user.arn().unwrap_or_default();
            details.other_inline.extend(
                user.user_policy_list()
                    .iter()
                    .map(|p| (owner.to_string(), p.clone())),
            );
        }
        for group in page.group_detail_list() {
            let owner = group.arn().unwrap_or_default();
            details.other_inline.extend(
                group
                    .group_policy_list()
                    .iter()
                    .map(|p| (owner.to_string(), p.clone())),
            );
        }
    }
    Ok(details)
}

async fn managed_policy_doc(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    policy: ManagedPolicyDetail,
) -> ResourceDoc {
    let arn = policy.arn().unwrap_or_default().to_string();
    let mut doc = ResourceDoc::new(POLICY, arn.clone(), &scope.account, GLOBAL);
    // moto leaves PolicyName out of these details; the ARN ends in the name in any case.
    doc.name = policy
        .policy_name()
        .or_else(|| arn.rsplit('/').next())
        .unwrap_or_default()
        .to_string();
    if scope.wants(POLICY, "policy") || scope.wants(POLICY, "analysis") {
        let default = policy
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version());
        let document = match default.and_then(|v| v.document()) {
            Some(raw) => parse_policy_document(raw).map_err(|e| format!("{e} ({ACTION})")),
            None => Err(format!(
                "EmptyResponse: no default version document ({ACTION})"
            )),
        };
        let head = vec![
            ("kind", json!("managed")),
            (
                "attachment_count",
                opt_i64(policy.attachment_count().map(i64::from)),
            ),
        ];
        set_policy_groups(scope, &mut doc, head, document);
    }
    // The one thing the authorization details leave out of a managed policy.
    if scope.wants(POLICY, "tags") {
        let mut pages = client
            .list_policy_tags()
            .policy_arn(&arn)
            .into_paginator()
            .send();
        while let Some(page) = scope.call(Service::Iam, pages.next()).await {
            match page {
                Ok(page) => doc
                    .tags
                    .extend(tag_map(page.tags().iter().map(|t| (t.key(), t.value())))),
                Err(e) => {
                    doc.fail("tags", error::reason(&e, "iam:ListPolicyTags"));
                    break;
                }
            }
        }
    }
    doc
}

fn inline_policy_doc(scope: &Scope<'_>, owner_arn: &str, policy: &PolicyDetail) -> ResourceDoc {
    let name = policy.policy_name().unwrap_or_default();
    let arn = format!("{owner_arn}/inline-policy/{name}");
    let mut doc = ResourceDoc::new(POLICY, arn, &scope.account, GLOBAL);
    doc.name = name.to_string();
    if scope.wants(POLICY, "policy") || scope.wants(POLICY, "analysis") {
        let document = match policy.policy_document() {
            Some(raw) => parse_policy_document(raw).map_err(|e| format!("{e} ({ACTION})")),
            None => Err(format!("EmptyResponse: no policy document ({ACTION})")),
        };
        let head = vec![("kind", json!("inline")), ("owner_arn", json!(owner_arn))];
        set_policy_groups(scope, &mut doc, head, document);
    }
    // Inline policies cannot be tagged: `tags` stays an empty map.
    doc
}

fn role_doc(scope: &Scope<'_>, role: &RoleDetail) -> ResourceDoc {
    let role_arn = role.arn().unwrap_or_default();
    let mut doc = ResourceDoc::new(ROLE, role_arn, &scope.account, GLOBAL);
    doc.name = role.role_name().unwrap_or_default().to_string();
    if scope.wants(ROLE, "trust") {
        match role
            .assume_role_policy_document()
            .map(parse_policy_document)
        {
            Some(Ok(trust)) => {
                let (services, accounts) = trust_principals(&trust);
                doc.set(
                    "trust",
                    json!({ "service_principals": services, "aws_principals": accounts }),
                );
            }
            Some(Err(reason)) => doc.fail("trust", format!("{reason} ({ACTION})")),
            None => doc.set(
                "trust",
                json!({ "service_principals": [], "aws_principals": [] }),
            ),
        }
    }
    if scope.wants(ROLE, "policies") {
        let attached: Vec<&str> = role
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .collect();
        let inline: Vec<&str> = role
            .role_policy_list()
            .iter()
            .filter_map(|p| p.policy_name())
            .collect();
        // The same ARNs the inline policies' own documents carry, so rules can join them.
        let inline_arns: Vec<String> = inline
            .iter()
            .map(|n| format!("{role_arn}/inline-policy/{n}"))
            .collect();
        doc.set(
            "policies",
            json!({
                "attached_policy_arns": strings(attached),
                "inline_policy_names": strings(inline),
                "inline_policy_arns": strings(inline_arns.iter().map(String::as_str)),
            }),
        );
    }
    if scope.wants(ROLE, "tags") {
        doc.tags = tag_map(role.tags().iter().map(|t| (t.key(), t.value())));
    }
    doc
}

fn set_policy_groups(
    scope: &Scope<'_>,
    doc: &mut ResourceDoc,
    head: Vec<(&str, Value)>,
    document: Result<Value, String>,
) {
    match document {
        Ok(document) => {
            let (statements, analysis) = crate::iam_policy::analyze(&document);
            if scope.wants(POLICY, "policy") {
                let mut pairs = head;
                pairs.push(("statements", Value::Array(statements)));
                doc.set("policy", object(pairs));
            }
            if scope.wants(POLICY, "analysis") {
                doc.set("analysis", analysis);
            }
        }
        Err(reason) => {
            for group in ["policy", "analysis"] {
                if scope.wants(POLICY, group) {
                    doc.fail(group, reason.clone());
                }
            }
        }
    }
}

/// Service and AWS principals of the Allow statements of a trust policy, sorted and unique.
fn trust_principals(trust: &Value) -> (Vec<String>, Vec<String>) {
    let statements = match trust.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    let mut services = Vec::new();
    let mut accounts = Vec::new();
    for statement in statements {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        match statement.get("Principal") {
            Some(Value::String(p)) => accounts.push(p.clone()),
            Some(Value::Object(map)) => {
                for (key, target) in [("Service", &mut services), ("AWS", &mut accounts)] {
                    match map.get(key) {
                        Some(Value::String(p)) => target.push(p.clone()),
                        Some(Value::Array(items)) => target
                            .extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    for list in [&mut services, &mut accounts] {
        list.sort();
        list.dedup();
    }
    (services, accounts)
}
