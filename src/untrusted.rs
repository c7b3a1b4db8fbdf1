//! Names, tags, ARNs and policy text come from the account: anyone who can name a resource
//! chooses them. Before a renderer writes such text where a terminal, a spreadsheet or an XML
//! parser will read it, the characters that would act instead of display are made visible.

use std::borrow::Cow;

/// Characters that act on the reader rather than show: C0 controls (ESC starts terminal
/// sequences), DEL, C1 controls (U+009B is a one-byte CSI), and the bidirectional overrides
/// and isolates that reorder how a line reads (CVE-2021-42574).
fn acts(c: char, keep_newlines: bool) -> bool {
    (c.is_control() && !(keep_newlines && c == '\n'))
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| acts(c, keep_newlines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts(c, keep_newlines) {
            let code = u32::from(c);
            if code <= 0xFF {
                out.push_str(&format!("\\x{code:02X}"));
            } else {
                out.push_str(&format!("\\u{{{code:04X}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for one line of a terminal or log: every control character, newlines included, is
/// shown as `\xNN` (ESC as `\x1B`), so no escape sequence reaches the terminal.
#[must_use]
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Text for a multi-line cell: as `line`, but newlines stay.
#[must_use]
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// A spreadsheet cell: controls made visible, and a leading `=`, `+`, `-`, `@`, tab or
/// carriage return (which Excel, LibreOffice and Sheets read as a formula) defused with a `'`.
#[must_use]
pub fn spreadsheet_cell(text: &str) -> Cow<'_, str> {
    let shown = escape(text, true);
    if shown.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{shown}"))
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(
            line("bucket\u{1b}]0;owned\u{7}"),
            "bucket\\x1B]0;owned\\x07"
        );
        assert_eq!(line("a\nb\u{9b}31m"), "a\\x0Ab\\x9B31m");
        assert_eq!(lines("a\nb\u{1b}"), "a\nb\\x1B");
        assert_eq!(line("admin\u{202e}nimda"), "admin\\u{202E}nimda");
        assert!(matches!(line("plain-name"), Cow::Borrowed(_)));
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(spreadsheet_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_cell("-1+2"), "'-1+2");
        assert_eq!(spreadsheet_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_cell("arn:aws:s3:::b"), "arn:aws:s3:::b");
    }
}
