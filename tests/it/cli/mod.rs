//! End-to-end tests of the `posture` binary without AWS: rules, offline scans, reports.

mod builtin_pack;
mod compliance;
mod diff;
mod exit_codes;
mod formats;
mod hostile;
mod hostile_names;
mod html;
mod report;
mod rule_pack;
mod schema;
mod selection;
mod suppressions;
mod table;
mod validation;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary with no AWS settings from the environment leaking in.
pub fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").expect("binary builds");
    cmd.current_dir(root());
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null");
    cmd
}

/// `scan --format json` of the example account with `extra` flags: the exit code and the
/// report printed on stdout.
pub fn example_report(extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "stdout is not a JSON report; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}
