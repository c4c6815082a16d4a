//! The template's tables, queues, topics and buckets, with the names functions see.

use lambdagate_model::resources::BackingKind;

use super::*;

#[test]
fn backing_resources_with_their_physical_names() {
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nParameters:\n  Env: {{Type: String, Default: dev}}\nConditions:\n  Never: !Equals [a, b]\nResources:\n{FUNCTION}      Environment:\n        Variables:\n          TABLE: !Ref Items\n  Items:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]\n      KeySchema: [{{AttributeName: id, KeyType: HASH}}]\n  Named:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub 'orders-${{Env}}'\n      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]\n      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]\n  Simple:\n    Type: AWS::Serverless::SimpleTable\n  Jobs:\n    Type: AWS::SQS::Queue\n  Events:\n    Type: AWS::SNS::Topic\n    Properties: {{TopicName: events}}\n  Uploads:\n    Type: AWS::S3::Bucket\n  Skipped:\n    Type: AWS::SQS::Queue\n    Condition: Never\n"
    );
    let app = load(&text).unwrap();
    let names: Vec<(&str, BackingKind, &str)> = app
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.kind, r.name.as_str()))
        .collect();
    let table = app.functions[0].environment["TABLE"].clone();
    assert_eq!(
        names[0],
        ("Items", BackingKind::DynamoDbTable, table.as_str())
    );
    assert!(table.starts_with("stack-Items-"), "{table}");
    assert_eq!(
        names[1],
        ("Named", BackingKind::DynamoDbTable, "orders-dev")
    );
    assert_eq!(names[2].1, BackingKind::SimpleTable);
    assert_eq!(names[3].1, BackingKind::Queue);
    assert!(
        !names[3].2.contains('/'),
        "a queue is named, not addressed: {}",
        names[3].2
    );
    assert_eq!(names[4], ("Events", BackingKind::Topic, "events"));
    assert_eq!(names[5].1, BackingKind::Bucket);
    assert_eq!(
        names.len(),
        6,
        "a resource whose condition is false is not created"
    );
    assert_eq!(
        app.resources[0].properties["KeySchema"][0]["AttributeName"],
        "id"
    );
}
