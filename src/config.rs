//! `posture.toml`: defaults for flags. Flags override it; unknown keys are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::rules::ParamOverride;

pub const DEFAULT_FILE: &str = "posture.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    pub fail_on: Option<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    /// rule id -> parameter -> value
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// Suppressions file; `--suppressions` overrides it.
    pub suppressions: Option<PathBuf>,
    /// Output formats (table, json, sarif, junit, csv, markdown); `--format` overrides them.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Directory for the file formats; `--output` / `--output-dir` override it.
    pub output_dir: Option<PathBuf>,
    /// Bedrock model for `health` and `summarize`.
    pub bedrock_model: Option<String>,
}

impl Config {
    /// Reads `path`, or `posture.toml` in the current directory when it exists.
    pub fn load(path: Option<&Path>) -> anyhow::Result<(Config, Option<PathBuf>)> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok((Config::default(), None)),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok((config, Some(path)))
    }

    pub fn param_overrides(&self, origin: &Path) -> anyhow::Result<Vec<ParamOverride>> {
        let mut out = Vec::new();
        for (rule, params) in &self.params {
            for (name, value) in params {
                let value = serde_json::to_value(value).context("parameter value")?;
                out.push(ParamOverride {
                    rule: rule.clone(),
                    name: name.clone(),
                    value,
                    origin: origin.display().to_string(),
                });
            }
        }
        Ok(out)
    }
}
