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
/// collects that type, else `<service>` or `<service>:<resource type>` (`firehose:deliverystream`,
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
    /// A target of a collected type, found under `resource_arn`.
    fn collected(kind: &str, resource_arn: String) -> Self {
        Target {
            kind: kind.to_string(),
            resource_arn: Some(resource_arn),
            qualifier: None,
        }
    }

    /// A target of a kind posture does not collect: named, never judged.
    fn not_collected(kind: String) -> Self {
        Target {
            kind,
            resource_arn: None,
            qualifier: None,
        }
    }

    pub(super) fn of(arn: &'a str) -> Self {
        let fields: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", _, service, _, _, resource] = fields.as_slice() else {
            return Target::not_collected("unknown".to_string());
        };
        // `sqs` ARNs end in a bare name; the others in `<type>/...` or `<type>:...`.
        let resource_type = resource
            .contains(['/', ':'])
            .then(|| resource.split(['/', ':']).next().unwrap_or_default());
        match (*service, resource_type) {
            ("lambda", Some("function")) => {
                // function:<name>[:<version or alias>]
                let mut parts = resource.splitn(3, ':').skip(1);
                let name = parts.next().unwrap_or_default();
                let base = &arn[..arn.len() - resource.len()];
                Target {
                    qualifier: parts.next(),
                    ..Target::collected("aws.lambda.function", format!("{base}function:{name}"))
                }
            }
            ("states", Some("stateMachine")) => {
                Target::collected("aws.sfn.state_machine", arn.to_string())
            }
            ("events", Some("event-bus")) => Target::collected("aws.events.bus", arn.to_string()),
            ("kinesis", Some("stream")) => Target::collected("aws.kinesis.stream", arn.to_string()),
            // Log group ARNs are listed without the trailing `:*`.
            ("logs", Some("log-group")) => {
                Target::collected("aws.logs.log_group", arn.trim_end_matches(":*").to_string())
            }
            // Queue and topic ARNs end in the bare name.
            ("sqs", None) => Target::collected("aws.sqs.queue", arn.to_string()),
            ("sns", None) => Target::collected("aws.sns.topic", arn.to_string()),
            (service, Some(resource_type)) => {
                Target::not_collected(format!("{service}:{resource_type}"))
            }
            (service, None) => Target::not_collected(service.to_string()),
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
                "aws.sqs.queue",
                "aws.sns.topic",
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
