//! Command-line interface: flags become validated settings, then each command runs a stage.

mod commands;
mod live;
mod output;

pub use live::LiveArgs;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes of `scan`, shown after `posture --help` and `posture scan --help`.
pub const EXIT_HELP: &str = "\
Exit codes:
  0  no FAIL at or above --fail-on, and no more undecided checks than --max-undecided
     (always 0 with --exit-zero, unless the input is bad)
  1  a FAIL at or above --fail-on (default: low)
  2  bad invocation, bad rule file, bad config or inventory, or no account reachable
  3  no such FAIL, but more checks of rules at or above --fail-on could not be decided
     (ERROR) than --max-undecided allows (default 0: any ERROR)
SUPPRESSED findings (see --suppressions) count toward none of these.";

/// `posture --version`: the crate version, the commit and the build date, so a report or a bug
/// can be traced to the exact build.
fn long_version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{} (commit {}, built {})",
            env!("CARGO_PKG_VERSION"),
            crate::report::TOOL_COMMIT,
            option_env!("POSTURE_BUILD_DATE").unwrap_or("on an unknown date")
        )
    });
    &VERSION
}

#[derive(Parser, Debug)]
#[command(name = "posture", version = long_version(), about = "Compliance scanner for AWS accounts: declarative rules, evidence reports.", after_help = EXIT_HELP)]
/// The parsed command line of `posture`.
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
/// The commands of `posture`; each variant's doc is its help.
pub enum Command {
    /// Evaluate the rules over an account's resources and report.
    Scan(ScanArgs),
    /// Validate, test or list rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print the resource catalog: types, attributes and the API calls that fill them.
    Catalog {
        /// A resource type, e.g. aws.s3.bucket (all types when omitted).
        resource_type: Option<String>,
    },
    /// Collect live resources into an inventory file, for offline evaluation later.
    Snapshot(live::SnapshotArgs),
    /// Probe each service with one cheap read-only call: latency and HEALTHY / DEGRADED / UNAVAILABLE.
    Health(live::HealthArgs),
    /// Write a plain-language summary of a JSON report for auditors, through Amazon Bedrock.
    Summarize(live::SummarizeArgs),
    /// Print the least-privilege IAM policy a scan with these rules needs.
    IamPolicy {
        /// The rules whose reads the policy allows.
        #[command(flatten)]
        pack: RulePack,
        /// Also allow account:ListRegions, which `scan --regions all` calls.
        #[arg(long)]
        all_regions: bool,
        /// Allow every read posture can make: what `snapshot` without `--rules` collects.
        #[arg(long, conflicts_with = "rules")]
        everything: bool,
        /// The policy `posture health` needs instead: one read per probed service, and
        /// bedrock:InvokeModel (an inference, in its own statement) for the Bedrock probe.
        #[arg(long, conflicts_with_all = ["rules", "everything", "all_regions"])]
        health: bool,
    },
    /// Print a rule's title, rationale, remediation, parameters and framework mappings.
    Explain {
        /// Id of the rule, as `posture rules list` prints it.
        rule_id: String,
        /// Where to find it.
        #[command(flatten)]
        pack: RulePack,
    },
    /// Print a shell completion script: `posture completions bash > /etc/bash_completion.d/posture`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): `posture man > posture.1`, or one subcommand's:
    /// `posture man scan > posture-scan.1` (`posture man rules test` for a nested one).
    Man {
        /// The subcommand whose page to print (the top-level page when omitted).
        subcommand: Vec<String>,
    },
    /// Print the JSON Schema of the JSON report (also committed as schema/report.schema.json).
    Schema,
    /// Compare two JSON reports: new failures, fixed findings, still failing.
    #[command(after_help = DIFF_EXIT_HELP)]
    Diff(DiffArgs),
}

/// Exit codes of `diff`, shown after `posture diff --help`.
pub const DIFF_EXIT_HELP: &str = "\
Exit codes:
  0  no new FAIL and no lost coverage at or above --fail-on
  1  a new FAIL at or above --fail-on (default: low), or a finding decided in OLD that NEW
     did not decide (ERROR, or rule/account/region not evaluated) unless --allow-lost-coverage
  2  a report is unreadable or not a posture JSON report";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// How `diff` prints the comparison.
pub enum DiffFormat {
    /// New failures, fixed, no longer failing and still failing findings, for a terminal.
    Table,
    /// The same sections as JSON, for scripts.
    Json,
}

#[derive(Args, Debug)]
/// The arguments of `posture diff`.
pub struct DiffArgs {
    /// The earlier JSON report (e.g. from the default branch).
    pub old: PathBuf,
    /// The later JSON report.
    pub new: PathBuf,
    /// How to print the comparison.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormat,
    /// Lowest severity whose new FAIL makes the exit code 1.
    #[arg(long, value_name = "SEVERITY", default_value = "low", ignore_case = true, value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: String,
    /// Do not fail on findings that OLD decided and NEW did not (still listed as lost coverage).
    #[arg(long)]
    pub allow_lost_coverage: bool,
}

#[derive(Subcommand, Debug)]
/// The subcommands of `posture rules`.
pub enum RulesCommand {
    /// Check rule files against the catalog; every error with <file:line:col>.
    Validate {
        /// Rule files or directories, as with --rules.
        paths: Vec<PathBuf>,
        /// The built-in pack and `--rules` paths, as for scan.
        #[command(flatten)]
        pack: RulePack,
    },
    /// Run each rule's `<id>.tests.yaml` cases: those under the given paths, or the built-in
    /// pack's when no path is given.
    Test {
        /// Rule files or directories, as with --rules; the tests files among them are run.
        paths: Vec<PathBuf>,
        /// The built-in pack and `--rules` paths, as for scan.
        #[command(flatten)]
        pack: RulePack,
        /// Fail (exit 1) when a rule under the paths has no tests file, not just warn.
        #[arg(long)]
        strict: bool,
    },
    /// Write the built-in rule pack (rules, tests, data files) to DIR, to customize it; load
    /// the edited copy with `--rules DIR`.
    Export {
        /// Directory to write into (created when missing).
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
    /// List the loaded rules.
    List {
        /// Rule files or directories, as with --rules.
        paths: Vec<PathBuf>,
        /// The built-in pack and `--rules` paths, as for scan.
        #[command(flatten)]
        pack: RulePack,
        /// Which of the loaded rules to list.
        #[command(flatten)]
        filter: RuleFilter,
        /// How to print them.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
        /// Same as `--format markdown`.
        #[arg(long, conflicts_with = "format")]
        markdown: bool,
    },
}

#[derive(Args, Debug, Clone, Default)]
/// Which rules a command loads: the built-in pack (compiled into the binary) and rule files.
pub struct RulePack {
    /// Rule files or directories to load beside the built-in pack (repeatable); a rule with
    /// a built-in rule's id replaces it. Default: the config's `rules`.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in pack: only the --rules paths.
    #[arg(long)]
    pub no_builtin_rules: bool,
}

#[derive(Args, Debug, Clone, Default)]
/// Narrows the loaded rules; filters of different kinds all apply, and one that matches no
/// loaded rule is an error.
pub struct RuleFilter {
    /// Only rules whose id matches (repeatable; globs such as `s3-*`).
    #[arg(long = "rule", value_name = "ID|GLOB")]
    pub rule_ids: Vec<String>,
    /// Leave out rules whose id matches (repeatable; globs).
    #[arg(long = "exclude-rule", value_name = "ID|GLOB")]
    pub exclude_rule_ids: Vec<String>,
    /// Only rules over these services: `s3,iam` (repeatable).
    #[arg(long = "service", value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Only rules of these severities: `high,critical` (repeatable, case-insensitive).
    #[arg(long = "severity", value_name = "SEVERITY")]
    pub severities: Vec<String>,
    /// Only rules mapped to a framework or one of its controls: `hipaa`, `soc2:CC6.1`
    /// (repeatable, case-insensitive).
    #[arg(long = "framework", value_name = "FRAMEWORK[:CONTROL]")]
    pub frameworks: Vec<String>,
}

impl From<&RuleFilter> for crate::rules::Selection {
    fn from(filter: &RuleFilter) -> Self {
        crate::rules::Selection {
            rules: filter.rule_ids.clone(),
            exclude_rules: filter.exclude_rule_ids.clone(),
            services: filter.services.clone(),
            severities: filter.severities.clone(),
            frameworks: filter.frameworks.clone(),
        }
        .split_lists()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// When the table is coloured.
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// How `rules list` prints the rules.
pub enum ListFormat {
    /// Aligned columns for a terminal.
    Table,
    /// A Markdown table (the README's rule list is generated this way).
    Markdown,
    /// One JSON array of rules, for scripts.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// The output formats of `scan --format`; each but table has a file name under `--output-dir`.
pub enum Format {
    /// Findings and per-rule results for a terminal (stdout).
    Table,
    /// The canonical evidence report (report.json).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning (report.sarif).
    Sarif,
    /// `JUnit` XML for CI test dashboards (report.junit.xml).
    Junit,
    /// One row per finding (report.csv).
    Csv,
    /// A short summary for a PR comment or $`GITHUB_STEP_SUMMARY` (report.md).
    Markdown,
    /// One self-contained page: summary, framework controls, filterable findings (report.html).
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// What the table lists.
pub enum GroupBy {
    /// The failing findings, then one line per rule.
    Rule,
    /// The compliance view: per framework, each control's verdict, title and rules.
    Framework,
}

#[derive(Args, Debug)]
#[command(after_help = EXIT_HELP)]
/// The arguments of `posture scan`.
pub struct ScanArgs {
    /// The rules to evaluate.
    #[command(flatten)]
    pub pack: RulePack,
    /// Evaluate a saved inventory (JSON) instead of scanning live accounts.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["save_inventory", "profiles", "role_arns", "endpoint_url"])]
    pub inventory: Option<PathBuf>,
    /// Also write the collected inventory here (live scans), to re-evaluate it offline.
    #[arg(long, value_name = "FILE")]
    pub save_inventory: Option<PathBuf>,
    /// Which accounts and regions to collect from, and how to pace the requests.
    #[command(flatten)]
    pub live: LiveArgs,
    /// Output formats; repeatable (default: the config's `formats`, else table). The table
    /// always goes to stdout; one other format may go to stdout when it is the only output.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,
    /// Write the one non-table format to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write every non-table format to DIR (report.json, report.sarif, report.junit.xml,
    /// report.csv, report.md, report.html).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Suppressions file (YAML): accepted risks with justification and expiry.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// List passing findings in the table too, with their evidence under WHY (implies
    /// --include-pass).
    #[arg(long)]
    pub show_pass: bool,
    /// What the table lists: findings and rules, or per framework each control's verdict.
    #[arg(long, value_enum, default_value = "rule")]
    pub group_by: GroupBy,
    /// Colour status and severity in the table: auto (on a terminal, unless `NO_COLOR` is
    /// set), always or never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Carry passing findings in the JSON report as positive evidence.
    #[arg(long)]
    pub include_pass: bool,
    /// Lowest severity whose FAIL makes the exit code 1 (and whose ERROR counts toward exit 3).
    #[arg(long, value_name = "SEVERITY", ignore_case = true, value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
    /// Exit 0 whatever the verdicts, once the reports are written (report-only jobs); bad
    /// input still exits 2.
    #[arg(long)]
    pub exit_zero: bool,
    /// Undecided (ERROR) checks tolerated before exit 3: a count (`10`) or a share of all
    /// checks (`2%`); default 0.
    #[arg(long, value_name = "N|P%")]
    pub max_undecided: Option<String>,
    /// Override a rule parameter: `rule_id.name=value` (repeatable).
    #[arg(long = "param", value_name = "RULE.NAME=VALUE")]
    pub params: Vec<String>,
    /// Which of the loaded rules to run.
    #[command(flatten)]
    pub filter: RuleFilter,
    /// Judge only resources whose ARN matches (repeatable; globs, `*` crosses `/`). Every
    /// resource is still read where a rule refers to others.
    #[arg(long = "resource-arn", value_name = "GLOB")]
    pub resource_arns: Vec<String>,
    /// Judge only resources carrying this tag (repeatable, all must match): `Env=prod`, or
    /// `Env` for any value.
    #[arg(long = "resource-tag", value_name = "KEY[=VALUE]")]
    pub resource_tags: Vec<String>,
    /// Config file (default: ./posture.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The clock for age rules and suppression expiry (RFC 3339); default: the inventory's
    /// `collected_at`, else now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs the CLI; never panics on bad input, and a closed stdout is not an error.
#[must_use]
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // Messages can quote file contents and AWS answers: no control character passes.
            let message = format!("{e:#}");
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                crate::untrusted::lines(&message)
            );
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        // clap checks duplicate ids, conflicting names and bad defaults only when asked.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
