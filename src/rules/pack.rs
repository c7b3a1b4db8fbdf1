//! The built-in rule pack: the `rules/` tree compiled into the binary, so posture works from
//! any directory after `cargo install`. Its files are named under the pseudo-directory
//! `builtin:rules/`, so errors, reports and data-file lookups treat them like files on disk
//! while nobody can mistake them for one.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::input::{FileKind, InputError, TextFile};

static BUILTIN: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/rules");

/// The name the built-in pack's files are shown under.
pub const BUILTIN_ROOT: &str = "builtin:rules";

/// The root of the built-in pack, as a rule path.
#[must_use]
pub fn builtin_root() -> PathBuf {
    PathBuf::from(BUILTIN_ROOT)
}

/// The path inside the built-in pack that `path` names, when it names one.
fn builtin_relative(path: &Path) -> Option<&Path> {
    let rest = path.strip_prefix(BUILTIN_ROOT).ok()?;
    Some(rest)
}

/// Whether `path` names the built-in pack or a file in it.
#[must_use]
pub fn is_builtin(path: &Path) -> bool {
    builtin_relative(path).is_some()
}

/// Every built-in file (rules, tests, data) under `path` that `keep` accepts, by pack name.
pub(super) fn builtin_files(path: &Path, keep: fn(&Path) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let rest = builtin_relative(path).context("not a built-in path")?;
    if rest.as_os_str().is_empty() {
        return Ok(walk(&BUILTIN, keep));
    }
    if let Some(dir) = BUILTIN.get_dir(rest) {
        return Ok(walk(dir, keep));
    }
    if BUILTIN.get_file(rest).is_some() {
        return Ok(vec![path.to_path_buf()]);
    }
    anyhow::bail!("the built-in rule pack has no {}", path.display())
}

fn walk(dir: &include_dir::Dir<'static>, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for file in dir.files() {
        let named = builtin_root().join(file.path());
        if keep(&named) {
            found.push(named);
        }
    }
    for sub in dir.dirs() {
        found.extend(walk(sub, keep));
    }
    found
}

/// Reads a rule-pack file: from the binary for `builtin:rules/...`, else from disk, with the
/// same checks (size, encoding, byte-order mark) either way.
pub fn read(path: &Path, kind: FileKind) -> Result<TextFile, InputError> {
    match builtin_relative(path) {
        Some(rest) => {
            let bytes = BUILTIN.get_file(rest).map_or_else(
                || {
                    Err(InputError {
                        path: path.to_path_buf(),
                        kind,
                        problem: crate::input::InputProblem::Read(std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "not in the built-in rule pack",
                        )),
                    })
                },
                |f| Ok(f.contents().to_vec()),
            )?;
            crate::input::decode(path, kind, bytes)
        }
        None => crate::input::read_text(path, kind),
    }
}

/// Every file of the built-in pack with its bytes, sorted by path inside the pack.
fn builtin_contents() -> Vec<(PathBuf, &'static [u8])> {
    fn collect(dir: &include_dir::Dir<'static>, out: &mut Vec<(PathBuf, &'static [u8])>) {
        for file in dir.files() {
            out.push((file.path().to_path_buf(), file.contents()));
        }
        for sub in dir.dirs() {
            collect(sub, out);
        }
    }
    let mut out = Vec::new();
    collect(&BUILTIN, &mut out);
    // By the path as text (`sha256sum`-style listings sort that way), not by component.
    out.sort_by(|a, b| a.0.to_string_lossy().cmp(&b.0.to_string_lossy()));
    out
}

/// SHA-256 of the built-in pack: over each file's path and digest, in path order, so any
/// change to any file (rule, test or data) changes it.
#[must_use]
pub fn builtin_digest() -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in builtin_contents() {
        hasher.update(path.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(hex::encode(Sha256::digest(bytes)).as_bytes());
        hasher.update([b'\n']);
    }
    hex::encode(hasher.finalize())
}

/// Writes the built-in pack under `dir` for customization; refuses to overwrite any file
/// (unless `force`), so a user's edits are never lost. Returns how many files it wrote.
pub fn export(dir: &Path, force: bool) -> anyhow::Result<usize> {
    let files = builtin_contents();
    if !force {
        let existing: Vec<String> = files
            .iter()
            .map(|(rel, _)| dir.join(rel))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if let Some(first) = existing.first() {
            anyhow::bail!(
                "{first} already exists ({} of the pack's {} files do); nothing was written. \
                 Choose an empty directory, or pass --force to overwrite them",
                existing.len(),
                files.len()
            );
        }
    }
    for (rel, bytes) in &files {
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_pack_holds_every_file_of_the_rules_directory() {
        let on_disk = walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .count();
        let embedded = builtin_files(&builtin_root(), |_| true).unwrap();
        assert_eq!(embedded.len(), on_disk);
        assert!(embedded.iter().all(|p| p.starts_with(BUILTIN_ROOT)));
    }

    #[test]
    fn builtin_files_read_like_files_on_disk() {
        let path = builtin_root().join("iam/escalation-paths.data.yaml");
        let read = read(&path, FileKind::Rules).unwrap();
        let disk = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules/iam/escalation-paths.data.yaml"
        ))
        .unwrap();
        assert_eq!(read.text, disk);
        let missing = super::read(&builtin_root().join("nope.yaml"), FileKind::Rules);
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("built-in rule pack")
        );
        assert!(builtin_files(&builtin_root().join("nope"), |_| true).is_err());
    }

    #[test]
    fn export_never_overwrites_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let written = export(dir.path(), false).unwrap();
        assert!(written > 10);
        let again = export(dir.path(), false).unwrap_err().to_string();
        assert!(again.contains("already exists"), "{again}");
        assert_eq!(export(dir.path(), true).unwrap(), written);
        assert_eq!(builtin_digest().len(), 64);
    }
}
