//! The resource document and the inventory file: what collectors produce, what the evaluator
//! reads, and what `--save-inventory` / `--inventory` write and read. Knows nothing of rules.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Bumped when a change to the file format would make an older reader misread it.
pub const INVENTORY_FORMAT_VERSION: u32 = 1;

/// Top-level document fields; every other rule path is read under `attributes`.
pub const TOP_LEVEL_FIELDS: &[&str] = &["type", "arn", "account", "region", "name", "tags"];

/// One resource, normalized: units converted, "not configured" recorded as data, failures
/// recorded per attribute group under `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDoc {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub arn: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Attribute group (or `tags`) -> why it could not be collected.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
}

impl ResourceDoc {
    pub fn new(resource_type: &str, arn: impl Into<String>, account: &str, region: &str) -> Self {
        ResourceDoc {
            resource_type: resource_type.to_string(),
            arn: arn.into(),
            account: account.to_string(),
            region: region.to_string(),
            name: String::new(),
            tags: BTreeMap::new(),
            attributes: Map::new(),
            errors: BTreeMap::new(),
        }
    }

    /// Records a collected attribute group.
    pub fn set(&mut self, group: &str, value: Value) {
        self.attributes.insert(group.to_string(), value);
    }

    /// Records that a group could not be collected; the evaluator turns reads of it into ERROR.
    pub fn fail(&mut self, group: &str, reason: impl Into<String>) {
        self.attributes.remove(group);
        self.errors.insert(group.to_string(), reason.into());
    }
}

/// The account a scan saw, as reported by STS.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AccountScope {
    pub account: String,
    #[serde(default)]
    pub caller_arn: String,
    #[serde(default)]
    pub regions: Vec<String>,
}

/// A saved collection: the input of an offline (re-)evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub format_version: u32,
    /// RFC 3339 time the collection finished; the clock that rules about age use offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    #[serde(default)]
    pub accounts: Vec<AccountScope>,
    pub resources: Vec<ResourceDoc>,
}

impl Inventory {
    pub fn new(accounts: Vec<AccountScope>, mut resources: Vec<ResourceDoc>) -> Self {
        resources.sort_by(|a, b| {
            (&a.resource_type, &a.arn, &a.region).cmp(&(&b.resource_type, &b.arn, &b.region))
        });
        Inventory {
            format_version: INVENTORY_FORMAT_VERSION,
            collected_at: None,
            accounts,
            resources,
        }
    }

    /// Parses an inventory; the error names the line and column of malformed JSON.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let inventory: Inventory = serde_json::from_str(text)?;
        if inventory.format_version != INVENTORY_FORMAT_VERSION {
            anyhow::bail!(
                "format_version {} is not supported (this posture reads version {})",
                inventory.format_version,
                INVENTORY_FORMAT_VERSION
            );
        }
        Ok(inventory)
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read inventory {}", path.display()))?;
        Self::from_json(&text).with_context(|| format!("invalid inventory {}", path.display()))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        crate::atomic_write(path, text.as_bytes())
            .with_context(|| format!("cannot write inventory {}", path.display()))
    }
}
