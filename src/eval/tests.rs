//! Every operator, passing and failing, on plain JSON documents.

use std::path::Path;

use serde_json::{Value, json};
use time::macros::datetime;

use super::{Context, DocView, Status, evaluate_resource};
use crate::catalog::Catalog;
use crate::inventory::ResourceDoc;

fn doc(resource_type: &str, arn: &str, body: Value) -> ResourceDoc {
    let mut value = json!({"type": resource_type, "arn": arn, "account": "123456789012", "region": "us-east-1"});
    for (k, v) in body.as_object().cloned().unwrap_or_default() {
        value[k] = v;
    }
    serde_json::from_value(value).expect("test document")
}

/// Evaluates a rule (given as its `resource`, `where` and `assert` YAML) on `target`, with
/// `others` also in the inventory.
fn verdict_with(
    resource_type: &str,
    rule_body: &str,
    target: Value,
    others: Vec<ResourceDoc>,
) -> (Status, Vec<String>) {
    let text = format!(
        "id: t\ntitle: t\nseverity: low\nrationale: r\nremediation: r\nresource: {resource_type}\n{rule_body}"
    );
    let rules = crate::rules::parse_str(Path::new("t.yaml"), &text, Catalog::builtin())
        .unwrap_or_else(|e| panic!("rule does not validate:\n{e}"));
    let rule = &rules[0];
    let mut docs = vec![doc(resource_type, "arn:target", target)];
    docs.extend(others);
    let ctx = Context::new(&docs, datetime!(2026-06-01 00:00 UTC));
    let v = evaluate_resource(rule, &rule.params, &DocView::new(&docs[0]), &ctx);
    (v.status, v.reasons)
}

fn verdict(resource_type: &str, rule_body: &str, target: Value) -> Status {
    verdict_with(resource_type, rule_body, target, vec![]).0
}

const BUCKET: &str = "aws.s3.bucket";

fn enc(algorithm: &str) -> Value {
    json!({"attributes": {"encryption": {"enabled": true, "algorithm": algorithm}}})
}

#[test]
fn equals_and_not_equals() {
    let rule = "assert: { encryption.algorithm: { equals: 'aws:kms' } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
    let rule = "assert: { encryption.algorithm: { not_equals: AES256 } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
}

#[test]
fn numeric_comparisons() {
    let logs =
        |days: i64| json!({"attributes": {"retention": {"never_expires": false, "days": days}}});
    for (op, pass, fail) in [
        ("gt", 31, 30),
        ("gte", 30, 29),
        ("lt", 29, 30),
        ("lte", 30, 31),
    ] {
        let rule = format!("assert: {{ retention.days: {{ {op}: 30 }} }}");
        assert_eq!(
            verdict("aws.logs.log_group", &rule, logs(pass)),
            Status::Pass,
            "{op} {pass}"
        );
        assert_eq!(
            verdict("aws.logs.log_group", &rule, logs(fail)),
            Status::Fail,
            "{op} {fail}"
        );
    }
}

#[test]
fn membership() {
    let rule = "assert: { encryption.algorithm: { in: ['aws:kms', 'aws:kms:dsse'] } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms:dsse")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
    let rule = "assert: { encryption.algorithm: { not_in: [AES256] } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
}

#[test]
fn contains_on_lists_and_strings() {
    let f = |names: Value| json!({"attributes": {"configuration": {"environment_variable_names": names, "runtime": "python3.12"}}});
    let rule = "assert: { configuration.environment_variable_names: { contains: LOG_LEVEL } }";
    assert_eq!(
        verdict("aws.lambda.function", rule, f(json!(["LOG_LEVEL"]))),
        Status::Pass
    );
    assert_eq!(
        verdict("aws.lambda.function", rule, f(json!(["OTHER"]))),
        Status::Fail
    );
    let rule = "assert: { configuration.runtime: { contains: python } }";
    assert_eq!(
        verdict("aws.lambda.function", rule, f(json!([]))),
        Status::Pass
    );
    let rule = "assert: { configuration.runtime: { contains: node } }";
    assert_eq!(
        verdict("aws.lambda.function", rule, f(json!([]))),
        Status::Fail
    );
}

#[test]
fn regex_match_and_not_match() {
    let rule = "assert: { encryption.algorithm: { matches: '^aws:kms' } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms:dsse")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
    let rule = "assert: { encryption.algorithm: { not_matches: '^AES' } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
}

#[test]
fn exists_and_absent() {
    let rule = "assert: { encryption.kms_key_arn: { exists: true } }";
    let with_key = json!({"attributes": {"encryption": {"enabled": true, "kms_key_arn": "k"}}});
    assert_eq!(verdict(BUCKET, rule, with_key.clone()), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Fail);
    let rule = "assert: { encryption.kms_key_arn: { exists: false } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, with_key), Status::Fail);
}

fn lifecycle(rules: Value) -> Value {
    json!({"attributes": {"lifecycle": {"rules": rules}}})
}

#[test]
fn quantifiers_over_lists() {
    let two = lifecycle(json!([{"status": "Enabled"}, {"status": "Disabled"}]));
    let all_on = lifecycle(json!([{"status": "Enabled"}]));
    let any = "assert: { lifecycle.rules: { any: { status: { equals: Enabled } } } }";
    assert_eq!(verdict(BUCKET, any, two.clone()), Status::Pass);
    assert_eq!(
        verdict(BUCKET, any, lifecycle(json!([{"status": "Disabled"}]))),
        Status::Fail
    );
    assert_eq!(verdict(BUCKET, any, lifecycle(json!([]))), Status::Fail);
    let all = "assert: { lifecycle.rules: { all: { status: { equals: Enabled } } } }";
    assert_eq!(verdict(BUCKET, all, all_on.clone()), Status::Pass);
    assert_eq!(verdict(BUCKET, all, two.clone()), Status::Fail);
    let none = "assert: { lifecycle.rules: { none: { status: { equals: Disabled } } } }";
    assert_eq!(verdict(BUCKET, none, all_on), Status::Pass);
    assert_eq!(verdict(BUCKET, none, two), Status::Fail);
}

#[test]
fn quantifier_over_scalar_items_uses_dot() {
    let f = |names: Value| json!({"attributes": {"configuration": {"environment_variable_names": names}}});
    let rule = "assert: { configuration.environment_variable_names: { none: { .: { matches: '(?i)secret|password' } } } }";
    assert_eq!(
        verdict("aws.lambda.function", rule, f(json!(["TABLE"]))),
        Status::Pass
    );
    assert_eq!(
        verdict("aws.lambda.function", rule, f(json!(["DB_PASSWORD"]))),
        Status::Fail
    );
}

#[test]
fn counts_with_and_without_filter() {
    let l =
        lifecycle(json!([{"status": "Enabled"}, {"status": "Disabled"}, {"status": "Enabled"}]));
    assert_eq!(
        verdict(
            BUCKET,
            "assert: { lifecycle.rules: { count: { equals: 3 } } }",
            l.clone()
        ),
        Status::Pass
    );
    assert_eq!(
        verdict(
            BUCKET,
            "assert: { lifecycle.rules: { count: { lt: 3 } } }",
            l.clone()
        ),
        Status::Fail
    );
    let filtered = "assert: { lifecycle.rules: { count: { where: { status: { equals: Enabled } }, gte: 2 } } }";
    assert_eq!(verdict(BUCKET, filtered, l.clone()), Status::Pass);
    let filtered =
        "assert: { lifecycle.rules: { count: { where: { status: { equals: Enabled } }, gt: 2 } } }";
    assert_eq!(verdict(BUCKET, filtered, l), Status::Fail);
}

#[test]
fn age_of_a_timestamp() {
    let secret =
        |at: &str| json!({"attributes": {"rotation": {"enabled": true, "last_rotated": at}}});
    let rule = "assert: { rotation.last_rotated: { age_days: { lte: 90 } } }";
    assert_eq!(
        verdict(
            "aws.secretsmanager.secret",
            rule,
            secret("2026-05-01T00:00:00Z")
        ),
        Status::Pass
    );
    let (status, reasons) = verdict_with(
        "aws.secretsmanager.secret",
        rule,
        secret("2025-01-01T00:00:00Z"),
        vec![],
    );
    assert_eq!(status, Status::Fail);
    assert!(
        reasons[0].contains("516 days old, expected <= 90"),
        "{reasons:?}"
    );
    assert_eq!(
        verdict("aws.secretsmanager.secret", rule, secret("yesterday")),
        Status::Error
    );
}

#[test]
fn boolean_combinators_are_three_valued() {
    let rule = "assert: { any: [ { retention.never_expires: { equals: true } }, { retention.days: { gte: 365 } } ] }";
    let logs = |v: Value| json!({"attributes": {"retention": v}});
    assert_eq!(
        verdict(
            "aws.logs.log_group",
            rule,
            logs(json!({"never_expires": true}))
        ),
        Status::Pass
    );
    assert_eq!(
        verdict(
            "aws.logs.log_group",
            rule,
            logs(json!({"never_expires": false, "days": 30}))
        ),
        Status::Fail
    );
    let rule = "assert: { not: { encryption.algorithm: { equals: AES256 } } }";
    assert_eq!(verdict(BUCKET, rule, enc("aws:kms")), Status::Pass);
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Fail);
    // A FAIL decides `all` even when another part could not be collected.
    let rule = "assert: { all: [ { encryption.enabled: { equals: true } }, { logging.enabled: { equals: true } } ] }";
    let partial = json!({"attributes": {"encryption": {"enabled": false}}, "errors": {"logging": "AccessDenied"}});
    assert_eq!(verdict(BUCKET, rule, partial), Status::Fail);
    let partial = json!({"attributes": {"encryption": {"enabled": true}}, "errors": {"logging": "AccessDenied"}});
    assert_eq!(verdict(BUCKET, rule, partial), Status::Error);
}

#[test]
fn an_uncollected_attribute_is_error_never_pass() {
    // `exists: false` would pass on an absent value; an uncollected group must not.
    let rule = "assert: { encryption.kms_key_arn: { exists: false } }";
    let (status, reasons) = verdict_with(
        BUCKET,
        rule,
        json!({"errors": {"encryption": "AccessDenied: denied"}}),
        vec![],
    );
    assert_eq!(status, Status::Error);
    assert_eq!(
        reasons,
        vec!["`encryption` could not be collected: AccessDenied: denied"]
    );
    assert_eq!(
        verdict(BUCKET, rule, json!({"attributes": {}})),
        Status::Error
    );
    let rule = "assert: { not: { encryption.enabled: { equals: true } } }";
    assert_eq!(
        verdict(BUCKET, rule, json!({"errors": {"encryption": "timeout"}})),
        Status::Error
    );
}

#[test]
fn where_selects_and_errors_when_undecidable() {
    let rule = "where: { tags.DataClassification: { equals: audit } }\nassert: { encryption.enabled: { equals: true } }";
    assert_eq!(
        verdict(
            BUCKET,
            rule,
            json!({"tags": {"DataClassification": "public"}})
        ),
        Status::NotApplicable
    );
    let audit = json!({"tags": {"DataClassification": "audit"}, "attributes": {"encryption": {"enabled": true}}});
    assert_eq!(verdict(BUCKET, rule, audit), Status::Pass);
    assert_eq!(
        verdict(BUCKET, rule, json!({"errors": {"tags": "AccessDenied"}})),
        Status::Error
    );
}

#[test]
fn references_to_other_resources() {
    let rule = "assert: { targets.items: { all: { arn: { references: { type: aws.lambda.function } } } } }";
    let target =
        |arn: &str| json!({"attributes": {"targets": {"items": [{"id": "t", "arn": arn}]}}});
    let lambda = doc(
        "aws.lambda.function",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        json!({}),
    );
    let ok = verdict_with(
        "aws.events.rule",
        rule,
        target("arn:aws:lambda:us-east-1:123456789012:function:f"),
        vec![lambda.clone()],
    );
    assert_eq!(ok.0, Status::Pass);
    let (status, reasons) = verdict_with(
        "aws.events.rule",
        rule,
        target("arn:aws:lambda:us-east-1:123456789012:function:gone"),
        vec![lambda],
    );
    assert_eq!(status, Status::Fail);
    assert!(
        reasons[0].contains(
            "function:gone, which does not exist: no collected aws.lambda.function has that arn"
        ),
        "{reasons:?}"
    );
    let list_rule = "assert: { definition.lambda_function_arns: { references: { type: aws.lambda.function, attribute: arn } } }";
    let sm = json!({"attributes": {"definition": {"lambda_function_arns": ["arn:x"]}}});
    assert_eq!(
        verdict("aws.sfn.state_machine", list_rule, sm),
        Status::Fail
    );
}

#[test]
fn some_resource_in_the_same_account() {
    let rule = "assert: { some_resource: { type: aws.cloudtrail.trail, where: { all: [ { configuration.multi_region: { equals: true } }, { status.is_logging: { equals: true } } ] } } }";
    let trail = |multi: bool, account: &str| {
        let mut d = doc(
            "aws.cloudtrail.trail",
            &format!("arn:trail:{account}:{multi}"),
            json!({"attributes": {"configuration": {"multi_region": multi}, "status": {"is_logging": true}}}),
        );
        d.account = account.to_string();
        d
    };
    let account = json!({"attributes": {"identity": {"account_id": "123456789012"}}});
    assert_eq!(
        verdict_with(
            "aws.account",
            rule,
            account.clone(),
            vec![trail(true, "123456789012")]
        )
        .0,
        Status::Pass
    );
    assert_eq!(
        verdict_with(
            "aws.account",
            rule,
            account.clone(),
            vec![trail(false, "123456789012")]
        )
        .0,
        Status::Fail
    );
    // A compliant trail in another account does not count.
    assert_eq!(
        verdict_with(
            "aws.account",
            rule,
            account,
            vec![trail(true, "999999999999")]
        )
        .0,
        Status::Fail
    );
}

#[test]
fn evidence_records_every_path_read() {
    let text = "id: t\ntitle: t\nseverity: low\nrationale: r\nremediation: r\nresource: aws.s3.bucket\nassert: { all: [ { encryption.algorithm: { equals: 'aws:kms' } }, { object_lock.default_retention.mode: { equals: COMPLIANCE } } ] }";
    let rule =
        &crate::rules::parse_str(Path::new("t.yaml"), text, Catalog::builtin()).expect("valid")[0];
    let docs = vec![doc(
        BUCKET,
        "arn:b",
        json!({"attributes": {"encryption": {"algorithm": "aws:kms"}, "object_lock": {"enabled": false}}}),
    )];
    let ctx = Context::new(&docs, datetime!(2026-06-01 00:00 UTC));
    let v = evaluate_resource(rule, &rule.params, &DocView::new(&docs[0]), &ctx);
    assert_eq!(v.status, Status::Fail);
    assert_eq!(v.evidence["encryption.algorithm"], json!("aws:kms"));
    assert_eq!(
        v.evidence["object_lock.default_retention.mode"],
        Value::Null
    );
    assert_eq!(
        v.reasons,
        vec!["object_lock.default_retention.mode is absent, expected COMPLIANCE"]
    );
}

#[test]
fn has_keys_on_tags() {
    let rule = "assert: { tags: { has_keys: [DataClassification, Owner] } }";
    assert_eq!(
        verdict(
            BUCKET,
            rule,
            json!({"tags": {"DataClassification": "a", "Owner": "b"}})
        ),
        Status::Pass
    );
    let (status, reasons) = verdict_with(BUCKET, rule, json!({"tags": {"Owner": "b"}}), vec![]);
    assert_eq!(status, Status::Fail);
    assert_eq!(reasons, vec!["tags lacks DataClassification"]);
}

#[test]
fn checks_on_parameters() {
    let rule = "params: { strict: false }\nassert: { any: [ { $params.strict: { equals: false } }, { encryption.algorithm: { equals: 'aws:kms' } } ] }";
    assert_eq!(verdict(BUCKET, rule, enc("AES256")), Status::Pass);
    let strict = "params: { strict: true }\nassert: { any: [ { $params.strict: { equals: false } }, { encryption.algorithm: { equals: 'aws:kms' } } ] }";
    assert_eq!(verdict(BUCKET, strict, enc("AES256")), Status::Fail);
    assert_eq!(verdict(BUCKET, strict, enc("aws:kms")), Status::Pass);
}

#[test]
fn references_with_a_filter_and_several_types() {
    let rule = "assert: { configuration.role_arn: { references: { type: aws.iam.role, where: { policies.attached_policy_arns: { count: { equals: 0 } } } } } }";
    let f = json!({"attributes": {"configuration": {"role_arn": "arn:role"}}});
    let role = |attached: Value| {
        doc(
            "aws.iam.role",
            "arn:role",
            json!({"attributes": {"policies": {"attached_policy_arns": attached}}}),
        )
    };
    assert_eq!(
        verdict_with(
            "aws.lambda.function",
            rule,
            f.clone(),
            vec![role(json!([]))]
        )
        .0,
        Status::Pass
    );
    assert_eq!(
        verdict_with(
            "aws.lambda.function",
            rule,
            f.clone(),
            vec![role(json!(["p"]))]
        )
        .0,
        Status::Fail
    );
    let errored = doc(
        "aws.iam.role",
        "arn:role",
        json!({"errors": {"policies": "AccessDenied"}}),
    );
    assert_eq!(
        verdict_with("aws.lambda.function", rule, f, vec![errored]).0,
        Status::Error
    );
    let multi = "assert: { targets.items: { all: { arn: { references: { type: [aws.lambda.function, aws.sfn.state_machine] } } } } }";
    let rule_doc =
        json!({"attributes": {"targets": {"items": [{"arn": "arn:sm"}, {"arn": "arn:fn"}]}}});
    let both = vec![
        doc("aws.sfn.state_machine", "arn:sm", json!({})),
        doc("aws.lambda.function", "arn:fn", json!({})),
    ];
    assert_eq!(
        verdict_with("aws.events.rule", multi, rule_doc.clone(), both).0,
        Status::Pass
    );
    let one = vec![doc("aws.sfn.state_machine", "arn:sm", json!({}))];
    assert_eq!(
        verdict_with("aws.events.rule", multi, rule_doc, one).0,
        Status::Fail
    );
}

#[test]
fn deprecation_schedule_against_the_clock() {
    // The clock of verdict_with is 2026-06-01.
    let rule = "assert: { configuration.runtime: { deprecation: { schedule: rules/lambda/runtimes.data.yaml, warn_days: 45 } } }";
    let f = |rt: &str| json!({"attributes": {"configuration": {"runtime": rt}}});
    assert_eq!(
        verdict("aws.lambda.function", rule, f("python3.13")),
        Status::Pass
    );
    assert_eq!(
        verdict("aws.lambda.function", rule, f("python3.8")),
        Status::Fail
    );
    // python3.10 is deprecated on 2026-06-30: inside a 45-day window from 2026-06-01.
    let (status, reasons) = verdict_with("aws.lambda.function", rule, f("python3.10"), vec![]);
    assert_eq!(status, Status::Fail);
    assert!(
        reasons[0].contains("within the 45-day warning window"),
        "{reasons:?}"
    );
    assert_eq!(
        verdict("aws.lambda.function", rule, f("brainfuck1.0")),
        Status::Error
    );
}

#[test]
fn a_failed_listing_is_an_error_for_rules_of_that_type() {
    let text = "id: t\ntitle: t\nseverity: low\nrationale: r\nremediation: r\nresource: aws.kms.key\nassert: { rotation.enabled: { equals: true } }";
    let rules =
        crate::rules::parse_str(Path::new("t.yaml"), text, Catalog::builtin()).expect("valid");
    let set = crate::rules::RuleSet {
        rules,
        ..Default::default()
    };
    let mut account = doc("aws.account", "arn:aws:iam::123456789012:root", json!({}));
    account.errors.insert(
        "aws.kms.key@eu-west-1".into(),
        "AccessDeniedException: kms:ListKeys".into(),
    );
    let inventory = crate::inventory::Inventory::new(vec![], vec![account]);
    let evaluation = super::evaluate(&set, inventory, datetime!(2026-06-01 00:00 UTC));
    assert_eq!(evaluation.tallies["t"].error, 1);
    assert_eq!(evaluation.findings[0].verdict.status, Status::Error);
    assert_eq!(evaluation.findings[0].resource.region, "eu-west-1");
    assert!(
        evaluation.findings[0].verdict.reasons[0]
            .contains("could not be listed: AccessDeniedException")
    );
}

/// A reference into an account the inventory did not scan cannot be resolved either way: an
/// EventBridge target on another account's bus is ERROR, not "matches no collected bus".
#[test]
fn a_reference_into_an_unscanned_account_is_undecided() {
    let text = "id: t\ntitle: t\nseverity: low\nrationale: r\nremediation: r\nresource: aws.events.rule\nassert: { targets.items: { all: { resource_arn: { references: { type: aws.events.bus } } } } }";
    let rules = crate::rules::parse_str(Path::new("t.yaml"), text, Catalog::builtin())
        .unwrap_or_else(|e| panic!("rule does not validate:\n{e}"));
    let rule = &rules[0];
    let target = |arn: &str| json!({"attributes": {"targets": {"items": [{"id": "t", "arn": arn, "resource_arn": arn}]}}});
    let verdict_of = |arn: &str| {
        let mut docs = vec![
            doc("aws.events.rule", "arn:target", target(arn)),
            doc(
                "aws.events.bus",
                "arn:aws:events:us-east-1:123456789012:event-bus/orders",
                json!({}),
            ),
        ];
        let mut accounts = vec![crate::inventory::AccountScope::new(
            "123456789012",
            "arn:aws:sts::123456789012:assumed-role/audit/posture",
            vec!["us-east-1".to_string()],
        )];
        accounts[0].collected = Some(
            [
                ("aws.events.bus".to_string(), vec![]),
                ("aws.events.rule".to_string(), vec!["targets".to_string()]),
            ]
            .into_iter()
            .collect(),
        );
        let ctx = Context::taking_attributes(&mut docs, &accounts, datetime!(2026-06-01 00:00 UTC));
        let view = &ctx.by_type["aws.events.rule"][0];
        let v = evaluate_resource(rule, &rule.params, view, &ctx);
        (v.status, v.reasons)
    };
    let (status, reasons) = verdict_of("arn:aws:events:us-east-1:999988887777:event-bus/central");
    assert_eq!(status, Status::Error, "{reasons:?}");
    assert!(
        reasons[0].contains("which this inventory does not cover"),
        "{reasons:?}"
    );
    let (status, reasons) = verdict_of("arn:aws:events:us-east-1:123456789012:event-bus/gone");
    assert_eq!(status, Status::Fail, "{reasons:?}");
    assert_eq!(
        verdict_of("arn:aws:events:us-east-1:123456789012:event-bus/orders").0,
        Status::Pass
    );
}
