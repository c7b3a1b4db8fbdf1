//! IAM, read once per account from `GetAccountAuthorizationDetails`: customer-managed policies
//! (default version), inline policies of roles, users and groups, and roles, up to a thousand
//! entities per request; then the AWS-managed policies attached to any of them, one
//! `GetPolicy` + `GetPolicyVersion` each (there are rarely more than a few dozen in use). Reading them one by one would cost three to five requests per role and
//! one per policy; IAM's request rate is the lowest of any service a scan touches.
//!
//! Inline policies have no ARN of their own; their document ARN is
//! `<owner arn>/inline-policy/<policy name>`, e.g.
//! `arn:aws:iam::123456789012:role/app/inline-policy/s3-access`, unique within the account.
//! IAM is global, so its documents carry the region `global`.

use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, PolicyDetail, RoleDetail};
use serde_json::{Value, json};

use super::util::{object, opt_i64, parse_policy_document, strings, tag_map};
use super::{Scope, Service};
use crate::inventory::{CollectionError, ResourceDoc};

const POLICY: &str = "aws.iam.policy";
const ROLE: &str = "aws.iam.role";
const GLOBAL: &str = "global";
const ACTION: &str = "iam:GetAccountAuthorizationDetails";

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
    let pages = client
        .get_account_authorization_details()
        .set_filter(Some(filter))
        .max_items(1000)
        .into_paginator()
        .send();
    let pages = match scope.pages(Service::Iam, ACTION, pages).await {
        Ok(pages) => pages,
        Err(error) => {
            for (wanted, resource_type) in [(wants_roles, ROLE), (wants_policies, POLICY)] {
                if wanted {
                    scope.listing_failed(resource_type, error.clone());
                }
            }
            return Vec::new();
        }
    };
    let roles = || {
        pages.iter().flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::role_detail_list)
    };

    let mut docs = Vec::new();
    if wants_roles {
        docs.extend(roles().map(|role| role_doc(scope, role)));
    }
    if wants_policies {
        let inline = roles()
            .map(|r| (r.arn(), r.role_policy_list()))
            .chain(
                pages
                    .iter()
                    .flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::user_detail_list)
                    .map(|u| (u.arn(), u.user_policy_list())),
            )
            .chain(
                pages
                    .iter()
                    .flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::group_detail_list)
                    .map(|g| (g.arn(), g.group_policy_list())),
            );
        for (owner, policies) in inline {
            let owner = owner.unwrap_or_default();
            docs.extend(policies.iter().map(|p| inline_policy_doc(scope, owner, p)));
        }
    }
    let mut docs = scope.done(docs);
    if wants_policies {
        let client = &client;
        let managed: Vec<&ManagedPolicyDetail> = pages.iter().flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::policies).collect();
        // AWS-managed policies are not in the details (asking for all of them would bring a
        // thousand documents); the ones attached here decide verdicts too, so read those.
        let local: std::collections::HashSet<&str> =
            managed.iter().filter_map(|p| p.arn()).collect();
        let attached: std::collections::BTreeSet<String> = roles()
            .flat_map(RoleDetail::attached_managed_policies)
            .chain(pages.iter().flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::user_detail_list).flat_map(aws_sdk_iam::types::UserDetail::attached_managed_policies))
            .chain(pages.iter().flat_map(aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::group_detail_list).flat_map(aws_sdk_iam::types::GroupDetail::attached_managed_policies))
            .filter_map(|p| p.policy_arn())
            .filter(|arn| !local.contains(arn))
            .map(str::to_string)
            .collect();
        docs.extend(
            scope
                .each(managed, |policy| async move {
                    managed_policy_doc(scope, client, policy).await
                })
                .await,
        );
        docs.extend(
            scope
                .each(attached.into_iter().collect(), |arn| async move {
                    aws_managed_policy_doc(scope, client, arn).await
                })
                .await,
        );
    }
    docs
}

/// An attached policy that the authorization details leave out (AWS-managed): its default
/// version through `iam:GetPolicy` and `iam:GetPolicyVersion`. A failure of either call fails
/// the document's groups, so rules that read them are ERROR rather than "no such policy".
async fn aws_managed_policy_doc(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    arn: String,
) -> ResourceDoc {
    let mut doc = ResourceDoc::new(POLICY, arn.clone(), &scope.account, GLOBAL);
    doc.name = arn.rsplit('/').next().unwrap_or_default().to_string();
    if !(scope.wants(POLICY, "policy") || scope.wants(POLICY, "analysis")) {
        return doc;
    }
    let read = async {
        let policy = scope
            .read(
                Service::Iam,
                "iam:GetPolicy",
                client.get_policy().policy_arn(&arn).send(),
            )
            .await?;
        let policy = policy.policy().ok_or_else(|| {
            CollectionError::new("iam:GetPolicy", "EmptyResponse", "no policy in the answer")
        })?;
        let version_id = policy.default_version_id().unwrap_or("v1").to_string();
        let attachments = policy.attachment_count();
        let version = scope
            .read(
                Service::Iam,
                "iam:GetPolicyVersion",
                client
                    .get_policy_version()
                    .policy_arn(&arn)
                    .version_id(&version_id)
                    .send(),
            )
            .await?;
        let document = version
            .policy_version()
            .and_then(|v| v.document())
            .ok_or_else(|| {
                CollectionError::new(
                    "iam:GetPolicyVersion",
                    "EmptyResponse",
                    "no default version document",
                )
            })
            .and_then(|raw| parse_policy_document(raw, "iam:GetPolicyVersion"))?;
        Ok::<_, CollectionError>((attachments, document))
    };
    match read.await {
        Ok((attachments, document)) => {
            let head = vec![
                ("kind", json!("aws-managed")),
                ("attachment_count", opt_i64(attachments.map(i64::from))),
            ];
            set_policy_groups(scope, &mut doc, head, Ok(document));
        }
        Err(error) => set_policy_groups(scope, &mut doc, Vec::new(), Err(error)),
    }
    // AWS-managed policies cannot be tagged: `tags` stays an empty map.
    doc
}

async fn managed_policy_doc(
    scope: &Scope<'_>,
    client: &aws_sdk_iam::Client,
    policy: &ManagedPolicyDetail,
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
            Some(raw) => parse_policy_document(raw, ACTION),
            None => Err(CollectionError::new(
                ACTION,
                "EmptyResponse",
                "no default version document",
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
    let pages = client.list_policy_tags().policy_arn(&arn).into_paginator();
    scope
        .fill_tags(POLICY, None, &mut doc, || async move {
            let pages = scope
                .pages(Service::Iam, "iam:ListPolicyTags", pages.send())
                .await?;
            let tags = pages
                .iter()
                .flat_map(aws_sdk_iam::operation::list_policy_tags::ListPolicyTagsOutput::tags);
            Ok(tag_map(tags.map(|t| (t.key(), t.value()))))
        })
        .await;
    doc
}

fn inline_policy_doc(scope: &Scope<'_>, owner_arn: &str, policy: &PolicyDetail) -> ResourceDoc {
    let name = policy.policy_name().unwrap_or_default();
    let arn = format!("{owner_arn}/inline-policy/{name}");
    let mut doc = ResourceDoc::new(POLICY, arn, &scope.account, GLOBAL);
    doc.name = name.to_string();
    if scope.wants(POLICY, "policy") || scope.wants(POLICY, "analysis") {
        let document = match policy.policy_document() {
            Some(raw) => parse_policy_document(raw, ACTION),
            None => Err(CollectionError::new(
                ACTION,
                "EmptyResponse",
                "no policy document",
            )),
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
            .map(|raw| parse_policy_document(raw, ACTION))
        {
            Some(Ok(trust)) => {
                let (services, accounts) = trust_principals(&trust);
                doc.set(
                    "trust",
                    json!({ "service_principals": services, "aws_principals": accounts }),
                );
            }
            Some(Err(error)) => doc.fail("trust", error),
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
    document: Result<Value, CollectionError>,
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
        Err(error) => scope.fail_groups(doc, POLICY, &["policy", "analysis"], &error),
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
