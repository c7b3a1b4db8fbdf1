//! Narrowing a loaded rule set the way people ask for it on the command line: by id (globs),
//! by service, by severity, by framework or framework control. Every filter that names
//! something no loaded rule has is an error, so a typo never turns into an empty, green scan.

use std::collections::BTreeSet;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::model::{Rule, RuleSet, Severity};

/// What to keep. Empty lists keep everything; filters of different kinds all apply.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rule ids or globs (`s3-*`); a rule is kept when one matches.
    pub rules: Vec<String>,
    /// Rule ids or globs dropped after the others are applied.
    pub exclude_rules: Vec<String>,
    /// Services (`s3`, `iam`: the middle segment of `aws.s3.bucket`).
    pub services: Vec<String>,
    /// Severities kept (`high`, `critical`), case-insensitive.
    pub severities: Vec<String>,
    /// Frameworks (`hipaa`) or framework controls (`soc2:CC6.1`), case-insensitive.
    pub frameworks: Vec<String>,
}

impl Selection {
    /// Whether no filter is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.exclude_rules.is_empty()
            && self.services.is_empty()
            && self.severities.is_empty()
            && self.frameworks.is_empty()
    }

    /// Comma-separated flag values (`--service s3,iam`) as single entries, trimmed.
    #[must_use]
    pub fn split_lists(mut self) -> Self {
        for list in [
            &mut self.rules,
            &mut self.exclude_rules,
            &mut self.services,
            &mut self.severities,
            &mut self.frameworks,
        ] {
            *list = list
                .iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect();
        }
        self
    }
}

/// The service a resource type belongs to (`aws.s3.bucket` -> `s3`).
fn service_of(resource_type: &str) -> &str {
    resource_type.split('.').nth(1).unwrap_or(resource_type)
}

fn glob_set(patterns: &[String], flag: &str) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p).map_err(|e| format!("{flag} `{p}`: {e}"))?);
    }
    builder.build().map_err(|e| format!("{flag}: {e}"))
}

fn did_you_mean<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> String {
    crate::catalog::nearest(wanted, names)
        .first()
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

/// A `framework` or `framework:control` filter, lowercased framework.
struct FrameworkFilter {
    framework: String,
    control: Option<String>,
}

impl FrameworkFilter {
    fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((f, c)) => FrameworkFilter {
                framework: f.to_ascii_lowercase(),
                control: Some(c.to_string()),
            },
            None => FrameworkFilter {
                framework: text.to_ascii_lowercase(),
                control: None,
            },
        }
    }

    fn keeps(&self, rule: &Rule) -> bool {
        rule.frameworks.get(&self.framework).is_some_and(|ids| {
            self.control
                .as_ref()
                .is_none_or(|c| ids.iter().any(|id| id.eq_ignore_ascii_case(c)))
        })
    }
}

impl Selection {
    /// Whether a framework control is within the `--framework` filters (all are when none is
    /// given), so views of a HIPAA-scoped scan show HIPAA's controls, not every mapping.
    #[must_use]
    pub fn keeps_control(&self, framework: &str, control: &str) -> bool {
        self.frameworks.is_empty()
            || self
                .frameworks
                .iter()
                .map(|f| FrameworkFilter::parse(f))
                .any(|f| {
                    f.framework == framework
                        && f.control
                            .as_ref()
                            .is_none_or(|c| c.eq_ignore_ascii_case(control))
                })
    }
}

impl RuleSet {
    /// Keeps the rules `selection` names. Errors name each filter that matched no loaded rule
    /// (with the nearest name), or say that the filters together left none.
    pub fn select(&mut self, selection: &Selection) -> Result<(), Vec<String>> {
        if selection.is_empty() {
            return Ok(());
        }
        let mut problems = Vec::new();
        let ids = || self.rules.iter().map(|r| r.id.as_str());
        let include = glob_set(&selection.rules, "--rule").map_err(|e| vec![e])?;
        let exclude = glob_set(&selection.exclude_rules, "--exclude-rule").map_err(|e| vec![e])?;
        for (flag, patterns) in [
            ("--rule", &selection.rules),
            ("--exclude-rule", &selection.exclude_rules),
        ] {
            for p in patterns {
                let glob = Glob::new(p).map(|g| g.compile_matcher());
                if glob.is_ok_and(|g| !ids().any(|id| g.is_match(id))) {
                    problems.push(format!(
                        "{flag} `{p}` matches no loaded rule{}",
                        did_you_mean(p, ids())
                    ));
                }
            }
        }
        let services: BTreeSet<&str> = self
            .rules
            .iter()
            .flat_map(|r| r.resource_types.iter().map(|t| service_of(t)))
            .collect();
        let wanted_services: Vec<String> = selection
            .services
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        for s in &wanted_services {
            if !services.contains(s.as_str()) {
                problems.push(format!(
                    "--service `{s}`: no loaded rule reads it{} (services: {})",
                    did_you_mean(s, services.iter().copied()),
                    services.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let mut severities = Vec::new();
        for s in &selection.severities {
            match Severity::parse(&s.to_ascii_lowercase()) {
                Some(severity) => severities.push(severity),
                None => problems.push(format!(
                    "--severity `{s}` is not one of info, low, medium, high, critical"
                )),
            }
        }
        let frameworks: Vec<FrameworkFilter> = selection
            .frameworks
            .iter()
            .map(|f| FrameworkFilter::parse(f))
            .collect();
        for (text, filter) in selection.frameworks.iter().zip(&frameworks) {
            if !self.rules.iter().any(|r| filter.keeps(r)) {
                let known: BTreeSet<&str> = self
                    .rules
                    .iter()
                    .flat_map(|r| r.frameworks.keys().map(String::as_str))
                    .collect();
                let hint = if filter.control.is_some() && known.contains(filter.framework.as_str())
                {
                    format!(
                        " (`posture rules list --framework {}` shows its controls)",
                        filter.framework
                    )
                } else {
                    format!(
                        "{} (frameworks: {})",
                        did_you_mean(&filter.framework, known.iter().copied()),
                        known.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                };
                problems.push(format!(
                    "--framework `{text}`: no loaded rule maps to it{hint}"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        self.rules.retain(|r| {
            (selection.rules.is_empty() || include.is_match(&r.id))
                && !exclude.is_match(&r.id)
                && (wanted_services.is_empty()
                    || r.resource_types
                        .iter()
                        .any(|t| wanted_services.iter().any(|s| s == service_of(t))))
                && (severities.is_empty() || severities.contains(&r.severity))
                && (frameworks.is_empty() || frameworks.iter().any(|f| f.keeps(r)))
        });
        if self.rules.is_empty() {
            return Err(vec![
                "the selection leaves no rule: each filter matches some rule, but no rule \
                 matches them all"
                    .to_string(),
            ]);
        }
        let kept: BTreeSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        self.params.retain(|id, _| kept.contains(id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> RuleSet {
        let text = r"
- id: s3-a
  title: t
  rationale: r
  remediation: m
  severity: high
  resource: aws.s3.bucket
  frameworks: { soc2: [CC6.1], hipaa: ['164.312(a)(2)(iv)'] }
  assert: { versioning.status: { equals: Enabled } }
- id: s3-b
  title: t
  rationale: r
  remediation: m
  severity: low
  resource: aws.s3.bucket
  assert: { versioning.status: { equals: Enabled } }
- id: iam-a
  title: t
  rationale: r
  remediation: m
  severity: critical
  resource: [aws.iam.user, aws.iam.role]
  frameworks: { soc2: [CC6.3] }
  assert: { permissions.allows_admin: { equals: false } }
";
        let rules = crate::rules::parse_str(
            std::path::Path::new("t.yaml"),
            text,
            crate::catalog::Catalog::builtin(),
        )
        .unwrap();
        RuleSet {
            rules,
            ..RuleSet::default()
        }
    }

    fn kept(selection: Selection) -> Result<Vec<String>, Vec<String>> {
        let mut set = set();
        set.select(&selection.split_lists())?;
        Ok(set.rules.iter().map(|r| r.id.clone()).collect())
    }

    #[test]
    fn each_filter_narrows_and_they_combine() {
        let globbed = Selection {
            rules: vec!["s3-*".into()],
            exclude_rules: vec!["s3-b".into()],
            ..Selection::default()
        };
        assert_eq!(kept(globbed).unwrap(), ["s3-a"]);
        let by_service = Selection {
            services: vec!["IAM".into()],
            ..Selection::default()
        };
        assert_eq!(kept(by_service).unwrap(), ["iam-a"]);
        let by_severity = Selection {
            severities: vec!["High,CRITICAL".into()],
            ..Selection::default()
        };
        assert_eq!(kept(by_severity).unwrap(), ["s3-a", "iam-a"]);
        let by_control = Selection {
            frameworks: vec!["SOC2:cc6.3".into()],
            ..Selection::default()
        };
        assert_eq!(kept(by_control).unwrap(), ["iam-a"]);
        let by_framework = Selection {
            frameworks: vec!["hipaa".into(), "soc2:CC6.3".into()],
            ..Selection::default()
        };
        assert_eq!(kept(by_framework).unwrap(), ["s3-a", "iam-a"]);
    }

    #[test]
    fn a_filter_that_matches_nothing_is_an_error_with_a_hint() {
        let typo = Selection {
            rules: vec!["s3-c".into()],
            services: vec!["s4".into()],
            severities: vec!["severe".into()],
            frameworks: vec!["soc3".into(), "soc2:CC9.9".into()],
            ..Selection::default()
        };
        let problems = kept(typo).unwrap_err().join("\n");
        assert!(
            problems.contains("`s3-c` matches no loaded rule"),
            "{problems}"
        );
        assert!(problems.contains("did you mean `s3"), "{problems}");
        assert!(problems.contains("--service `s4`"), "{problems}");
        assert!(problems.contains("`severe` is not one of"), "{problems}");
        assert!(problems.contains("did you mean `soc2`"), "{problems}");
        assert!(problems.contains("`soc2:CC9.9`"), "{problems}");
        let disjoint = Selection {
            services: vec!["iam".into()],
            severities: vec!["low".into()],
            ..Selection::default()
        };
        assert!(kept(disjoint).unwrap_err()[0].contains("leaves no rule"));
    }
}
