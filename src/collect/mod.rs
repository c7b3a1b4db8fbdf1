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
//! Adding a collector: the checklist in CONTRIBUTING.md ("Adding a resource type").

mod account;
mod bedrock;
mod cloudtrail;
pub(crate) mod config;
mod dynamodb;
mod elasticache;
pub(crate) mod error;
mod events;
mod glacier;
mod iam;
mod key_manager;
mod kinesis;
mod kms;
mod lambda;
mod logs;
mod opensearch;
mod rds;
mod rotation_schedule;
mod s3;
mod secretsmanager;
mod sfn;
mod sns;
mod sqs;
mod ssm;
mod tagging;
mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::inventory::{AccountScope, CollectionError, Inventory, ResourceDoc};
use crate::plan::Plan;

pub use config::{check_profiles, https_client};
pub use error::TargetError;

/// Why a collection produced no inventory at all (every failure after an account is reached is
/// recorded on the documents instead).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// No target could be reached; the first target's reason.
    #[error(transparent)]
    Unreachable(TargetError),
    /// No target was given at all.
    #[error("no account to scan")]
    NoTarget,
}

/// Settings of a live collection; validated flags from the CLI.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Named profiles to scan, each a target (`--profile`).
    pub profiles: Vec<String>,
    /// Roles to assume, each a target (`--role-arn`).
    pub role_arns: Vec<String>,
    /// External id sent with every AssumeRole.
    pub external_id: Option<String>,
    /// Session name of the assumed roles, as CloudTrail records it.
    pub role_session_name: String,
    /// Regions to read regional services in.
    pub regions: RegionSelection,
    /// Emulator endpoint (moto, `LocalStack`); S3 then uses path-style addressing.
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
    /// The region of the credential chain (`AWS_REGION`, the profile).
    Default,
    /// These regions, in this order (the first is the home region).
    List(Vec<String>),
    /// Every region enabled for the account (account:ListRegions).
    All,
}

/// Progress of a collection, in resources: the total grows as listings return.
pub trait Progress: Send + Sync {
    /// `n` more resources are known to be coming.
    fn add_total(&self, n: u64);
    /// `n` more resources are done.
    fn advance(&self, n: u64);
    /// An account was identified and will be read in these regions.
    fn account_ready(&self, _account: &AccountScope) {}
    /// `n` service collections (one service in one account and region) are planned.
    fn services_planned(&self, _n: u64) {}
    /// One service collection finished: listed, and every resource read.
    fn service_done(&self) {}
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
) -> Result<Inventory, CollectError> {
    let limits = Limits::new(options.concurrency.max(1));
    let listing_errors = Mutex::new(Vec::new());
    let mut accounts: Vec<AccountScope> = Vec::new();
    let mut scopes: Vec<Scope<'_>> = Vec::new();
    let mut resources = Vec::new();
    let mut seen_accounts = BTreeSet::new();

    let targets = config::targets(options);
    let mut unreachable: Vec<(config::TargetSource, TargetError)> = Vec::new();
    for target in &targets {
        // One account that cannot be reached (a role that cannot be assumed, an expired SSO
        // profile) must not stop the others: it is recorded and every rule is ERROR for it.
        let started = async {
            let label = target.label();
            let base = config::base_config(options, target).await?;
            let identity = account::identify(&base, &label).await?;
            let regions = account::regions(options, &base, &label).await?;
            Ok::<_, TargetError>((base, identity, regions))
        };
        let (base, identity, regions) = match started.await {
            Ok(started) => started,
            Err(e) => {
                unreachable.push((target.clone(), e));
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
        // Every region of the account is read with the same plan, so the plan is its coverage.
        let collected = plan
            .groups
            .iter()
            .map(|(ty, groups)| (ty.clone(), groups.iter().cloned().collect()))
            .collect();
        let scope = AccountScope {
            collected: Some(collected),
            ..AccountScope::new(&identity.account, &identity.caller_arn, regions)
        };
        progress.account_ready(&scope);
        accounts.push(scope);
    }

    if accounts.is_empty() {
        // Nothing at all could be scanned: a plain error says more than a report of ERRORs.
        if let Some((_, error)) = unreachable.into_iter().next() {
            return Err(CollectError::Unreachable(error));
        }
        return Err(CollectError::NoTarget);
    }
    for (target, error) in &unreachable {
        resources.push(account::unreachable_document(
            target,
            &error.as_collection_error(),
            plan,
        ));
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
        jobs.push(Box::pin(sqs::collect(scope)));
        jobs.push(Box::pin(sns::collect(scope)));
        jobs.push(Box::pin(rds::collect(scope)));
        jobs.push(Box::pin(elasticache::collect(scope)));
        jobs.push(Box::pin(opensearch::collect(scope)));
        jobs.push(Box::pin(glacier::collect(scope)));
        jobs.push(Box::pin(bedrock::collect(scope)));
    }
    // Each job is mostly waiting on permits; the bound only keeps the set of live futures small.
    let parallel_jobs = options.concurrency.max(1);
    progress.services_planned(jobs.len() as u64);
    let mut results = futures::stream::iter(jobs).buffer_unordered(parallel_jobs);
    while let Some(docs) = results.next().await {
        progress.service_done();
        resources.extend(docs);
    }
    drop(results);

    let listing_errors = listing_errors
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    record_listing_errors(&mut resources, &accounts, listing_errors, plan);
    let mut resources = resources;
    let now = time::OffsetDateTime::now_utc();
    crate::derived::derive_all(&mut resources, now);
    let mut inventory = Inventory::new(accounts, resources);
    inventory.endpoint_url.clone_from(&options.endpoint_url);
    inventory.collected_at = now
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
    error: CollectionError,
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
        let index = if let Some(index) = position {
            index
        } else {
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
        };
        let key = format!("{}@{}", error.resource_type, error.region);
        resources[index].errors.insert(key, error.error);
    }
}

/// Pages of one hand-paginated listing before it is taken for a loop (a million resources at
/// the smallest page sizes AWS uses).
const MAX_PAGES: usize = 100_000;

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
    Sqs,
    Sns,
    Rds,
    ElastiCache,
    OpenSearch,
    Glacier,
    Bedrock,
    Tagging,
}

impl Service {
    const ALL: [Service; 21] = [
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
        Service::Sqs,
        Service::Sns,
        Service::Rds,
        Service::ElastiCache,
        Service::OpenSearch,
        Service::Glacier,
        Service::Bedrock,
        Service::Tagging,
    ];

    /// Requests of this service in flight at once, before the global limit. Set below the
    /// services' documented per-account request rates so throttling stays the exception: IAM and
    /// SSM's `DescribeParameters` are the lowest (about 20 and 40 requests/s shared by the account).
    fn limit(self) -> usize {
        match self {
            Service::Iam => 8,
            // GetResources allows a few requests a second; each one answers for 100 resources.
            Service::Tagging => 4,
            Service::Ssm => 8,
            Service::Sts => 4,
            Service::Lambda | Service::Sfn | Service::Events | Service::CloudTrail => 12,
            Service::Kinesis | Service::SecretsManager | Service::Logs => 12,
            // GetTopicAttributes and ListTopics allow about 30 requests/s per account.
            Service::Sns => 8,
            // The Describe listings carry 100 resources each; few requests, a shared rate.
            Service::Rds | Service::ElastiCache | Service::OpenSearch => 8,
            Service::Glacier | Service::Bedrock => 4,
            Service::Sqs => 24,
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

    /// One request under the service's limits; a failure becomes a `CollectionError` naming
    /// `action` (the IAM action, as `iam-policy` prints it).
    pub(crate) async fn read<T, E>(
        &self,
        service: Service,
        action: &str,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, CollectionError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call(service, request)
            .await
            .map_err(|e| error::failure(&e, action))
    }

    /// Every page of a paginated call, each requested under the service's limits; the first
    /// failure names `action`.
    pub(crate) async fn pages<O, E>(
        &self,
        service: Service,
        action: &str,
        mut pages: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
    ) -> Result<Vec<O>, CollectionError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut all = Vec::new();
        while let Some(page) = self.call(service, pages.next()).await {
            all.push(page.map_err(|e| error::failure(&e, action))?);
        }
        Ok(all)
    }

    /// Every page of a call the SDK has no paginator for: `request(token)` sends one page and
    /// `next_token` reads the token of the next one (none or empty on the last page). A token
    /// that repeats would loop forever: it is a failure, as is a listing past `MAX_PAGES`.
    pub(crate) async fn token_pages<O, E, Fut>(
        &self,
        service: Service,
        action: &str,
        request: impl Fn(Option<String>) -> Fut,
        next_token: impl Fn(&O) -> Option<&str>,
    ) -> Result<Vec<O>, CollectionError>
    where
        Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.read(service, action, request(token.clone())).await?;
            let next = next_token(&page)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            pages.push(page);
            match next {
                None => return Ok(pages),
                Some(next) if token.as_ref() == Some(&next) || pages.len() >= MAX_PAGES => {
                    return Err(CollectionError::new(
                        action,
                        "InvalidPagination",
                        format!("the listing did not end after {} pages", pages.len()),
                    ));
                }
                Some(next) => token = Some(next),
            }
        }
    }

    /// The pages listing `resource_type`, or `None` when the plan does not read the type or the
    /// listing failed (recorded on the account: then no resource of the type is known here).
    pub(crate) async fn listing<O, E>(
        &self,
        resource_type: &str,
        service: Service,
        action: &str,
        pages: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
    ) -> Option<Vec<O>>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if !self.wants_type(resource_type) {
            return None;
        }
        match self.pages(service, action, pages).await {
            Ok(pages) => Some(pages),
            Err(error) => {
                self.listing_failed(resource_type, error);
                None
            }
        }
    }

    /// Finishes documents whose listing filled every planned group but tags: tags come from one
    /// tag:GetResources listing of `tagging_service` when it can be used, else from `read_tags`
    /// per document (a failure recorded on that document's `tags`).
    pub(crate) async fn with_tags<F, Fut>(
        &self,
        resource_type: &str,
        tagging_service: &str,
        mut docs: Vec<ResourceDoc>,
        read_tags: F,
    ) -> Vec<ResourceDoc>
    where
        F: Fn(&ResourceDoc) -> Fut,
        Fut: Future<Output = Result<BTreeMap<String, String>, CollectionError>>,
    {
        if !self.wants(resource_type, "tags")
            || tagging::fill(self, tagging_service, &mut docs).await
        {
            return self.done(docs);
        }
        self.each(docs, |mut doc| {
            let tags = read_tags(&doc);
            async move {
                match tags.await {
                    Ok(tags) => doc.tags = tags,
                    Err(error) => doc.fail("tags", error),
                }
                doc
            }
        })
        .await
    }

    /// Fills the tags of a document read with other per-resource calls: from the region's tag
    /// index when there is one, else by `read` (when the plan reads tags at all).
    pub(crate) async fn fill_tags<Fut>(
        &self,
        resource_type: &str,
        index: Option<&tagging::TagIndex>,
        doc: &mut ResourceDoc,
        read: impl FnOnce() -> Fut,
    ) where
        Fut: Future<Output = Result<BTreeMap<String, String>, CollectionError>>,
    {
        if let Some(index) = index {
            doc.tags = index.tags_of(&doc.arn);
        } else if self.wants(resource_type, "tags") {
            match read().await {
                Ok(tags) => doc.tags = tags,
                Err(error) => doc.fail("tags", error),
            }
        }
    }

    /// Records one failed call on every planned group of `resource_type` that it would have filled.
    pub(crate) fn fail_groups(
        &self,
        doc: &mut ResourceDoc,
        resource_type: &str,
        groups: &[&str],
        error: &CollectionError,
    ) {
        for group in groups {
            if self.wants(resource_type, group) {
                doc.fail(group, error.clone());
            }
        }
    }

    pub(crate) fn wants(&self, resource_type: &str, group: &str) -> bool {
        self.plan.wants(resource_type, group)
    }

    /// Sets each of `groups` on `doc` that the plan reads, for collectors whose one answer
    /// fills several groups.
    pub(crate) fn set_wanted<'g>(
        &self,
        resource_type: &str,
        doc: &mut ResourceDoc,
        groups: impl IntoIterator<Item = (&'g str, serde_json::Value)>,
    ) {
        for (group, value) in groups {
            if self.wants(resource_type, group) {
                doc.set(group, value);
            }
        }
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
    pub(crate) fn listing_failed(&self, resource_type: &str, error: CollectionError) {
        let error = ListingError {
            account: self.account.clone(),
            region: self.region.clone(),
            resource_type: resource_type.to_string(),
            error,
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
