//! Property-based fuzzing of the parsers that read other people's files: the YAML layer, the
//! rule parser, the suppression parser and the inventory loader (with its catalog check).
//! Each must return a value or an error with a real position, never panic, on any input.
//!
//! `POSTURE_FUZZ_CASES` sets the cases per target (default 200, a few seconds in CI); run
//! `POSTURE_FUZZ_CASES=200000 cargo test --test it fuzz -- --nocapture` for a long session.

use std::path::Path;

use posture::catalog::Catalog;
use posture::inventory::Inventory;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases() -> u32 {
    std::env::var("POSTURE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Pieces of YAML syntax, rule keys and hostile characters, so generated text reaches the
/// parsers' deeper paths far more often than uniform random text would.
const TOKENS: &[&str] = &[
    "a",
    "id",
    ": ",
    ":",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    "  ",
    "    ",
    "'",
    "\"",
    "#",
    "---",
    "...",
    "?",
    "!",
    "!!str",
    "|",
    ">",
    "&x",
    "*x",
    "&y",
    "*y",
    "<<",
    "~",
    "null",
    "true",
    "1",
    "-3",
    "1.5",
    "1e400",
    "0x1F",
    "\t",
    "\r",
    "\0",
    "\u{1b}",
    "\u{feff}",
    "é",
    "\u{202e}",
    "\\",
    "\\u0000",
    "id: x\n",
    "title: t\n",
    "severity: high\n",
    "resource: aws.s3.bucket\n",
    "assert:\n",
    "where:\n",
    "all:\n",
    "any:\n",
    "not:\n",
    "params:\n",
    "frameworks:\n",
    "rationale: r\n",
    "remediation: r\n",
    "encryption.enabled: { equals: true }",
    "tags.Env: { equals: $params.env }",
    "count: { gte: 1 }",
    "some_resource:\n",
    "suppressions:\n",
    "rule: \"*\"\n",
    "resource: \"arn:aws:s3:::*\"\n",
    "justification: j\n",
    "expires: 2030-01-01\n",
    "tags: {}\n",
    "default: 5",
    "min: 1",
    "max: 0",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(proptest::sample::select(TOKENS), 0..80)
            .prop_map(|parts| parts.concat()),
        1 => any::<String>(),
    ]
}

#[test]
fn yaml_layer_never_panics_and_places_errors() {
    runner()
        .run(&yamlish(), |text| {
            if let Err(e) = posture::yaml::parse(&text) {
                prop_assert!(e.pos.line >= 1, "{e:?} for {text:?}");
                prop_assert!(e.pos.start <= text.len(), "{e:?} for {text:?}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn rule_parser_never_panics_and_renders_every_error() {
    runner()
        .run(&yamlish(), |text| {
            let path = Path::new("rules/fuzz.yaml");
            if let Err(errors) = posture::rules::parse_str(path, &text, Catalog::builtin()) {
                prop_assert!(!errors.diagnostics.is_empty());
                let rendered = errors.render();
                prop_assert!(rendered.contains("rules/fuzz.yaml:"), "{rendered}");
                prop_assert!(
                    !rendered.chars().any(|c| c == '\u{1b}'),
                    "an escape reached the terminal: {rendered:?}"
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn suppression_parser_never_panics() {
    runner()
        .run(&yamlish(), |text| {
            let path = Path::new("suppressions.yaml");
            if let Err(diagnostics) = posture::report::suppress::parse_str(path, &text) {
                prop_assert!(!diagnostics.is_empty());
                for d in diagnostics {
                    prop_assert!(d.pos.line >= 1, "{d:?} for {text:?}");
                    let _ = d.render(&text);
                }
            }
            Ok(())
        })
        .unwrap();
}

/// A JSON value of any shape, a few levels deep.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn inventory_loader_and_check_never_panic() {
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(super::cli::root().join("fixtures/example-account.json"))
            .expect("fixture"),
    )
    .expect("fixture JSON");
    let count = fixture["resources"].as_array().map_or(0, Vec::len);
    // Replace one value somewhere in one resource of the example inventory with any JSON.
    let strategy = (
        0..count,
        proptest::sample::select(&["type", "arn", "tags", "attributes", "errors", "name"][..]),
        json_value(),
        any::<bool>(),
    );
    runner()
        .run(&strategy, |(index, key, value, deep)| {
            let mut inventory = fixture.clone();
            let doc = &mut inventory["resources"][index];
            if deep && let Some(attributes) = doc["attributes"].as_object_mut() {
                if let Some(group) = attributes.keys().next().cloned() {
                    attributes[&group] = value;
                }
            } else {
                doc[key] = value;
            }
            let text = inventory.to_string();
            if let Ok(mut loaded) = Inventory::from_json(&text) {
                let _ = posture::inventory::check::check(
                    &mut loaded,
                    Catalog::builtin(),
                    time::OffsetDateTime::now_utc(),
                );
            }
            Ok(())
        })
        .unwrap();
    // Truncated and mangled JSON: an error with a line and column, never a panic.
    let text = fixture.to_string();
    runner()
        .run(&(0..text.len(), any::<u8>()), |(cut, byte)| {
            let mut bytes = text.as_bytes()[..cut].to_vec();
            bytes.push(byte);
            if let Ok(mangled) = String::from_utf8(bytes) {
                prop_assert!(Inventory::from_json(&mangled).is_err() || cut + 1 == text.len());
            }
            Ok(())
        })
        .unwrap();
}
