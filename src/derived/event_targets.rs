//! What each `EventBridge` target is: the catalog type of the collected resource it resolves to
//! (`kind`, `resource_arn`; a Lambda alias or version resolves to its function, `qualifier`), or
//! the kind of a target posture does not collect, which no rule can check.

use serde_json::{Value, json};

/// Sets `kind`, `resource_arn` and `qualifier` of one target item from its `arn`.
pub(super) fn describe(item: &mut Value) {
    let Some(object) = item.as_object_mut() else {
        return;
    };
    let Some(arn) = object
        .get("arn")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let target = Target::of(&arn);
    object.insert("kind".into(), json!(target.kind));
    object.insert("resource_arn".into(), json!(target.resource_arn));
    object.insert("qualifier".into(), json!(target.qualifier));
}

/// What a target ARN points at: the catalog type of the resource it resolves to when posture
/// collects that type, else `<service>` or `<service>:<resource type>` (`sqs`,
/// `events:api-destination`), which no rule can check against a collected document.
pub(super) struct Target<'a> {
    kind: String,
    /// The ARN of the collected resource the target is: a Lambda alias or version resolves to
    /// its function. Absent for kinds posture does not collect.
    resource_arn: Option<String>,
    /// A Lambda target's version or alias.
    qualifier: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub(super) fn of(arn: &'a str) -> Self {
        let fields: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", _, service, _, _, resource] = fields.as_slice() else {
            return Target {
                kind: "unknown".to_string(),
                resource_arn: None,
                qualifier: None,
            };
        };
        let resource_type = resource.split(['/', ':']).next().unwrap_or_default();
        let collected = |kind: &str| Target {
            kind: kind.to_string(),
            resource_arn: Some(arn.to_string()),
            qualifier: None,
        };
        match (*service, resource_type) {
            ("lambda", "function") => {
                // function:<name>[:<version or alias>]
                let mut parts = resource.splitn(3, ':').skip(1);
                let name = parts.next().unwrap_or_default();
                let qualifier = parts.next();
                let base = arn.len() - resource.len();
                Target {
                    kind: "aws.lambda.function".to_string(),
                    resource_arn: Some(format!("{}function:{name}", &arn[..base])),
                    qualifier,
                }
            }
            ("states", "stateMachine") => collected("aws.sfn.state_machine"),
            ("events", "event-bus") => collected("aws.events.bus"),
            ("kinesis", "stream") => collected("aws.kinesis.stream"),
            ("logs", "log-group") => Target {
                kind: "aws.logs.log_group".to_string(),
                // Log group ARNs are listed without the trailing `:*`.
                resource_arn: Some(arn.trim_end_matches(":*").to_string()),
                qualifier: None,
            },
            (service, "") => Target {
                kind: service.to_string(),
                resource_arn: None,
                qualifier: None,
            },
            (service, resource_type) if resource.contains(['/', ':']) => Target {
                kind: format!("{service}:{resource_type}"),
                resource_arn: None,
                qualifier: None,
            },
            (service, _) => Target {
                kind: service.to_string(),
                resource_arn: None,
                qualifier: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn targets_resolve_to_the_collected_resource_or_name_their_kind() {
        let account = "arn:aws:lambda:eu-west-1:111122223333";
        let alias = Target::of("arn:aws:lambda:eu-west-1:111122223333:function:pay:live");
        assert_eq!(alias.kind, "aws.lambda.function");
        assert_eq!(
            alias.resource_arn.as_deref(),
            Some(format!("{account}:function:pay").as_str())
        );
        assert_eq!(alias.qualifier, Some("live"));
        let plain = Target::of("arn:aws:lambda:eu-west-1:111122223333:function:pay");
        assert_eq!(
            plain.resource_arn.as_deref(),
            Some(format!("{account}:function:pay").as_str())
        );
        assert_eq!(plain.qualifier, None);
        let kinds: Vec<String> = [
            "arn:aws:sqs:eu-west-1:111122223333:queue",
            "arn:aws:sns:eu-west-1:111122223333:topic",
            "arn:aws:events:eu-west-1:111122223333:api-destination/hook/1234",
            "arn:aws:events:eu-west-1:111122223333:event-bus/orders",
            "arn:aws-cn:states:cn-north-1:111122223333:stateMachine:flow",
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/events/x:*",
            "arn:aws:firehose:eu-west-1:111122223333:deliverystream/s",
            "not an arn",
        ]
        .iter()
        .map(|arn| Target::of(arn).kind)
        .collect();
        assert_eq!(
            kinds,
            [
                "sqs",
                "sns",
                "events:api-destination",
                "aws.events.bus",
                "aws.sfn.state_machine",
                "aws.logs.log_group",
                "firehose:deliverystream",
                "unknown",
            ]
        );
        let group = Target::of("arn:aws:logs:eu-west-1:111122223333:log-group:/aws/events/x:*");
        assert_eq!(
            group.resource_arn.as_deref(),
            Some("arn:aws:logs:eu-west-1:111122223333:log-group:/aws/events/x")
        );
    }
}
