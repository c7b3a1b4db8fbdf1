//! IAM, read once per account: customer-managed policies (default version), inline policies of
//! roles, users and groups, and roles.
//!
//! Inline policies have no ARN of their own; their document ARN is
//! `<owner arn>/inline-policy/<policy name>`, e.g.
//! `arn:aws:iam::123456789012:role/app/inline-policy/s3-access`, unique within the account.
//! IAM is global, so its documents carry the region `global`.

use futures::StreamExt;
use serde_json::{Value, json};

use super::util::{object, opt_i64, parse_policy_document, strings, tag_map};
use super::{Scope, Service, error};
use crate::inventory::ResourceDoc;

const POLICY: &str = "aws.iam.policy";
const ROLE: &str = "aws.iam.role";
const GLOBAL: &str = "global";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let wants_policies = scope.wants_type(POLICY);
    let wants_roles = scope.wants_type(ROLE);
    if !wants_policies && !wants_roles {
        return Vec::new();
    }
    let client = aws_sdk_iam::Client::new(&scope.config);
    let client = &client;
    let mut docs = Vec::new();
    if wants_policies {
        docs.extend(managed_policies(scope, client).await);
    }

    // Owners of inline policies: (kind, name, arn).
    let mut owners: Vec<(Owner, String, String)> = Vec::new();
    let mut roles = Vec::new();
    let mut pages = client.list_roles().into_paginator().send();
    while let Some(page) = scope.call(Service::Iam, pages.next()).await {
        match page {
            Ok(page) => roles.extend(page.roles().iter().cloned()),
            Err(e) => {
                let reason = error::reason(&e, "iam:ListRoles");
                if wants_roles {
                    scope.listing_failed(ROLE, reason.clone());
                }
                if wants_policies {
                    scope.listing_failed(POLICY, reason);
                }
                roles.clear();
                break;
            }
        }
    }
    if wants_roles {
        let role_docs = scope
            .each(roles.clone(), |role| async move {
                read_role(scope, client, role).await
            })
            .await;
        docs.extend(role_docs);
    }
    if wants_policies {
        owners.extend(
            roles
                .iter()
                .map(|r| (Owner::Role, r.role_name().to_string(), r.arn().to_string())),
        );
        let mut pages = client.list_users().into_paginator().send();
        while let Some(page) = scope.call(Service::Iam, pages.next()).await {
            match page {
                Ok(page) => owners.extend(
                    page.users()
                        .iter()
                        .map(|u| (Owner::User, u.user_name().to_string(), u.arn().to_string())),
                ),
                Err(e) => {
                    scope.listing_failed(POLICY, error::reason(&e, "iam:ListUsers"));
                    break;
                }
            }
        }
        let mut pages = client.list_groups().into_paginator().send();
        while let Some(page) = scope.call(Service::Iam, pages.next()).await {
            match page {
                Ok(page) => owners.extend(page.groups().iter().map(|g| {
                    (
                        Owner::Group,
                        g.group_name().to_string(),
                        g.arn().to_string(),
                    )
                })),
                Err(e) => {
                    scope.listing_failed(POLICY, error::reason(&e, "iam:ListGroups"));
                    break;
                }
            }
        }
        let mut stream = futures::stream::iter(owners)
            .map(|(kind, name, arn)| async move {
                inline_policies(scope, client, kind, name, arn).await
            })
            .buffer_unordered(scope.concurrency);
        while let Some(inline) = stream.next().await {
            docs.extend(inline);
        }
    }
    docs
}

async fn managed_policies(scope: &Scope<'_>, client: &aws_sdk_iam::Client) -> Vec<ResourceDoc> {
    let mut policies = Vec::new();
    let request = client
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local);
    let mut pages = request.into_paginator().send();
    while let Some(page) = scope.call(Service::Iam, pages.next()).await {
        match page {
            Ok(page) => policies.extend(page.policies().iter().cloned()),
            Err(e) => {
                scope.listing_failed(POLICY, error::reason(&e, "iam:ListPolicies"));
                return Vec::new();
            }
        }
    }
    scope
        .each(policies, |policy| async move {
            let arn = policy.arn().unwrap_or_default().to_string();
            let name = policy.policy_name().unwrap_or_default();
            let mut doc = ResourceDoc::new(POLICY, arn.clone(), &scope.account, GLOBAL);
            doc.name = name.to_string();
            if scope.wants(POLICY, "policy") || scope.wants(POLICY, "analysis") {
                let document = match policy.default_version_id() {
                    Some(version) => {
                        let request = client
                            .get_policy_version()
                            .policy_arn(&arn)
                            .version_id(version);
                        match scope.call(Service::Iam, request.send()).await {
                            Ok(out) => match out.policy_version().and_then(|v| v.document()) {
                                Some(raw) => parse_policy_document(raw)
                                    .map_err(|e| format!("{e} (iam:GetPolicyVersion)")),
                                None => {
                                    Err("EmptyResponse: no policy document (iam:GetPolicyVersion)"
                                        .to_string())
                                }
                            },
                            Err(e) => Err(error::reason(&e, "iam:GetPolicyVersion")),
                        }
                    }
                    None => Err(
                        "EmptyResponse: ListPolicies gave no default version (iam:ListPolicies)"
                            .to_string(),
                    ),
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
        })
        .await
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    Role,
    User,
    Group,
}

async fn inline_policies(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    kind: Owner,
    owner_name: String,
    owner_arn: String,
) -> Vec<ResourceDoc> {
    let listed = match kind {
        Owner::Role => inline_policy_names(scope, client, &owner_name).await,
        Owner::User => {
            let mut names = Vec::new();
            let mut pages = client
                .list_user_policies()
                .user_name(&owner_name)
                .into_paginator()
                .send();
            while let Some(page) = scope.call(Service::Iam, pages.next()).await {
                match page {
                    Ok(page) => names.extend(page.policy_names().iter().cloned()),
                    Err(e) => {
                        return fail_listing(scope, error::reason(&e, "iam:ListUserPolicies"));
                    }
                }
            }
            Ok(names)
        }
        Owner::Group => {
            let mut names = Vec::new();
            let mut pages = client
                .list_group_policies()
                .group_name(&owner_name)
                .into_paginator()
                .send();
            while let Some(page) = scope.call(Service::Iam, pages.next()).await {
                match page {
                    Ok(page) => names.extend(page.policy_names().iter().cloned()),
                    Err(e) => {
                        return fail_listing(scope, error::reason(&e, "iam:ListGroupPolicies"));
                    }
                }
            }
            Ok(names)
        }
    };
    let names = match listed {
        Ok(names) => names,
        Err(reason) => return fail_listing(scope, reason),
    };
    let owner_name = &owner_name;
    let owner_arn = &owner_arn;
    scope
        .each(names, |name| async move {
            let arn = format!("{owner_arn}/inline-policy/{name}");
            let mut doc = ResourceDoc::new(POLICY, arn, &scope.account, GLOBAL);
            doc.name = name.clone();
            if scope.wants(POLICY, "policy") || scope.wants(POLICY, "analysis") {
                let raw = match kind {
                    Owner::Role => scope
                        .call(
                            Service::Iam,
                            client
                                .get_role_policy()
                                .role_name(owner_name)
                                .policy_name(&name)
                                .send(),
                        )
                        .await
                        .map(|o| o.policy_document().to_string())
                        .map_err(|e| error::reason(&e, "iam:GetRolePolicy")),
                    Owner::User => scope
                        .call(
                            Service::Iam,
                            client
                                .get_user_policy()
                                .user_name(owner_name)
                                .policy_name(&name)
                                .send(),
                        )
                        .await
                        .map(|o| o.policy_document().to_string())
                        .map_err(|e| error::reason(&e, "iam:GetUserPolicy")),
                    Owner::Group => scope
                        .call(
                            Service::Iam,
                            client
                                .get_group_policy()
                                .group_name(owner_name)
                                .policy_name(&name)
                                .send(),
                        )
                        .await
                        .map(|o| o.policy_document().to_string())
                        .map_err(|e| error::reason(&e, "iam:GetGroupPolicy")),
                };
                let document = raw.and_then(|raw| parse_policy_document(&raw));
                let head = vec![("kind", json!("inline")), ("owner_arn", json!(owner_arn))];
                set_policy_groups(scope, &mut doc, head, document);
            }
            // Inline policies cannot be tagged: `tags` stays an empty map.
            doc
        })
        .await
}

/// A failed List*Policies: the owner's inline policies are unknown, which is a listing failure.
fn fail_listing<T: Default>(scope: &Scope<'_>, reason: String) -> T {
    scope.listing_failed(POLICY, reason);
    T::default()
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

async fn inline_policy_names(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut pages = client
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    while let Some(page) = scope.call(Service::Iam, pages.next()).await {
        let page = page.map_err(|e| error::reason(&e, "iam:ListRolePolicies"))?;
        names.extend(page.policy_names().iter().cloned());
    }
    Ok(names)
}

async fn read_role(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    role: aws_sdk_iam::types::Role,
) -> ResourceDoc {
    let name = role.role_name().to_string();
    let mut doc = ResourceDoc::new(ROLE, role.arn(), &scope.account, GLOBAL);
    doc.name = name.clone();
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
            Some(Err(reason)) => doc.fail("trust", format!("{reason} (iam:ListRoles)")),
            None => doc.set(
                "trust",
                json!({ "service_principals": [], "aws_principals": [] }),
            ),
        }
    }
    if scope.wants(ROLE, "policies") {
        let mut attached = Vec::new();
        let mut failure = None;
        let mut pages = client
            .list_attached_role_policies()
            .role_name(&name)
            .into_paginator()
            .send();
        while let Some(page) = scope.call(Service::Iam, pages.next()).await {
            match page {
                Ok(page) => attached.extend(
                    page.attached_policies()
                        .iter()
                        .filter_map(|p| p.policy_arn())
                        .map(str::to_string),
                ),
                Err(e) => {
                    failure = Some(error::reason(&e, "iam:ListAttachedRolePolicies"));
                    break;
                }
            }
        }
        let inline = match failure {
            Some(reason) => Err(reason),
            None => inline_policy_names(scope, client, &name).await,
        };
        match inline {
            Ok(inline) => {
                // The same ARNs the inline policies' own documents carry, so rules can join them.
                let inline_arns: Vec<String> = inline
                    .iter()
                    .map(|n| format!("{}/inline-policy/{n}", role.arn()))
                    .collect();
                doc.set(
                    "policies",
                    json!({
                        "attached_policy_arns": strings(attached.iter().map(String::as_str)),
                        "inline_policy_names": strings(inline.iter().map(String::as_str)),
                        "inline_policy_arns": strings(inline_arns.iter().map(String::as_str)),
                    }),
                )
            }
            Err(reason) => doc.fail("policies", reason),
        }
    }
    if scope.wants(ROLE, "tags") {
        let mut pages = client
            .list_role_tags()
            .role_name(&name)
            .into_paginator()
            .send();
        while let Some(page) = scope.call(Service::Iam, pages.next()).await {
            match page {
                Ok(page) => doc
                    .tags
                    .extend(tag_map(page.tags().iter().map(|t| (t.key(), t.value())))),
                Err(e) => {
                    doc.fail("tags", error::reason(&e, "iam:ListRoleTags"));
                    break;
                }
            }
        }
    }
    doc
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
