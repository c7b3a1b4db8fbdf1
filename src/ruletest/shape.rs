//! A tests file checked on its YAML tree, so every problem has a line and a column: the keys
//! of the file and of each case, the verdict names, and each test resource against the catalog
//! (known type, known groups and fields, values of the declared types). A resource with a typo
//! in a path would otherwise pass a FAIL case for the wrong reason: the rule reads nothing there.

use crate::catalog::{Catalog, Field, FieldType};
use crate::yaml::{Kind, Node};

/// A problem of one case, at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseProblem {
    /// Index of the case in `cases`.
    pub case: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// A problem of the file as a whole, at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct FileProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

const FILE_KEYS: &[&str] = &["rule", "cases"];
const CASE_KEYS: &[&str] = &[
    "name",
    "expect",
    "resource",
    "others",
    "params",
    "now",
    "reason_contains",
];
const RESOURCE_KEYS: &[&str] = &[
    "type",
    "arn",
    "account",
    "region",
    "name",
    "tags",
    "attributes",
    "errors",
];
const VERDICTS: &[&str] = &["PASS", "FAIL", "ERROR", "NOT_APPLICABLE"];

fn at(node: &Node, message: String) -> FileProblem {
    FileProblem {
        line: node.pos.line,
        col: node.pos.col,
        message,
    }
}

fn near(name: &str, known: &[&str]) -> String {
    crate::catalog::nearest(name, known.iter().copied())
        .first()
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

/// Checks the file's keys (an error for the whole file) and each case (problems per case).
pub fn check(root: &Node, catalog: &Catalog) -> Result<Vec<CaseProblem>, FileProblem> {
    let Some(entries) = root.as_map() else {
        return Err(at(
            root,
            format!(
                "a tests file is a mapping with `cases`, not {}",
                root.kind_name()
            ),
        ));
    };
    for (key, _) in entries {
        let name = key.as_str().unwrap_or("");
        if !FILE_KEYS.contains(&name) {
            return Err(at(
                key,
                format!(
                    "unknown tests-file key `{name}`{} (known: rule, cases)",
                    near(name, FILE_KEYS)
                ),
            ));
        }
    }
    let Some(cases) = root.get("cases") else {
        return Err(at(
            root,
            "a tests file needs `cases`: a list of cases".into(),
        ));
    };
    let Kind::Seq(cases) = &cases.kind else {
        return Err(at(
            cases,
            format!("`cases` is a list of cases, not {}", cases.kind_name()),
        ));
    };
    let mut problems = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        for problem in check_case(case, catalog) {
            problems.push(CaseProblem {
                case: index,
                line: problem.line,
                col: problem.col,
                message: problem.message,
            });
        }
    }
    Ok(problems)
}

fn check_case(case: &Node, catalog: &Catalog) -> Vec<FileProblem> {
    let mut out = Vec::new();
    let Some(entries) = case.as_map() else {
        out.push(at(
            case,
            format!("a case is a mapping, not {}", case.kind_name()),
        ));
        return out;
    };
    for (key, _) in entries {
        let name = key.as_str().unwrap_or("");
        if !CASE_KEYS.contains(&name) {
            out.push(at(
                key,
                format!("unknown case key `{name}`{}", near(name, CASE_KEYS)),
            ));
        }
    }
    for required in ["name", "expect", "resource"] {
        if case.get(required).is_none() {
            out.push(at(case, format!("a case needs `{required}`")));
        }
    }
    if let Some(expect) = case.get("expect") {
        match expect.as_str() {
            Some(v) if VERDICTS.contains(&v) => {}
            _ => out.push(at(
                expect,
                format!(
                    "`expect` is one of PASS, FAIL, ERROR, NOT_APPLICABLE{}",
                    expect
                        .as_str()
                        .map(|v| near(v, VERDICTS))
                        .unwrap_or_default()
                ),
            )),
        }
    }
    if let Some(resource) = case.get("resource") {
        check_resource(resource, catalog, &mut out);
    }
    if let Some(others) = case.get("others") {
        match &others.kind {
            Kind::Seq(items) => {
                for item in items {
                    check_resource(item, catalog, &mut out);
                }
            }
            _ => out.push(at(
                others,
                format!(
                    "`others` is a list of resources, not {}",
                    others.kind_name()
                ),
            )),
        }
    }
    out
}

/// A test resource: its keys, its type, and its attributes against that type's catalog entry.
/// A resource without `type` takes the rule's; its attributes are checked when it names one.
fn check_resource(resource: &Node, catalog: &Catalog, out: &mut Vec<FileProblem>) {
    let Some(entries) = resource.as_map() else {
        out.push(at(
            resource,
            format!("a resource is a mapping, not {}", resource.kind_name()),
        ));
        return;
    };
    for (key, _) in entries {
        let name = key.as_str().unwrap_or("");
        if !RESOURCE_KEYS.contains(&name) {
            out.push(at(
                key,
                format!("unknown resource key `{name}`{}", near(name, RESOURCE_KEYS)),
            ));
        }
    }
    let ty = match resource.get("type") {
        Some(node) => match node.as_str().and_then(|t| catalog.get(t)) {
            Some(ty) => Some(ty),
            None => {
                let name = node.as_str().unwrap_or("");
                let hint = catalog
                    .nearest_types(name)
                    .first()
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                out.push(at(node, format!("unknown resource type `{name}`{hint}")));
                return;
            }
        },
        None => None,
    };
    let Some(attributes) = resource.get("attributes") else {
        return;
    };
    let Some(groups) = attributes.as_map() else {
        out.push(at(
            attributes,
            format!(
                "`attributes` maps groups to values, not {}",
                attributes.kind_name()
            ),
        ));
        return;
    };
    // Without a type of its own, the resource is the rule's: check groups of any type the
    // catalog has, which still catches a name no type uses.
    for (key, value) in groups {
        let name = key.as_str().unwrap_or("");
        let field = match ty {
            Some(ty) => ty.root.fields.get(name).filter(|f| f.group.is_some()),
            None => catalog
                .types
                .values()
                .find_map(|t| t.root.fields.get(name).filter(|f| f.group.is_some())),
        };
        match field {
            Some(field) if ty.is_some() => check_value(value, field, name, out),
            Some(_) => {}
            None => {
                let known: Vec<&str> = match ty {
                    Some(ty) => ty
                        .root
                        .fields
                        .iter()
                        .filter(|(_, f)| f.group.is_some())
                        .map(|(n, _)| n.as_str())
                        .collect(),
                    None => Vec::new(),
                };
                out.push(at(
                    key,
                    format!(
                        "no attribute group `{name}` in the catalog{}",
                        near(name, &known)
                    ),
                ));
            }
        }
    }
}

fn check_value(node: &Node, field: &Field, path: &str, out: &mut Vec<FileProblem>) {
    let fits = match (&node.kind, field.ty) {
        (Kind::Null, _) => return,
        (Kind::Str(_), FieldType::String) | (Kind::Bool(_), FieldType::Boolean) => true,
        (Kind::Int(_), FieldType::Integer | FieldType::Number)
        | (Kind::Float(_), FieldType::Number) => true,
        (Kind::Map(_), FieldType::Object | FieldType::Map) | (Kind::Seq(_), FieldType::Array) => {
            true
        }
        _ => false,
    };
    if !fits {
        out.push(at(
            node,
            format!(
                "`{path}`: expected {}, found {}",
                field.ty.name(),
                node.kind_name()
            ),
        ));
        return;
    }
    match (&node.kind, field.ty) {
        (Kind::Map(pairs), FieldType::Object) if !field.fields.is_empty() => {
            for (key, value) in pairs {
                let name = key.as_str().unwrap_or("");
                match field.fields.get(name) {
                    Some(sub) => check_value(value, sub, &format!("{path}.{name}"), out),
                    None => {
                        let known: Vec<&str> = field.fields.keys().map(String::as_str).collect();
                        out.push(at(
                            key,
                            format!(
                                "`{path}` has no field `{name}` in the catalog{}",
                                near(name, &known)
                            ),
                        ));
                    }
                }
            }
        }
        (Kind::Map(pairs), FieldType::Map) => {
            if let Some(items) = field.items.as_deref() {
                for (key, value) in pairs {
                    let name = key.as_str().unwrap_or("");
                    check_value(value, items, &format!("{path}.{name}"), out);
                }
            }
        }
        (Kind::Seq(items), FieldType::Array) => {
            if let Some(item_field) = field.items.as_deref() {
                for (i, item) in items.iter().enumerate() {
                    check_value(item, item_field, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(usize, usize, String)> {
        let root = crate::yaml::parse(text).expect("yaml").remove(0);
        check(&root, Catalog::builtin())
            .expect("file keys fine")
            .into_iter()
            .map(|p| (p.line, p.col, p.message))
            .collect()
    }

    #[test]
    fn a_typo_in_a_test_resource_is_found_where_it_is_written() {
        let found = problems(
            "cases:\n  - name: a\n    expect: FAIL\n    resource:\n      type: aws.s3.bucket\n      attributes:\n        versioning: { staus: Enabled }\n        object_lock: { enabled: yes }\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (7, 23));
        assert!(found[0].2.contains("no field `staus`") && found[0].2.contains("`status`"));
        assert_eq!(found[1].0, 8);
        assert!(
            found[1].2.contains("expected boolean, found a string"),
            "{found:?}"
        );
    }

    #[test]
    fn unknown_case_keys_verdicts_and_types_are_named() {
        let found = problems(
            "cases:\n  - name: a\n    expct: PASS\n    resource: { type: aws.s3.buckets }\n  - name: b\n    expect: OK\n    resource: {}\n",
        );
        let messages: Vec<&str> = found.iter().map(|p| p.2.as_str()).collect();
        assert!(messages[0].contains("unknown case key `expct`; did you mean `expect`?"));
        assert!(messages.iter().any(|m| m.contains("a case needs `expect`")));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown resource type `aws.s3.buckets`"))
        );
        assert!(messages.iter().any(|m| m.contains("`expect` is one of")));
        let root = crate::yaml::parse("case: []\n").expect("yaml").remove(0);
        let file = check(&root, Catalog::builtin()).expect_err("unknown file key");
        assert_eq!((file.line, file.col), (1, 1));
    }
}
