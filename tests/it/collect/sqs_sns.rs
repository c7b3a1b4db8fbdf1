//! SQS queues and SNS topics, and `EventBridge` targets that resolve to them.

use super::*;

const OWNER_ONLY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"events","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/qs-bus/qs-rule"}}}]}"#;
const PUBLIC_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"anyone","Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#;
const PUBLIC_TOPIC_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"anyone-subscribes","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Subscribe","Resource":"*"}]}"#;

#[test]
fn queues_topics_and_their_policies() {
    isolated(queues_topics_body);
}

async fn queues_topics_body(env: TestEnv) {
    use aws_sdk_sqs::types::QueueAttributeName as Attr;
    let config = seed_config(&env.moto, REGION).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let dlq = sqs
        .create_queue()
        .queue_name("qs-dlq")
        .send()
        .await
        .expect("dlq");
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(dlq.queue_url().unwrap())
        .attribute_names(Attr::QueueArn)
        .send()
        .await
        .expect("dlq arn")
        .attributes()
        .and_then(|a| a.get(&Attr::QueueArn).cloned())
        .expect("QueueArn");
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"4"}}"#);
    sqs.create_queue()
        .queue_name("qs-good")
        .attributes(Attr::KmsMasterKeyId, "alias/aws/sqs")
        .attributes(Attr::RedrivePolicy, redrive)
        .attributes(Attr::Policy, OWNER_ONLY_POLICY)
        .tags("team", "orders")
        .send()
        .await
        .expect("good queue");
    sqs.create_queue()
        .queue_name("qs-bad")
        .attributes(Attr::SqsManagedSseEnabled, "false")
        .attributes(Attr::Policy, PUBLIC_POLICY)
        .send()
        .await
        .expect("bad queue");

    let sns = aws_sdk_sns::Client::new(&config);
    let good_topic = sns
        .create_topic()
        .name("qs-topic-good")
        .attributes("KmsMasterKeyId", "alias/aws/sns")
        .send()
        .await
        .expect("topic")
        .topic_arn()
        .expect("arn")
        .to_string();
    sns.create_topic()
        .name("qs-topic-bad")
        .attributes("Policy", PUBLIC_TOPIC_POLICY)
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("team")
                .value("status")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("topic");

    let events = aws_sdk_eventbridge::Client::new(&config);
    events
        .create_event_bus()
        .name("qs-bus")
        .send()
        .await
        .expect("bus");
    events
        .put_rule()
        .name("qs-rule")
        .event_bus_name("qs-bus")
        .event_pattern(r#"{"source":["qs"]}"#)
        .send()
        .await
        .expect("rule");
    let queue_arn = dlq_arn.replace("qs-dlq", "qs-good");
    let target = |id: &str, arn: &str| {
        aws_sdk_eventbridge::types::Target::builder()
            .id(id)
            .arn(arn)
            .build()
            .unwrap()
    };
    events
        .put_targets()
        .rule("qs-rule")
        .event_bus_name("qs-bus")
        .targets(target("queue", &queue_arn))
        .targets(target("topic", &good_topic))
        .send()
        .await
        .expect("targets");

    // A function polling the good queue: its event source resolves to the queue.
    use aws_sdk_lambda::types::{FunctionCode, Runtime};
    let role_arn = create_lambda_role(&config, "qs-fn-role").await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    lambda
        .create_function()
        .function_name("qs-fn")
        .runtime(Runtime::Python312)
        .role(&role_arn)
        .handler("app.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(crate::support::empty_zip()))
                .build(),
        )
        .send()
        .await
        .expect("function");
    lambda
        .create_event_source_mapping()
        .function_name("qs-fn")
        .event_source_arn(&queue_arn)
        .send()
        .await
        .expect("event source mapping");

    let inventory = collect_all(&env.moto).await;

    let good = doc(&inventory, "aws.sqs.queue", "qs-good");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(good.arn, queue_arn);
    // moto also reports SqsManagedSseEnabled beside the key; the key decides, as in AWS.
    assert_eq!(
        good.attributes["encryption"],
        json!({"enabled": true, "type": "KMS", "kms_key_id": "alias/aws/sqs"})
    );
    assert_eq!(
        good.attributes["redrive"],
        json!({"dead_letter_queue_arn": dlq_arn, "max_receive_count": 4})
    );
    assert_eq!(good.attributes["policy"]["public"], false);
    assert_eq!(good.tags["team"], "orders");
    let bad = doc(&inventory, "aws.sqs.queue", "qs-bad");
    assert_eq!(
        bad.attributes["encryption"],
        json!({"enabled": false, "type": "NONE"})
    );
    assert_eq!(bad.attributes["redrive"], json!({}));
    assert_eq!(bad.attributes["policy"]["public"], true);
    assert_eq!(
        bad.attributes["policy"]["public_statements"],
        json!(["anyone"])
    );
    // moto's default: SSE-SQS on a queue created without encryption attributes, as in AWS.
    let dlq = doc(&inventory, "aws.sqs.queue", "qs-dlq");
    assert_eq!(dlq.attributes["encryption"]["type"], "SQS");
    assert_eq!(
        dlq.attributes["policy"],
        json!({"present": false, "statements": [], "public": false, "public_statements": []})
    );

    let good = doc(&inventory, "aws.sns.topic", "qs-topic-good");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(
        good.attributes["encryption"],
        json!({"enabled": true, "kms_key_id": "alias/aws/sns"})
    );
    // The default topic policy admits the owner account only.
    assert_eq!(good.attributes["policy"]["present"], true);
    assert_eq!(good.attributes["policy"]["public"], false);
    let bad = doc(&inventory, "aws.sns.topic", "qs-topic-bad");
    assert_eq!(bad.attributes["encryption"], json!({"enabled": false}));
    assert_eq!(
        bad.attributes["policy"]["public_statements"],
        json!(["anyone-subscribes"])
    );
    assert_eq!(bad.tags["team"], "status");

    let function = doc(&inventory, "aws.lambda.function", "qs-fn");
    assert!(function.errors.is_empty(), "{:?}", function.errors);
    let sources = function.attributes["event_sources"]["items"]
        .as_array()
        .expect("event sources");
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["arn"], queue_arn.as_str());
    assert_eq!(sources[0]["kind"], "aws.sqs.queue");
    assert_eq!(sources[0]["resource_arn"], queue_arn.as_str());

    let rule = doc(&inventory, "aws.events.rule", "qs-rule");
    let kinds: Vec<(&str, &str)> = rule.attributes["targets"]["items"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap(),
                t["resource_arn"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("aws.sqs.queue", queue_arn.as_str())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("aws.sns.topic", good_topic.as_str())),
        "{kinds:?}"
    );
}

/// A queue whose attributes are denied is ERROR on every group the call fills; the other
/// queue and the topics are read as usual.
#[test]
fn denied_queue_attributes_are_errors_on_that_queue() {
    isolated(denied_attributes_body);
}

async fn denied_attributes_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    for name in ["qd-denied", "qd-fine"] {
        sqs.create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("queue");
    }
    let proxy = FaultProxy::start(&env.moto);
    let denied = |r: &Request| {
        r.operation().as_deref() == Some("GetQueueAttributes")
            && String::from_utf8_lossy(&r.body).contains("qd-denied")
    };
    proxy.inject(
        denied,
        Fault::Status {
            status: 400,
            code: "AccessDenied".to_string(),
            message: "injected AccessDenied".to_string(),
        },
        None,
    );
    let plan = plan_of(&[("aws.sqs.queue", &["encryption", "redrive", "policy"])]);
    let inventory = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collect");
    let denied_doc = doc(&inventory, "aws.sqs.queue", "qd-denied");
    for group in ["encryption", "redrive", "policy"] {
        let error = denied_doc.errors.get(group).expect(group);
        assert_eq!(
            (error.code.as_str(), error.action.as_str()),
            ("AccessDenied", "sqs:GetQueueAttributes"),
            "{error:?}"
        );
        assert!(!denied_doc.attributes.contains_key(group));
    }
    let fine = doc(&inventory, "aws.sqs.queue", "qd-fine");
    assert!(fine.errors.is_empty(), "{:?}", fine.errors);
    assert!(
        proxy.requests().iter().any(denied),
        "the denied call was made"
    );
}
