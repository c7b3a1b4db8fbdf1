//! Rule-file diagnostics: `file:line:col: message`, the source line, a caret, and hints.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::yaml::Pos;

#[derive(Debug, Clone, PartialEq)]
/// One error in a YAML input (a rule, test, data or suppressions file), at the node it is about.
pub struct Diagnostic {
    /// The file the error is in, as it was loaded.
    pub file: PathBuf,
    /// Line and column (1-based) and byte span of the offending YAML node; the caret covers it.
    pub pos: Pos,
    /// What is wrong, in one line.
    pub message: String,
    /// Hints printed after the source line as `= help:` (e.g. "did you mean ...?").
    pub help: Vec<String>,
}

impl Diagnostic {
    /// An error at `pos` in `file`, without hints.
    pub fn new(file: &Path, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            pos,
            message: message.into(),
            help: Vec::new(),
        }
    }

    /// Adds one hint line to the diagnostic.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Renders the diagnostic against the file's text (which the caller already holds).
    #[must_use]
    pub fn render(&self, source: &str) -> String {
        // The file and the message can quote what a hostile file holds: show, never send,
        // control characters.
        let mut out = format!(
            "{}:{}:{}: error: {}\n",
            crate::untrusted::line(&self.file.display().to_string()),
            self.pos.line,
            self.pos.col,
            crate::untrusted::lines(&self.message)
        );
        if let Some(line) = source.lines().nth(self.pos.line.saturating_sub(1)) {
            let gutter = self.pos.line.to_string().len();
            let before: String = line.chars().take(self.pos.col.saturating_sub(1)).collect();
            let indent = crate::untrusted::line(&before).chars().count();
            let width = source
                .get(self.pos.start..self.pos.end)
                .map_or(1, |s| {
                    crate::untrusted::line(s.lines().next().unwrap_or(""))
                        .chars()
                        .count()
                })
                .clamp(
                    1,
                    line.chars().count().saturating_sub(self.pos.col - 1).max(1),
                );
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{} | {}", self.pos.line, crate::untrusted::line(line));
            let _ = writeln!(
                out,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(indent),
                "^".repeat(width)
            );
        }
        for help in &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

impl From<&crate::input::InputError> for Diagnostic {
    /// A file that could not be read as text, at the position of the problem when it has one
    /// (an invalid UTF-8 byte), else at the start of the file.
    fn from(error: &crate::input::InputError) -> Self {
        let (line, col, offset) = error.problem.position().unwrap_or((1, 1, 0));
        let pos = Pos {
            line,
            col,
            start: offset,
            end: offset,
        };
        Diagnostic::new(&error.path, pos, error.problem.to_string())
    }
}
