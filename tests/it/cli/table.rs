//! The terminal table: fits `COLUMNS`, most severe findings first, colour only when asked.

use super::posture;

fn table(columns: &str, extra: &[&str]) -> String {
    let run = posture()
        .env("COLUMNS", columns)
        .env_remove("NO_COLOR")
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(extra)
        .output()
        .unwrap();
    String::from_utf8(run.stdout).unwrap()
}

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

#[test]
fn eighty_columns_get_records_that_fit_most_severe_first() {
    let text = table("80", &[]);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
    }
    // Records start with STATUS SEVERITY RULE at column one; details are indented.
    let ranks: Vec<usize> = text
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("FAIL ") || l.starts_with("ERROR "))
        .map(|l| {
            let severity = l.split(' ').nth(1).unwrap();
            SEVERITIES.iter().position(|s| *s == severity).unwrap()
        })
        .collect();
    assert!(ranks.len() > 5, "{text}");
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "not sorted by severity: {ranks:?}"
    );
    assert!(
        text.contains("\n    arn:aws:"),
        "the resource is on its own line"
    );
    assert!(!text.contains('\u{1b}'), "no colour into a pipe");
}

#[test]
fn wide_terminals_get_a_grid_no_wider_than_them() {
    let text = table("160", &[]);
    assert!(text.starts_with("┌"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 160, "wider than 160: {line}");
    }
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let coloured = table("160", &["--color", "always"]);
    assert!(
        coloured.contains("\u{1b}["),
        "--color always colours even a pipe"
    );
    let plain = table("160", &["--color", "never"]);
    assert!(!plain.contains('\u{1b}'));
    // The grid keeps its shape with colour: the escapes take no columns.
    let strip = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    assert_eq!(strip.replace_all(&coloured, ""), plain);
}

#[test]
fn show_pass_lists_passes_with_their_evidence() {
    let text = table(
        "160",
        &["--show-pass", "--rule", "s3-bucket-versioning-enabled"],
    );
    assert!(text.contains("PASS"), "{text}");
    assert!(text.contains("versioning.status = \"Enabled\""), "{text}");
}
