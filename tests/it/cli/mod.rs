//! End-to-end tests of the `posture` binary without AWS: rules, offline scans, reports.

mod builtin_pack;
mod diff;
mod exit_codes;
mod formats;
mod hostile;
mod hostile_names;
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

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}
