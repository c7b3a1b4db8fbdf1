//! The validated rule model. Every path in it was checked against the catalog at load time.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
/// How serious a failed rule is; YAML `severity`, one of info, low, medium, high, critical.
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, least serious first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    #[must_use]
    /// The severity spelled `text` in a rule file, if any.
    pub fn parse(text: &str) -> Option<Severity> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    #[must_use]
    /// The spelling used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value in a rule: written literally, or a parameter resolved at evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A value written in the rule.
    Literal(Value),
    /// `$params.NAME`: the rule parameter of that name.
    Param(String),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Literal(Value::String(s)) => f.write_str(s),
            Operand::Literal(v) => write!(f, "{v}"),
            Operand::Param(name) => write!(f, "$params.{name}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// A numeric comparison (YAML `gt`, `gte`, `lt`, `lte`).
pub enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cmp {
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Gte => ">=",
            Cmp::Lt => "<",
            Cmp::Lte => "<=",
        }
    }

    #[must_use]
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Cmp::Gt => left > right,
            Cmp::Gte => left >= right,
            Cmp::Lt => left < right,
            Cmp::Lte => left <= right,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Op {
    Equals(Operand),
    NotEquals(Operand),
    Compare(Cmp, Operand),
    In(Operand),
    NotIn(Operand),
    /// A list holds the value, or a string holds the substring.
    Contains(Operand),
    Matches(regex::Regex),
    NotMatches(regex::Regex),
    Exists(bool),
    /// Quantifiers over the elements of a list; the clause's paths are relative to an element.
    AnyItem(Box<Clause>),
    AllItems(Box<Clause>),
    NoItem(Box<Clause>),
    /// Number of elements (those matching `filter`, when given) compared with each bound.
    Count {
        filter: Option<Box<Clause>>,
        bounds: Vec<(Cmp, Operand)>,
    },
    /// Days since an RFC 3339 timestamp, at the evaluation's clock.
    AgeDays(Vec<(Cmp, Operand)>),
    /// The value (or each value of a list) equals `attribute` of some collected resource of one
    /// of `resource_types` that satisfies `filter` (when given).
    References {
        resource_types: Vec<String>,
        attribute: String,
        filter: Option<Box<Clause>>,
    },
    /// The IAM role named at `role_path` (read at the document root) allows `action` on the
    /// value (or each value of a list), judged from the role's collected customer-managed and
    /// inline policies, found where the catalog says a role's permissions live.
    AllowedByRole {
        role_path: String,
        action: String,
        permissions: std::sync::Arc<crate::catalog::RolePermissions>,
    },
    /// A map (tags) has every key of the list.
    HasKeys(Operand),
    /// The value is a key of a dated schedule (a data file next to the rule); FAIL once its date
    /// is within `warn_days` of the evaluation clock, ERROR when the key is not in the schedule.
    Deprecation {
        schedule: std::sync::Arc<Schedule>,
        warn_days: Operand,
    },
}

/// A dated table loaded from a `*.data.yaml` file: key -> date (None: no date announced).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub file: String,
    pub dates: BTreeMap<String, Option<time::Date>>,
}

#[derive(Debug, Clone)]
pub enum Clause {
    All(Vec<Clause>),
    Any(Vec<Clause>),
    Not(Box<Clause>),
    /// `path` is relative to the current scope; `.` is the scope itself (a list element).
    Check {
        path: String,
        ops: Vec<Op>,
    },
    /// Some resource of another type, in the same account, satisfies `filter`.
    SomeResource {
        resource_type: String,
        filter: Box<Clause>,
    },
}

#[derive(Debug, Clone)]
/// One validated rule, as loaded from its YAML file.
pub struct Rule {
    pub id: String,
    /// Bumped by rule authors when the meaning changes; reported with every finding.
    pub version: u32,
    pub title: String,
    pub severity: Severity,
    pub resource_type: String,
    pub selector: Option<Clause>,
    pub assertion: Clause,
    /// Parameter defaults as written in the rule file.
    pub params: BTreeMap<String, Value>,
    pub frameworks: BTreeMap<String, Vec<String>>,
    pub rationale: String,
    pub remediation: String,
    pub file: PathBuf,
}

/// A file the report depends on, by path and content digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleFile {
    pub path: String,
    pub sha256: String,
}

/// Rules ready to evaluate, with the parameters in force for each.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub files: Vec<RuleFile>,
    /// Rule id -> parameter name -> value (defaults merged with overrides).
    pub params: BTreeMap<String, BTreeMap<String, Value>>,
}

impl RuleSet {
    #[must_use]
    /// The rule with this id, if loaded.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    #[must_use]
    /// The parameters in force for the rule with this id (empty when unknown).
    pub fn params_of(&self, id: &str) -> BTreeMap<String, Value> {
        self.params.get(id).cloned().unwrap_or_default()
    }
}
