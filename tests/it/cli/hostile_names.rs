//! Names from AWS are untrusted text: one log group whose name carries terminal escapes, a
//! spreadsheet formula, markup and table-breaking characters goes through every format, and
//! each output is parsed back.

use serde_json::Value;

use super::{posture, root, write};

/// ESC ] (OSC: set the window title) ... BEL, a C1 CSI, a bidi override, markup, a pipe, a
/// backtick and a formula prefix, all in one name anyone with logs:CreateLogGroup can choose.
const HOSTILE: &str = "=HYPERLINK(\"http://x\")\u{1b}]0;owned\u{7}|`<b>x</b>\u{9b}31m\u{202e}gol";

fn acts_on_a_terminal(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn hostile_names_reach_no_reader_as_control_characters() {
    let text = std::fs::read_to_string(root().join("fixtures/example-account.json")).unwrap();
    let mut inventory: Value = serde_json::from_str(&text).unwrap();
    let resources = inventory["resources"].as_array_mut().unwrap();
    let mut hostile = resources
        .iter()
        .find(|r| {
            r["arn"]
                .as_str()
                .unwrap()
                .ends_with("log-group:/acme/debug")
        })
        .unwrap()
        .clone();
    let arn = format!("arn:aws:logs:eu-west-1:111122223333:log-group:{HOSTILE}");
    hostile["arn"] = arn.clone().into();
    hostile["name"] = HOSTILE.into();
    hostile["tags"] = serde_json::json!({ "Owner": "\u{1b}[2J" });
    resources.push(hostile);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inventory.json", &inventory.to_string());
    let out_dir = dir.path().join("out");
    let out = posture()
        .args(["scan", "--inventory", path.to_str().unwrap()])
        .args(["--no-builtin-rules", "--rules", "rules/logs"])
        .args([
            "--format", "table", "--format", "json", "--format", "sarif", "--format", "junit",
        ])
        .args([
            "--format", "csv", "--format", "markdown", "--format", "html",
        ])
        .arg("--output-dir")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.contains("\\x1B]0;owned\\x07"), "{stdout}");
    for (name, text) in [("table", &stdout), ("stderr", &stderr)] {
        assert!(!text.chars().any(acts_on_a_terminal), "{name}: {text:?}");
    }
    let read = |file: &str| std::fs::read_to_string(out_dir.join(file)).unwrap();

    // The JSON evidence keeps the name exactly as AWS returned it (JSON escapes it).
    let report: Value = serde_json::from_str(&read("report.json")).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["resource"]["arn"] == arn.as_str())
    );

    let junit = read("report.junit.xml");
    let xml = roxmltree::Document::parse(&junit).expect("JUnit is well-formed XML");
    let case = xml
        .descendants()
        .find(|n| n.attribute("name").is_some_and(|a| a.contains("HYPERLINK")))
        .expect("the hostile test case");
    assert!(case.attribute("name").unwrap().contains("\\x1B]0;owned"));

    let csv_text = read("report.csv");
    let mut csv = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = csv.headers().unwrap().clone();
    let name_column = headers.iter().position(|h| h == "resource_name").unwrap();
    let row = csv
        .records()
        .map(Result::unwrap)
        .find(|r| r[name_column].contains("HYPERLINK"))
        .expect("the hostile row");
    assert!(
        row[name_column].starts_with("'="),
        "{:?}",
        &row[name_column]
    );
    assert!(
        row.iter()
            .all(|cell| !cell.starts_with(['=', '+', '-', '@'])),
        "{row:?}"
    );
    assert!(
        !row.iter().any(|cell| cell.chars().any(acts_on_a_terminal)),
        "{row:?}"
    );

    let sarif: Value = serde_json::from_str(&read("report.sarif")).unwrap();
    let messages: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["text"].as_str().unwrap())
        .collect();
    assert!(messages.iter().any(|m| m.contains("HYPERLINK")));
    assert!(!messages.iter().any(|m| m.chars().any(acts_on_a_terminal)));

    let html = read("report.html");
    assert!(!html.chars().any(acts_on_a_terminal), "{html:?}");
    assert!(
        html.contains("&lt;b&gt;x&lt;/b&gt;"),
        "markup in a name is text"
    );
    assert!(!html.contains("<b>x</b>") && !html.contains("(\"http://x\")"));

    let markdown = read("report.md");
    assert!(!markdown.chars().any(acts_on_a_terminal), "{markdown:?}");
    // Every row of the findings table has as many cells as its header: no name breaks a row.
    let cells = |line: &str| line.replace("\\|", "").matches('|').count();
    let table: Vec<&str> = markdown
        .lines()
        .skip_while(|l| !l.starts_with("| status"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(table.len() > 2, "{markdown}");
    assert!(
        table.iter().all(|l| cells(l) == cells(table[0])),
        "{table:#?}"
    );
    let hostile_row = table.iter().find(|l| l.contains("HYPERLINK")).unwrap();
    assert!(
        hostile_row.contains("`` "),
        "fenced past the name's backtick: {hostile_row}"
    );
    // Markup in the name stays inside the code span, where it shows as text.
    let (before, rest) = hostile_row.split_once("`` ").unwrap();
    let (_, after) = rest.split_once(" ``").unwrap();
    assert!(!format!("{before}{after}").contains("<b>"), "{hostile_row}");
}
