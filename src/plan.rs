//! The plan: from the loaded rules, the minimal set of (resource type, attribute group) to
//! collect. Collectors read only this, so scanning with only IAM rules makes no S3 call.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::Catalog;
use crate::inventory::TOP_LEVEL_FIELDS;
use crate::rules::{Clause, Op, Rule, RuleSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
/// What a scan collects: the resource types to list and, for each, the attribute groups to fetch.
pub struct Plan {
    /// Resource type -> attribute groups (including `tags`) the rules read.
    pub groups: BTreeMap<String, BTreeSet<String>>,
    /// (type, group) -> the tag conditions under which some rule reading the group applies.
    /// A group read only by rules whose `where` requires a tag is fetched only for resources
    /// with that tag: for every other resource each of those rules is `NOT_APPLICABLE` anyway.
    pub gates: BTreeMap<(String, String), Vec<TagGate>>,
}

/// A tag condition from a rule's `where`: the key exists, or has one of the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagGate {
    /// Tag key the resource must carry.
    pub key: String,
    /// Values of which the tag must have one; None: any value (`exists: true`).
    pub values: Option<Vec<String>>,
}

impl TagGate {
    fn admits(&self, tags: &BTreeMap<String, String>) -> bool {
        match (tags.get(&self.key), &self.values) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(v), Some(values)) => values.contains(v),
        }
    }
}

impl Plan {
    #[must_use]
    /// Whether resources of this type are listed at all (some rule reads or refers to the type).
    pub fn wants_type(&self, resource_type: &str) -> bool {
        self.groups.contains_key(resource_type)
    }

    #[must_use]
    /// Whether some rule reads `group` of `resource_type`; `wants_for` also applies tag gates.
    pub fn wants(&self, resource_type: &str, group: &str) -> bool {
        self.groups
            .get(resource_type)
            .is_some_and(|groups| groups.contains(group))
    }

    /// Plans listing `resource_type` and, when `group` is given, fetching that group and the
    /// groups the catalog derives it from.
    pub fn add(&mut self, resource_type: &str, group: Option<&str>) {
        let groups = self.groups.entry(resource_type.to_string()).or_default();
        if let Some(group) = group
            && groups.insert(group.to_string())
        {
            let sources = crate::catalog::Catalog::builtin()
                .get(resource_type)
                .and_then(|ty| ty.root.fields.get(group))
                .map(|field| field.derived_from.clone())
                .unwrap_or_default();
            for (ty, group) in sources {
                self.add(&ty, Some(&group));
            }
        }
    }

    /// The types and groups one rule reads (its `where`, its assertion and every resource it
    /// refers to): what an inventory must have collected for the rule to be decided.
    #[must_use]
    pub fn reads_of(rule: &Rule) -> Plan {
        let mut reads = Plan::default();
        for ty in &rule.resource_types {
            reads.add(ty, None);
            if let Some(selector) = &rule.selector {
                reads.add_clause(ty, selector);
            }
            reads.add_clause(ty, &rule.assertion);
        }
        reads
    }

    /// Every type and group the rules read, including types they refer to.
    #[must_use]
    pub fn from_rules(rules: &RuleSet) -> Plan {
        let mut plan = Plan::default();
        let mut ungated: BTreeSet<(String, String)> = BTreeSet::new();
        let mut gates: BTreeMap<(String, String), Vec<TagGate>> = BTreeMap::new();
        for rule in &rules.rules {
            let mut selector_reads = Plan::default();
            let mut assertion_reads = Plan::default();
            for ty in &rule.resource_types {
                if let Some(selector) = &rule.selector {
                    selector_reads.add_clause(ty, selector);
                }
                assertion_reads.add_clause(ty, &rule.assertion);
            }
            let gate = rule
                .selector
                .as_ref()
                .and_then(|s| tag_gate(s, &rules.params_of(&rule.id)));
            for (ty, groups) in &assertion_reads.groups {
                for group in groups {
                    let key = (ty.clone(), group.clone());
                    let read_by_selector = selector_reads.wants(ty, group);
                    match &gate {
                        Some(gate) if rule.resource_types.contains(ty) && !read_by_selector => {
                            gates.entry(key).or_default().push(gate.clone());
                        }
                        _ => {
                            ungated.insert(key);
                        }
                    }
                }
            }
            for reads in [selector_reads, assertion_reads] {
                for (ty, groups) in reads.groups {
                    plan.add(&ty, None);
                    for group in groups {
                        plan.add(&ty, Some(&group));
                    }
                }
            }
            for ty in &rule.resource_types {
                plan.add(ty, None);
            }
        }
        gates.retain(|key, _| !ungated.contains(key));
        plan.gates = gates;
        plan
    }

    /// Whether to fetch `group` of a resource whose tags are known (`tags_known`: they were
    /// collected without error). Ungated groups are always fetched; so is every group when the
    /// tags could not be read, since applicability is then unknown.
    #[must_use]
    pub fn wants_for(
        &self,
        resource_type: &str,
        group: &str,
        tags: &BTreeMap<String, String>,
        tags_known: bool,
    ) -> bool {
        if !self.wants(resource_type, group) {
            return false;
        }
        match self
            .gates
            .get(&(resource_type.to_string(), group.to_string()))
        {
            None => true,
            Some(_) if !tags_known => true,
            Some(gates) => gates.iter().any(|g| g.admits(tags)),
        }
    }

    /// Everything the catalog knows (for `posture snapshot` without rules).
    #[must_use]
    pub fn everything(catalog: &Catalog) -> Plan {
        let mut plan = Plan::default();
        for ty in catalog.types.values() {
            plan.add(&ty.name, None);
            for (group, _) in ty.groups() {
                plan.add(&ty.name, Some(group));
            }
        }
        plan
    }

    fn add_path(&mut self, resource_type: &str, path: &str) {
        let first = path.split('.').next().unwrap_or(path);
        if first == "$params" {
            return;
        }
        if first == "tags" || !TOP_LEVEL_FIELDS.contains(&first) {
            self.add(resource_type, Some(first));
        } else {
            self.add(resource_type, None);
        }
    }

    /// Records the groups a clause reads at the document root of `resource_type`. Paths inside
    /// quantifiers are relative to list items, which belong to the group of the list itself.
    fn add_clause(&mut self, resource_type: &str, clause: &Clause) {
        match clause {
            Clause::All(items) | Clause::Any(items) => {
                for c in items {
                    self.add_clause(resource_type, c);
                }
            }
            Clause::Not(inner) => self.add_clause(resource_type, inner),
            Clause::Check { path, ops } => {
                self.add_path(resource_type, path);
                for op in ops {
                    self.add_op_targets(op);
                }
            }
            Clause::SomeResource {
                resource_type: other,
                filter,
            } => {
                self.add(other, None);
                self.add_clause(other, filter);
            }
        }
    }

    /// References and nested quantifiers can name other resource types.
    fn add_op_targets(&mut self, op: &Op) {
        match op {
            Op::AllowedByRole { permissions, .. } => {
                self.add(&permissions.role_type, Some(&permissions.role_group));
                self.add(&permissions.policy_type, Some(&permissions.policy_group));
            }
            Op::References {
                resource_types,
                attribute,
                filter,
            } => {
                for resource_type in resource_types {
                    self.add_path(resource_type, attribute);
                    if let Some(filter) = filter {
                        self.add_clause(resource_type, filter);
                    }
                }
            }
            Op::AnyItem(inner) | Op::AllItems(inner) | Op::NoItem(inner) => self.add_nested(inner),
            Op::Count {
                filter: Some(inner),
                ..
            } => self.add_nested(inner),
            _ => {}
        }
    }

    fn add_nested(&mut self, clause: &Clause) {
        match clause {
            Clause::All(items) | Clause::Any(items) => {
                for c in items {
                    self.add_nested(c);
                }
            }
            Clause::Not(inner) => self.add_nested(inner),
            Clause::Check { ops, .. } => ops.iter().for_each(|op| self.add_op_targets(op)),
            Clause::SomeResource {
                resource_type,
                filter,
            } => {
                self.add(resource_type, None);
                self.add_clause(resource_type, filter);
            }
        }
    }

    /// The IAM actions a scan with this plan calls, for a least-privilege policy.
    #[must_use]
    pub fn iam_actions(&self, catalog: &Catalog) -> BTreeSet<String> {
        let mut actions = BTreeSet::from(["sts:GetCallerIdentity".to_string()]);
        for (type_name, groups) in &self.groups {
            let Some(ty) = catalog.get(type_name) else {
                continue;
            };
            actions.extend(ty.list_actions.iter().cloned());
            for (group, field) in ty.groups() {
                if groups.contains(group) {
                    actions.extend(field.api.iter().cloned());
                }
            }
        }
        actions
    }
}

/// A tag condition that the selector requires, when there is one: the selector is (or is an
/// `all` containing) a check of `tags.KEY` with equals / in / exists: true.
fn tag_gate(selector: &Clause, params: &BTreeMap<String, serde_json::Value>) -> Option<TagGate> {
    use crate::rules::Operand;
    let resolve = |operand: &Operand| match operand {
        Operand::Literal(v) => Some(v.clone()),
        Operand::Param(name) => params.get(name).cloned(),
    };
    match selector {
        Clause::All(items) => items.iter().find_map(|c| tag_gate(c, params)),
        Clause::Check { path, ops } => {
            let key = path.strip_prefix("tags.")?;
            ops.iter().find_map(|op| {
                let values = match op {
                    Op::Equals(v) => vec![resolve(v)?.as_str()?.to_string()],
                    Op::In(v) => resolve(v)?
                        .as_array()?
                        .iter()
                        .map(|i| i.as_str().map(String::from))
                        .collect::<Option<Vec<_>>>()?,
                    Op::Exists(true) => {
                        return Some(TagGate {
                            key: key.to_string(),
                            values: None,
                        });
                    }
                    _ => return None,
                };
                Some(TagGate {
                    key: key.to_string(),
                    values: Some(values),
                })
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn plan_of(text: &str) -> Plan {
        let rules =
            crate::rules::parse_str(Path::new("t.yaml"), text, Catalog::builtin()).expect("valid");
        let params = rules
            .iter()
            .map(|r| (r.id.clone(), r.params.clone()))
            .collect();
        Plan::from_rules(&RuleSet {
            rules,
            params,
            ..RuleSet::default()
        })
    }

    const HEAD: &str = "id: t\ntitle: t\nseverity: low\nrationale: r\nremediation: r\n";

    #[test]
    fn only_the_groups_rules_read() {
        let plan = plan_of(&format!(
            "{HEAD}resource: aws.s3.bucket\nwhere: {{ tags.DataClassification: {{ equals: audit }} }}\nassert: {{ object_lock.default_retention.days: {{ gte: 1 }} }}\n"
        ));
        assert_eq!(plan.groups.len(), 1);
        assert_eq!(
            plan.groups["aws.s3.bucket"],
            BTreeSet::from(["object_lock".to_string(), "tags".to_string()])
        );
        assert!(!plan.wants("aws.s3.bucket", "encryption"));
    }

    #[test]
    fn references_and_some_resource_add_their_types() {
        let plan = plan_of(&format!(
            "{HEAD}resource: aws.events.rule\nassert: {{ targets.items: {{ all: {{ arn: {{ references: {{ type: aws.lambda.function }} }} }} }} }}\n"
        ));
        assert!(plan.wants("aws.events.rule", "targets"));
        assert!(plan.wants_type("aws.lambda.function"));
        assert!(
            plan.groups["aws.lambda.function"].is_empty(),
            "an ARN needs only the listing"
        );
        let plan = plan_of(&format!(
            "{HEAD}resource: aws.account\nassert: {{ some_resource: {{ type: aws.cloudtrail.trail, where: {{ status.is_logging: {{ equals: true }} }} }} }}\n"
        ));
        assert!(plan.wants("aws.cloudtrail.trail", "status"));
        assert!(!plan.wants("aws.cloudtrail.trail", "configuration"));
    }

    #[test]
    fn groups_read_only_under_a_tag_selector_are_gated() {
        let audit = format!(
            "{HEAD}resource: aws.s3.bucket\nparams: {{ v: audit }}\nwhere: {{ tags.DataClassification: {{ equals: $params.v }} }}\nassert: {{ object_lock.enabled: {{ equals: true }} }}\n"
        );
        let plan = plan_of(&audit);
        let tags = |v: &str| BTreeMap::from([("DataClassification".to_string(), v.to_string())]);
        assert!(plan.wants_for("aws.s3.bucket", "object_lock", &tags("audit"), true));
        assert!(!plan.wants_for("aws.s3.bucket", "object_lock", &tags("public"), true));
        assert!(
            plan.wants_for("aws.s3.bucket", "object_lock", &BTreeMap::new(), false),
            "unknown tags: fetch"
        );
        assert!(
            plan.wants_for("aws.s3.bucket", "tags", &BTreeMap::new(), true),
            "the selector's own group is ungated"
        );
        // A second rule reading the group without a selector ungates it.
        let text = format!(
            "{audit}---\nid: u\ntitle: t\nseverity: low\nrationale: r\nremediation: r\nresource: aws.s3.bucket\nassert: {{ object_lock.enabled: {{ equals: true }} }}\n"
        );
        let rules =
            crate::rules::parse_str(Path::new("t.yaml"), &text, Catalog::builtin()).expect("valid");
        let params = rules
            .iter()
            .map(|r| (r.id.clone(), r.params.clone()))
            .collect();
        let plan = Plan::from_rules(&RuleSet {
            rules,
            params,
            ..RuleSet::default()
        });
        assert!(plan.wants_for("aws.s3.bucket", "object_lock", &tags("public"), true));
    }

    #[test]
    fn allowed_by_role_plans_the_groups_where_role_permissions_live() {
        let plan = plan_of(&format!(
            "{HEAD}resource: aws.sfn.state_machine\nassert: {{ definition.lambda_function_arns: {{ allowed_by_role: {{ role: definition.role_arn, action: lambda:InvokeFunction }} }} }}\n"
        ));
        assert!(plan.wants("aws.sfn.state_machine", "definition"));
        assert!(plan.wants("aws.iam.role", "policies"));
        assert!(plan.wants("aws.iam.policy", "policy"));
    }

    #[test]
    fn iam_only_plan_needs_no_s3_action() {
        let plan = plan_of(&format!(
            "{HEAD}resource: aws.iam.policy\nassert: {{ analysis.allows_admin: {{ equals: false }} }}\n"
        ));
        let actions = plan.iam_actions(Catalog::builtin());
        assert!(actions.contains("iam:GetAccountAuthorizationDetails"));
        assert!(actions.iter().all(|a| !a.starts_with("s3:")), "{actions:?}");
    }
}
