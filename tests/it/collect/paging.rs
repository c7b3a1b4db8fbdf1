//! Pagination is followed and concurrency stays bounded.

use super::*;

#[derive(Default)]
struct CountingProgress {
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

impl posture::collect::Progress for CountingProgress {
    fn add_total(&self, n: u64) {
        self.total.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn pages_are_followed_and_concurrency_is_bounded() {
    isolated(paging_body);
}

async fn paging_body(env: TestEnv) {
    // Past one page of DescribeParameters (10), DescribeLogGroups (50) and ListTables (100).
    let config = seed_config(&env.moto, "ap-southeast-2").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for i in 0..25 {
        ssm.put_parameter()
            .name(format!("/pag/p{i:02}"))
            .value("v")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("parameter");
    }
    for i in 0..60 {
        logs.create_log_group()
            .log_group_name(format!("pag-{i:02}"))
            .send()
            .await
            .expect("group");
    }
    let proxy = FaultProxy::start(&env.moto);
    proxy.set_latency(Duration::from_millis(20));
    // Tags one request per parameter, so there are enough requests to crowd the limit.
    let options = CollectOptions {
        regions: RegionSelection::List(vec!["ap-southeast-2".to_string()]),
        concurrency: 3,
        tags_per_resource: true,
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[
        ("aws.ssm.parameter", &["metadata", "tags"]),
        ("aws.logs.log_group", &["retention", "tags"]),
    ]);
    let progress = CountingProgress::default();
    let inventory = collect(&options, &plan, &progress).await.expect("collect");

    let count = |t: &str| {
        inventory
            .resources
            .iter()
            .filter(|d| d.resource_type == t)
            .count()
    };
    assert_eq!(count("aws.ssm.parameter"), 25);
    assert_eq!(count("aws.logs.log_group"), 60);
    assert!(inventory.resources.iter().all(|d| d.errors.is_empty()));
    let describe_pages = proxy
        .requests()
        .iter()
        .filter(|r| r.operation().as_deref() == Some("DescribeParameters"))
        .count();
    assert!(
        describe_pages >= 3,
        "DescribeParameters pages: {describe_pages}"
    );
    // 85 tag reads with 20 ms each: the limit is used, and never exceeded.
    let max = proxy.max_in_flight();
    assert!((2..=3).contains(&max), "max in flight {max}");

    let total = progress.total.load(std::sync::atomic::Ordering::SeqCst);
    let done = progress.done.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!((total, done), (85, 85));
}
