//! The plan: from the loaded rules, the minimal set of (resource type, attribute group) to
//! collect. Collectors read only this, so scanning with only IAM rules makes no S3 call.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Resource type -> attribute groups (including `tags`) the rules read.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

impl Plan {
    pub fn wants_type(&self, resource_type: &str) -> bool {
        self.groups.contains_key(resource_type)
    }

    pub fn wants(&self, resource_type: &str, group: &str) -> bool {
        self.groups
            .get(resource_type)
            .is_some_and(|groups| groups.contains(group))
    }

    pub fn add(&mut self, resource_type: &str, group: Option<&str>) {
        let groups = self.groups.entry(resource_type.to_string()).or_default();
        if let Some(group) = group {
            groups.insert(group.to_string());
        }
    }
}
