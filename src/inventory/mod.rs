//! The resource document and the inventory file: what collectors produce, what the evaluator
//! reads, and what `--save-inventory` / `--inventory` write and read. Knows nothing of rules.

pub mod check;
mod failure;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use failure::{CollectionError, THROTTLING_CODES};

/// Why an inventory file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file could not be read as text (missing, over the size limit, not UTF-8).
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error("invalid inventory{}: {message} at line {line} column {column}", in_file(path.as_deref()))]
    /// The file is not an inventory: malformed JSON or a document of the wrong shape.
    Malformed {
        /// The inventory file, when it was read from one.
        path: Option<PathBuf>,
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    #[error(
        "invalid inventory{}: format_version {found} is not supported (this posture reads version {supported})",
        in_file(path.as_deref())
    )]
    /// The file was written in a format this posture does not read.
    UnsupportedVersion {
        /// The inventory file, when it was read from one.
        path: Option<PathBuf>,
        /// The file's `format_version`.
        found: u32,
        /// The version this posture reads.
        supported: u32,
    },
    #[error("cannot serialize the inventory: {0}")]
    /// The inventory could not be turned into JSON.
    Serialize(#[source] serde_json::Error),
    #[error("cannot write inventory {}: {source}", path.display())]
    /// The file could not be written (atomically: the old one is left as it was).
    Write {
        /// The inventory file.
        path: PathBuf,
        #[source]
        /// What the operating system said.
        source: std::io::Error,
    },
}

fn in_file(path: Option<&Path>) -> String {
    path.map(|p| format!(" {}", p.display()))
        .unwrap_or_default()
}

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
    /// Catalog type, e.g. `aws.s3.bucket`.
    pub resource_type: String,
    /// The resource's ARN (for account-level documents, the account's root ARN).
    pub arn: String,
    #[serde(default)]
    /// Account id the resource belongs to.
    pub account: String,
    #[serde(default)]
    /// Region it lives in, or `global` for IAM and account documents.
    pub region: String,
    #[serde(default)]
    /// Name as the service shows it (bucket name, function name, key id ...).
    pub name: String,
    #[serde(default)]
    /// Tags, when the plan read them; unreadable tags are recorded under `errors["tags"]`.
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    /// Attribute groups, each as the catalog describes it.
    pub attributes: Map<String, Value>,
    /// Attribute group (or `tags`, or `<type>@<region>` for a failed listing on `aws.account`)
    /// -> why it could not be collected.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, CollectionError>,
}

impl ResourceDoc {
    /// A document with no tags, attributes or errors yet.
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
    pub fn fail(&mut self, group: &str, error: impl Into<CollectionError>) {
        self.attributes.remove(group);
        self.errors.insert(group.to_string(), error.into());
    }

    /// Records a group read by one call: its value, or why the call failed.
    pub fn record(&mut self, group: &str, read: Result<Value, CollectionError>) {
        match read {
            Ok(value) => self.set(group, value),
            Err(error) => self.fail(group, error),
        }
    }
}

/// The account a scan saw, as reported by STS.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AccountScope {
    /// Account id.
    pub account: String,
    /// Who the scan ran as there (STS GetCallerIdentity).
    #[serde(default)]
    pub caller_arn: String,
    /// Regions scanned in the account; the first is where global services were read.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Resource type -> attribute groups (including `tags`) that were collected in every region
    /// of `regions`: the inventory's coverage. A type or group absent here was never asked for,
    /// so a rule that reads it cannot be decided from this inventory. None in inventories
    /// written before coverage was recorded; the evaluator then knows only the documents.
    /// Listings that failed are recorded on the account's `aws.account` document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<BTreeMap<String, Vec<String>>>,
}

impl AccountScope {
    /// An account scanned in `regions` with no coverage recorded yet.
    #[must_use]
    pub fn new(account: &str, caller_arn: &str, regions: Vec<String>) -> Self {
        AccountScope {
            account: account.to_string(),
            caller_arn: caller_arn.to_string(),
            regions,
            collected: None,
        }
    }
}

/// A saved collection: the input of an offline (re-)evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// `INVENTORY_FORMAT_VERSION` of the posture that wrote it.
    pub format_version: u32,
    /// RFC 3339 time the collection finished; the clock that rules about age use offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// The endpoint every request went to when it was not AWS's own (`--endpoint-url`: an
    /// emulator or a proxy), so a run against an emulator is never taken for a real account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// Every account the collection reached.
    #[serde(default)]
    pub accounts: Vec<AccountScope>,
    /// Every resource document, sorted by type, ARN and region.
    pub resources: Vec<ResourceDoc>,
}

impl Inventory {
    #[must_use]
    /// An inventory of `resources`, sorted so that saved files are reproducible.
    pub fn new(accounts: Vec<AccountScope>, mut resources: Vec<ResourceDoc>) -> Self {
        resources.sort_by(|a, b| {
            (&a.resource_type, &a.arn, &a.region).cmp(&(&b.resource_type, &b.arn, &b.region))
        });
        Inventory {
            format_version: INVENTORY_FORMAT_VERSION,
            collected_at: None,
            endpoint_url: None,
            accounts,
            resources,
        }
    }

    /// Parses an inventory; the error names the line and column of malformed JSON.
    pub fn from_json(text: &str) -> Result<Self, InventoryError> {
        Self::parse(text, None)
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Self, InventoryError> {
        let inventory: Inventory =
            serde_json::from_str(text).map_err(|e| InventoryError::Malformed {
                path: path.map(Path::to_path_buf),
                line: e.line(),
                // serde_json gives column 0 for an empty file or a line end; positions start at 1.
                column: e.column().max(1),
                message: without_position(&e),
            })?;
        if inventory.format_version != INVENTORY_FORMAT_VERSION {
            return Err(InventoryError::UnsupportedVersion {
                path: path.map(Path::to_path_buf),
                found: inventory.format_version,
                supported: INVENTORY_FORMAT_VERSION,
            });
        }
        Ok(inventory)
    }

    /// Reads and parses the inventory file at `path`, under the inventory size limit, and
    /// returns it with the SHA-256 of the file's bytes.
    pub fn load(path: &Path) -> Result<(Self, String), InventoryError> {
        let read = crate::input::read_text(path, crate::input::FileKind::Inventory)?;
        Ok((Self::parse(&read.text, Some(path))?, read.sha256))
    }

    /// The inventory as pretty JSON, as `save` writes it.
    pub fn to_text(&self) -> Result<String, InventoryError> {
        let mut text = serde_json::to_string_pretty(self).map_err(InventoryError::Serialize)?;
        text.push('\n');
        Ok(text)
    }

    /// Writes the inventory to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), InventoryError> {
        let text = self.to_text()?;
        crate::atomic_write(path, text.as_bytes()).map_err(|source| InventoryError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// `serde_json`'s message without its trailing " at line L column C" (the variant carries those).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
