//! Each validation error, as the user sees it: <file:line:col>, the line, a caret, a hint.

use std::path::{Path, PathBuf};

use posture::catalog::Catalog;

fn errors(text: &str) -> String {
    match posture::rules::parse_str(Path::new("rules/example.yaml"), text, Catalog::builtin()) {
        Ok(_) => panic!("expected validation errors for:\n{text}"),
        Err(e) => e.render(),
    }
}

const HEAD: &str = "id: example\ntitle: t\nseverity: low\nrationale: r\nremediation: r\n";

#[test]
fn unknown_rule_key() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.kms.key\nasert: {{ rotation.enabled: {{ equals: true }} }}\n"
    )));
}

#[test]
fn unknown_resource_type() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.kms.keys\nassert: {{ rotation.enabled: {{ equals: true }} }}\n"
    )));
}

#[test]
fn unknown_attribute_path_suggests_nearest() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.s3.bucket\nassert:\n  object_lock.default_retension.days: {{ gte: 1 }}\n"
    )));
}

#[test]
fn unknown_operator() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.kms.key\nassert: {{ rotation.enabled: {{ eq: true }} }}\n"
    )));
}

#[test]
fn wrong_value_types() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.logs.log_group\nassert:\n  all:\n    - retention.days: {{ gte: a year }}\n    - retention.never_expires: {{ equals: \"yes\" }}\n    - retention.never_expires: {{ matches: x }}\n"
    )));
}

#[test]
fn unknown_parameter_and_bad_regex() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.logs.log_group\nparams: {{ min_days: 365 }}\nassert:\n  all:\n    - retention.days: {{ gte: $params.min_dayz }}\n    - name: {{ matches: \"([a-z\" }}\n"
    )));
}

#[test]
fn missing_keys_and_bad_severity() {
    insta::assert_snapshot!(errors(
        "id: Bad_Id\nseverity: urgent\nresource: aws.kms.key\n"
    ));
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.kms.key\nassert: {{ rotation.enabled: [true\n"
    )));
}

#[test]
fn quantifier_on_a_scalar_and_path_into_a_list() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.s3.bucket\nassert:\n  all:\n    - encryption.algorithm: {{ any: {{ .: {{ equals: x }} }} }}\n    - lifecycle.rules.status: {{ equals: Enabled }}\n"
    )));
}

#[test]
fn all_errors_of_a_file_at_once() {
    let dir = PathBuf::from("tests/data/bad-rules");
    // cargo runs integration tests from the package root, so these relative paths are stable.
    let errors = posture::rules::load(&[dir], Catalog::builtin())
        .expect("readable")
        .expect_err("invalid");
    insta::assert_snapshot!(errors.render());
}

#[test]
fn duplicate_ids_across_files() {
    // cargo runs integration tests from the package root, so these relative paths are stable.
    let errors = posture::rules::load(
        &[PathBuf::from("tests/data/duplicate-ids")],
        Catalog::builtin(),
    )
    .expect("readable")
    .expect_err("duplicate");
    insta::assert_snapshot!(errors.render());
}

/// Truncating a valid rule file at every character must give errors, never a panic.
#[test]
fn no_panic_on_truncated_or_mangled_input() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("rules/s3/s3-archive-bucket-lifecycle-tiers.yaml"))
            .expect("rule");
    let mut rejected = 0;
    for (i, _) in text.char_indices().step_by(3) {
        let cut = &text[..i];
        if posture::rules::parse_str(Path::new("cut.yaml"), cut, Catalog::builtin()).is_err() {
            rejected += 1;
        }
        let mangled = format!("{}\t:{}", &text[..i], &text[i..]);
        let _ = posture::rules::parse_str(Path::new("mangled.yaml"), &mangled, Catalog::builtin());
    }
    assert!(
        rejected > 100,
        "truncated files should be rejected, only {rejected} were"
    );
}

#[test]
fn malformed_and_duplicate_control_ids() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}resource: aws.kms.key\nassert: {{ rotation.enabled: {{ equals: true }} }}\nframeworks:\n  soc2: [CC6.1, CC6.1]\n  fsbp: [KMS-4]\n  hipaa: [\"164.312\"]\n  iso27001: [A.8]\n  hippa: [\"164.312(a)\"]\n  Mine: [x]\n"
    )));
}

#[test]
fn literals_outside_a_closed_set_of_values() {
    let text = errors(&format!(
        "{HEAD}resource: aws.kms.key\nassert:\n  metadata.manager: {{ equals: CUSTOMR }}\n  metadata.state: {{ in: [Enabled, disabled] }}\n"
    ));
    assert!(
        text.contains("8:31: error: `CUSTOMR` is not a value this field can hold"),
        "{text}"
    );
    assert!(
        text.contains("did you mean `CUSTOMER`? One of AWS, CUSTOMER"),
        "{text}"
    );
    assert!(
        text.contains("9:35: error: `disabled` is not a value this field can hold"),
        "the list item is pointed at: {text}"
    );
    assert!(
        text.contains("did you mean `Disabled`? Values are case-sensitive"),
        "{text}"
    );
    // An open field (runtimes change every year) takes any string.
    assert!(
        posture::rules::parse_str(
            Path::new("rules/example.yaml"),
            &format!("{HEAD}resource: aws.lambda.function\nassert:\n  configuration.runtime: {{ not_equals: python9.99 }}\n"),
            Catalog::builtin()
        )
        .is_ok()
    );
}
