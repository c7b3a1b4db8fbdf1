//! `posture.toml`: defaults for flags. Flags override it; unknown keys are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::ParamOverride;

/// The config file read from the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "posture.toml";

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read as text (missing, too large, not UTF-8).
    #[error(transparent)]
    Input(crate::input::InputError),
    /// toml's message names the line and column and shows the offending line.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The config file that failed to parse.
        path: PathBuf,
        /// toml's description of the error.
        message: String,
    },
    /// A `[params]` value with no JSON form, the form rule parameters take.
    #[error("{}: parameter {rule}.{name} is not a JSON value: {source}", path.display())]
    Parameter {
        /// The config file holding the value.
        path: PathBuf,
        /// Rule id of the `[params]` table the value is in.
        rule: String,
        /// Parameter name within that table.
        name: String,
        /// Why the value could not be converted.
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
/// The settings of a `posture.toml`; each one is a default that its flag overrides.
pub struct Config {
    /// Rule files or directories, loaded beside the built-in pack when no rule path is given.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Whether the built-in pack is loaded (default true); `--no-builtin-rules` sets false.
    pub builtin_rules: Option<bool>,
    /// Lowest severity whose FAIL makes `scan` exit 1; `--fail-on` overrides it (default low).
    pub fail_on: Option<String>,
    /// Undecided checks tolerated before `scan` exits 3 (`10` or `2%`); `--max-undecided`
    /// overrides it (default 0).
    pub max_undecided: Option<String>,
    /// Regions to work in (or `all`), used when neither `--region` nor `--regions` is given.
    #[serde(default)]
    pub regions: Vec<String>,
    /// rule id -> parameter -> value
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// Suppressions file; `--suppressions` overrides it.
    pub suppressions: Option<PathBuf>,
    /// Warn when one suppression entry silences more than this share (0 to 1) of the FAIL and
    /// ERROR findings; default 0.5.
    pub suppression_warn_share: Option<f64>,
    /// Output formats (table, json, sarif, junit, csv, markdown); `--format` overrides them.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Directory for the file formats; `--output` / `--output-dir` override it.
    pub output_dir: Option<PathBuf>,
    /// Bedrock model for `health` and `summarize`.
    pub bedrock_model: Option<String>,
    /// Largest input file of each kind, in MiB.
    #[serde(default)]
    pub limits: crate::input::Limits,
}

impl Config {
    /// Reads `path`, or `posture.toml` in the current directory when it exists, and installs
    /// its `[limits]` for every file read afterwards.
    pub fn load(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok((Config::default(), None)),
        };
        let text = crate::input::read_text(&path, crate::input::FileKind::Config)
            .map_err(ConfigError::Input)?
            .text;
        let config: Config = match toml::from_str(&text) {
            Ok(config) => config,
            Err(e) => {
                let message = e.to_string();
                return Err(ConfigError::Invalid { path, message });
            }
        };
        // Every file read after this point is bounded by the limits this config sets.
        config.limits.install();
        Ok((config, Some(path)))
    }

    /// The `[params]` tables as overrides; `origin`, the config's path, names them in errors.
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
