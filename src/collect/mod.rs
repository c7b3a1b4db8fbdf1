//! Live collection through the official AWS SDK: lists resources and fills the attribute
//! groups the plan asks for. Knows the catalog's document shapes, never a rule.
//!
//! Shape of a scan: one `SdkConfig` per account target (default chain, each `--profile`, each
//! `--role-arn`), STS for the account id, then per region one future per regional service and,
//! once per account, the global services (IAM, S3's bucket listing). All futures run on the
//! caller's task through `buffer_unordered`; every request first takes a permit of its service's
//! semaphore and then of the global one, so at most `concurrency` requests are in flight.
//!
//! Failures never abort the scan once the account is known: a failed group is recorded on its
//! document (`ResourceDoc::fail`), and a failed listing (a whole service in a region) is recorded
//! on that account's `aws.account` document under `errors["<type>@<region>"]`, which is then
//! emitted even when the plan does not ask for `aws.account`. Resources are never invented.
//!
//! Adding a collector (also for CONTRIBUTING.md):
//! 1. Declare the type, its groups, fields and API actions in `catalog/catalog.yaml` first.
//! 2. `collect/<service>.rs` with `collect(scope) -> Vec<ResourceDoc>`: return at once unless
//!    `scope.wants_type`; list with `scope.listing(type, Service::X, action, paginator)`, which
//!    records a failed listing on the account; read each resource with `scope.each`, and any
//!    other paginated call with `scope.pages`.
//! 3. Fetch a group only when `scope.wants(type, group)`; map "not configured" error codes to
//!    data with `error::is_code`, and every other failure to `doc.fail(group, error::reason(..))`.
//! 4. Only List/Get/Describe calls; never read secret values.
//! 5. Register it in `collect()` (regional, or `home` for global services) and add a `Service`
//!    with a request limit; add a moto test seeding a compliant and a non-compliant resource.

mod account;
mod cloudtrail;
pub(crate) mod config;
mod dynamodb;
pub(crate) mod error;
mod events;
mod iam;
mod kinesis;
mod kms;
mod lambda;
mod logs;
mod s3;
mod secretsmanager;
mod sfn;
mod ssm;
mod tagging;
mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::inventory::{AccountScope, Inventory, ResourceDoc};
use crate::plan::Plan;

/// Settings of a live collection; validated flags from the CLI.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub profiles: Vec<String>,
    pub role_arns: Vec<String>,
    pub external_id: Option<String>,
    pub role_session_name: String,
    pub regions: RegionSelection,
    /// Emulator endpoint (moto, LocalStack); S3 then uses path-style addressing.
    pub endpoint_url: Option<String>,
    /// Requests in flight at once, over every account and region.
    pub concurrency: usize,
    /// Attempts per request, first one included (standard retry mode).
    pub max_attempts: u32,
    /// Timeout of each attempt.
    pub timeout: Duration,
    /// Read tags with each service's own call, one request per resource, instead of
    /// tag:GetResources (a hundred resources per request).
    pub tags_per_resource: bool,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            profiles: Vec::new(),
            role_arns: Vec::new(),
            external_id: None,
            role_session_name: "posture".to_string(),
            regions: RegionSelection::Default,
            endpoint_url: None,
            concurrency: 32,
            max_attempts: 5,
            timeout: Duration::from_secs(30),
            tags_per_resource: false,
        }
    }
}

/// Which regions regional services are read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSelection {
    /// The region of the credential chain (AWS_REGION, the profile).
    Default,
    List(Vec<String>),
    /// Every region enabled for the account (account:ListRegions).
    All,
}

/// Progress of a collection, in resources: the total grows as listings return.
pub trait Progress: Send + Sync {
    fn add_total(&self, n: u64);
    fn advance(&self, n: u64);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn add_total(&self, _n: u64) {}
    fn advance(&self, _n: u64) {}
}

/// Collects every resource type and attribute group the plan asks for, in every target account
/// and selected region. Fails only when an account cannot be identified or its regions cannot be
/// determined; everything after that is recorded on the documents.
pub async fn collect(
    options: &CollectOptions,
    plan: &Plan,
    progress: &dyn Progress,
) -> anyhow::Result<Inventory> {
    let limits = Limits::new(options.concurrency.max(1));
    let listing_errors = Mutex::new(Vec::new());
    let mut accounts: Vec<AccountScope> = Vec::new();
    let mut scopes: Vec<Scope<'_>> = Vec::new();
    let mut resources = Vec::new();
    let mut seen_accounts = BTreeSet::new();

    let targets = config::targets(options);
    let mut unreachable: Vec<(config::TargetSource, String)> = Vec::new();
    for target in &targets {
        // One account that cannot be reached (a role that cannot be assumed, an expired SSO
        // profile) must not stop the others: it is recorded and every rule is ERROR for it.
        let started = async {
            let base = config::base_config(options, target).await?;
            let identity = account::identify(&base).await.map_err(|e| {
                anyhow::anyhow!("cannot identify the account of {}: {e}", target.label())
            })?;
            let regions = account::regions(options, &base).await?;
            anyhow::Ok((base, identity, regions))
        };
        let (base, identity, regions) = match started.await {
            Ok(started) => started,
            Err(e) => {
                unreachable.push((target.clone(), format!("{e:#}")));
                continue;
            }
        };
        // Two targets resolving to one account would duplicate every document.
        if !seen_accounts.insert(identity.account.clone()) {
            continue;
        }
        let partition = identity.partition();
        let account_regions = Arc::new(regions.clone());
        for (index, region) in regions.iter().enumerate() {
            scopes.push(Scope {
                plan,
                limits: &limits,
                progress,
                listing_errors: &listing_errors,
                config: config::in_region(&base, region),
                account: identity.account.clone(),
                partition: partition.clone(),
                region: region.clone(),
                home: index == 0,
                account_regions: account_regions.clone(),
                endpoint_given: options.endpoint_url.is_some(),
                concurrency: options.concurrency.max(1),
                bulk_tags: !options.tags_per_resource,
            });
        }
        if plan.wants_type(account::TYPE) {
            resources.push(account::document(&identity, plan));
        }
        accounts.push(AccountScope {
            account: identity.account.clone(),
            caller_arn: identity.caller_arn.clone(),
            regions,
        });
    }

    if accounts.is_empty() {
        // Nothing at all could be scanned: a plain error says more than a report of ERRORs.
        if let Some((_, reason)) = unreachable.into_iter().next() {
            anyhow::bail!(reason);
        }
        anyhow::bail!("no account to scan");
    }
    for (target, reason) in &unreachable {
        resources.push(account::unreachable_document(target, reason, plan));
    }

    let mut jobs: Vec<Job<'_>> = Vec::new();
    for scope in &scopes {
        if scope.home {
            jobs.push(Box::pin(iam::collect(scope)));
            jobs.push(Box::pin(s3::collect(scope)));
        }
        jobs.push(Box::pin(kms::collect(scope)));
        jobs.push(Box::pin(dynamodb::collect(scope)));
        jobs.push(Box::pin(logs::collect(scope)));
        jobs.push(Box::pin(lambda::collect(scope)));
        jobs.push(Box::pin(ssm::collect(scope)));
        jobs.push(Box::pin(events::collect(scope)));
        jobs.push(Box::pin(sfn::collect(scope)));
        jobs.push(Box::pin(cloudtrail::collect(scope)));
        jobs.push(Box::pin(kinesis::collect(scope)));
        jobs.push(Box::pin(secretsmanager::collect(scope)));
    }
    // Each job is mostly waiting on permits; the bound only keeps the set of live futures small.
    let parallel_jobs = options.concurrency.max(1);
    let mut results = futures::stream::iter(jobs).buffer_unordered(parallel_jobs);
    while let Some(docs) = results.next().await {
        resources.extend(docs);
    }
    drop(results);

    let listing_errors = listing_errors
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    record_listing_errors(&mut resources, &accounts, listing_errors, plan);
    let mut inventory = Inventory::new(accounts, resources);
    inventory.collected_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .ok();
    Ok(inventory)
}

/// A listing that failed: the resources of `resource_type` in that account and region are unknown.
#[derive(Debug, Clone)]
struct ListingError {
    account: String,
    region: String,
    resource_type: String,
    reason: String,
}

fn record_listing_errors(
    resources: &mut Vec<ResourceDoc>,
    accounts: &[AccountScope],
    errors: Vec<ListingError>,
    plan: &Plan,
) {
    for error in errors {
        let position = resources
            .iter()
            .position(|d| d.resource_type == account::TYPE && d.account == error.account);
        let index = match position {
            Some(index) => index,
            None => {
                let caller_arn = accounts
                    .iter()
                    .find(|a| a.account == error.account)
                    .map(|a| a.caller_arn.clone())
                    .unwrap_or_default();
                let identity = account::Identity {
                    account: error.account.clone(),
                    caller_arn,
                };
                resources.push(account::document(&identity, plan));
                resources.len() - 1
            }
        };
        let key = format!("{}@{}", error.resource_type, error.region);
        resources[index].errors.insert(key, error.reason);
    }
}

type Job<'a> = Pin<Box<dyn Future<Output = Vec<ResourceDoc>> + Send + 'a>>;

/// Service names used for per-service request limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Service {
    Sts,
    S3,
    Kms,
    DynamoDb,
    Logs,
    Lambda,
    Iam,
    Ssm,
    Events,
    Sfn,
    CloudTrail,
    Kinesis,
    SecretsManager,
    Tagging,
}

impl Service {
    const ALL: [Service; 14] = [
        Service::Sts,
        Service::S3,
        Service::Kms,
        Service::DynamoDb,
        Service::Logs,
        Service::Lambda,
        Service::Iam,
        Service::Ssm,
        Service::Events,
        Service::Sfn,
        Service::CloudTrail,
        Service::Kinesis,
        Service::SecretsManager,
        Service::Tagging,
    ];

    /// Requests of this service in flight at once, before the global limit. Set below the
    /// services' documented per-account request rates so throttling stays the exception: IAM and
    /// SSM's DescribeParameters are the lowest (about 20 and 40 requests/s shared by the account).
    fn limit(self) -> usize {
        match self {
            Service::Iam => 8,
            // GetResources allows a few requests a second; each one answers for 100 resources.
            Service::Tagging => 4,
            Service::Ssm => 8,
            Service::Sts => 4,
            Service::Lambda | Service::Sfn | Service::Events | Service::CloudTrail => 12,
            Service::Kinesis | Service::SecretsManager | Service::Logs => 12,
            Service::S3 | Service::Kms | Service::DynamoDb => 24,
        }
    }
}

pub(crate) struct Limits {
    global: Semaphore,
    services: BTreeMap<Service, Semaphore>,
}

impl Limits {
    fn new(concurrency: usize) -> Self {
        let services = Service::ALL
            .iter()
            .map(|s| (*s, Semaphore::new(s.limit().min(concurrency))))
            .collect();
        Limits {
            global: Semaphore::new(concurrency),
            services,
        }
    }
}

/// One account in one region: what every collector gets.
pub(crate) struct Scope<'a> {
    pub plan: &'a Plan,
    limits: &'a Limits,
    pub progress: &'a dyn Progress,
    listing_errors: &'a Mutex<Vec<ListingError>>,
    pub config: SdkConfig,
    pub account: String,
    pub partition: String,
    pub region: String,
    /// The account's first region: where global services (IAM, S3 listing) are read, once.
    pub home: bool,
    /// Every region scanned in this account.
    pub account_regions: Arc<Vec<String>>,
    pub endpoint_given: bool,
    pub concurrency: usize,
    /// Whether tags may come from tag:GetResources (see `tagging`).
    pub bulk_tags: bool,
}

impl Scope<'_> {
    /// Runs one request under the service's and the global limits. `request` is a not yet
    /// polled future (`client.op().send()` or `paginator.next()`), so nothing is sent before the
    /// permits are held.
    pub(crate) async fn call<F: Future>(&self, service: Service, request: F) -> F::Output {
        // Service permit first: a request waiting for its service never holds a global permit.
        let _service = match self.limits.services.get(&service) {
            Some(semaphore) => semaphore.acquire().await.ok(),
            None => None,
        };
        let _global = self.limits.global.acquire().await.ok();
        request.await
    }

    /// Every page of a paginated call, each requested under the service's limits; the first
    /// failure as a reason naming `action`.
    pub(crate) async fn pages<O, E, R>(
        &self,
        service: Service,
        action: &str,
        mut pages: PaginationStream<Result<O, SdkError<E, R>>>,
    ) -> Result<Vec<O>, String>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let mut all = Vec::new();
        while let Some(page) = self.call(service, pages.next()).await {
            all.push(page.map_err(|e| error::reason(&e, action))?);
        }
        Ok(all)
    }

    /// The pages listing `resource_type`, or `None` once a failure is recorded on the account
    /// (then no resource of the type is known here).
    pub(crate) async fn listing<O, E, R>(
        &self,
        resource_type: &str,
        service: Service,
        action: &str,
        pages: PaginationStream<Result<O, SdkError<E, R>>>,
    ) -> Option<Vec<O>>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        match self.pages(service, action, pages).await {
            Ok(pages) => Some(pages),
            Err(reason) => {
                self.listing_failed(resource_type, reason);
                None
            }
        }
    }

    pub(crate) fn wants(&self, resource_type: &str, group: &str) -> bool {
        self.plan.wants(resource_type, group)
    }

    /// Whether to fetch `group` of this resource, given the tags already collected on `doc`
    /// (groups that only tag-selected rules read are skipped for resources those rules exclude).
    pub(crate) fn wants_for(&self, resource_type: &str, group: &str, doc: &ResourceDoc) -> bool {
        let tags_known = self.plan.wants(resource_type, "tags") && !doc.errors.contains_key("tags");
        self.plan
            .wants_for(resource_type, group, &doc.tags, tags_known)
    }

    pub(crate) fn wants_type(&self, resource_type: &str) -> bool {
        self.plan.wants_type(resource_type)
    }

    /// Records that a whole listing failed, so no resource of the type is known there.
    pub(crate) fn listing_failed(&self, resource_type: &str, reason: String) {
        let error = ListingError {
            account: self.account.clone(),
            region: self.region.clone(),
            resource_type: resource_type.to_string(),
            reason,
        };
        match self.listing_errors.lock() {
            Ok(mut errors) => errors.push(error),
            Err(poisoned) => poisoned.into_inner().push(error),
        }
    }

    pub(crate) fn doc(
        &self,
        resource_type: &str,
        arn: impl Into<String>,
        name: &str,
    ) -> ResourceDoc {
        let mut doc = ResourceDoc::new(resource_type, arn, &self.account, &self.region);
        doc.name = name.to_string();
        doc
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`
    pub(crate) fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// Documents finished without further reads: counted as done at once.
    pub(crate) fn done(&self, docs: Vec<ResourceDoc>) -> Vec<ResourceDoc> {
        self.progress.add_total(docs.len() as u64);
        self.progress.advance(docs.len() as u64);
        docs
    }

    /// Reads many resources concurrently; bounded, and the permits in `call` do the real limiting.
    pub(crate) async fn each<T, F, Fut>(&self, items: Vec<T>, read: F) -> Vec<ResourceDoc>
    where
        F: Fn(T) -> Fut,
        Fut: Future<Output = ResourceDoc>,
    {
        self.each_found(items, |item| {
            let doc = read(item);
            async move { Some(doc.await) }
        })
        .await
    }

    /// Like `each`, for reads that may find the resource gone (deleted since it was listed):
    /// those give `None` and no document, since a document would describe nothing.
    pub(crate) async fn each_found<T, F, Fut>(&self, items: Vec<T>, read: F) -> Vec<ResourceDoc>
    where
        F: Fn(T) -> Fut,
        Fut: Future<Output = Option<ResourceDoc>>,
    {
        self.progress.add_total(items.len() as u64);
        let mut docs = Vec::with_capacity(items.len());
        let mut stream =
            futures::stream::iter(items.into_iter().map(read)).buffer_unordered(self.concurrency);
        while let Some(doc) = stream.next().await {
            self.progress.advance(1);
            docs.extend(doc);
        }
        docs
    }
}
