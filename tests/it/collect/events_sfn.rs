//! `EventBridge` buses and rules, Step Functions state machines.

use super::*;

// ---------------------------------------------------------------- EventBridge, Step Functions

#[test]
fn events_and_state_machines() {
    isolated(events_and_state_machines_body);
}

async fn events_and_state_machines_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let role_arn = create_lambda_role(&config, "esm-role").await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    events
        .create_event_bus()
        .name("esm-bus")
        .send()
        .await
        .expect("bus");
    events
        .put_rule()
        .name("esm-rule")
        .event_bus_name("esm-bus")
        .event_pattern(r#"{"source":["esm.app"]}"#)
        .send()
        .await
        .expect("rule");
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-target");
    events
        .put_targets()
        .rule("esm-rule")
        .event_bus_name("esm-bus")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("t1")
                // An alias: it resolves to its function.
                .arn(format!("{function_arn}:live"))
                .dead_letter_config(
                    aws_sdk_eventbridge::types::DeadLetterConfig::builder()
                        .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:esm-dlq"))
                        .build(),
                )
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("targets");
    events
        .put_rule()
        .name("esm-schedule")
        .schedule_expression("rate(1 hour)")
        .send()
        .await
        .expect("rule");

    let sfn = aws_sdk_sfn::Client::new(&config);
    let definition = json!({
        "StartAt": "Direct",
        "States": {
            "Direct": {"Type": "Task", "Resource": function_arn, "Next": "Invoke"},
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-invoked:3"), "Payload.$": "$"},
                       "End": true}
        }
    });
    let log_group_arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:esm-sfn:*");
    use aws_sdk_sfn::types::*;
    sfn.create_state_machine()
        .name("esm-logged")
        .definition(definition.to_string())
        .role_arn(&role_arn)
        .logging_configuration(
            LoggingConfiguration::builder()
                .level(LogLevel::All)
                .include_execution_data(true)
                .destinations(
                    LogDestination::builder()
                        .cloud_watch_logs_log_group(
                            CloudWatchLogsLogGroup::builder()
                                .log_group_arn(&log_group_arn)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("state machine");
    let plain =
        json!({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": true}}});
    sfn.create_state_machine()
        .name("esm-silent")
        .definition(plain.to_string())
        .role_arn(&role_arn)
        .send()
        .await
        .expect("state machine");

    let inventory = collect_all(&env.moto).await;

    let bus = doc(&inventory, "aws.events.bus", "esm-bus");
    assert_eq!(
        bus.attributes["bus"],
        json!({"is_default": false, "has_policy": false})
    );
    assert_eq!(
        doc(&inventory, "aws.events.bus", "default").attributes["bus"]["is_default"],
        true
    );
    let rule = doc(&inventory, "aws.events.rule", "esm-rule");
    assert!(rule.errors.is_empty(), "{:?}", rule.errors);
    assert_eq!(rule.attributes["definition"]["bus_name"], "esm-bus");
    assert_eq!(rule.attributes["definition"]["on_default_bus"], false);
    assert_eq!(rule.attributes["definition"]["state"], "ENABLED");
    assert_eq!(
        rule.attributes["targets"],
        json!({"items": [{
            "id": "t1",
            "arn": format!("{function_arn}:live"),
            "kind": "aws.lambda.function",
            "resource_arn": function_arn,
            "qualifier": "live",
            "dead_letter_arn": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:esm-dlq"),
        }]})
    );
    let schedule = doc(&inventory, "aws.events.rule", "esm-schedule");
    assert_eq!(schedule.attributes["definition"]["on_default_bus"], true);
    assert_eq!(
        schedule.attributes["definition"]["schedule_expression"],
        "rate(1 hour)"
    );
    assert_eq!(schedule.attributes["targets"], json!({"items": []}));

    let machine = doc(&inventory, "aws.sfn.state_machine", "esm-logged");
    assert!(machine.errors.is_empty(), "{:?}", machine.errors);
    assert_eq!(
        machine.attributes["definition"]["lambda_function_arns"],
        // Sorted, so the order does not depend on the definition's map order.
        json!([
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-invoked"),
            function_arn,
        ])
    );
    // As invoked: IAM matches lambda:InvokeFunction against the qualified ARN.
    assert_eq!(
        machine.attributes["definition"]["lambda_invoked_arns"],
        json!([
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-invoked:3"),
            function_arn,
        ])
    );
    assert_eq!(machine.attributes["definition"]["type"], "STANDARD");
    assert_eq!(
        machine.attributes["definition"]["role_arn"],
        role_arn.as_str()
    );
    assert_eq!(
        machine.attributes["logging"],
        json!({"level": "ALL", "include_execution_data": true, "destinations": [log_group_arn]})
    );
    let silent = doc(&inventory, "aws.sfn.state_machine", "esm-silent");
    assert_eq!(
        silent.attributes["definition"]["lambda_function_arns"],
        json!([])
    );
    assert_eq!(silent.attributes["logging"]["level"], "OFF");
    assert_eq!(silent.attributes["tracing"], json!({"enabled": false}));
}
