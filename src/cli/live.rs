//! Flags and plumbing of live collection: which accounts and regions, the progress bar, and the
//! commands that only collect (`snapshot`) or describe what collection needs (`iam-policy`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::collect::{self, CollectOptions, Progress, RegionSelection};
use crate::inventory::Inventory;
use crate::plan::Plan;

#[derive(Args, Debug, Clone, Default)]
pub struct LiveArgs {
    /// AWS profile to scan (repeatable: one account per profile). Default: the credential chain.
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Role to assume from the base credentials (repeatable: one account per role).
    #[arg(long = "role-arn", value_name = "ARN")]
    pub role_arns: Vec<String>,
    /// External id for --role-arn.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// Session name for --role-arn.
    #[arg(long, value_name = "NAME", default_value = "posture")]
    pub role_session_name: String,
    /// One region (default: the profile's or AWS_REGION).
    #[arg(long, value_name = "REGION", conflicts_with = "regions")]
    pub region: Option<String>,
    /// Comma-separated regions, or `all` for every region enabled in the account.
    #[arg(long, value_name = "a,b|all", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Send every request to this endpoint (an emulator such as moto); S3 uses path-style.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Requests in flight at once, over all accounts and regions.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,
    /// Attempts per request (throttling and 5xx are retried with backoff).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_attempts: u32,
    /// Timeout of each attempt, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

impl LiveArgs {
    /// Validated collection settings; `config_regions` applies when no region flag is given.
    pub fn options(&self, config_regions: &[String]) -> anyhow::Result<CollectOptions> {
        anyhow::ensure!(self.concurrency >= 1, "--concurrency must be at least 1");
        anyhow::ensure!(self.max_attempts >= 1, "--max-attempts must be at least 1");
        let listed: Vec<String> = match (&self.region, self.regions.is_empty()) {
            (Some(region), _) => vec![region.clone()],
            (None, false) => self.regions.clone(),
            (None, true) => config_regions.to_vec(),
        };
        let listed: Vec<String> = listed
            .into_iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let regions = if listed.iter().any(|r| r == "all") {
            anyhow::ensure!(
                listed.len() == 1,
                "--regions all cannot be combined with named regions"
            );
            RegionSelection::All
        } else if listed.is_empty() {
            RegionSelection::Default
        } else {
            RegionSelection::List(listed)
        };
        Ok(CollectOptions {
            profiles: self.profiles.clone(),
            role_arns: self.role_arns.clone(),
            external_id: self.external_id.clone(),
            role_session_name: self.role_session_name.clone(),
            regions,
            endpoint_url: self.endpoint_url.clone(),
            concurrency: self.concurrency,
            max_attempts: self.max_attempts,
            timeout: Duration::from_secs(self.timeout.max(1)),
        })
    }
}

/// A progress bar on stderr when it is a terminal; silent otherwise.
struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn add_total(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc_length(n);
        }
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }
}

/// Collects the plan's resources from live accounts.
pub fn collect(options: &CollectOptions, plan: &Plan, quiet: bool) -> anyhow::Result<Inventory> {
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} collecting {pos}/{len} resources {elapsed}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress = Bar(bar);
    let inventory = runtime.block_on(collect::collect(options, plan, &progress));
    if let Some(bar) = progress.0 {
        bar.finish_and_clear();
    }
    inventory
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// Where to write the inventory (JSON).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Collect only what these rules read (default: every attribute of every type).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The least-privilege policy of a scan, as an IAM policy document.
pub fn iam_policy_document(plan: &Plan) -> serde_json::Value {
    let actions: Vec<String> = plan
        .iam_actions(crate::catalog::Catalog::builtin())
        .into_iter()
        .collect();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PostureReadOnlyScan",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*"
        }]
    })
}

#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 every service HEALTHY; 1 any DEGRADED or UNAVAILABLE; 2 bad invocation.\n\n\
The Bedrock probe sends one Converse request (the prompt \"ping\", maxTokens 1) to the configured model: \
it is billed like any inference (a few input tokens and one output token) and runs only when \
--bedrock-model is given and `bedrock` is among --services."
)]
pub struct HealthArgs {
    /// Services to probe (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "s3,kms,dynamodb,ssm,lambda,eventbridge,stepfunctions"
    )]
    pub services: Vec<String>,
    /// Calls per service and region.
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Slower than this (median or max, in ms) is DEGRADED.
    #[arg(long, default_value_t = 1000.0)]
    pub degraded_ms: f64,
    /// Bedrock model id for the `bedrock` probe (e.g. anthropic.claude-3-haiku-20240307-v1:0).
    #[arg(long, value_name = "MODEL_ID")]
    pub bedrock_model: Option<String>,
    /// table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Runs `posture health`.
pub fn health(args: HealthArgs, config_regions: &[String]) -> anyhow::Result<u8> {
    let mut collect = args.live.options(config_regions)?;
    // A probe that hangs must come back as UNAVAILABLE quickly, not after the scan timeout.
    if args.live.timeout == 30 {
        collect.timeout = Duration::from_secs(5);
    }
    let options = crate::health::HealthOptions {
        collect,
        services: args
            .services
            .iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
        samples: args.samples,
        degraded_ms: args.degraded_ms,
        bedrock_model: args.bedrock_model.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let results = runtime.block_on(crate::health::run(&options))?;
    let text = if args.format == "json" {
        format!("{}\n", serde_json::to_string_pretty(&results)?)
    } else {
        crate::health::render_table(&results)
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    Ok(crate::health::exit_code(&results))
}
