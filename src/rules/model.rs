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
#[allow(
    missing_docs,
    reason = "variant doc comments would make the JSON Schema a oneOf instead of a plain enum, and \
              with it open `summary.by_severity` to any key; the variants are described in comments"
)]
pub enum Severity {
    // The least serious; below the default `--fail-on` (low), so by default its FAILs do not
    // set exit code 1.
    Info,
    // The default `--fail-on` threshold; a SARIF note, like info.
    Low,
    // A SARIF warning.
    Medium,
    // A SARIF error, like critical.
    High,
    // The most serious; a SARIF error.
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
        // `pad` honours width and alignment, so `{:<9}` lines columns up.
        f.pad(self.as_str())
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
    /// `gt`: strictly greater than the bound.
    Gt,
    /// `gte`: greater than or equal to the bound.
    Gte,
    /// `lt`: strictly less than the bound.
    Lt,
    /// `lte`: less than or equal to the bound.
    Lte,
}

impl Cmp {
    #[must_use]
    /// The comparison as verdict reasons and rule descriptions show it (`>`, `>=`, `<`, `<=`).
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Gte => ">=",
            Cmp::Lt => "<",
            Cmp::Lte => "<=",
        }
    }

    #[must_use]
    /// Whether `left` (the observed number) stands in this relation to `right` (the bound).
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
/// An operator applied to the value at a check's path (a key of the operator mapping in YAML).
pub enum Op {
    /// `equals`: the value equals the operand (numbers by value, so 1 equals 1.0); absent fails.
    Equals(Operand),
    /// `not_equals`: the value differs from the operand; absent passes.
    NotEquals(Operand),
    /// `gt`, `gte`, `lt`, `lte`: a number against the bound; absent fails, a non-number is an
    /// ERROR.
    Compare(Cmp, Operand),
    /// `in`: the value is one of the operand's list; absent fails.
    In(Operand),
    /// `not_in`: the value is none of the operand's list; absent passes.
    NotIn(Operand),
    /// A list holds the value, or a string holds the substring.
    Contains(Operand),
    /// `matches`: the string value matches the regular expression anywhere (unanchored); absent
    /// fails, a non-string is an ERROR.
    Matches(regex::Regex),
    /// `not_matches`: the string value does not match the regular expression; absent passes, a
    /// non-string is an ERROR.
    NotMatches(regex::Regex),
    /// `exists`: with `true` the value must be present (not null), with `false` absent.
    Exists(bool),
    /// Quantifiers over the elements of a list; the clause's paths are relative to an element.
    AnyItem(Box<Clause>),
    /// `all`: every element satisfies the clause; an empty or absent list passes.
    AllItems(Box<Clause>),
    /// `none`: no element satisfies the clause; an empty or absent list passes.
    NoItem(Box<Clause>),
    /// Number of elements (those matching `filter`, when given) compared with each bound.
    Count {
        /// `where`: only elements satisfying it are counted; None counts every element.
        filter: Option<Box<Clause>>,
        /// Bounds the count must all meet; `equals: N` is stored as `gte N` and `lte N`.
        bounds: Vec<(Cmp, Operand)>,
    },
    /// Days since an RFC 3339 timestamp, at the evaluation's clock.
    AgeDays(Vec<(Cmp, Operand)>),
    /// The value (or each value of a list) equals `attribute` of some collected resource of one
    /// of `resource_types` that satisfies `filter` (when given).
    References {
        /// Catalog types whose resources are searched (YAML `type`, one or a list).
        resource_types: Vec<String>,
        /// Path of the compared attribute in those resources (YAML `attribute`, default `arn`).
        attribute: String,
        /// `where` on the referenced resource; None accepts any resource of those types.
        filter: Option<Box<Clause>>,
    },
    /// The IAM role named at `role_path` (read at the document root) allows `action` on the
    /// value (or each value of a list), judged from the role's collected customer-managed and
    /// inline policies, found where the catalog says a role's permissions live.
    AllowedByRole {
        /// Path of the role ARN in the resource document (YAML `role`).
        role_path: String,
        /// IAM action to judge, `service:Action` (YAML `action`).
        action: String,
        /// The catalog's `role_permissions`: where a role's policies are found in the inventory.
        permissions: std::sync::Arc<crate::catalog::RolePermissions>,
    },
    /// A map (tags) has every key of the list.
    HasKeys(Operand),
    /// The value is a key of a dated schedule (a data file next to the rule); FAIL once its date
    /// is within `warn_days` of the evaluation clock, ERROR when the key is not in the schedule.
    Deprecation {
        /// The data file named by `schedule`, loaded once however many rules use it.
        schedule: std::sync::Arc<Schedule>,
        /// Days before the date from which the value already fails (YAML `warn_days`, default 0).
        warn_days: Operand,
    },
}

/// A dated table loaded from a `*.data.yaml` file: key -> date (None: no date announced).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Path of the data file, as verdict reasons name it.
    pub file: String,
    /// Key -> the date it is deprecated on; a key without a date passes.
    pub dates: BTreeMap<String, Option<time::Date>>,
}

#[derive(Debug, Clone)]
/// A condition of a rule (`where`, `assert`, or inside an operator); it evaluates to PASS, FAIL
/// or ERROR.
pub enum Clause {
    /// `all`, or a mapping of several paths: every condition holds.
    All(Vec<Clause>),
    /// `any`: at least one condition holds.
    Any(Vec<Clause>),
    /// `not`: holds when the condition fails; an ERROR stays an ERROR.
    Not(Box<Clause>),
    /// `path` is relative to the current scope; `.` is the scope itself (a list element).
    Check {
        /// Dotted attribute path, `.`, or `$params.NAME`.
        path: String,
        /// Operators that must all hold on the value at `path`.
        ops: Vec<Op>,
    },
    /// Some resource of another type, in the same account, satisfies `filter`.
    SomeResource {
        /// Catalog type searched (YAML `type`).
        resource_type: String,
        /// YAML `where`, with paths in the other resource's document.
        filter: Box<Clause>,
    },
}

#[derive(Debug, Clone)]
/// One validated rule, as loaded from its YAML file.
pub struct Rule {
    /// Stable id (lowercase letters, digits, dashes), unique across the loaded rules; findings,
    /// `--param` overrides and suppressions refer to it.
    pub id: String,
    /// Bumped by rule authors when the meaning changes; reported with every finding.
    pub version: u32,
    /// One line stating what a compliant resource looks like; shown in listings and reports.
    pub title: String,
    /// How serious a FAIL is; compared with `--fail-on` for the exit code.
    pub severity: Severity,
    /// Catalog type the rule is evaluated on (YAML `resource`), e.g. `aws.s3.bucket`; the
    /// first of `resource_types`.
    pub resource_type: String,
    /// Every type the rule is evaluated on: one, or a list in YAML (`[aws.iam.user,
    /// aws.iam.role]`) whose documents share the paths the rule reads.
    pub resource_types: Vec<String>,
    /// YAML `where`: resources it does not hold for are NOT_APPLICABLE; None: every resource of
    /// the type.
    pub selector: Option<Clause>,
    /// YAML `assert`: PASS when it holds, FAIL when it does not, ERROR when it cannot be decided.
    pub assertion: Clause,
    /// Parameter defaults as written in the rule file.
    pub params: BTreeMap<String, Value>,
    /// Bounds declared for numeric parameters (`{ default: 30, min: 1, max: 3653 }`); an
    /// override outside them is an error.
    pub param_ranges: BTreeMap<String, ParamRange>,
    /// Framework key (one of `FRAMEWORKS`) -> the control ids the rule maps to there.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Why the rule matters; `explain` prints it, SARIF uses it as the rule's description and help.
    pub rationale: String,
    /// How to fix a failing resource: the console path and the CLI command.
    pub remediation: String,
    /// The rule file it was loaded from, named in messages and as the SARIF location.
    pub file: PathBuf,
}

/// Inclusive bounds of a numeric parameter; either side may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParamRange {
    /// Smallest value accepted.
    pub min: Option<f64>,
    /// Largest value accepted.
    pub max: Option<f64>,
}

impl ParamRange {
    /// Whether `value` lies within the bounds.
    #[must_use]
    pub fn contains(&self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

impl std::fmt::Display for ParamRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.min, self.max) {
            (Some(min), Some(max)) => write!(f, "between {min} and {max}"),
            (Some(min), None) => write!(f, "at least {min}"),
            (None, Some(max)) => write!(f, "at most {max}"),
            (None, None) => write!(f, "any number"),
        }
    }
}

/// A file the report depends on, by path and content digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleFile {
    /// Path of the rule or data file as it was loaded (relative when the rule path given was).
    pub path: String,
    /// SHA-256 of the file's bytes, lowercase hex, as `sha256sum` prints it.
    pub sha256: String,
}

/// Rules ready to evaluate, with the parameters in force for each.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// The loaded rules, sorted by id.
    pub rules: Vec<Rule>,
    /// Every rule and data file read, sorted by path; the report lists them as `rule_files`.
    pub files: Vec<RuleFile>,
    /// Rule id -> parameter name -> value (defaults merged with overrides).
    pub params: BTreeMap<String, BTreeMap<String, Value>>,
    /// The pack's privilege-escalation catalog (`escalation-paths.data.yaml` under the rule
    /// paths), when it has one; the derivations use the built-in one otherwise.
    pub escalation_paths: Option<Vec<crate::derived::iam::escalation::EscalationPath>>,
    /// The built-in pack, when it was loaded.
    pub builtin_pack: Option<super::BuiltinPack>,
    /// Framework id -> its name and control titles, from the packs' framework files.
    pub frameworks: BTreeMap<String, super::FrameworkTitles>,
}

impl Rule {
    /// The types the rule is evaluated on, as listings and reports show them
    /// (`aws.iam.user, aws.iam.role`).
    #[must_use]
    pub fn resource_label(&self) -> String {
        self.resource_types.join(", ")
    }
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
