//! Flags and plumbing of live collection: which accounts and regions, the progress bar, and the
//! commands that only collect (`snapshot`) or describe what collection needs (`iam-policy`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::collect::{self, CollectOptions, Progress, RegionSelection};
use crate::inventory::{AccountScope, Inventory};
use crate::plan::Plan;

#[derive(Args, Debug, Clone, Default)]
/// Flags of live collection: which accounts and regions, and how to pace the requests.
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
    /// One region (default: the profile's or `AWS_REGION`).
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
    /// Read tags with one request per resource (s3:GetBucketTagging, ...) instead of
    /// tag:GetResources, which answers for 100 resources at once but is eventually consistent.
    #[arg(long)]
    pub tags_per_resource: bool,
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
        for region in listed.iter().filter(|r| *r != "all") {
            check_region_name(region)?;
        }
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
            tags_per_resource: self.tags_per_resource,
        })
    }
}

/// Progress on stderr: the accounts as they are identified (always, unless quiet), and on a
/// terminal two bars with known totals: service collections (one service in one account and
/// region, planned once the accounts are known) and resources read (growing as listings
/// return). The bars end as one line that stays on screen.
struct Bar {
    quiet: bool,
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bars = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style = |unit: &str| {
                ProgressStyle::with_template(&format!(
                    "{{prefix:>9}} [{{bar:32}}] {{pos}}/{{len}} {unit} {{elapsed}}"
                ))
                .map_or_else(
                    |_| ProgressStyle::default_bar(),
                    |s| s.progress_chars("=> "),
                )
            };
            let services = multi.add(ProgressBar::new(0));
            services.set_style(style("service reads"));
            services.set_prefix("services");
            let resources = multi.add(ProgressBar::new(0));
            resources.set_style(style("resources"));
            resources.set_prefix("resources");
            services.enable_steady_tick(Duration::from_millis(120));
            (multi, services, resources)
        });
        Bar { quiet, bars }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let text = crate::untrusted::line(text);
        match &self.bars {
            Some((multi, _, _)) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    /// Replaces the bars with one line saying what was collected, kept on screen.
    fn finish(self, summary: Option<&str>) {
        if let Some((multi, services, resources)) = self.bars {
            services.finish_and_clear();
            resources.finish_and_clear();
            let _ = multi.clear();
        }
        if let Some(summary) = summary.filter(|_| !self.quiet) {
            eprintln!("{}", crate::untrusted::line(summary));
        }
    }
}

impl Progress for Bar {
    fn add_total(&self, n: u64) {
        if let Some((_, _, bar)) = &self.bars {
            bar.inc_length(n);
        }
    }

    fn advance(&self, n: u64) {
        if let Some((_, _, bar)) = &self.bars {
            bar.inc(n);
        }
    }

    fn account_ready(&self, account: &AccountScope) {
        self.line(&format!(
            "  account {} as {}, regions {}",
            account.account,
            if account.caller_arn.is_empty() {
                "an unknown caller"
            } else {
                &account.caller_arn
            },
            account.regions.join(", ")
        ));
    }

    fn services_planned(&self, n: u64) {
        if let Some((_, bar, _)) = &self.bars {
            bar.inc_length(n);
        }
    }

    fn service_done(&self) {
        if let Some((_, bar, _)) = &self.bars {
            bar.inc(1);
        }
    }
}

/// What a live scan is about to do, before any request: the rules, the targets, the regions
/// and, above all, the endpoint, so an emulator run is never mistaken for a real account.
fn banner(options: &CollectOptions, what: &str) -> String {
    let targets = match (options.profiles.len(), options.role_arns.len()) {
        (0, 0) => "the default credentials".to_string(),
        (p, 0) => format!("{p} profile{}", if p == 1 { "" } else { "s" }),
        (0, r) => format!("{r} role{}", if r == 1 { "" } else { "s" }),
        (p, r) => format!("{p} profiles and {r} roles"),
    };
    let regions = match &options.regions {
        RegionSelection::Default => "the default region".to_string(),
        RegionSelection::List(list) => format!("regions {}", list.join(", ")),
        RegionSelection::All => "every enabled region".to_string(),
    };
    let endpoint = match &options.endpoint_url {
        Some(url) => format!("endpoint {url} (not AWS: an emulator or a proxy)"),
        None => "AWS endpoints".to_string(),
    };
    format!("posture: collecting {what} with {targets}, {regions}, through {endpoint}")
}

/// Collects the plan's resources from live accounts; `what` says what is collected (for the
/// banner: "42 rules", "every attribute").
pub fn collect(
    options: &CollectOptions,
    plan: &Plan,
    what: &str,
    quiet: bool,
) -> anyhow::Result<Inventory> {
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(collect::check_profiles(&options.profiles))
        .map_err(|problem| anyhow::anyhow!(problem))?;
    let progress = Bar::new(quiet);
    progress.line(&banner(options, what));
    let inventory = runtime.block_on(collect::collect(options, plan, &progress));
    match &inventory {
        Ok(inventory) => progress.finish(Some(&format!(
            "  collected {} resources from {} account{} in {:.1} s",
            inventory.resources.len(),
            inventory.accounts.len(),
            if inventory.accounts.len() == 1 {
                ""
            } else {
                "s"
            },
            started.elapsed().as_secs_f64()
        ))),
        Err(_) => progress.finish(None),
    }
    Ok(inventory?)
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// Where to write the inventory (JSON).
    #[command(flatten)]
    pub output: super::output::OneOutput,
    /// Collect only what these rules read (default: every attribute of every type).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Region names AWS publishes, for the did-you-mean of a malformed one.
const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// A region name is checked before any request: a typo would otherwise become one ERROR per
/// rule from a DNS failure. The shape is AWS's (`eu-west-1`, `us-gov-west-1`); a region AWS
/// adds later has it too, so only the shape is required, not membership of the list.
fn check_region_name(region: &str) -> anyhow::Result<()> {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$").expect("valid pattern")
    });
    if SHAPE.is_match(region) {
        return Ok(());
    }
    let near = crate::catalog::nearest(&region.to_ascii_lowercase(), KNOWN_REGIONS.iter().copied());
    anyhow::bail!(
        "`{}` is not an AWS region name (like eu-west-1){}",
        crate::untrusted::line(region),
        near.first()
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default()
    )
}

/// The least-privilege policy of a scan, as an IAM policy document.
pub fn iam_policy_document(plan: &Plan, all_regions: bool) -> serde_json::Value {
    let mut actions = plan.iam_actions(crate::catalog::Catalog::builtin());
    if all_regions {
        actions.insert("account:ListRegions".to_string());
    }
    let actions: Vec<String> = actions.into_iter().collect();
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

/// The policy `posture health` needs: its reads, and (own statement) the Bedrock probe's one
/// inference call on foundation models and inference profiles.
#[must_use]
pub fn health_policy_document() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PostureHealthReads",
                "Effect": "Allow",
                "Action": crate::health::READ_ACTIONS,
                "Resource": "*"
            },
            {
                "Sid": "PostureHealthBedrockProbe",
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel"],
                "Resource": [
                    "arn:aws:bedrock:*::foundation-model/*",
                    "arn:aws:bedrock:*:*:inference-profile/*"
                ]
            }
        ]
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
    /// Services to probe (comma-separated), named as in the catalog's types and
    /// `--service` (`events`, `sfn`; `eventbridge` and `stepfunctions` are accepted too).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "s3,kms,dynamodb,ssm,lambda,events,sfn"
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
pub fn health(
    args: HealthArgs,
    config_regions: &[String],
    configured_model: Option<String>,
) -> anyhow::Result<u8> {
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
            .map(|s| crate::health::canonical_service(&s).to_string())
            .collect(),
        samples: args.samples,
        degraded_ms: args.degraded_ms,
        bedrock_model: args.bedrock_model.clone().or(configured_model),
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

#[derive(Args, Debug)]
#[command(
    after_help = "Only aggregates leave the machine by default: rule ids, titles, severities, \
counts and framework controls. Resource ARNs are sent only with --include-resources. \
The call is one Bedrock Runtime Converse request, billed by the model's token prices."
)]
pub struct SummarizeArgs {
    /// A JSON report written by `posture scan --format json`.
    pub report: PathBuf,
    /// Bedrock model id (or inference profile id) to write the summary.
    #[arg(long, value_name = "MODEL_ID")]
    pub bedrock_model: Option<String>,
    /// Also send the ARNs of failing resources (up to 20 per rule).
    #[arg(long)]
    pub include_resources: bool,
    /// Where to write the summary (Markdown).
    #[command(flatten)]
    pub output: super::output::OneOutput,
    /// Upper bound of the summary's length, in tokens.
    #[arg(long, default_value_t = 1024)]
    pub max_tokens: i32,
    /// AWS region of the Bedrock endpoint (default: the profile's or `AWS_REGION`).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile for the Bedrock call.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send the request to this endpoint instead of Bedrock's (tests, proxies).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// Runs `posture summarize`.
pub fn summarize(args: SummarizeArgs, configured_model: Option<String>) -> anyhow::Result<u8> {
    use crate::summarize::bedrock;
    let model = args.bedrock_model.clone().or(configured_model).context(
        "no Bedrock model configured: pass --bedrock-model ID (or set bedrock_model in posture.toml)",
    )?;
    let report = crate::report::diff::load(&args.report)?;
    let destination = args.output.destination("summary.md")?;
    let prompt = crate::summarize::prompt(&report, args.include_resources);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let text = runtime.block_on(async {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::collect::https_client())
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
        if let Some(profile) = &args.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &args.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(url) = &args.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        anyhow::ensure!(
            config.region().is_some(),
            "no AWS region for Bedrock: pass --region"
        );
        let request = bedrock::Request {
            model: &model,
            system: Some(crate::summarize::SYSTEM_PROMPT),
            prompt: &prompt,
            max_tokens: args.max_tokens,
        };
        bedrock::converse(&config, request)
            .await
            .map_err(|e| match summarize_hint(&e) {
                Some(hint) => anyhow::anyhow!("{e}{hint}"),
                None => anyhow::Error::new(e),
            })
    })?;
    let text = format!("{}\n", text.trim_end());
    destination.write(&text, "the summary")?;
    Ok(0)
}

/// What the user can do about a model that did not answer.
fn summarize_hint(error: &crate::summarize::bedrock::ConverseError) -> Option<&'static str> {
    use crate::summarize::bedrock::ConverseError;
    match error {
        ConverseError::AccessDenied { .. } => Some(
            " (request access to the model in the Bedrock console, and allow bedrock:InvokeModel on it)",
        ),
        // `summarize` configures the client with 3 attempts.
        ConverseError::Throttled { .. } => {
            Some(" (the model is throttled after 3 attempts; try again later or raise the quota)")
        }
        ConverseError::ModelUnavailable { .. } => {
            Some(" (check the model id and that the model is offered in this region)")
        }
        _ => None,
    }
}
