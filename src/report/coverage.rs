//! The report's coverage summary: how many checks the collected data decided, and where it did
//! not, so a reader sees how much of a PASS table stands on data; and the CI limit on the
//! undecided share (`--max-undecided`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::eval::{Checks, ChecksByScope};

/// Decided and undecided checks, overall, per rule, and per account and region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CoverageSummary {
    /// Checks whose verdict is PASS or FAIL (before suppressions).
    pub decided: usize,
    /// Checks whose verdict is ERROR (before suppressions): data that could not be read.
    pub undecided: usize,
    /// rule id -> its checks.
    pub by_rule: BTreeMap<String, Checks>,
    /// account -> region (`global` for global resources and account-wide findings) -> checks.
    pub by_account: BTreeMap<String, BTreeMap<String, Checks>>,
}

impl CoverageSummary {
    /// Sums the evaluation's per-rule, per-scope checks.
    #[must_use]
    pub fn of(checks: &BTreeMap<String, ChecksByScope>) -> Self {
        let mut summary = CoverageSummary::default();
        for (rule, scopes) in checks {
            let by_rule = summary.by_rule.entry(rule.clone()).or_default();
            for ((account, region), c) in scopes {
                by_rule.add(*c);
                summary
                    .by_account
                    .entry(account.clone())
                    .or_default()
                    .entry(region.clone())
                    .or_default()
                    .add(*c);
                summary.decided += c.decided;
                summary.undecided += c.undecided;
            }
        }
        summary
    }

    /// The undecided share of all checks, in percent (0 when there are none).
    #[must_use]
    pub fn undecided_percent(&self) -> f64 {
        let total = self.decided + self.undecided;
        if total == 0 {
            return 0.0;
        }
        // Counts stay far below 2^52, where the conversion would round.
        #[allow(clippy::cast_precision_loss)]
        let share = self.undecided as f64 * 100.0 / total as f64;
        share
    }
}

/// How many undecided checks a scan may have before it exits 3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UndecidedLimit {
    /// At most this many ERROR findings.
    Count(usize),
    /// At most this share of all checks, in percent.
    Percent(f64),
}

impl Default for UndecidedLimit {
    /// No undecided check is tolerated: any ERROR exits 3.
    fn default() -> Self {
        UndecidedLimit::Count(0)
    }
}

impl UndecidedLimit {
    /// Parses `N` (a count) or `P%` (a share of all checks, 0 to 100).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            let value: f64 = percent
                .trim()
                .parse()
                .map_err(|_| format!("`{text}` is not a percentage such as 5%"))?;
            if !(0.0..=100.0).contains(&value) {
                return Err(format!("`{text}` is not between 0% and 100%"));
            }
            return Ok(UndecidedLimit::Percent(value));
        }
        text.parse().map(UndecidedLimit::Count).map_err(|_| {
            format!("`{text}` is neither a count (e.g. 10) nor a percentage (e.g. 5%)")
        })
    }

    /// Whether `errors` unsuppressed ERROR findings, out of `coverage`, exceed the limit.
    #[must_use]
    pub fn exceeded(self, errors: usize, coverage: &CoverageSummary) -> bool {
        match self {
            UndecidedLimit::Count(n) => errors > n,
            UndecidedLimit::Percent(p) => {
                let total = coverage.decided + coverage.undecided;
                // Suppressed ERRORs are accepted risks: only unsuppressed ones count here.
                #[allow(clippy::cast_precision_loss)]
                let share = if total == 0 {
                    0.0
                } else {
                    errors as f64 * 100.0 / total as f64
                };
                share > p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_counts_and_percentages() {
        assert_eq!(UndecidedLimit::parse("0"), Ok(UndecidedLimit::Count(0)));
        assert_eq!(UndecidedLimit::parse("12"), Ok(UndecidedLimit::Count(12)));
        assert_eq!(
            UndecidedLimit::parse("2.5%"),
            Ok(UndecidedLimit::Percent(2.5))
        );
        assert!(UndecidedLimit::parse("-1").is_err());
        assert!(UndecidedLimit::parse("150%").is_err());
        assert!(UndecidedLimit::parse("five").is_err());
    }

    #[test]
    fn a_share_limit_compares_with_all_checks() {
        let mut scopes = ChecksByScope::new();
        scopes.insert(
            ("1".into(), "eu-west-1".into()),
            Checks {
                decided: 95,
                undecided: 5,
            },
        );
        let summary = CoverageSummary::of(&BTreeMap::from([("r".to_string(), scopes)]));
        assert_eq!((summary.decided, summary.undecided), (95, 5));
        assert!((summary.undecided_percent() - 5.0).abs() < 1e-9);
        assert!(!UndecidedLimit::Percent(5.0).exceeded(5, &summary));
        assert!(UndecidedLimit::Percent(4.9).exceeded(5, &summary));
        assert!(UndecidedLimit::Count(4).exceeded(5, &summary));
        assert!(!UndecidedLimit::Count(5).exceeded(5, &summary));
        assert!(!UndecidedLimit::default().exceeded(0, &summary));
        assert_eq!(summary.by_account["1"]["eu-west-1"].undecided, 5);
    }
}
