//! Where each requested format goes: settled from flags and config before any work starts, so
//! a bad combination fails fast (exit 2) instead of after a long scan.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::ValueEnum;

use super::Format;
use crate::config::Config;
use crate::report::{self, Report};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

/// Where a command that writes one file puts it (`snapshot`, `summarize`), with the flags
/// `scan` uses: `--output FILE` (`-` is stdout), or `-o/--output-dir DIR` for the command's
/// own file name in DIR; neither is stdout.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OneOutput {
    /// Write to FILE (`-`: stdout, the default).
    #[arg(long, value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write into DIR under the command's file name (snapshot: inventory.json, summarize:
    /// summary.md); DIR is created when missing.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

impl OneOutput {
    /// Where the text goes; `file_name` is the name under `--output-dir`.
    pub fn destination(&self, file_name: &str) -> anyhow::Result<Destination> {
        Ok(match (&self.output, &self.output_dir) {
            (Some(path), _) if path.as_os_str() == "-" => Destination::Stdout,
            (Some(path), _) => Destination::File(path.clone()),
            (None, Some(dir)) => {
                anyhow::ensure!(
                    !dir.is_file(),
                    "--output-dir {} is a file; give a directory (or --output FILE)",
                    dir.display()
                );
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create output directory {}", dir.display()))?;
                Destination::File(dir.join(file_name))
            }
            (None, None) => Destination::Stdout,
        })
    }
}

impl Destination {
    /// Writes `text` there: atomically to a file, or to stdout.
    pub fn write(&self, text: &str, what: &str) -> anyhow::Result<()> {
        match self {
            Destination::Stdout => super::commands::out(text),
            Destination::File(path) => crate::atomic_write(path, text.as_bytes())
                .with_context(|| format!("cannot write {what} {}", path.display())),
        }
    }

    /// The file written, for messages; None for stdout.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Destination::File(path) => Some(path),
            Destination::Stdout => None,
        }
    }
}

/// The formats to render and where each goes.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub outputs: Vec<(Format, Destination)>,
    /// A directory to create before writing.
    pub dir: Option<PathBuf>,
}

pub fn file_name(format: Format) -> &'static str {
    match format {
        Format::Table => "report.txt",
        Format::Json => "report.json",
        Format::Sarif => "report.sarif",
        Format::Junit => "report.junit.xml",
        Format::Csv => "report.csv",
        Format::Markdown => "report.md",
        Format::Html => "report.html",
    }
}

fn format_name(format: Format) -> String {
    format
        .to_possible_value()
        .map_or_else(|| format!("{format:?}"), |v| v.get_name().to_string())
}

/// Flags win over the config file: `--format` over `formats`, `--output`/`--output-dir` over
/// `output_dir`.
pub fn plan(
    formats: &[Format],
    output: Option<&Path>,
    output_dir: Option<&Path>,
    config: &Config,
) -> anyhow::Result<OutputPlan> {
    let mut chosen: Vec<Format> = if !formats.is_empty() {
        formats.to_vec()
    } else if !config.formats.is_empty() {
        config
            .formats
            .iter()
            .map(|name| {
                Format::from_str(name, true).map_err(|_| {
                    anyhow::anyhow!(
                        "config: unknown format `{name}`; known: table, json, sarif, junit, csv, markdown, html"
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        vec![Format::Table]
    };
    let mut seen = Vec::new();
    chosen.retain(|f| {
        let first = !seen.contains(f);
        seen.push(*f);
        first
    });
    let files: Vec<Format> = chosen
        .iter()
        .copied()
        .filter(|f| *f != Format::Table)
        .collect();
    // `--output -` is stdout, as everywhere on the command line.
    let to_stdout = output.is_some_and(|p| p == std::path::Path::new("-"));
    let output = output.filter(|_| !to_stdout);
    let dir = match (output, output_dir) {
        _ if to_stdout => None,
        (Some(_), _) => None,
        (None, Some(dir)) => Some(dir.to_path_buf()),
        (None, None) => config.output_dir.clone(),
    };
    let mut outputs = Vec::new();
    if let Some(file) = output {
        anyhow::ensure!(
            files.len() == 1,
            "--output FILE takes exactly one non-table --format (got {}); use --output-dir DIR for several",
            files.len()
        );
        for f in &chosen {
            let dest = if *f == Format::Table {
                Destination::Stdout
            } else {
                Destination::File(file.to_path_buf())
            };
            outputs.push((*f, dest));
        }
    } else if let Some(dir) = &dir {
        anyhow::ensure!(
            !files.is_empty(),
            "--output-dir {} needs a file format: give --format json, sarif, junit, csv, markdown or html",
            dir.display()
        );
        // `-o report.json` meant --output before -o named a directory; say so rather than
        // create a directory called report.json.
        let looks_like_a_file = dir
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["json", "sarif", "xml", "csv", "md"].contains(&e));
        anyhow::ensure!(
            dir.is_dir() || !looks_like_a_file,
            "-o/--output-dir takes a directory, and {} looks like a file: use --output {} for one file",
            dir.display(),
            dir.display()
        );
        anyhow::ensure!(
            !dir.is_file(),
            "--output-dir {} is a file; give a directory (or --output FILE for one format)",
            dir.display()
        );
        for f in &chosen {
            let dest = if *f == Format::Table {
                Destination::Stdout
            } else {
                Destination::File(dir.join(file_name(*f)))
            };
            outputs.push((*f, dest));
        }
    } else {
        anyhow::ensure!(
            files.len() <= 1,
            "{} formats would all go to stdout: give --output-dir DIR",
            files.len()
        );
        if let Some(f) = files.first() {
            anyhow::ensure!(
                !chosen.contains(&Format::Table),
                "both table and {} would go to stdout: give --output FILE for the {} report",
                format_name(*f),
                format_name(*f)
            );
        }
        outputs.extend(chosen.iter().map(|f| (*f, Destination::Stdout)));
    }
    Ok(OutputPlan { outputs, dir })
}

pub fn render(
    report: &Report,
    format: Format,
    layout: &report::table::Layout,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => report::table::render(report, layout),
        Format::Json => report::json::render(report)?,
        Format::Sarif => report::sarif::render(report)?,
        Format::Junit => report::junit::render(report),
        Format::Csv => report::csv::render(report)?,
        Format::Markdown => report::markdown::render(report),
        Format::Html => report::html::render(report),
    })
}

impl OutputPlan {
    /// Renders and writes every output; files are written atomically.
    pub fn write(&self, report: &Report, layout: &report::table::Layout) -> anyhow::Result<()> {
        if let Some(dir) = &self.dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create output directory {}", dir.display()))?;
        }
        for (format, dest) in &self.outputs {
            let text = render(report, *format, layout)?;
            match dest {
                Destination::Stdout => super::commands::out(&text)?,
                Destination::File(path) => crate::atomic_write(path, text.as_bytes())
                    .with_context(|| {
                        format!(
                            "cannot write {} report {}",
                            format_name(*format),
                            path.display()
                        )
                    })?,
            }
        }
        Ok(())
    }
}

/// The table's layout for where stdout goes: `COLUMNS` wins over the terminal's width (a
/// pipe gets 120); colour per `--color`, and in auto mode only on a terminal without
/// `NO_COLOR` (any non-empty value, see no-color.org) and with a `TERM` other than `dumb`.
pub fn table_layout(color: super::ColorChoice, show_pass: bool) -> report::table::Layout {
    let term = console::Term::stdout();
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .or_else(|| term.size_checked().map(|(_, w)| usize::from(w)))
        .unwrap_or(120);
    let color = match color {
        super::ColorChoice::Always => true,
        super::ColorChoice::Never => false,
        super::ColorChoice::Auto => {
            term.is_term()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    report::table::Layout {
        width,
        color,
        show_pass,
        by_framework: false,
    }
}
