//! Events of the services that invoke functions asynchronously or from streams and queues:
//! S3, SQS, SNS, DynamoDB Streams, EventBridge schedules, Kinesis, Step Functions errors and
//! CloudFormation custom resources.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{EPOCH_SECONDS, ISO_TIME, Kind, Values, md5};

pub const S3_PUT: Kind = Kind {
    service: "s3",
    event: "put",
    help: "an S3 object-created (Put) notification",
    options: &[
        ("region", "us-east-1"),
        ("partition", "aws"),
        ("bucket", "example-bucket"),
        ("key", "test/key"),
    ],
    build: s3_put,
};

pub const S3_DELETE: Kind = Kind {
    service: "s3",
    event: "delete",
    help: "an S3 object-removed (Delete) notification",
    options: &[
        ("region", "us-east-1"),
        ("partition", "aws"),
        ("bucket", "example-bucket"),
        ("key", "test/key"),
    ],
    build: s3_delete,
};

pub const SQS_RECEIVE_MESSAGE: Kind = Kind {
    service: "sqs",
    event: "receive-message",
    help: "an SQS batch of one message",
    options: &[
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("account-id", "123456789012"),
        ("queue-name", "MyQueue"),
        ("body", "Hello from SQS!"),
    ],
    build: sqs,
};

pub const SNS_NOTIFICATION: Kind = Kind {
    service: "sns",
    event: "notification",
    help: "an SNS topic notification",
    options: &[
        ("account-id", "123456789012"),
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("topic", "ExampleTopic"),
        ("subject", "example subject"),
        ("message", "example message"),
    ],
    build: sns,
};

pub const DYNAMODB_UPDATE: Kind = Kind {
    service: "dynamodb",
    event: "update",
    help: "a DynamoDB Streams batch: an insert, a modify and a remove",
    options: &[
        ("account-id", "123456789012"),
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("table", "ExampleTableWithStream"),
    ],
    build: dynamodb,
};

pub const SCHEDULED_EVENT: Kind = Kind {
    service: "cloudwatch",
    event: "scheduled-event",
    help: "an EventBridge (CloudWatch Events) scheduled event",
    options: &[
        ("account-id", "123456789012"),
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("rule", "ExampleRule"),
    ],
    build: scheduled,
};

pub const KINESIS_GET_RECORDS: Kind = Kind {
    service: "kinesis",
    event: "get-records",
    help: "a Kinesis Data Streams batch of one record",
    options: &[
        ("region", "us-east-1"),
        ("partition", "aws"),
        (
            "sequence",
            "49545115243490985018280067714973144582180062593244200961",
        ),
        ("data", "Hello, this is a test 123."),
        ("partition-key", "partitionKey-03"),
    ],
    build: kinesis,
};

pub const STEPFUNCTIONS_ERROR: Kind = Kind {
    service: "stepfunctions",
    event: "error",
    help: "a Step Functions task error, as a Catch passes it on",
    options: &[
        ("error", "ErrorName"),
        ("cause", "This is the cause of the error."),
    ],
    build: stepfunctions_error,
};

pub const CLOUDFORMATION_CREATE_REQUEST: Kind = Kind {
    service: "cloudformation",
    event: "create-request",
    help: "a CloudFormation custom resource Create request",
    options: &[
        ("account-id", "123456789012"),
        ("partition", "aws"),
        ("region", "us-east-1"),
        ("stack", "MyStack"),
    ],
    build: cloudformation_create,
};

/// An S3 key as S3 notifications carry it: URL-encoded, spaces as `+`.
fn s3_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn s3_record(values: &Values, event_name: &str, object: Value) -> Value {
    let bucket = values.get("bucket");
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": values.get("region"),
            "eventTime": ISO_TIME,
            "eventName": event_name,
            "userIdentity": { "principalId": "EXAMPLE" },
            "requestParameters": { "sourceIPAddress": "203.0.113.7" },
            "responseElements": {
                "x-amz-request-id": "EXAMPLE123456789",
                "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH"
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "testConfigRule",
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": { "principalId": "EXAMPLE" },
                    "arn": format!("arn:{}:s3:::{bucket}", values.get("partition"))
                },
                "object": object
            }
        }]
    })
}

fn s3_put(values: &Values) -> Result<Value, String> {
    let object = json!({
        "key": s3_key(values.get("key")),
        "size": 1024,
        "eTag": "0123456789abcdef0123456789abcdef",
        "sequencer": "0A1B2C3D4E5F678901"
    });
    Ok(s3_record(values, "ObjectCreated:Put", object))
}

fn s3_delete(values: &Values) -> Result<Value, String> {
    let object = json!({
        "key": s3_key(values.get("key")),
        "sequencer": "0A1B2C3D4E5F678901"
    });
    Ok(s3_record(values, "ObjectRemoved:Delete", object))
}

fn sqs(values: &Values) -> Result<Value, String> {
    let body = values.get("body");
    let sent = (EPOCH_SECONDS * 1000).to_string();
    Ok(json!({
        "Records": [{
            "messageId": "19dd0b57-b21e-4ac1-bd88-01bbb068cb78",
            "receiptHandle": "MessageReceiptHandle",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": sent,
                "SenderId": values.get("account-id"),
                "ApproximateFirstReceiveTimestamp": sent
            },
            "messageAttributes": {},
            "md5OfBody": md5::hex(body.as_bytes()),
            "eventSource": "aws:sqs",
            "eventSourceARN": values.arn("sqs", values.get("queue-name")),
            "awsRegion": values.get("region")
        }]
    }))
}

fn sns(values: &Values) -> Result<Value, String> {
    let topic = values.arn("sns", values.get("topic"));
    let subscription = format!("{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55");
    Ok(json!({
        "Records": [{
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription,
            "EventSource": "aws:sns",
            "Sns": {
                "SignatureVersion": "1",
                "Timestamp": ISO_TIME,
                "Signature": "EXAMPLE",
                "SigningCertUrl": format!(
                    "https://sns.{}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
                    values.get("region")
                ),
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "Message": values.get("message"),
                "MessageAttributes": {},
                "Type": "Notification",
                "UnsubscribeUrl": format!(
                    "https://sns.{}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription}",
                    values.get("region")
                ),
                "TopicArn": topic,
                "Subject": values.get("subject")
            }
        }]
    }))
}

fn dynamodb(values: &Values) -> Result<Value, String> {
    let stream = values.arn(
        "dynamodb",
        &format!(
            "table/{}/stream/2023-11-14T22:13:20.000",
            values.get("table")
        ),
    );
    let record = |id: &str, name: &str, sequence: &str, images: Value| {
        let mut dynamodb = json!({
            "ApproximateCreationDateTime": EPOCH_SECONDS,
            "Keys": { "Id": { "N": "101" } },
            "SequenceNumber": sequence,
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        });
        if let (Value::Object(target), Value::Object(images)) = (&mut dynamodb, images) {
            target.extend(images);
        }
        json!({
            "eventID": id,
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": values.get("region"),
            "dynamodb": dynamodb,
            "eventSourceARN": stream
        })
    };
    let old = json!({ "Id": { "N": "101" }, "Message": { "S": "New item!" } });
    let new = json!({ "Id": { "N": "101" }, "Message": { "S": "This item has changed" } });
    Ok(json!({
        "Records": [
            record("1", "INSERT", "111", json!({ "NewImage": old })),
            record("2", "MODIFY", "222", json!({ "OldImage": old, "NewImage": new })),
            record("3", "REMOVE", "333", json!({ "OldImage": new })),
        ]
    }))
}

fn scheduled(values: &Values) -> Result<Value, String> {
    Ok(json!({
        "version": "0",
        "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": values.get("account-id"),
        "time": ISO_TIME.replace(".000", ""),
        "region": values.get("region"),
        "resources": [values.arn("events", &format!("rule/{}", values.get("rule")))],
        "detail": {}
    }))
}

fn kinesis(values: &Values) -> Result<Value, String> {
    let sequence = values.get("sequence");
    Ok(json!({
        "Records": [{
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": values.get("partition-key"),
                "sequenceNumber": sequence,
                "data": base64::engine::general_purpose::STANDARD.encode(values.get("data")),
                "approximateArrivalTimestamp": EPOCH_SECONDS as f64 + 0.123
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": format!("shardId-000000000006:{sequence}"),
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": format!(
                "arn:{}:iam::123456789012:role/lambda-role",
                values.get("partition")
            ),
            "awsRegion": values.get("region"),
            "eventSourceARN": format!(
                "arn:{}:kinesis:{}:123456789012:stream/lambda-stream",
                values.get("partition"),
                values.get("region")
            )
        }]
    }))
}

fn stepfunctions_error(values: &Values) -> Result<Value, String> {
    Ok(json!({ "Error": values.get("error"), "Cause": values.get("cause") }))
}

fn cloudformation_create(values: &Values) -> Result<Value, String> {
    let (partition, region, account) = (
        values.get("partition"),
        values.get("region"),
        values.get("account-id"),
    );
    Ok(json!({
        "RequestType": "Create",
        "ServiceToken": format!("arn:{partition}:lambda:{region}:{account}:function:custom-resource-handler"),
        "ResponseURL": format!(
            "https://cloudformation-custom-resource-response-{}.s3.amazonaws.com/example-presigned-url",
            region.replace('-', "")
        ),
        "StackId": format!(
            "arn:{partition}:cloudformation:{region}:{account}:stack/{}/5b918d10-cd98-11ea-90d5-0a9cd3354c10",
            values.get("stack")
        ),
        "RequestId": "unique-id-for-this-create-request",
        "LogicalResourceId": "MyCustomResource",
        "ResourceType": "Custom::TestResource",
        "ResourceProperties": {
            "ServiceToken": format!("arn:{partition}:lambda:{region}:{account}:function:custom-resource-handler"),
            "Name": "Value",
            "List": ["1", "2", "3"]
        }
    }))
}
