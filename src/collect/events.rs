//! `EventBridge` buses and rules of one region. The `EventBridge` SDK has no paginators, so
//! `NextToken` is followed by hand (the one exception to "always `into_paginator()`").

use serde_json::{Value, json};

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service};
use crate::inventory::{CollectionError, ResourceDoc};

const BUS: &str = "aws.events.bus";
const RULE: &str = "aws.events.rule";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(BUS) && !scope.wants_type(RULE) {
        return Vec::new();
    }
    let client = aws_sdk_eventbridge::Client::new(&scope.config);
    let listed = scope
        .token_pages(
            Service::Events,
            "events:ListEventBuses",
            |token| client.list_event_buses().set_next_token(token).send(),
            aws_sdk_eventbridge::operation::list_event_buses::ListEventBusesOutput::next_token,
        )
        .await;
    let buses: Vec<_> = match listed {
        Ok(pages) => pages
            .iter()
            .flat_map(
                aws_sdk_eventbridge::operation::list_event_buses::ListEventBusesOutput::event_buses,
            )
            .cloned()
            .collect(),
        Err(e) => {
            for t in [BUS, RULE] {
                if scope.wants_type(t) {
                    scope.listing_failed(t, e.clone());
                }
            }
            return Vec::new();
        }
    };
    let client = &client;
    let mut docs = Vec::new();
    if scope.wants_type(BUS) {
        let bus_docs = scope
            .each(buses.clone(), |bus| async move {
                let name = bus.name().unwrap_or_default().to_string();
                let arn = bus.arn().map_or_else(|| scope.arn("events", &format!("event-bus/{name}")), str::to_string);
                let mut doc = scope.doc(BUS, arn.clone(), &name);
                if scope.wants(BUS, "bus") {
                    doc.set("bus", json!({ "is_default": name == "default", "has_policy": bus.policy().is_some_and(|p| !p.is_empty()) }));
                }
                read_tags(scope, client, BUS, &mut doc).await;
                doc
            })
            .await;
        docs.extend(bus_docs);
    }
    if scope.wants_type(RULE) {
        for bus in &buses {
            let bus_name = bus.name().unwrap_or_default().to_string();
            let listed = scope
                .token_pages(
                    Service::Events,
                    "events:ListRules",
                    |token| {
                        client
                            .list_rules()
                            .event_bus_name(&bus_name)
                            .set_next_token(token)
                            .send()
                    },
                    aws_sdk_eventbridge::operation::list_rules::ListRulesOutput::next_token,
                )
                .await;
            let rules: Vec<_> = match listed {
                Ok(pages) => pages
                    .iter()
                    .flat_map(aws_sdk_eventbridge::operation::list_rules::ListRulesOutput::rules)
                    .cloned()
                    .collect(),
                Err(e) => {
                    scope.listing_failed(RULE, e);
                    Vec::new()
                }
            };
            let bus_name = &bus_name;
            let rule_docs = scope
                .each(rules, |rule| async move {
                    let name = rule.name().unwrap_or_default().to_string();
                    let arn = rule.arn().map_or_else(
                        || scope.arn("events", &format!("rule/{bus_name}/{name}")),
                        str::to_string,
                    );
                    let mut doc = scope.doc(RULE, arn, &name);
                    if scope.wants(RULE, "definition") {
                        let rule_bus = rule.event_bus_name().unwrap_or(bus_name);
                        doc.set(
                            "definition",
                            object(vec![
                                ("bus_name", json!(rule_bus)),
                                ("on_default_bus", json!(rule_bus == "default")),
                                (
                                    "state",
                                    opt_str(
                                        rule.state()
                                            .map(aws_sdk_eventbridge::types::RuleState::as_str),
                                    ),
                                ),
                                ("event_pattern", opt_str(rule.event_pattern())),
                                ("schedule_expression", opt_str(rule.schedule_expression())),
                            ]),
                        );
                    }
                    if scope.wants(RULE, "targets") {
                        match read_targets(scope, client, bus_name, &name).await {
                            Ok(items) => doc.set("targets", json!({ "items": items })),
                            Err(error) => doc.fail("targets", error),
                        }
                    }
                    read_tags(scope, client, RULE, &mut doc).await;
                    doc
                })
                .await;
            docs.extend(rule_docs);
        }
    }
    docs
}

async fn read_targets(
    scope: &Scope<'_>,
    client: &aws_sdk_eventbridge::Client,
    bus_name: &str,
    rule: &str,
) -> Result<Vec<Value>, CollectionError> {
    let request = |token| {
        let request = client.list_targets_by_rule().rule(rule);
        request
            .event_bus_name(bus_name)
            .set_next_token(token)
            .send()
    };
    let pages = scope
        .token_pages(
            Service::Events,
            "events:ListTargetsByRule",
            request,
            aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput::next_token,
        )
        .await?;
    let targets = pages.iter().flat_map(
        aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput::targets,
    );
    Ok(targets
        .map(|t| {
            object(vec![
                ("id", json!(t.id())),
                ("arn", json!(t.arn())),
                ("role_arn", opt_str(t.role_arn())),
                (
                    "dead_letter_arn",
                    opt_str(t.dead_letter_config().and_then(|d| d.arn())),
                ),
            ])
        })
        .collect())
}

async fn read_tags(
    scope: &Scope<'_>,
    client: &aws_sdk_eventbridge::Client,
    resource_type: &str,
    doc: &mut ResourceDoc,
) {
    let request = client
        .list_tags_for_resource()
        .resource_arn(&doc.arn)
        .send();
    scope
        .fill_tags(resource_type, None, doc, || async move {
            let out = scope
                .read(Service::Events, "events:ListTagsForResource", request)
                .await?;
            Ok(tag_map(out.tags().iter().map(|t| (t.key(), t.value()))))
        })
        .await;
}
