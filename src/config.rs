//! `posture.toml`: defaults for flags. Flags override it; unknown keys are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::ParamOverride;

pub const DEFAULT_FILE: &str = "posture.toml";

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// toml's message names the line and column and shows the offending line.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{}: parameter {rule}.{name} is not a JSON value: {source}", path.display())]
    Parameter {
        path: PathBuf,
        rule: String,
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

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
    pub fn load(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok((Config::default(), None)),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let config: Config = match toml::from_str(&text) {
            Ok(config) => config,
            Err(e) => {
                let message = e.to_string();
                return Err(ConfigError::Invalid { path, message });
            }
        };
        Ok((config, Some(path)))
    }

    pub fn param_overrides(&self, origin: &Path) -> Result<Vec<ParamOverride>, ConfigError> {
        let mut out = Vec::new();
        for (rule, params) in &self.params {
            for (name, value) in params {
                let value =
                    serde_json::to_value(value).map_err(|source| ConfigError::Parameter {
                        path: origin.to_path_buf(),
                        rule: rule.clone(),
                        name: name.clone(),
                        source,
                    })?;
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
