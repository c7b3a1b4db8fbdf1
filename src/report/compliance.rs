//! The compliance view of a report: one row per framework control, with the rules that give
//! evidence for it and a verdict. Computed from the report alone, so a saved report renders
//! the same view later.

use std::cmp::Ordering;

use super::{Counts, Report, RuleOutcome, RuleSummary};

/// One control of one framework, as the compliance view shows it.
#[derive(Debug, Clone)]
pub struct ControlRow<'a> {
    /// Framework id, e.g. `soc2`.
    pub framework: &'a str,
    /// Control id, e.g. `CC6.1`.
    pub control: &'a str,
    /// The control's title, when a framework file gives one.
    pub title: Option<&'a str>,
    /// The rules mapped to the control, by id.
    pub rules: Vec<&'a RuleSummary>,
    /// The control's verdict: the worst of its rules' outcomes.
    pub outcome: RuleOutcome,
    /// Finding counts over the control's rules.
    pub counts: Counts,
}

/// One framework with its controls, in control order.
#[derive(Debug, Clone)]
pub struct FrameworkRows<'a> {
    /// Framework id.
    pub framework: &'a str,
    /// The framework's name, when a framework file gives one.
    pub title: Option<&'a str>,
    /// Its controls, ordered by id with numbers compared as numbers (CC6.2 before CC6.10).
    pub controls: Vec<ControlRow<'a>>,
}

impl FrameworkRows<'_> {
    /// How many of the framework's controls have each verdict, worst first.
    #[must_use]
    pub fn tally(&self) -> Vec<(RuleOutcome, usize)> {
        let mut out: Vec<(RuleOutcome, usize)> = Vec::new();
        for control in &self.controls {
            match out.iter_mut().find(|(o, _)| *o == control.outcome) {
                Some((_, n)) => *n += 1,
                None => out.push((control.outcome, 1)),
            }
        }
        out.sort_by_key(|(o, _)| rank(*o));
        out
    }
}

/// How bad an outcome is for a control, worst first: a FAIL anywhere fails the control, an
/// undecided rule leaves it undecided, and `NO_RESOURCES` only when nothing else was assessed.
pub(crate) fn rank(outcome: RuleOutcome) -> u8 {
    match outcome {
        RuleOutcome::Fail => 0,
        RuleOutcome::Error => 1,
        RuleOutcome::Suppressed => 2,
        RuleOutcome::Pass => 3,
        RuleOutcome::NotApplicable => 4,
        RuleOutcome::NoResources => 5,
    }
}

/// Every framework the report's rules map to, with each control's rules and verdict.
#[must_use]
pub fn frameworks(report: &Report) -> Vec<FrameworkRows<'_>> {
    let mut out: Vec<FrameworkRows<'_>> = Vec::new();
    for (framework, controls) in &report.summary.by_framework {
        let titles = report.frameworks.get(framework);
        let mut rows: Vec<ControlRow<'_>> = controls
            .iter()
            .map(|(control, counts)| {
                let mut rules: Vec<&RuleSummary> = report
                    .rules
                    .iter()
                    .filter(|r| {
                        r.frameworks
                            .get(framework)
                            .is_some_and(|c| c.contains(control))
                    })
                    .collect();
                rules.sort_by(|a, b| {
                    rank(a.outcome)
                        .cmp(&rank(b.outcome))
                        .then_with(|| a.id.cmp(&b.id))
                });
                let outcome = rules
                    .iter()
                    .map(|r| r.outcome)
                    .min_by_key(|o| rank(*o))
                    .unwrap_or(RuleOutcome::NoResources);
                ControlRow {
                    framework,
                    control,
                    title: titles
                        .and_then(|t| t.controls.get(control))
                        .map(String::as_str),
                    rules,
                    outcome,
                    counts: counts.clone(),
                }
            })
            .collect();
        rows.sort_by(|a, b| natural_cmp(a.control, b.control));
        out.push(FrameworkRows {
            framework,
            title: titles.and_then(|t| t.title.as_deref()),
            controls: rows,
        });
    }
    out
}

/// Compares ids with their digit runs as numbers: `CC6.2` < `CC6.10`, `3.6` < `3.10`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn pieces(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (pa, pb) = (pieces(a), pieces(b));
    for (x, y) in pa.iter().zip(pb.iter()) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_sort_with_their_numbers_as_numbers() {
        let mut ids = vec!["CC6.10", "CC6.2", "A1.2", "CC6.1", "3.10", "3.6", "2.1.4"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            ["2.1.4", "3.6", "3.10", "A1.2", "CC6.1", "CC6.2", "CC6.10"]
        );
    }

    #[test]
    fn a_failing_rule_fails_its_control_and_no_resources_counts_last() {
        assert!(rank(RuleOutcome::Fail) < rank(RuleOutcome::Error));
        assert!(rank(RuleOutcome::Error) < rank(RuleOutcome::Pass));
        assert!(rank(RuleOutcome::Pass) < rank(RuleOutcome::NoResources));
    }
}
