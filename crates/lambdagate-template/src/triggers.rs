//! CloudFormation resources that invoke a function on AWS and that nothing here runs: event
//! source mappings, EventBridge rules and schedules, SNS subscriptions, S3 notifications (what
//! `serverless package` and CDK write for a function's non-HTTP events), and a function's URL
//! or asynchronous-invocation settings. SAM's own `Events` say the same in `sam/function.rs`;
//! written as resources they were passed over without a word.

use crate::diag::Diags;
use crate::eval::Resource;
use crate::node::Node;

/// Says, in one line, which resources of `resources` would invoke functions on AWS and do not
/// here, and in a line each, the function URLs and asynchronous-invocation settings.
pub fn warn(d: &mut Diags, resources: &[(&Resource, &Node)]) {
    let mut quiet: Vec<String> = Vec::new();
    let mut at = None;
    for &(resource, props) in resources {
        let owner = format!("resource `{}`", resource.logical_id);
        match resource.kind.as_str() {
            "AWS::Lambda::Url" => d.warn(
                resource.pos,
                format!("{owner}: AWS::Lambda::Url is not served: the function has no URL here"),
            ),
            "AWS::Lambda::EventInvokeConfig" => d.warn(
                resource.pos,
                format!(
                    "{owner}: AWS::Lambda::EventInvokeConfig is not served: asynchronous \
                     invocations have no destinations or retries"
                ),
            ),
            kind if invokes_a_function(kind, props) => {
                at.get_or_insert(resource.pos);
                quiet.push(format!("`{}` ({kind})", resource.logical_id));
            }
            _ => {}
        }
    }
    if let Some(at) = at {
        d.warn(
            at,
            format!(
                "{} {} functions on AWS and {} not here: lambdagate does not run queues, \
                 streams, schedules or notifications; invoke a function with `lambdagate invoke` \
                 and an event, e.g. from `lambdagate generate-event`",
                quiet.join(", "),
                if quiet.len() == 1 {
                    "invokes"
                } else {
                    "invoke"
                },
                if quiet.len() == 1 { "does" } else { "do" },
            ),
        );
    }
}

/// Whether a resource of `kind` with (resolved) `props` sends events to a Lambda function.
fn invokes_a_function(kind: &str, props: &Node) -> bool {
    let is_function = |arn: Option<&Node>| {
        arn.and_then(Node::as_str)
            .is_some_and(|a| a.contains(":lambda:") && a.contains(":function:"))
    };
    fn items(node: Option<&Node>) -> &[Node] {
        node.and_then(Node::as_seq).unwrap_or_default()
    }
    match kind {
        "AWS::Lambda::EventSourceMapping" => true,
        "AWS::Events::Rule" => items(props.get("Targets"))
            .iter()
            .any(|t| is_function(t.get("Arn"))),
        "AWS::Scheduler::Schedule" => is_function(props.get("Target").and_then(|t| t.get("Arn"))),
        "AWS::SNS::Subscription" => props
            .get("Protocol")
            .and_then(Node::as_str)
            .is_some_and(|p| p.eq_ignore_ascii_case("lambda")),
        "AWS::SNS::Topic" => items(props.get("Subscription")).iter().any(|s| {
            s.get("Protocol")
                .and_then(Node::as_str)
                .is_some_and(|p| p.eq_ignore_ascii_case("lambda"))
        }),
        "AWS::S3::Bucket" => !items(
            props
                .get("NotificationConfiguration")
                .and_then(|n| n.get("LambdaConfigurations")),
        )
        .is_empty(),
        _ => false,
    }
}
