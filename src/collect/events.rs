//! EventBridge buses and rules of one region. The EventBridge SDK has no paginators, so
//! NextToken is followed by hand (the one exception to "always into_paginator()").

use serde_json::{Value, json};

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service, error};
use crate::inventory::ResourceDoc;

const BUS: &str = "aws.events.bus";
const RULE: &str = "aws.events.rule";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(BUS) && !scope.wants_type(RULE) {
        return Vec::new();
    }
    let client = aws_sdk_eventbridge::Client::new(&scope.config);
    let mut buses = Vec::new();
    let mut token: Option<String> = None;
    loop {
        match scope
            .call(
                Service::Events,
                client
                    .list_event_buses()
                    .set_next_token(token.clone())
                    .send(),
            )
            .await
        {
            Ok(out) => {
                buses.extend(out.event_buses().iter().cloned());
                token = out
                    .next_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            Err(e) => {
                let reason = error::reason(&e, "events:ListEventBuses");
                for t in [BUS, RULE] {
                    if scope.wants_type(t) {
                        scope.listing_failed(t, reason.clone());
                    }
                }
                return Vec::new();
            }
        }
    }
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
                if scope.wants(BUS, "tags") {
                    read_tags(scope, client, &mut doc).await;
                }
                doc
            })
            .await;
        docs.extend(bus_docs);
    }
    if scope.wants_type(RULE) {
        for bus in &buses {
            let bus_name = bus.name().unwrap_or_default().to_string();
            let mut rules = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let request = client
                    .list_rules()
                    .event_bus_name(&bus_name)
                    .set_next_token(token.clone());
                match scope.call(Service::Events, request.send()).await {
                    Ok(out) => {
                        rules.extend(out.rules().iter().cloned());
                        token = out
                            .next_token()
                            .filter(|t| !t.is_empty())
                            .map(str::to_string);
                        if token.is_none() {
                            break;
                        }
                    }
                    Err(e) => {
                        scope.listing_failed(RULE, error::reason(&e, "events:ListRules"));
                        rules.clear();
                        break;
                    }
                }
            }
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
                                ("state", opt_str(rule.state().map(|s| s.as_str()))),
                                ("event_pattern", opt_str(rule.event_pattern())),
                                ("schedule_expression", opt_str(rule.schedule_expression())),
                            ]),
                        );
                    }
                    if scope.wants(RULE, "targets") {
                        match read_targets(scope, client, bus_name, &name).await {
                            Ok(items) => doc.set("targets", json!({ "items": items })),
                            Err(reason) => doc.fail("targets", reason),
                        }
                    }
                    if scope.wants(RULE, "tags") {
                        read_tags(scope, client, &mut doc).await;
                    }
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
) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = client
            .list_targets_by_rule()
            .rule(rule)
            .event_bus_name(bus_name)
            .set_next_token(token.clone());
        let out = scope
            .call(Service::Events, request.send())
            .await
            .map_err(|e| error::reason(&e, "events:ListTargetsByRule"))?;
        for t in out.targets() {
            items.push(object(vec![
                ("id", json!(t.id())),
                ("arn", json!(t.arn())),
                ("role_arn", opt_str(t.role_arn())),
                (
                    "dead_letter_arn",
                    opt_str(t.dead_letter_config().and_then(|d| d.arn())),
                ),
            ]));
        }
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(items);
        }
    }
}

async fn read_tags(scope: &Scope<'_>, client: &aws_sdk_eventbridge::Client, doc: &mut ResourceDoc) {
    match scope
        .call(
            Service::Events,
            client
                .list_tags_for_resource()
                .resource_arn(&doc.arn)
                .send(),
        )
        .await
    {
        Ok(out) => doc.tags = tag_map(out.tags().iter().map(|t| (t.key(), t.value()))),
        Err(e) => doc.fail("tags", error::reason(&e, "events:ListTagsForResource")),
    }
}
