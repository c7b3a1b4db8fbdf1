//! posture: a declarative compliance scanner for AWS accounts.
//!
//! Stages (see DESIGN.md): rules -> plan -> collect -> inventory -> eval -> report.

pub mod catalog;
pub mod cli;
pub mod collect;
pub mod config;
pub mod derived;
pub mod eval;
pub mod health;
pub mod iam_policy;
pub mod input;
pub mod inventory;
pub mod plan;
pub mod report;
pub mod rules;
pub mod ruletest;
pub mod summarize;
pub mod untrusted;
pub mod yaml;

use std::io::Write;
use std::path::Path;

/// Writes a file so that readers see the old content or the new, never a torn one. The file
/// gets the mode any other tool's output would (0666 less the umask, 0644 by default): a
/// report is meant to be read by the CI job or the auditor, not only by the user who wrote it.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to this mode, as it does for any newly created file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
