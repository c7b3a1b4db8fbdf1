//! IAM, read once per account from `GetAccountAuthorizationDetails`: customer-managed policies
//! (default version), inline policies of roles, users and groups, and the roles, users and
//! groups themselves, up to a thousand entities per request; then the AWS-managed policies
//! attached to any of them or set as a permissions boundary, one
//! `GetPolicy` + `GetPolicyVersion` each (there are rarely more than a few dozen in use). Reading them one by one would cost three to five requests per role and
//! one per policy; IAM's request rate is the lowest of any service a scan touches.
//!
//! Inline policies have no ARN of their own; their document ARN is
//! `<owner arn>/inline-policy/<policy name>`, e.g.
//! `arn:aws:iam::123456789012:role/app/inline-policy/s3-access`, unique within the account.
//! IAM is global, so its documents carry the region `global`.

use std::collections::HashMap;

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput as Details;
use aws_sdk_iam::types::{
    EntityType, GroupDetail, ManagedPolicyDetail, PolicyDetail, RoleDetail, UserDetail,
};
use serde_json::{Value, json};

use super::util::{object, opt_i64, opt_str, parse_policy_document, strings, tag_map};
use super::{Scope, Service};
use crate::inventory::{CollectionError, ResourceDoc};

const POLICY: &str = "aws.iam.policy";
const ROLE: &str = "aws.iam.role";
const USER: &str = "aws.iam.user";
const GROUP: &str = "aws.iam.group";
const GLOBAL: &str = "global";
const ACTION: &str = "iam:GetAccountAuthorizationDetails";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let wants_policies = scope.wants_type(POLICY);
    let wants_roles = scope.wants_type(ROLE);
    let wants_users = scope.wants_type(USER);
    let wants_groups = scope.wants_type(GROUP);
    if !(wants_policies || wants_roles || wants_users || wants_groups) {
        return Vec::new();
    }
    let client = aws_sdk_iam::Client::new(&scope.config);
    let mut filter = Vec::new();
    // Inline policies live in their owners' details.
    if wants_roles || wants_policies {
        filter.push(EntityType::Role);
    }
    if wants_policies {
        filter.push(EntityType::LocalManagedPolicy);
    }
    if wants_users || wants_policies {
        filter.push(EntityType::User);
    }
    // Users name their groups; the groups' details give the ARNs.
    if wants_groups || wants_users || wants_policies {
        filter.push(EntityType::Group);
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
            for (wanted, resource_type) in [
                (wants_roles, ROLE),
                (wants_policies, POLICY),
                (wants_users, USER),
                (wants_groups, GROUP),
            ] {
                if wanted {
                    scope.listing_failed(resource_type, error.clone());
                }
            }
            return Vec::new();
        }
    };
    let roles = || pages.iter().flat_map(Details::role_detail_list);
    let users = || pages.iter().flat_map(Details::user_detail_list);
    let groups = || pages.iter().flat_map(Details::group_detail_list);

    let mut docs = Vec::new();
    if wants_roles {
        docs.extend(roles().map(|role| role_doc(scope, role)));
    }
    if wants_users {
        let group_arns: HashMap<&str, &str> = groups()
            .filter_map(|g| Some((g.group_name()?, g.arn()?)))
            .collect();
        docs.extend(users().map(|user| user_doc(scope, user, &group_arns)));
    }
    if wants_groups {
        docs.extend(groups().map(|group| group_doc(scope, group)));
    }
    if wants_policies {
        let inline = roles()
            .map(|r| (r.arn(), r.role_policy_list()))
            .chain(users().map(|u| (u.arn(), u.user_policy_list())))
            .chain(groups().map(|g| (g.arn(), g.group_policy_list())));
        for (owner, policies) in inline {
            let owner = owner.unwrap_or_default();
            docs.extend(policies.iter().map(|p| inline_policy_doc(scope, owner, p)));
        }
    }
    let mut docs = scope.done(docs);
    if wants_policies {
        let client = &client;
        let managed: Vec<&ManagedPolicyDetail> = pages.iter().flat_map(Details::policies).collect();
        // AWS-managed policies are not in the details (asking for all of them would bring a
        // thousand documents); the ones attached here decide verdicts too, so read those.
        let local: std::collections::HashSet<&str> =
            managed.iter().filter_map(|p| p.arn()).collect();
        let boundaries = roles()
            .filter_map(RoleDetail::permissions_boundary)
            .chain(users().filter_map(UserDetail::permissions_boundary))
            .filter_map(|b| b.permissions_boundary_arn());
        let attached: std::collections::BTreeSet<String> = roles()
            .flat_map(RoleDetail::attached_managed_policies)
            .chain(users().flat_map(UserDetail::attached_managed_policies))
            .chain(groups().flat_map(GroupDetail::attached_managed_policies))
            .filter_map(|p| p.policy_arn())
            .chain(boundaries)
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
        let mut policies = owned_policies(
            role_arn,
            role.attached_managed_policies(),
            role.role_policy_list(),
        );
        policies.insert(
            "permissions_boundary_arn".into(),
            opt_str(
                role.permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn()),
            ),
        );
        doc.set("policies", Value::Object(policies));
    }
    if scope.wants(ROLE, "tags") {
        doc.tags = tag_map(role.tags().iter().map(|t| (t.key(), t.value())));
    }
    doc
}

/// The attached and inline policies of a role, user or group, with the ARNs the inline
/// policies' own documents carry, so rules and the permission analysis can join them.
fn owned_policies(
    owner_arn: &str,
    attached: &[aws_sdk_iam::types::AttachedPolicy],
    inline: &[PolicyDetail],
) -> serde_json::Map<String, Value> {
    let attached: Vec<&str> = attached.iter().filter_map(|p| p.policy_arn()).collect();
    let inline: Vec<&str> = inline.iter().filter_map(|p| p.policy_name()).collect();
    let inline_arns: Vec<String> = inline
        .iter()
        .map(|n| format!("{owner_arn}/inline-policy/{n}"))
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("attached_policy_arns".into(), strings(attached));
    out.insert("inline_policy_names".into(), strings(inline));
    out.insert(
        "inline_policy_arns".into(),
        strings(inline_arns.iter().map(String::as_str)),
    );
    out
}

fn user_doc(scope: &Scope<'_>, user: &UserDetail, group_arns: &HashMap<&str, &str>) -> ResourceDoc {
    let user_arn = user.arn().unwrap_or_default();
    let mut doc = ResourceDoc::new(USER, user_arn, &scope.account, GLOBAL);
    doc.name = user.user_name().unwrap_or_default().to_string();
    if scope.wants(USER, "policies") {
        let mut policies = owned_policies(
            user_arn,
            user.attached_managed_policies(),
            user.user_policy_list(),
        );
        let mut groups = Vec::new();
        let mut unknown = Vec::new();
        for name in user.group_list() {
            match group_arns.get(name.as_str()) {
                Some(arn) => groups.push(*arn),
                None => unknown.push(name.as_str()),
            }
        }
        if unknown.is_empty() {
            policies.insert("group_arns".into(), strings(groups));
            policies.insert(
                "permissions_boundary_arn".into(),
                opt_str(
                    user.permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn()),
                ),
            );
            doc.set("policies", Value::Object(policies));
        } else {
            // A group whose policies cannot be found could grant or deny anything.
            doc.fail(
                "policies",
                CollectionError::new(
                    ACTION,
                    "Incomplete",
                    format!(
                        "groups {} are not in the authorization details",
                        unknown.join(", ")
                    ),
                ),
            );
        }
    }
    if scope.wants(USER, "tags") {
        doc.tags = tag_map(user.tags().iter().map(|t| (t.key(), t.value())));
    }
    doc
}

fn group_doc(scope: &Scope<'_>, group: &GroupDetail) -> ResourceDoc {
    let group_arn = group.arn().unwrap_or_default();
    let mut doc = ResourceDoc::new(GROUP, group_arn, &scope.account, GLOBAL);
    doc.name = group.group_name().unwrap_or_default().to_string();
    if scope.wants(GROUP, "policies") {
        let policies = owned_policies(
            group_arn,
            group.attached_managed_policies(),
            group.group_policy_list(),
        );
        doc.set("policies", Value::Object(policies));
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
        // The statements are always kept: `analysis` and principals' permissions are derived
        // from them (crate::derived), after collection as after loading an inventory.
        Ok(document) => {
            let mut pairs = head;
            pairs.push((
                "statements",
                Value::Array(crate::iam_policy::normalize_statements(&document)),
            ));
            doc.set("policy", object(pairs));
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
