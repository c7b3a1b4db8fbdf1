//! `JUnit` XML for CI test dashboards: one testsuite per rule, one testcase per resource finding.
//! FAIL is a `<failure>`, ERROR an `<error>`, SUPPRESSED a `<skipped>` carrying the
//! justification. Passing resources appear only when the report includes passes.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::{FindingStatus, Report, ReportFinding};
use crate::untrusted;

/// An attribute value: one line, no control character (XML 1.0 allows none, not even as a
/// character reference), markup escaped.
fn attr(text: &str) -> String {
    escape(untrusted::line(text).as_ref()).into_owned()
}

/// Element text: as `attr`, but line breaks stay.
fn body(text: &str) -> String {
    escape(untrusted::lines(text).as_ref()).into_owned()
}

fn details(finding: &ReportFinding) -> String {
    let mut text = String::new();
    for reason in &finding.reasons {
        let _ = writeln!(text, "{reason}");
    }
    if !finding.evidence.is_empty() {
        let _ = writeln!(text, "evidence:");
        for (path, value) in &finding.evidence {
            let _ = writeln!(text, "  {path} = {value}");
        }
    }
    let _ = write!(
        text,
        "resource: {} ({}, account {}, region {})",
        finding.resource.arn,
        finding.resource.resource_type,
        finding.resource.account,
        finding.resource.region
    );
    text
}

#[derive(Default)]
struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Tally {
    fn count(&mut self, status: FindingStatus) {
        self.tests += 1;
        match status {
            FindingStatus::Pass => {}
            FindingStatus::Fail => self.failures += 1,
            FindingStatus::Error => self.errors += 1,
            FindingStatus::Suppressed => self.skipped += 1,
        }
    }
}

fn testcase(out: &mut String, finding: &ReportFinding) {
    let name = if finding.resource.name.is_empty() {
        finding.resource.arn.clone()
    } else {
        format!("{} ({})", finding.resource.name, finding.resource.arn)
    };
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        attr(&finding.rule_id),
        attr(&name)
    );
    let message = finding.reasons.join("; ");
    match finding.status {
        FindingStatus::Pass => out.push_str("/>\n"),
        FindingStatus::Fail | FindingStatus::Error => {
            let tag = if finding.status == FindingStatus::Fail {
                "failure"
            } else {
                "error"
            };
            let _ = write!(
                out,
                ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>\n",
                attr(&message),
                finding.severity,
                body(&details(finding))
            );
        }
        FindingStatus::Suppressed => {
            let text = match &finding.suppression {
                Some(s) => format!(
                    "suppressed until {} ({}{}): {}",
                    s.expires,
                    s.origin,
                    s.owner
                        .as_deref()
                        .map(|o| format!(", owner {o}"))
                        .unwrap_or_default(),
                    s.justification
                ),
                None => "suppressed".to_string(),
            };
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                attr(&text)
            );
        }
    }
}

/// Renders the report as JUnit XML: a suite per rule, a test case per finding.
#[must_use]
pub fn render(report: &Report) -> String {
    let mut suites = String::new();
    let mut total = Tally::default();
    for rule in &report.rules {
        let mut tally = Tally::default();
        let mut cases = String::new();
        for finding in report.findings.iter().filter(|f| f.rule_id == rule.id) {
            tally.count(finding.status);
            total.count(finding.status);
            testcase(&mut cases, finding);
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n    <properties>\n      <property name=\"severity\" value=\"{}\"/>\n      <property name=\"title\" value=\"{}\"/>\n      <property name=\"outcome\" value=\"{}\"/>\n      <property name=\"file\" value=\"{}\"/>\n    </properties>\n{cases}  </testsuite>\n",
            attr(&rule.id),
            tally.tests,
            tally.failures,
            tally.errors,
            tally.skipped,
            rule.severity,
            attr(&rule.title),
            rule.outcome.as_str(),
            attr(&rule.file),
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"posture\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{suites}</testsuites>\n",
        total.tests, total.failures, total.errors, total.skipped
    )
}
