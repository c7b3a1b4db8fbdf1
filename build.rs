//! Records the git commit the binary is built from, for the report's `tool.commit`.
//! Builds from a source tarball (no git, no repository) simply leave it unset ("unknown").
//! `POSTURE_GIT_COMMIT` in the build environment wins, for packagers that know the commit.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=POSTURE_GIT_COMMIT");
    // The rule pack is compiled in (include_dir cannot tell cargo on stable): any change
    // under rules/ must rebuild the binary.
    println!("cargo:rerun-if-changed=rules");
    // A source tarball unpacked inside some other repository must not borrow its commit.
    let own_checkout = match (
        git(&["rev-parse", "--show-toplevel"]).and_then(|t| std::fs::canonicalize(t).ok()),
        std::env::var("CARGO_MANIFEST_DIR")
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok()),
    ) {
        (Some(top), Some(manifest)) => top == manifest,
        _ => false,
    };
    let commit = std::env::var("POSTURE_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| own_checkout.then(|| git(&["rev-parse", "HEAD"])).flatten());
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        // HEAD moves on checkout; logs/HEAD on every commit (HEAD itself does not change when
        // it names a branch).
        for file in ["HEAD", "logs/HEAD"] {
            let path = std::path::Path::new(&git_dir).join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    // The build date for `--version`: SOURCE_DATE_EPOCH when the packager sets one
    // (reproducible builds), else today.
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let date_args: Vec<String> = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) if !epoch.trim().is_empty() => {
            vec![
                "-u".into(),
                "-d".into(),
                format!("@{}", epoch.trim()),
                "+%F".into(),
            ]
        }
        _ => vec!["-u".into(), "+%F".into()],
    };
    if let Some(date) = Command::new("date")
        .args(&date_args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
    {
        println!("cargo:rustc-env=POSTURE_BUILD_DATE={date}");
    }
    if let Some(commit) = commit {
        println!("cargo:rustc-env=POSTURE_GIT_COMMIT={commit}");
    }
}
