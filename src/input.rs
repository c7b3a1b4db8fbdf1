//! Reading the files other people hand posture (rule packs, suppressions, inventories, reports,
//! configs) as untrusted input: a size limit checked while reading (so `/dev/zero` or a FIFO
//! cannot grow memory), a UTF-8 byte-order mark accepted, and invalid text reported at its line
//! and column rather than as "not UTF-8".

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

const MIB: u64 = 1024 * 1024;

/// What kind of file is being read: each kind has its own size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A rule file, a rule's tests file or a data file beside rules.
    Rules,
    /// A suppression file.
    Suppressions,
    /// A saved inventory (`--inventory`).
    Inventory,
    /// A JSON report (`diff`, `summarize`).
    Report,
    /// `posture.toml`.
    Config,
}

impl FileKind {
    fn noun(self) -> &'static str {
        match self {
            FileKind::Rules => "a rule file",
            FileKind::Suppressions => "a suppression file",
            FileKind::Inventory => "an inventory",
            FileKind::Report => "a report",
            FileKind::Config => "a config file",
        }
    }

    fn setting(self) -> &'static str {
        match self {
            FileKind::Rules => "rule_file_mib",
            FileKind::Suppressions => "suppression_file_mib",
            FileKind::Inventory => "inventory_mib",
            FileKind::Report => "report_mib",
            FileKind::Config => "(fixed)",
        }
    }
}

/// Largest file of each kind posture reads, in MiB (`[limits]` in `posture.toml`). The defaults
/// leave ample room for real files: the bundled pack's largest rule file is under 8 KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Rule files, tests files and data files.
    pub rule_file_mib: u64,
    /// Suppression files.
    pub suppression_file_mib: u64,
    /// Saved inventories.
    pub inventory_mib: u64,
    /// JSON reports read by `diff` and `summarize`.
    pub report_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rule_file_mib: 4,
            suppression_file_mib: 4,
            inventory_mib: 1024,
            report_mib: 512,
        }
    }
}

/// `posture.toml` itself cannot configure its own limit.
const CONFIG_LIMIT_BYTES: u64 = MIB;

static LIMITS: OnceLock<Limits> = OnceLock::new();

impl Limits {
    /// Makes these the limits of this process. The CLI calls it once, after reading the config
    /// and before reading any other file; later calls are ignored so a limit cannot change
    /// halfway through a scan.
    pub fn install(self) {
        let _ = LIMITS.set(self);
    }

    /// The installed limits, or the defaults.
    #[must_use]
    pub fn current() -> Limits {
        LIMITS.get().copied().unwrap_or_default()
    }

    /// The limit for one kind of file, in bytes.
    #[must_use]
    pub fn bytes(&self, kind: FileKind) -> u64 {
        let mib = match kind {
            FileKind::Rules => self.rule_file_mib,
            FileKind::Suppressions => self.suppression_file_mib,
            FileKind::Inventory => self.inventory_mib,
            FileKind::Report => self.report_mib,
            FileKind::Config => return CONFIG_LIMIT_BYTES,
        };
        mib.saturating_mul(MIB)
    }
}

/// Why an input file could not be read as text: the file, and what was wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {problem}", path.display(), problem.position_suffix())]
pub struct InputError {
    /// The file.
    pub path: PathBuf,
    /// What kind of file it was read as.
    pub kind: FileKind,
    /// What was wrong.
    pub problem: InputProblem,
}

/// What was wrong with an input file.
#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Read(std::io::Error),
    /// The file is larger than its kind's limit; reading stopped at the limit.
    #[error(
        "larger than {limit_mib} MiB, the limit for {noun} (raise `{setting}` under [limits] in posture.toml if the file is genuine)"
    )]
    TooLarge {
        /// What kind of file it is, with its article ("an inventory").
        noun: &'static str,
        /// The limit, in MiB.
        limit_mib: u64,
        /// The `posture.toml` setting that raises it.
        setting: &'static str,
    },
    /// The file is UTF-16 (it starts with a UTF-16 byte-order mark or looks like it).
    #[error("UTF-16 text; posture reads UTF-8 (save the file as UTF-8)")]
    Utf16,
    /// A byte sequence that is not UTF-8.
    #[error("not UTF-8 text: invalid byte 0x{byte:02x} at byte offset {offset}")]
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// The first invalid byte.
        byte: u8,
    },
}

impl InputProblem {
    /// Line, column and byte offset of the problem, where it has one.
    #[must_use]
    pub fn position(&self) -> Option<(usize, usize, usize)> {
        match self {
            InputProblem::NotUtf8 {
                line,
                column,
                offset,
                ..
            } => Some((*line, *column, *offset)),
            InputProblem::Utf16 => Some((1, 1, 0)),
            InputProblem::Read(_) | InputProblem::TooLarge { .. } => None,
        }
    }

    fn position_suffix(&self) -> String {
        self.position()
            .map(|(line, column, _)| format!(":{line}:{column}"))
            .unwrap_or_default()
    }
}

/// A file's text (byte-order mark removed) and the SHA-256 of its bytes as read.
#[derive(Debug, Clone)]
pub struct TextFile {
    /// The text, without a leading UTF-8 byte-order mark.
    pub text: String,
    /// Lowercase hex SHA-256 of the file's bytes, byte-order mark included: the digest an
    /// auditor computes with `sha256sum`.
    pub sha256: String,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads `path` as text under the installed limit for `kind`.
pub fn read_text(path: &Path, kind: FileKind) -> Result<TextFile, InputError> {
    read_text_limited(path, kind, Limits::current().bytes(kind))
}

/// Reads `path` as text, failing once more than `limit` bytes arrive.
pub fn read_text_limited(path: &Path, kind: FileKind, limit: u64) -> Result<TextFile, InputError> {
    let fail = |problem| InputError {
        path: path.to_path_buf(),
        kind,
        problem,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(InputProblem::Read(e)))?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(InputProblem::Read(e)))?;
    if bytes.len() as u64 > limit {
        return Err(fail(InputProblem::TooLarge {
            noun: kind.noun(),
            limit_mib: limit.div_ceil(MIB),
            setting: kind.setting(),
        }));
    }
    decode(path, kind, bytes)
}

/// Turns a file's bytes into text: BOM removed, UTF-16 and invalid UTF-8 reported with a position.
pub fn decode(path: &Path, kind: FileKind, bytes: Vec<u8>) -> Result<TextFile, InputError> {
    let fail = |problem| InputError {
        path: path.to_path_buf(),
        kind,
        problem,
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if looks_like_utf16(&bytes) {
        return Err(fail(InputProblem::Utf16));
    }
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let bytes = e.as_bytes();
            let offset = e.utf8_error().valid_up_to();
            let (line, column) = line_and_column(&bytes[..offset]);
            return Err(fail(InputProblem::NotUtf8 {
                line,
                column,
                offset,
                byte: bytes[offset],
            }));
        }
    };
    if text.as_bytes().starts_with(UTF8_BOM) {
        text.drain(..UTF8_BOM.len());
    }
    Ok(TextFile { text, sha256 })
}

/// A UTF-16 byte-order mark, or ASCII text stored as UTF-16 (a zero byte beside each of the
/// first few characters), which editors on some systems write without a mark.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let head = &bytes[..bytes.len().min(8) & !1];
    head.len() >= 4
        && (head.chunks(2).all(|p| p[0] != 0 && p[1] == 0)
            || head.chunks(2).all(|p| p[0] == 0 && p[1] != 0))
}

/// 1-based line and column (in characters) of the position just after `valid`, which is UTF-8.
fn line_and_column(valid: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(valid);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        file
    }

    #[test]
    fn a_bom_is_removed_but_digested() {
        let file = write(b"\xEF\xBB\xBFid: x\n");
        let read = read_text(file.path(), FileKind::Rules).unwrap();
        assert_eq!(read.text, "id: x\n");
        assert_eq!(
            read.sha256,
            hex::encode(Sha256::digest(b"\xEF\xBB\xBFid: x\n"))
        );
    }

    #[test]
    fn invalid_utf8_is_placed_at_its_line_and_column() {
        let file = write(b"a: 1\nbc: \xFF\n");
        let err = read_text(file.path(), FileKind::Rules).unwrap_err();
        assert!(err.to_string().contains(":2:5: not UTF-8"), "{err}");
        let InputProblem::NotUtf8 { offset, byte, .. } = err.problem else {
            panic!("{err}")
        };
        assert_eq!((offset, byte), (9, 0xFF));
    }

    #[test]
    fn utf16_is_named() {
        for bytes in [&b"\xFF\xFEi\0d\0"[..], b"i\0d\0:\0 \0x\0"] {
            let file = write(bytes);
            let err = read_text(file.path(), FileKind::Suppressions).unwrap_err();
            assert!(matches!(err.problem, InputProblem::Utf16), "{err}");
        }
    }

    #[test]
    fn reading_stops_at_the_limit() {
        let file = write(&[b'a'; 2048]);
        assert!(read_text_limited(file.path(), FileKind::Rules, 2048).is_ok());
        let err = read_text_limited(file.path(), FileKind::Rules, 2047).unwrap_err();
        assert!(
            matches!(err.problem, InputProblem::TooLarge { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("rule_file_mib"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_file_is_cut_off() {
        let err = read_text_limited(Path::new("/dev/zero"), FileKind::Inventory, 4096).unwrap_err();
        assert!(
            matches!(err.problem, InputProblem::TooLarge { .. }),
            "{err}"
        );
    }
}
