//! The resource catalog: every resource type, its attribute groups and fields, and the API
//! actions that fill each group. Loaded from `catalog.yaml`, compiled into the binary.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::inventory::TOP_LEVEL_FIELDS;

const CATALOG_YAML: &str = include_str!("catalog.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The type of a catalog field (`type` in `catalog.yaml`); rule operators are checked against it.
pub enum FieldType {
    /// `string`: a JSON string; timestamps too, with unit `rfc3339`.
    String,
    /// `integer`: a whole number; takes the numeric operators.
    Integer,
    /// `number`: any JSON number; takes the numeric operators.
    Number,
    /// `boolean`: true or false.
    Boolean,
    /// `object`: named fields; one declared without fields accepts any path below it, untyped.
    Object,
    /// `array`: a list of `items`; rules look inside it with any/all/none/count.
    Array,
    /// String keys to string values (tags).
    Map,
}

impl FieldType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "object" => FieldType::Object,
            "array" => FieldType::Array,
            "map" => FieldType::Map,
            _ => return None,
        })
    }

    #[must_use]
    /// The type as `catalog.yaml` spells it, for messages and `posture catalog`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::Map => "map",
        }
    }

    #[must_use]
    /// Whether `gt`, `gte`, `lt` and `lte` apply (integer or number).
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Number)
    }
}

/// The shape of one value in a resource document.
#[derive(Debug, Clone)]
pub struct Field {
    /// What kind of value it holds.
    pub ty: FieldType,
    /// What the value means, as `posture catalog TYPE` prints it; empty when the catalog gives
    /// none.
    pub description: String,
    /// Unit the catalog states for the value (e.g. `days`, `rfc3339`); None when it states none.
    pub unit: Option<String>,
    /// Named fields of an object. An object without declared fields accepts any sub-path.
    pub fields: BTreeMap<String, Field>,
    /// Element shape of an array (or value shape of a map).
    pub items: Option<Box<Field>>,
    /// The attribute group this field is (set on group roots only).
    pub group: Option<String>,
    /// API actions that fill this group.
    pub api: Vec<String>,
    /// Groups of other types (`aws.iam.policy.policy`) a derived group is computed from: the
    /// plan collects them whenever it collects this group.
    pub derived_from: Vec<(String, String)>,
    /// The collector always writes this field when it writes the object holding it
    /// (`required: true`); an inventory whose object lacks it is not posture's data.
    pub required: bool,
    /// Every value a string field can hold (`values:`), when AWS documents a closed set: a rule
    /// comparing it with anything else could never match, so that is a rule error. Empty: any.
    pub values: Vec<String>,
}

impl Field {
    #[must_use]
    /// A field of type `ty` with no unit, fields, items, group or API actions.
    pub fn leaf(ty: FieldType, description: &str) -> Self {
        Field {
            ty,
            description: description.to_string(),
            unit: None,
            fields: BTreeMap::new(),
            items: None,
            group: None,
            api: Vec::new(),
            derived_from: Vec::new(),
            required: false,
            values: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
/// One resource type: how its resources are listed and the shape of their documents.
pub struct ResourceType {
    /// Type name, e.g. `aws.s3.bucket`; rules name it under `resource`.
    pub name: String,
    /// What a resource of this type is, as `posture catalog` prints it.
    pub description: String,
    /// API actions that enumerate resources of this type.
    pub list_actions: Vec<String>,
    /// The document as rules see it: top-level fields, `tags`, and one field per group.
    pub root: Field,
}

impl ResourceType {
    /// Its attribute groups, by name: each is collected, and can fail, as one unit.
    pub fn groups(&self) -> impl Iterator<Item = (&String, &Field)> {
        self.root.fields.iter().filter(|(_, f)| f.group.is_some())
    }
}

#[derive(Debug, Clone)]
/// Every resource type posture can collect and rules can read, and where role permissions live.
pub struct Catalog {
    /// Resource types by name.
    pub types: BTreeMap<String, ResourceType>,
    /// Where `allowed_by_role` finds a role's policies; shared by every rule that uses it.
    pub role_permissions: Arc<RolePermissions>,
}

/// Where a role's permissions live in resource documents (`role_permissions` in the catalog):
/// `allowed_by_role` judges a role from these groups, and the plan collects them for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePermissions {
    /// Catalog type whose documents are roles (`aws.iam.role` in the built-in catalog).
    pub role_type: String,
    /// The role's group whose fields list the ARNs of its policies.
    pub role_group: String,
    /// Fields of that group holding policy ARNs (attached managed policies, inline policies).
    pub policy_arn_fields: Vec<String>,
    /// Catalog type whose documents are the policies those ARNs name (`aws.iam.policy`).
    pub policy_type: String,
    /// The policy's group, and its field holding the normalized statements.
    pub policy_group: String,
    /// The field of `policy_group` that holds the statements (a list).
    pub statements_field: String,
}

/// Where a rule path leads, relative to some shape.
#[derive(Debug, Clone)]
pub struct Resolved<'c> {
    /// The shape of the value at the path.
    pub field: &'c Field,
    /// The attribute group the path reads, when it crosses one.
    pub group: Option<&'c str>,
}

#[derive(Debug, Clone, PartialEq)]
/// Why a rule path does not resolve against the catalog.
pub struct PathError {
    /// What is wrong, e.g. "unknown attribute `x`" or "`a` has no field `b`".
    pub message: String,
    /// Valid paths near the one written, else up to eight fields where it went wrong; shown as
    /// a "did you mean" hint (may be empty).
    pub suggestions: Vec<String>,
}

/// An object field with no declared fields: any path below it is accepted, untyped.
static OPEN_OBJECT: OnceLock<Field> = OnceLock::new();

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The file is part of the binary and covered by tests, so a failure here is a
            // build defect, not bad user input.
            Catalog::parse(CATALOG_YAML)
                .unwrap_or_else(|e| panic!("built-in catalog is invalid: {e}"))
        })
    }

    #[must_use]
    /// The type with this name, if the catalog has one.
    pub fn get(&self, name: &str) -> Option<&ResourceType> {
        self.types.get(name)
    }

    /// Up to three type names close to `name`, best first, for "did you mean" hints.
    pub fn nearest_types(&self, name: &str) -> Vec<String> {
        nearest(name, self.types.keys().map(String::as_str))
    }

    /// Parses catalog YAML, checking every type, group and field and `role_permissions`; the
    /// error names the place at fault.
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let docs =
            crate::yaml::parse(text).map_err(|e| format!("line {}: {}", e.pos.line, e.message))?;
        let doc = docs.first().ok_or("empty catalog")?.to_json();
        let Value::Object(entries) = doc else {
            return Err("catalog must be a mapping".into());
        };
        let shapes = entries.get("shapes").cloned().unwrap_or(Value::Null);
        let mut types = BTreeMap::new();
        for (name, spec) in &entries {
            if name == "shapes" || name == "role_permissions" {
                continue;
            }
            types.insert(name.clone(), parse_type(name, spec, &shapes)?);
        }
        let role_permissions = parse_role_permissions(entries.get("role_permissions"), &types)?;
        for ty in types.values() {
            for (group, field) in ty.groups() {
                for (source_type, source_group) in &field.derived_from {
                    let known = types
                        .get(source_type)
                        .and_then(|t| t.root.fields.get(source_group))
                        .is_some_and(|f| f.group.is_some());
                    if !known {
                        return Err(format!(
                            "{}.{group}: derived_from names {source_type}.{source_group}, which is no group",
                            ty.name
                        ));
                    }
                }
            }
        }
        Ok(Catalog {
            types,
            role_permissions: Arc::new(role_permissions),
        })
    }
}

/// Resolves a dotted path below `shape`. Array fields stop resolution: quantifiers and counts
/// descend into their elements explicitly.
pub fn resolve<'c>(shape: &'c Field, path: &str) -> Result<Resolved<'c>, PathError> {
    let mut field = shape;
    let mut group = shape.group.as_deref();
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let so_far = segments[..i].join(".");
        match field.ty {
            FieldType::Map => {
                if segment.is_empty() {
                    return Err(PathError {
                        message: "empty path segment".into(),
                        suggestions: vec![],
                    });
                }
                field = field.items.as_deref().unwrap_or_else(|| string_field());
            }
            FieldType::Object if field.fields.is_empty() && i > 0 => {
                field = OPEN_OBJECT.get_or_init(|| Field::leaf(FieldType::Object, "free-form"));
                return Ok(Resolved { field, group });
            }
            FieldType::Object => {
                if let Some(next) = field.fields.get(*segment) {
                    field = next;
                    if group.is_none() {
                        group = next.group.as_deref();
                    }
                } else {
                    let candidates = flatten(shape);
                    let mut suggestions = nearest(path, candidates.iter().map(String::as_str));
                    if suggestions.is_empty() {
                        suggestions = field
                            .fields
                            .keys()
                            .map(|k| join(&so_far, k))
                            .take(8)
                            .collect();
                    }
                    let message = if so_far.is_empty() {
                        format!("unknown attribute `{segment}`")
                    } else {
                        format!("`{so_far}` has no field `{segment}`")
                    };
                    return Err(PathError {
                        message,
                        suggestions,
                    });
                }
            }
            other => {
                return Err(PathError {
                    message: format!(
                        "`{so_far}` is {} {}, it has no field `{segment}`{}",
                        article(other),
                        other.name(),
                        if other == FieldType::Array {
                            " (use any/all/none/count to look inside a list)"
                        } else {
                            ""
                        }
                    ),
                    suggestions: vec![],
                });
            }
        }
    }
    Ok(Resolved { field, group })
}

fn article(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Integer | FieldType::Object | FieldType::Array => "an",
        _ => "a",
    }
}

fn string_field() -> &'static Field {
    static STRING: OnceLock<Field> = OnceLock::new();
    STRING.get_or_init(|| Field::leaf(FieldType::String, ""))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Every path reachable from `shape` without entering a list, for suggestions.
#[must_use]
pub fn flatten(shape: &Field) -> Vec<String> {
    fn walk(field: &Field, prefix: &str, out: &mut Vec<String>) {
        for (name, child) in &field.fields {
            let path = join(prefix, name);
            out.push(path.clone());
            if child.ty == FieldType::Object {
                walk(child, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(shape, "", &mut out);
    out
}

/// Up to three names closest to `wanted`, best first.
pub fn nearest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = names
        .map(|name| {
            let last = wanted.rsplit('.').next().unwrap_or(wanted);
            let tail = name.rsplit('.').next().unwrap_or(name);
            let score =
                strsim::jaro_winkler(wanted, name).max(strsim::jaro_winkler(last, tail) - 0.05);
            (score, name)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn text(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn parse_field(context: &str, spec: &Value, shapes: &Value) -> Result<Field, String> {
    if let Some(name) = spec.as_str() {
        let ty = FieldType::parse(name).ok_or(format!("{context}: unknown type `{name}`"))?;
        return Ok(Field::leaf(ty, ""));
    }
    let Value::Object(spec) = spec else {
        return Err(format!("{context}: expected a type or a mapping"));
    };
    let ty_name = spec.get("type").and_then(Value::as_str).unwrap_or("object");
    let ty = FieldType::parse(ty_name).ok_or(format!("{context}: unknown type `{ty_name}`"))?;
    let mut field = Field::leaf(ty, &text(spec.get("description")));
    field.unit = spec.get("unit").and_then(Value::as_str).map(String::from);
    field.required = spec
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(values) = spec.get("values") {
        field.values = values
            .as_array()
            .and_then(|v| v.iter().map(|x| x.as_str().map(String::from)).collect())
            .ok_or(format!("{context}: `values` is a list of strings"))?;
    }
    let fields = match spec.get("ref").and_then(Value::as_str) {
        Some(shape) => shapes
            .get(shape)
            .ok_or(format!("{context}: unknown shape `{shape}`"))?,
        None => spec.get("fields").unwrap_or(&Value::Null),
    };
    if let Value::Object(fields) = fields {
        for (name, child) in fields {
            field.fields.insert(
                name.clone(),
                parse_field(&format!("{context}.{name}"), child, shapes)?,
            );
        }
    }
    if let Some(items) = spec.get("items") {
        field.items = Some(Box::new(parse_field(
            &format!("{context}[]"),
            items,
            shapes,
        )?));
    }
    if ty == FieldType::Array && field.items.is_none() {
        return Err(format!("{context}: an array needs `items`"));
    }
    Ok(field)
}

fn parse_type(name: &str, spec: &Value, shapes: &Value) -> Result<ResourceType, String> {
    let mut root = Field::leaf(FieldType::Object, "");
    for top in TOP_LEVEL_FIELDS.iter().filter(|f| **f != "tags") {
        root.fields
            .insert((*top).to_string(), Field::leaf(FieldType::String, ""));
    }
    let groups = spec
        .get("groups")
        .and_then(Value::as_object)
        .ok_or(format!("{name}: no groups"))?;
    for (group_name, group_spec) in groups {
        if TOP_LEVEL_FIELDS.contains(&group_name.as_str()) && group_name != "tags" {
            return Err(format!(
                "{name}: group `{group_name}` shadows a top-level field"
            ));
        }
        let mut field = if group_name == "tags" {
            let mut tags = Field::leaf(FieldType::Map, &text(group_spec.get("description")));
            tags.items = Some(Box::new(Field::leaf(FieldType::String, "tag value")));
            tags
        } else {
            parse_field(&format!("{name}.{group_name}"), group_spec, shapes)?
        };
        field.group = Some(group_name.clone());
        field.api = strings(group_spec.get("api"));
        for source in strings(group_spec.get("derived_from")) {
            let (ty, group) = source.rsplit_once('.').ok_or(format!(
                "{name}.{group_name}: derived_from `{source}` is not TYPE.GROUP"
            ))?;
            field.derived_from.push((ty.to_string(), group.to_string()));
        }
        if field.api.is_empty() {
            return Err(format!("{name}.{group_name}: no api actions"));
        }
        root.fields.insert(group_name.clone(), field);
    }
    Ok(ResourceType {
        name: name.to_string(),
        description: text(spec.get("description")),
        list_actions: strings(spec.get("list")),
        root,
    })
}

fn parse_role_permissions(
    spec: Option<&Value>,
    types: &BTreeMap<String, ResourceType>,
) -> Result<RolePermissions, String> {
    let spec = spec.ok_or("catalog has no `role_permissions`")?;
    let part = |key: &str| spec.get(key).ok_or(format!("role_permissions: no `{key}`"));
    let (role, policy) = (part("role")?, part("policy")?);
    let permissions = RolePermissions {
        role_type: text(role.get("type")),
        role_group: text(role.get("group")),
        policy_arn_fields: strings(role.get("policy_arns")),
        policy_type: text(policy.get("type")),
        policy_group: text(policy.get("group")),
        statements_field: text(policy.get("statements")),
    };
    // Each named field must be a list inside the named group of a known type, or the evaluator
    // would look in the wrong place and find nothing.
    let is_list_in_group = |type_name: &str, group: &str, field: &str| {
        let ty = types
            .get(type_name)
            .ok_or(format!("role_permissions: unknown type `{type_name}`"))?;
        let path = format!("{group}.{field}");
        let resolved = resolve(&ty.root, &path)
            .map_err(|e| format!("role_permissions: {type_name}: {}", e.message))?;
        if resolved.group != Some(group) || resolved.field.ty != FieldType::Array {
            return Err(format!(
                "role_permissions: `{path}` of {type_name} is not a list in group `{group}`"
            ));
        }
        Ok(())
    };
    if permissions.policy_arn_fields.is_empty() {
        return Err("role_permissions.role: no `policy_arns`".into());
    }
    for field in &permissions.policy_arn_fields {
        is_list_in_group(&permissions.role_type, &permissions.role_group, field)?;
    }
    is_list_in_group(
        &permissions.policy_type,
        &permissions.policy_group,
        &permissions.statements_field,
    )?;
    Ok(permissions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_has_every_required_type() {
        let catalog = Catalog::builtin();
        for name in [
            "aws.account",
            "aws.s3.bucket",
            "aws.kms.key",
            "aws.dynamodb.table",
            "aws.logs.log_group",
            "aws.lambda.function",
            "aws.iam.policy",
            "aws.iam.role",
            "aws.ssm.parameter",
            "aws.events.bus",
            "aws.events.rule",
            "aws.sfn.state_machine",
            "aws.cloudtrail.trail",
            "aws.kinesis.stream",
            "aws.secretsmanager.secret",
            "aws.sqs.queue",
            "aws.sns.topic",
            "aws.rds.instance",
            "aws.rds.cluster",
            "aws.rds.snapshot",
            "aws.docdb.cluster",
            "aws.elasticache.replication_group",
            "aws.opensearch.domain",
            "aws.glacier.vault",
            "aws.bedrock.account",
        ] {
            let ty = catalog
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert!(!ty.list_actions.is_empty(), "{name} has no list actions");
        }
    }

    #[test]
    fn role_permissions_must_name_lists_the_catalog_has() {
        let permissions = &Catalog::builtin().role_permissions;
        assert_eq!(permissions.role_type, "aws.iam.role");
        assert_eq!(permissions.policy_type, "aws.iam.policy");
        let broken = CATALOG_YAML.replace("group: policies,", "group: trust,");
        let err = Catalog::parse(&broken).unwrap_err();
        assert!(err.contains("role_permissions"), "{err}");
    }

    #[test]
    fn paths_resolve_to_groups_and_types() {
        let s3 = &Catalog::builtin().types["aws.s3.bucket"];
        let r = resolve(&s3.root, "object_lock.default_retention.days").unwrap();
        assert_eq!(r.group, Some("object_lock"));
        assert_eq!(r.field.ty, FieldType::Integer);
        let r = resolve(&s3.root, "tags.DataClassification").unwrap();
        assert_eq!((r.group, r.field.ty), (Some("tags"), FieldType::String));
        assert_eq!(resolve(&s3.root, "arn").unwrap().group, None);
    }

    #[test]
    fn unknown_paths_suggest_the_nearest_names() {
        let s3 = &Catalog::builtin().types["aws.s3.bucket"];
        let err = resolve(&s3.root, "object_lock.default_retention.mdoe").unwrap_err();
        assert_eq!(
            err.message,
            "`object_lock.default_retention` has no field `mdoe`"
        );
        assert_eq!(
            err.suggestions.first().map(String::as_str),
            Some("object_lock.default_retention.mode")
        );
        let err = resolve(&s3.root, "encryption.algorithm.x").unwrap_err();
        assert!(err.message.contains("is a string"), "{}", err.message);
    }
}
