//! Rule-file diagnostics: `file:line:col: message`, the source line, a caret, and hints.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::yaml::Pos;

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn new(file: &Path, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            pos,
            message: message.into(),
            help: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Renders the diagnostic against the file's text (which the caller already holds).
    #[must_use]
    pub fn render(&self, source: &str) -> String {
        let mut out = format!(
            "{}:{}:{}: error: {}\n",
            self.file.display(),
            self.pos.line,
            self.pos.col,
            self.message
        );
        if let Some(line) = source.lines().nth(self.pos.line.saturating_sub(1)) {
            let gutter = self.pos.line.to_string().len();
            let width = source
                .get(self.pos.start..self.pos.end)
                .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
                .clamp(
                    1,
                    line.chars().count().saturating_sub(self.pos.col - 1).max(1),
                );
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{} | {}", self.pos.line, line);
            let _ = writeln!(
                out,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(self.pos.col.saturating_sub(1)),
                "^".repeat(width)
            );
        }
        for help in &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}
