//! Step Functions state machines of one region, with the Lambda functions their definitions
//! invoke (so rules can check that those functions exist).

use serde_json::{Value, json};

use super::util::{object, opt_str, strings, tag_map};
use super::{Scope, Service, tagging};
use crate::inventory::{CollectionError, ResourceDoc};

const TYPE: &str = "aws.sfn.state_machine";
const DESCRIBE: &str = "states:DescribeStateMachine";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_sfn::Client::new(&scope.config);
    let pages = client.list_state_machines().into_paginator().send();
    let Some(pages) = scope
        .listing(TYPE, Service::Sfn, "states:ListStateMachines", pages)
        .await
    else {
        return Vec::new();
    };
    let machines: Vec<(String, String)> = pages
        .iter()
        .flat_map(
            aws_sdk_sfn::operation::list_state_machines::ListStateMachinesOutput::state_machines,
        )
        .map(|m| (m.name().to_string(), m.state_machine_arn().to_string()))
        .collect();
    let tag_index = tagging::index_for(scope, TYPE, "states").await;
    let tag_index = tag_index.as_ref();
    let client = &client;
    scope
        .each(machines, |(name, arn)| async move {
            let mut doc = scope.doc(TYPE, arn.clone(), &name);
            let groups: Vec<&str> =
                ["definition", "logging", "tracing"].into_iter().filter(|g| scope.wants(TYPE, g)).collect();
            if !groups.is_empty() {
                let request = client.describe_state_machine().state_machine_arn(&arn).send();
                match scope.read(Service::Sfn, DESCRIBE, request).await {
                    Ok(out) => {
                        for group in groups {
                            match group {
                                "definition" => match serde_json::from_str::<Value>(out.definition()) {
                                    Ok(definition) => {
                                        doc.set(
                                            "definition",
                                            object(vec![
                                                ("type", json!(out.r#type().as_str())),
                                                ("status", opt_str(out.status().map(aws_sdk_sfn::types::StateMachineStatus::as_str))),
                                                ("role_arn", json!(out.role_arn())),
                                                (
                                                    "lambda_function_arns",
                                                    strings(resolve_function_arns(&definition, &arn, Qualifier::Drop).iter().map(String::as_str)),
                                                ),
                                                (
                                                    "lambda_invoked_arns",
                                                    strings(resolve_function_arns(&definition, &arn, Qualifier::Keep).iter().map(String::as_str)),
                                                ),
                                            ]),
                                        );
                                        // A function chosen at run time cannot be checked: the
                                        // list of invoked functions is then not known, not short.
                                        let dynamic = dynamic_lambda_tasks(&definition);
                                        if !dynamic.is_empty() {
                                            let error = CollectionError::new(
                                                DESCRIBE,
                                                "DynamicTarget",
                                                format!(
                                                    "the function of Task state(s) {} is chosen at run time, so it is not statically known",
                                                    dynamic.join(", ")
                                                ),
                                            );
                                            for field in ["definition.lambda_function_arns", "definition.lambda_invoked_arns"] {
                                                doc.errors.insert(field.into(), error.clone());
                                            }
                                        }
                                    }
                                    Err(e) => doc.fail(
                                        "definition",
                                        CollectionError::new(DESCRIBE, "InvalidDefinition", e.to_string()),
                                    ),
                                },
                                "logging" => {
                                    let logging = out.logging_configuration();
                                    let destinations: Vec<&str> = logging
                                        .map(aws_sdk_sfn::types::LoggingConfiguration::destinations)
                                        .unwrap_or_default()
                                        .iter()
                                        .filter_map(|d| d.cloud_watch_logs_log_group()?.log_group_arn())
                                        .collect();
                                    doc.set(
                                        "logging",
                                        json!({
                                            "level": logging.and_then(|l| l.level()).map_or("OFF", |l| l.as_str()),
                                            "include_execution_data": logging.is_some_and(aws_sdk_sfn::types::LoggingConfiguration::include_execution_data),
                                            "destinations": strings(destinations),
                                        }),
                                    );
                                }
                                _ => {
                                    let enabled = out.tracing_configuration().is_some_and(aws_sdk_sfn::types::TracingConfiguration::enabled);
                                    doc.set("tracing", json!({ "enabled": enabled }));
                                }
                            }
                        }
                    }
                    Err(e) => {
                        for group in groups {
                            doc.fail(group, e.clone());
                        }
                    }
                }
            }
            let request = client.list_tags_for_resource().resource_arn(&arn).send();
            scope
                .fill_tags(TYPE, tag_index, &mut doc, || async move {
                    let out = scope.read(Service::Sfn, "states:ListTagsForResource", request).await?;
                    Ok(tag_map(out.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))))
                })
                .await;
            doc
        })
        .await
}

/// Lambda functions an Amazon States Language definition invokes: Task states whose Resource is
/// a function ARN, and `arn:aws:states:::lambda:invoke[.waitForTaskToken]` tasks with a literal
/// `Parameters.FunctionName` (a `FunctionName.$` path is only known at run time and is skipped).
/// Parallel branches and Map iterators / item processors are searched too. Sorted, unique.
pub fn lambda_function_arns(definition: &Value) -> Vec<String> {
    let mut arns = Vec::new();
    collect_states(definition, &mut arns);
    arns.sort();
    arns.dedup();
    arns
}

/// Whether a resolved function ARN keeps the version or alias the definition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// The function itself, as Lambda lists it (to find the function).
    Drop,
    /// The ARN as invoked, which is what IAM matches `lambda:InvokeFunction` against: a grant on
    /// the unqualified ARN does not cover `function:name:live`.
    Keep,
}

/// The functions a definition invokes as full function ARNs: a bare name or partial ARN is
/// completed with the state machine's partition, region and account; a version or alias
/// qualifier is kept or dropped as asked.
pub fn resolve_function_arns(
    definition: &Value,
    machine_arn: &str,
    qualifier: Qualifier,
) -> Vec<String> {
    let mut arns: Vec<String> = lambda_function_arns(definition)
        .iter()
        .map(|reference| function_arn(reference, machine_arn, qualifier))
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

fn function_arn(reference: &str, machine_arn: &str, qualifier: Qualifier) -> String {
    let machine: Vec<&str> = machine_arn.split(':').collect();
    let (partition, region, account) = match machine.as_slice() {
        ["arn", partition, _, region, account, ..] => (*partition, *region, *account),
        _ => ("aws", "", ""),
    };
    let parts: Vec<&str> = reference.split(':').collect();
    let (arn, rest) = match parts.as_slice() {
        ["arn", p, "lambda", r, a, "function", name, rest @ ..] => {
            (format!("arn:{p}:lambda:{r}:{a}:function:{name}"), rest)
        }
        [a, "function", name, rest @ ..] => (
            format!("arn:{partition}:lambda:{region}:{a}:function:{name}"),
            rest,
        ),
        [name, rest @ ..] => (
            format!("arn:{partition}:lambda:{region}:{account}:function:{name}"),
            rest,
        ),
        [] => return reference.to_string(),
    };
    match (qualifier, rest.first()) {
        (Qualifier::Keep, Some(version_or_alias)) if !version_or_alias.is_empty() => {
            format!("{arn}:{version_or_alias}")
        }
        _ => arn,
    }
}

/// Calls `visit(name, state)` for every Task state, through Parallel branches and Map
/// iterators / item processors.
fn for_each_task<'d>(machine: &'d Value, visit: &mut impl FnMut(&'d str, &'d Value)) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => visit(name, state),
            Some("Parallel") => {
                for branch in state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    for_each_task(branch, visit);
                }
            }
            Some("Map") => {
                for key in ["Iterator", "ItemProcessor"] {
                    if let Some(inner) = state.get(key) {
                        for_each_task(inner, visit);
                    }
                }
            }
            _ => {}
        }
    }
}

fn collect_states(machine: &Value, arns: &mut Vec<String>) {
    for_each_task(machine, &mut |_, state| arns.extend(task_lambda(state)));
}

/// Names of the Task states that invoke a Lambda function chosen at run time: a
/// `FunctionName.$` path, a `JSONata` `{% ... %}` expression, an intrinsic in `Resource`, or no
/// function name at all. Searched through Parallel branches and Map processors like the rest.
pub fn dynamic_lambda_tasks(definition: &Value) -> Vec<String> {
    let mut names = Vec::new();
    dynamic_states(definition, &mut names);
    names.sort();
    names.dedup();
    names
}

fn dynamic_states(machine: &Value, names: &mut Vec<String>) {
    for_each_task(machine, &mut |name, state| {
        if task_is_dynamic_lambda(state) {
            names.push(name.to_string());
        }
    });
}

fn task_is_dynamic_lambda(state: &Value) -> bool {
    let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
    let jsonata = |text: &str| text.trim_start().starts_with("{%");
    if state.get("Resource.$").is_some() || jsonata(resource) {
        return true;
    }
    let parts: Vec<&str> = resource.split(':').collect();
    let invoke = parts.len() >= 7
        && parts[2] == "states"
        && parts[5] == "lambda"
        && parts[6].starts_with("invoke");
    if !invoke {
        return false;
    }
    let literal = ["Parameters", "Arguments"].iter().any(|key| {
        state
            .get(*key)
            .and_then(|p| p.get("FunctionName"))
            .and_then(Value::as_str)
            .is_some_and(|name| !jsonata(name))
    });
    !literal
}

fn task_lambda(state: &Value) -> Option<String> {
    let resource = state.get("Resource")?.as_str()?;
    let parts: Vec<&str> = resource.split(':').collect();
    // arn:<partition>:lambda:<region>:<account>:function:<name>[:qualifier]
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
        return Some(resource.to_string());
    }
    // arn:<partition>:states:::lambda:invoke[.waitForTaskToken]
    if parts.len() >= 7
        && parts[2] == "states"
        && parts[5] == "lambda"
        && parts[6].starts_with("invoke")
    {
        // JSONPath tasks name it under Parameters, JSONata tasks under Arguments.
        let name = ["Parameters", "Arguments"]
            .iter()
            .find_map(|key| state.get(*key)?.get("FunctionName")?.as_str())
            .filter(|name| !name.trim_start().starts_with("{%"))?;
        return Some(name.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn function_references_become_unqualified_arns() {
        let machine = "arn:aws:states:eu-west-1:111122223333:stateMachine:flow";
        let definition = serde_json::json!({ "StartAt": "A", "States": {
            "A": { "Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:111122223333:function:direct:live", "Next": "B" },
            "B": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": { "FunctionName": "by-name:3" }, "Next": "C" },
            "C": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": { "FunctionName": "444455556666:function:partial" }, "End": true }
        }});
        assert_eq!(
            super::resolve_function_arns(&definition, machine, super::Qualifier::Drop),
            vec![
                "arn:aws:lambda:eu-west-1:111122223333:function:by-name",
                "arn:aws:lambda:eu-west-1:111122223333:function:direct",
                "arn:aws:lambda:eu-west-1:444455556666:function:partial",
            ]
        );
        assert_eq!(
            super::resolve_function_arns(&definition, machine, super::Qualifier::Keep),
            vec![
                "arn:aws:lambda:eu-west-1:111122223333:function:by-name:3",
                "arn:aws:lambda:eu-west-1:111122223333:function:direct:live",
                "arn:aws:lambda:eu-west-1:444455556666:function:partial",
            ]
        );
    }

    use super::*;

    #[test]
    fn finds_lambdas_in_tasks_branches_and_maps() {
        let definition = json!({
            "StartAt": "A",
            "States": {
                "A": { "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:direct", "Next": "P" },
                "P": { "Type": "Parallel", "Branches": [
                    { "StartAt": "B", "States": { "B": { "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": { "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:invoked" }, "End": true } } }
                ], "Next": "M" },
                "M": { "Type": "Map", "ItemProcessor": { "StartAt": "C", "States": {
                    "C": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                        "Parameters": { "FunctionName": "token-fn" }, "End": true } } }, "Next": "D" },
                "D": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": { "FunctionName.$": "$.fn" }, "Next": "E" },
                "E": { "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true }
            }
        });
        assert_eq!(
            lambda_function_arns(&definition),
            vec![
                "arn:aws:lambda:us-east-1:123456789012:function:direct",
                "arn:aws:lambda:us-east-1:123456789012:function:invoked",
                "token-fn",
            ]
        );
    }

    #[test]
    fn a_function_chosen_at_run_time_is_named_not_skipped() {
        let definition = json!({
            "StartAt": "A",
            "States": {
                "A": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": { "FunctionName.$": "$.fn" }, "Next": "B" },
                "B": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Arguments": { "FunctionName": "{% $states.input.fn %}" }, "Next": "C" },
                "C": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Arguments": { "FunctionName": "literal-fn" }, "Next": "P" },
                "P": { "Type": "Parallel", "Branches": [ { "StartAt": "D", "States": {
                    "D": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true } } } ],
                    "Next": "E" },
                "E": { "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true }
            }
        });
        assert_eq!(dynamic_lambda_tasks(&definition), vec!["A", "B", "D"]);
        // A JSONata task with a literal name is static and is resolved.
        assert_eq!(lambda_function_arns(&definition), vec!["literal-fn"]);
        let static_only = json!({"StartAt": "C", "States": {"C": { "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true }}});
        assert!(dynamic_lambda_tasks(&static_only).is_empty());
    }
}
