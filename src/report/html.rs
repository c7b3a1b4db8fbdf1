//! The HTML report: one self-contained page (no request leaves it) with the scan's metadata, the
//! totals, each framework's controls, and the findings, filterable by severity, status and
//! service. Every string from the report is escaped; the page's only script and style are
//! allowed by their hashes in a Content-Security-Policy, so markup that slipped through could
//! not run anyway.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::compliance;
use super::{FindingStatus, Report, ReportFinding};
use crate::untrusted;

const STYLE: &str = r#"
:root { --fail: #b42318; --error: #b54708; --pass: #067647; --muted: #667085; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1200px; padding: 24px; color: #101828; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.meta { color: var(--muted); margin: 0; }
.meta code, td code { font-size: 12px; word-break: break-all; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 110px; }
.card b { display: block; font-size: 22px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; text-transform: uppercase; color: var(--muted); }
td.arn { word-break: break-all; max-width: 320px; }
table.controls { table-layout: fixed; }
table.controls th:nth-child(1) { width: 16%; } table.controls th:nth-child(2) { width: 44%; } table.controls th:nth-child(3) { width: 10%; }
ul.why { margin: 0; padding-left: 16px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #f2f4f7; color: var(--muted); white-space: nowrap; }
.FAIL { background: #fee4e2; color: var(--fail); }
.ERROR { background: #fef0c7; color: var(--error); }
.PASS { background: #dcfae6; color: var(--pass); }
.critical, .high { color: var(--fail); font-weight: 600; }
.medium { color: var(--error); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0; }
.filters label { color: var(--muted); font-size: 13px; }
details summary { cursor: pointer; color: var(--muted); }
pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; font-size: 12px; }
"#;

const SCRIPT: &str = r##"
(function () {
  var keys = ["severity", "status", "service"];
  var selects = {};
  keys.forEach(function (k) { selects[k] = document.getElementById("filter-" + k); });
  var text = document.getElementById("filter-text");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var shown = document.getElementById("shown");
  function apply(save) {
    var needle = text.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var keep = keys.every(function (k) {
        return !selects[k].value || row.getAttribute("data-" + k) === selects[k].value;
      }) && (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0);
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = String(count);
    if (save) {
      var state = new URLSearchParams();
      keys.forEach(function (k) { if (selects[k].value) { state.set(k, selects[k].value); } });
      if (needle) { state.set("q", text.value.trim()); }
      var hash = state.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }
  var start = new URLSearchParams(location.hash.replace(/^#/, ""));
  keys.forEach(function (k) {
    var wanted = start.get(k);
    var known = Array.prototype.some.call(selects[k].options, function (o) { return o.value === wanted; });
    if (wanted !== null && known) { selects[k].value = wanted; }
    selects[k].addEventListener("change", function () { apply(true); });
  });
  if (start.get("q")) { text.value = start.get("q"); }
  text.addEventListener("input", function () { apply(true); });
  apply(false);
})();
"##;

/// Escapes text for HTML content and quoted attribute values; control characters are shown
/// as escapes first (the report's strings can hold anything AWS or a file held).
fn esc(text: &str) -> String {
    let shown = untrusted::lines(text);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-...'`, the CSP source that allows exactly this inline text.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The service a resource type belongs to: `aws.s3.bucket` -> `s3`.
fn service_of(resource_type: &str) -> &str {
    let mut parts = resource_type.split('.');
    match (parts.next(), parts.next()) {
        (Some("aws"), Some(service)) => service,
        _ => resource_type.split('_').next().unwrap_or(resource_type),
    }
}

fn badge(text: &str) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", esc(text))
}

/// Renders the report as one HTML page.
#[must_use]
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024 + report.findings.len() * 512);
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let s = &report.summary.findings;
    let verdict = if s.fail > 0 {
        "FAIL"
    } else if s.error > 0 {
        "ERROR"
    } else {
        "PASS"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>posture report {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&csp),
        esc(&report.started_at)
    );
    header(&mut out, report, verdict);
    summary(&mut out, report);
    frameworks(&mut out, report);
    findings(&mut out, report);
    rules(&mut out, report);
    if !report.warnings.is_empty() {
        out.push_str("<h2>Warnings</h2>\n<ul>\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "<li>{}</li>", esc(warning));
        }
        out.push_str("</ul>\n");
    }
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, report: &Report, verdict: &str) {
    let _ = writeln!(out, "<h1>posture report {}</h1>", badge(verdict));
    let source = match &report.source.inventory_path {
        Some(path) => format!(
            "inventory <code>{}</code> (sha256 <code>{}</code>)",
            esc(path),
            esc(report
                .source
                .inventory_sha256
                .as_deref()
                .unwrap_or("unknown"))
        ),
        None => "live scan".to_string(),
    };
    let source = match &report.source.endpoint_url {
        Some(url) => format!(
            "{source} through <code>{}</code> (not AWS: an emulator or a proxy)",
            esc(url)
        ),
        None => source,
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\">Scan from {} to {}; {source}; {} resources.</p>",
        esc(&report.started_at),
        esc(&report.finished_at),
        report.source.resource_count
    );
    if let Some(focus) = &report.source.focus {
        let mut given: Vec<String> = focus.arns.iter().map(|a| format!("ARN {a}")).collect();
        given.extend(focus.tags.iter().map(|t| format!("tag {t}")));
        let _ = writeln!(
            out,
            "<p class=\"meta\">Focus: {}; {} of {} resources judged.</p>",
            esc(&given.join(", ")),
            focus.resources_in_focus,
            report.source.resource_count
        );
    }
    for account in &report.source.accounts {
        let caller = if account.caller_arn.is_empty() {
            String::new()
        } else {
            format!(" as <code>{}</code>", esc(&account.caller_arn))
        };
        let _ = writeln!(
            out,
            "<p class=\"meta\">Account <code>{}</code>{caller}, regions {}.</p>",
            esc(&account.account),
            esc(&account.regions.join(", "))
        );
    }
    let pack = report.builtin_pack.as_ref().map_or_else(
        || "no built-in pack".to_string(),
        |p| format!("built-in pack sha256 <code>{}</code>", esc(&p.sha256)),
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">Written by {} {} (commit <code>{}</code>); {} rule files, {pack}.</p>",
        esc(&report.tool.name),
        esc(&report.tool.version),
        esc(&report.tool.commit),
        report.rule_files.len()
    );
}

fn summary(out: &mut String, report: &Report) {
    let s = &report.summary.findings;
    out.push_str("<div class=\"cards\">\n");
    for (label, value) in [
        ("rules", report.summary.rules),
        ("resources", report.source.resource_count),
        ("passed", s.pass),
        ("failed", s.fail),
        ("errors", s.error),
        ("suppressed", s.suppressed),
    ] {
        let _ = writeln!(out, "<div class=\"card\"><b>{value}</b>{label}</div>");
    }
    out.push_str("</div>\n");
    if !report.summary.by_severity.is_empty() {
        out.push_str(
            "<table><thead><tr><th>Severity</th><th>Pass</th><th>Fail</th><th>Error</th><th>Suppressed</th></tr></thead><tbody>\n",
        );
        for (severity, c) in report.summary.by_severity.iter().rev() {
            let _ = writeln!(
                out,
                "<tr><td class=\"{0}\">{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
                severity.as_str(),
                c.pass,
                c.fail,
                c.error,
                c.suppressed
            );
        }
        out.push_str("</tbody></table>\n");
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}</p>",
        esc(super::table::coverage_line(&report.summary.coverage).trim_end())
    );
}

fn frameworks(out: &mut String, report: &Report) {
    let frameworks = compliance::frameworks(report);
    out.push_str("<h2 id=\"frameworks\">Framework controls</h2>\n");
    if frameworks.is_empty() {
        out.push_str("<p>No evaluated rule maps to a framework.</p>\n");
        return;
    }
    for framework in &frameworks {
        let tally: Vec<String> = framework
            .tally()
            .iter()
            .map(|(o, n)| format!("{n} {}", o.as_str()))
            .collect();
        let name = framework.title.unwrap_or(framework.framework);
        let _ = writeln!(
            out,
            "<h3>{} <code>{}</code></h3>\n<p class=\"meta\">{} control{}: {}</p>",
            esc(name),
            esc(framework.framework),
            framework.controls.len(),
            if framework.controls.len() == 1 {
                ""
            } else {
                "s"
            },
            esc(&tally.join(", "))
        );
        out.push_str(
            "<table class=\"controls\"><thead><tr><th>Control</th><th>Title</th><th>Verdict</th><th>Rules</th></tr></thead><tbody>\n",
        );
        for control in &framework.controls {
            let rules: Vec<String> = control
                .rules
                .iter()
                .map(|r| format!("{} {}", badge(r.outcome.as_str()), esc(&r.id)))
                .collect();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(control.control),
                esc(control.title.unwrap_or("")),
                badge(control.outcome.as_str()),
                rules.join("<br>")
            );
        }
        out.push_str("</tbody></table>\n");
    }
}

/// The options of one filter: every value present, in the given order.
fn filter(out: &mut String, key: &str, label: &str, values: &[String]) {
    let _ = write!(
        out,
        "<label for=\"filter-{key}\">{label}</label> <select id=\"filter-{key}\"><option value=\"\">all</option>"
    );
    for value in values {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", esc(value));
    }
    out.push_str("</select>\n");
}

fn findings(out: &mut String, report: &Report) {
    let mut rows: Vec<&ReportFinding> = report.findings.iter().collect();
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource.arn.cmp(&b.resource.arn))
    });
    let severities: Vec<String> = rows
        .iter()
        .map(|f| f.severity)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .rev()
        .map(|s| s.as_str().to_string())
        .collect();
    let statuses: Vec<String> = rows
        .iter()
        .map(|f| f.status)
        .collect::<BTreeSet<FindingStatus>>()
        .into_iter()
        .map(|s| s.as_str().to_string())
        .collect();
    let services: Vec<String> = rows
        .iter()
        .map(|f| service_of(&f.resource.resource_type).to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(
        out,
        "<h2 id=\"findings-heading\">Findings</h2>\n<p class=\"meta\">Showing <span id=\"shown\">{}</span> of {} findings{}.</p>",
        rows.len(),
        rows.len(),
        if report.includes_passes {
            ""
        } else {
            " (PASS findings are not in this report: scan with --include-pass to list them)"
        }
    );
    out.push_str("<div class=\"filters\">\n");
    filter(out, "severity", "Severity", &severities);
    filter(out, "status", "Status", &statuses);
    filter(out, "service", "Service", &services);
    out.push_str(
        "<label for=\"filter-text\">Text</label> <input id=\"filter-text\" type=\"search\" placeholder=\"rule, ARN, reason\">\n</div>\n",
    );
    out.push_str(
        "<table id=\"findings\"><thead><tr><th>Status</th><th>Severity</th><th>Rule</th><th>Resource</th><th>Why</th></tr></thead><tbody>\n",
    );
    for f in rows {
        let why: String = match &f.suppression {
            Some(s) => format!(
                "<ul class=\"why\"><li>suppressed until {}: {}</li></ul>",
                esc(&s.expires),
                esc(&s.justification)
            ),
            None if f.reasons.is_empty() => String::new(),
            None => {
                let items: Vec<String> = f
                    .reasons
                    .iter()
                    .map(|r| format!("<li>{}</li>", esc(r)))
                    .collect();
                format!("<ul class=\"why\">{}</ul>", items.join(""))
            }
        };
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|(path, value)| format!("{} = {}", esc(path), esc(&value.to_string())))
            .collect();
        let evidence = if evidence.is_empty() {
            String::new()
        } else {
            format!(
                "<details><summary>evidence</summary><pre>{}</pre></details>",
                evidence.join("\n")
            )
        };
        let _ = writeln!(
            out,
            "<tr data-severity=\"{sev}\" data-status=\"{status}\" data-service=\"{service}\"><td>{}</td><td class=\"{sev}\">{sev}</td><td>{}</td><td class=\"arn\"><code>{}</code><br><span class=\"meta\">{} {}</span></td><td>{why}{evidence}</td></tr>",
            badge(f.status.as_str()),
            esc(&f.rule_id),
            esc(&f.resource.arn),
            esc(&f.resource.account),
            esc(&f.resource.region),
            sev = f.severity.as_str(),
            status = f.status.as_str(),
            service = esc(service_of(&f.resource.resource_type)),
        );
    }
    out.push_str("</tbody></table>\n");
}

fn rules(out: &mut String, report: &Report) {
    out.push_str(
        "<h2 id=\"rules\">Rules</h2>\n<table><thead><tr><th>Rule</th><th>Severity</th><th>Result</th><th>Pass</th><th>Fail</th><th>Error</th><th>N/A</th><th>Title</th></tr></thead><tbody>\n",
    );
    let mut rules: Vec<_> = report.rules.iter().collect();
    rules.sort_by(|a, b| {
        compliance::rank(a.outcome)
            .cmp(&compliance::rank(b.outcome))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.id.cmp(&b.id))
    });
    for r in rules {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code> <span class=\"meta\">v{}</span></td><td class=\"{sev}\">{sev}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.id),
            r.version,
            badge(r.outcome.as_str()),
            r.counts.pass,
            r.counts.fail,
            r.counts.error,
            r.counts.not_applicable,
            esc(&r.title),
            sev = r.severity.as_str(),
        );
    }
    out.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped_and_control_characters_shown() {
        let escaped = esc("<script>alert('x')</script>\" & \u{1b}[31m");
        assert!(!escaped.contains('<') && !escaped.contains('"') && !escaped.contains('\''));
        assert!(escaped.contains("&lt;script&gt;") && escaped.contains("&amp;"));
        assert!(!escaped.contains('\u{1b}'), "{escaped}");
    }

    #[test]
    fn services_come_from_the_resource_type() {
        assert_eq!(service_of("aws.s3.bucket"), "s3");
        assert_eq!(service_of("aws.iam.role"), "iam");
        assert_eq!(service_of("s3_bucket"), "s3");
    }

    #[test]
    fn the_policy_allows_exactly_the_page_script() {
        let hash = csp_hash(SCRIPT);
        assert!(
            hash.starts_with("'sha256-") && hash.ends_with("='"),
            "{hash}"
        );
        assert_ne!(hash, csp_hash(STYLE));
    }
}
