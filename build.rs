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
    if let Some(commit) = commit {
        println!("cargo:rustc-env=POSTURE_GIT_COMMIT={commit}");
    }
}
