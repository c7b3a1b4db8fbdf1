//! Which resources a scan reports on (`--resource-arn`, `--resource-tag`). The focus narrows
//! the resources judged, never the documents read: a rule about one role still sees the
//! policies and trust it references, and a type whose listing failed stays an ERROR (an unseen
//! resource might be in focus).

use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::inventory::ResourceDoc;

/// The resources to judge: ARN globs (any may match) and tags (all must match).
#[derive(Debug, Clone, Default)]
pub struct ResourceFocus {
    arns: Option<GlobSet>,
    tags: Vec<(String, Option<String>)>,
    record: FocusRecord,
}

/// The focus as a report records it, so a reader knows the report covers a subset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FocusRecord {
    /// ARN globs given with `--resource-arn`; a resource matching any is in focus.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arns: Vec<String>,
    /// Tags given with `--resource-tag` (`Key=Value`, or `Key` for any value); a resource
    /// must carry all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Resource documents in focus, of all documents read (`source.resource_count`).
    #[serde(default)]
    pub resources_in_focus: usize,
}

impl ResourceFocus {
    /// Every resource.
    #[must_use]
    pub fn everything() -> Self {
        ResourceFocus::default()
    }

    /// A focus from `--resource-arn` globs and `--resource-tag` pairs; an unparsable glob or an
    /// empty tag key is an error naming it.
    pub fn new(arns: &[String], tags: &[String]) -> Result<Self, String> {
        let arn_set = if arns.is_empty() {
            None
        } else {
            let mut builder = GlobSetBuilder::new();
            for pattern in arns {
                let glob = globset::GlobBuilder::new(pattern)
                    // An ARN is not a path: `*` crosses `/` (role/service-role/x).
                    .literal_separator(false)
                    .build()
                    .map_err(|e| format!("--resource-arn `{pattern}` is not a glob: {e}"))?;
                builder.add(glob);
            }
            Some(
                builder
                    .build()
                    .map_err(|e| format!("--resource-arn globs: {e}"))?,
            )
        };
        let mut parsed = Vec::new();
        for tag in tags {
            let (key, value) = match tag.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.to_string())),
                None => (tag.trim(), None),
            };
            if key.is_empty() {
                return Err(format!(
                    "--resource-tag `{tag}` has no key: give Key=Value, or Key for any value"
                ));
            }
            parsed.push((key.to_string(), value));
        }
        Ok(ResourceFocus {
            arns: arn_set,
            tags: parsed,
            record: FocusRecord {
                arns: arns.to_vec(),
                tags: tags.to_vec(),
                resources_in_focus: 0,
            },
        })
    }

    /// Whether the focus narrows anything.
    #[must_use]
    pub fn is_everything(&self) -> bool {
        self.arns.is_none() && self.tags.is_empty()
    }

    /// What the report records, with how many of `docs` are in focus; None when every
    /// resource is.
    #[must_use]
    pub fn record(&self, docs: &[ResourceDoc]) -> Option<FocusRecord> {
        (!self.is_everything()).then(|| FocusRecord {
            resources_in_focus: docs.iter().filter(|d| self.includes(d)).count(),
            ..self.record.clone()
        })
    }

    /// Whether a document is judged.
    #[must_use]
    pub fn includes(&self, doc: &ResourceDoc) -> bool {
        if let Some(arns) = &self.arns
            && !arns.is_match(&doc.arn)
        {
            return false;
        }
        self.tags.iter().all(|(key, value)| match value {
            Some(value) => doc.tags.get(key) == Some(value),
            None => doc.tags.contains_key(key),
        })
    }
}
