//! The table of `cases.yaml`: policy sets and the admin verdict and escalation paths the
//! principal analysis must find on them.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{escalation, policy_analysis, principals};
use crate::iam_policy::normalize_statements;
use crate::inventory::ResourceDoc;

const ACCOUNT: &str = "111122223333";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    principal: Option<String>,
    policies: std::collections::BTreeMap<String, Value>,
    #[serde(default)]
    attached: Vec<String>,
    #[serde(default)]
    groups: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    boundary: Option<String>,
    #[serde(default)]
    trusts: std::collections::BTreeMap<String, Vec<String>>,
    admin: bool,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    path_count: Option<String>,
    #[serde(default)]
    conditions: Option<String>,
}

impl Case {
    /// A role holding these attached policies, named as given.
    fn holding(policies: &[(&str, Value)]) -> Self {
        Case {
            name: "holding".into(),
            policies: policies
                .iter()
                .map(|(n, d)| ((*n).to_string(), d.clone()))
                .collect(),
            attached: policies.iter().map(|(n, _)| (*n).to_string()).collect(),
            ..Case::default()
        }
    }
}

fn policy_arn(name: &str) -> String {
    match name.strip_prefix("aws/") {
        Some(managed) => format!("arn:aws:iam::aws:policy/{managed}"),
        None => format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
    }
}

fn docs_of(case: &Case) -> Vec<ResourceDoc> {
    let user = case.principal.as_deref() == Some("user");
    let (ty, arn) = if user {
        (
            "aws.iam.user",
            format!("arn:aws:iam::{ACCOUNT}:user/subject"),
        )
    } else {
        (
            "aws.iam.role",
            format!("arn:aws:iam::{ACCOUNT}:role/subject"),
        )
    };
    let mut docs = Vec::new();
    let mut subject = ResourceDoc::new(ty, arn, ACCOUNT, "global");
    let arns = |names: &[String]| names.iter().map(|n| policy_arn(n)).collect::<Vec<_>>();
    let group_arns: Vec<String> = case
        .groups
        .keys()
        .map(|g| format!("arn:aws:iam::{ACCOUNT}:group/{g}"))
        .collect();
    subject.set(
        "policies",
        json!({
            "attached_policy_arns": arns(&case.attached),
            "inline_policy_arns": [],
            "group_arns": if user { json!(group_arns) } else { Value::Null },
            "permissions_boundary_arn": case.boundary.as_deref().map(policy_arn),
        }),
    );
    docs.push(subject);
    for (group, policies) in &case.groups {
        let mut doc = ResourceDoc::new(
            "aws.iam.group",
            format!("arn:aws:iam::{ACCOUNT}:group/{group}"),
            ACCOUNT,
            "global",
        );
        doc.set(
            "policies",
            json!({ "attached_policy_arns": arns(policies), "inline_policy_arns": [] }),
        );
        docs.push(doc);
    }
    for (name, document) in &case.policies {
        let mut doc = ResourceDoc::new("aws.iam.policy", policy_arn(name), ACCOUNT, "global");
        doc.set(
            "policy",
            json!({ "kind": "managed", "statements": normalize_statements(document) }),
        );
        docs.push(doc);
    }
    for (role, admitted) in &case.trusts {
        let mut doc = ResourceDoc::new(
            "aws.iam.role",
            format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
            ACCOUNT,
            "global",
        );
        doc.set(
            "trust",
            json!({ "service_principals": [], "aws_principals": admitted }),
        );
        docs.push(doc);
    }
    docs
}

#[test]
fn the_principal_analysis_finds_the_listed_paths() {
    let cases: Vec<Case> = serde_json::from_value(
        crate::yaml::parse(include_str!("cases.yaml")).expect("cases parse")[0].to_json(),
    )
    .expect("cases shape");
    assert!(cases.len() >= 12, "{} cases", cases.len());
    let without_trust = escalation::catalog()
        .iter()
        .filter(|p| p.judged_on_a_policy())
        .count();
    let mut wrong = Vec::new();
    for case in &cases {
        let now = case
            .now
            .as_deref()
            .map_or(time::macros::datetime!(2026-06-01 00:00 UTC), |t| {
                OffsetDateTime::parse(t, &Rfc3339).expect("now")
            });
        let mut docs = docs_of(case);
        principals(&mut docs, now);
        let subject = &docs[0];
        let Some(permissions) = subject.attributes.get("permissions") else {
            wrong.push(format!(
                "{}: no permissions ({:?})",
                case.name, subject.errors
            ));
            continue;
        };
        if permissions["allows_admin"] != json!(case.admin) {
            wrong.push(format!(
                "{}: allows_admin is {}",
                case.name, permissions["allows_admin"]
            ));
        }
        let found: BTreeSet<String> = permissions["privilege_escalation_paths"]
            .as_array()
            .expect("paths")
            .iter()
            .map(|p| p.as_str().expect("id").to_string())
            .collect();
        if let Some(expected) = &case.paths {
            let expected: BTreeSet<String> = expected.iter().cloned().collect();
            if found != expected {
                wrong.push(format!(
                    "{}: paths {found:?}, expected {expected:?}",
                    case.name
                ));
            }
        }
        if case.path_count.as_deref() == Some("all-without-trust") && found.len() != without_trust {
            wrong.push(format!(
                "{}: {} paths, expected {without_trust}",
                case.name,
                found.len()
            ));
        }
        if let Some(condition) = &case.conditions {
            let text = permissions["escalation_grants"].to_string();
            if !text.contains(condition.as_str()) {
                wrong.push(format!(
                    "{}: no step is allowed under `{condition}`: {text}",
                    case.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn evidence_names_the_policy_and_statement_of_each_step() {
    let case = Case::holding(&[
        (
            "pass",
            json!({"Statement": {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}),
        ),
        (
            "fn",
            json!({"Statement": {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}}),
        ),
    ]);
    let mut docs = docs_of(&case);
    principals(&mut docs, time::macros::datetime!(2026-06-01 00:00 UTC));
    let permissions = &docs[0].attributes["permissions"];
    assert_eq!(
        permissions["privilege_escalation_paths"],
        json!(["iam-passrole-lambda-create-function-invoke"])
    );
    assert_eq!(
        permissions["escalation_grants"],
        json!([
            {"statement": format!("arn:aws:iam::{ACCOUNT}:policy/fn #0"),
             "actions": ["lambda:CreateFunction", "lambda:InvokeFunction"],
             "allowed_on": ["*"], "allowed_under_conditions": []},
            {"statement": format!("arn:aws:iam::{ACCOUNT}:policy/pass Pass"),
             "actions": ["iam:PassRole"], "allowed_on": ["*"], "allowed_under_conditions": []},
        ])
    );
}

#[test]
fn one_policy_is_analysed_alone() {
    let facts = |document: Value| {
        policy_analysis(
            &normalize_statements(&document),
            time::macros::datetime!(2026-06-01 00:00 UTC),
        )
    };
    let f = facts(
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "ec2:Describe*", "dynamodb:PutItem"], "Resource": "*"}]}),
    );
    assert_eq!(f["service_wildcards_on_all_resources"], json!(["s3:*"]));
    assert_eq!(
        f["write_actions_on_all_resources"],
        json!(["dynamodb:putitem", "s3:*"])
    );
    assert_eq!(f["allows_admin"], false);
    let f = facts(json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}));
    assert_eq!(f["admin_statements"], json!(["#0"]));
    let f = facts(
        json!({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    assert_eq!(f["admin_statements"], json!(["A"]));
    let iam_all =
        facts(json!({"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}}));
    let paths = iam_all["privilege_escalation_paths"]
        .as_array()
        .expect("paths")
        .len();
    assert!(paths >= 12, "iam:* completes the IAM paths, got {paths}");
    let denied = facts(json!({"Statement": [
        {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"}]}));
    assert_eq!(denied["privilege_escalation_paths"], json!([]));
    let deny_only = facts(json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}));
    assert_eq!(deny_only["allows_admin"], false);
    assert_eq!(deny_only["write_actions_on_all_resources"], json!([]));
}

/// The privilege-escalation policies of the public iam-vulnerable suite (tests/data): each one,
/// attached to a role, completes the catalog path it was built for, on the principal and (when
/// it needs no trusting role) on the policy alone.
#[test]
fn every_iam_vulnerable_policy_completes_its_path() {
    #[derive(Deserialize)]
    struct Entry {
        name: String,
        expect: String,
        #[serde(default)]
        needs_trusting_role: bool,
        policy: Value,
    }
    let text = include_str!("../../../tests/data/iam-vulnerable.yaml");
    let entries: Vec<Entry> =
        serde_json::from_value(crate::yaml::parse(text).expect("parses")[0].to_json())
            .expect("shape");
    assert!(entries.len() >= 30, "{} entries", entries.len());
    let now = time::macros::datetime!(2026-06-01 00:00 UTC);
    let mut wrong = Vec::new();
    for entry in &entries {
        let mut case = Case::holding(&[("privesc", entry.policy.clone())]);
        if entry.needs_trusting_role {
            case.trusts.insert(
                "target".into(),
                vec![format!("arn:aws:iam::{ACCOUNT}:root")],
            );
        }
        let mut docs = docs_of(&case);
        principals(&mut docs, now);
        let found = docs[0].attributes["permissions"]["privilege_escalation_paths"].to_string();
        if !found.contains(&format!("\"{}\"", entry.expect)) {
            wrong.push(format!("{}: principal lacks {}", entry.name, entry.expect));
        }
        if !entry.needs_trusting_role {
            let alone = policy_analysis(&normalize_statements(&entry.policy), now);
            if !alone["privilege_escalation_paths"]
                .to_string()
                .contains(&format!("\"{}\"", entry.expect))
            {
                wrong.push(format!(
                    "{}: the policy alone lacks {}",
                    entry.name, entry.expect
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
