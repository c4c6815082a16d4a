//! The HTTP API integration subtypes lambdagate serves, as AWS's "Integration subtype
//! reference" lists them: each subtype's service, how its request is made, and the
//! `RequestParameters` it takes (which are required, and where each goes in the service
//! request). `Region` is taken by every subtype and is not listed here.

/// How a subtype's parameters become the service request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    /// SQS's query protocol: a form body `Action=…&Version=…&Param=…` sent to the path of the
    /// `QueueUrl`.
    Sqs(&'static str),
    /// A JSON request with `X-Amz-Target`; parameters become the body's keys.
    Json {
        target: &'static str,
        content_type: &'static str,
        /// Whether the keys are wrapped as EventBridge's `{"Entries": [{…}]}`.
        entries: bool,
    },
    /// AppConfig's REST-JSON `GetConfiguration`: `GET /applications/A/environments/E/
    /// configurations/C?client_id=…&client_configuration_version=…`.
    AppConfig,
}

/// What a parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Text, sent as it is.
    Text,
    /// A list of names: a JSON array of strings, or names separated by commas. SQS gets
    /// `Key.1`, `Key.2`, …; JSON services an array.
    List,
    /// SQS message attributes: a JSON object `{"Name": {"DataType": …, "StringValue": …}}`
    /// (the SQS API's own shape), sent as `Key.N.Name` / `Key.N.Value.DataType` / ….
    Attributes,
}

/// One parameter a subtype takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Param {
    /// Its `RequestParameters` name.
    pub(super) name: &'static str,
    /// Where it goes: the form or JSON key (for lists and attributes, the key's stem).
    pub(super) key: &'static str,
    /// Whether AWS refuses the integration without it.
    pub(super) required: bool,
    pub(super) shape: Shape,
}

/// A subtype: its service (signing name and endpoint id), protocol and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Subtype {
    pub(super) service: &'static str,
    pub(super) protocol: Protocol,
    pub(super) params: &'static [Param],
}

const fn required(name: &'static str, key: &'static str) -> Param {
    Param {
        name,
        key,
        required: true,
        shape: Shape::Text,
    }
}

const fn optional(name: &'static str, key: &'static str) -> Param {
    Param {
        name,
        key,
        required: false,
        shape: Shape::Text,
    }
}

const fn list(name: &'static str, key: &'static str) -> Param {
    Param {
        name,
        key,
        required: false,
        shape: Shape::List,
    }
}

const fn attributes(name: &'static str, key: &'static str) -> Param {
    Param {
        name,
        key,
        required: false,
        shape: Shape::Attributes,
    }
}

const QUEUE_URL: Param = required("QueueUrl", "QueueUrl");

const SQS_SEND_MESSAGE: &[Param] = &[
    QUEUE_URL,
    required("MessageBody", "MessageBody"),
    optional("DelaySeconds", "DelaySeconds"),
    attributes("MessageAttributes", "MessageAttribute"),
    optional("MessageDeduplicationId", "MessageDeduplicationId"),
    optional("MessageGroupId", "MessageGroupId"),
    attributes("MessageSystemAttributes", "MessageSystemAttribute"),
];

const SQS_RECEIVE_MESSAGE: &[Param] = &[
    QUEUE_URL,
    list("AttributeNames", "AttributeName"),
    // The reference's earlier spelling of the same parameter.
    list("AttributeName", "AttributeName"),
    optional("MaxNumberOfMessages", "MaxNumberOfMessages"),
    list("MessageAttributeNames", "MessageAttributeName"),
    optional("ReceiveRequestAttemptId", "ReceiveRequestAttemptId"),
    optional("VisibilityTimeout", "VisibilityTimeout"),
    optional("WaitTimeSeconds", "WaitTimeSeconds"),
];

const SFN_START: &[Param] = &[
    required("StateMachineArn", "stateMachineArn"),
    optional("Name", "name"),
    optional("Input", "input"),
    optional("TraceHeader", "traceHeader"),
];

const SQS_DELETE_MESSAGE: &[Param] = &[QUEUE_URL, required("ReceiptHandle", "ReceiptHandle")];

const SQS_PURGE_QUEUE: &[Param] = &[QUEUE_URL];

const SFN_STOP: &[Param] = &[
    required("ExecutionArn", "executionArn"),
    optional("Cause", "cause"),
    optional("Error", "error"),
];

const EVENTS_PUT_EVENTS: &[Param] = &[
    required("Detail", "Detail"),
    required("DetailType", "DetailType"),
    required("Source", "Source"),
    optional("Time", "Time"),
    optional("EventBusName", "EventBusName"),
    list("Resources", "Resources"),
    optional("TraceHeader", "TraceHeader"),
];

/// `Data` goes to Kinesis as given: it must already be base64, as in Kinesis's own API (see the
/// design notes).
const KINESIS_PUT_RECORD: &[Param] = &[
    required("StreamName", "StreamName"),
    required("Data", "Data"),
    required("PartitionKey", "PartitionKey"),
    optional("SequenceNumberForOrdering", "SequenceNumberForOrdering"),
    optional("ExplicitHashKey", "ExplicitHashKey"),
];

/// Keys are where each goes: the path's names, the query's parameters.
const APPCONFIG_GET_CONFIGURATION: &[Param] = &[
    required("Application", "Application"),
    required("Environment", "Environment"),
    required("Configuration", "Configuration"),
    required("ClientId", "client_id"),
    optional("ClientConfigurationVersion", "client_configuration_version"),
];

const SFN: &str = "application/x-amz-json-1.0";

/// The subtype named `name`, if lambdagate serves it.
pub(super) fn subtype(name: &str) -> Option<Subtype> {
    let json = |target, content_type, entries| Protocol::Json {
        target,
        content_type,
        entries,
    };
    let (service, protocol, params): (&'static str, Protocol, &'static [Param]) = match name {
        "SQS-SendMessage" => ("sqs", Protocol::Sqs("SendMessage"), SQS_SEND_MESSAGE),
        "SQS-ReceiveMessage" => ("sqs", Protocol::Sqs("ReceiveMessage"), SQS_RECEIVE_MESSAGE),
        "SQS-DeleteMessage" => ("sqs", Protocol::Sqs("DeleteMessage"), SQS_DELETE_MESSAGE),
        "SQS-PurgeQueue" => ("sqs", Protocol::Sqs("PurgeQueue"), SQS_PURGE_QUEUE),
        "StepFunctions-StartExecution" => (
            "states",
            json("AWSStepFunctions.StartExecution", SFN, false),
            SFN_START,
        ),
        "StepFunctions-StartSyncExecution" => (
            "states",
            json("AWSStepFunctions.StartSyncExecution", SFN, false),
            SFN_START,
        ),
        "StepFunctions-StopExecution" => (
            "states",
            json("AWSStepFunctions.StopExecution", SFN, false),
            SFN_STOP,
        ),
        "EventBridge-PutEvents" => (
            "events",
            json("AWSEvents.PutEvents", "application/x-amz-json-1.1", true),
            EVENTS_PUT_EVENTS,
        ),
        "Kinesis-PutRecord" => (
            "kinesis",
            json(
                "Kinesis_20131202.PutRecord",
                "application/x-amz-json-1.1",
                false,
            ),
            KINESIS_PUT_RECORD,
        ),
        "AppConfig-GetConfiguration" => (
            "appconfig",
            Protocol::AppConfig,
            APPCONFIG_GET_CONFIGURATION,
        ),
        _ => return None,
    };
    Some(Subtype {
        service,
        protocol,
        params,
    })
}
