//! The application's own AWS resources that its functions use (tables, queues, topics,
//! buckets): lambdagate can create them on a local AWS-compatible endpoint under the same
//! physical names that `Ref` / `Fn::GetAtt` give the functions.

use serde::Serialize;

use crate::SourceLocation;

/// What kind of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BackingKind {
    /// `AWS::DynamoDB::Table`.
    DynamoDbTable,
    /// `AWS::Serverless::SimpleTable` (SAM's one-key DynamoDB table).
    SimpleTable,
    /// `AWS::SQS::Queue`.
    Queue,
    /// `AWS::SNS::Topic`.
    Topic,
    /// `AWS::S3::Bucket`.
    Bucket,
}

impl BackingKind {
    /// The resource type that declares it.
    pub fn of(kind: &str) -> Option<BackingKind> {
        Some(match kind {
            "AWS::DynamoDB::Table" => BackingKind::DynamoDbTable,
            "AWS::Serverless::SimpleTable" => BackingKind::SimpleTable,
            "AWS::SQS::Queue" => BackingKind::Queue,
            "AWS::SNS::Topic" => BackingKind::Topic,
            "AWS::S3::Bucket" => BackingKind::Bucket,
            _ => return None,
        })
    }

    /// The service that holds it, as a word for tables of resources.
    pub fn service(self) -> &'static str {
        match self {
            BackingKind::DynamoDbTable | BackingKind::SimpleTable => "dynamodb",
            BackingKind::Queue => "sqs",
            BackingKind::Topic => "sns",
            BackingKind::Bucket => "s3",
        }
    }
}

/// One resource of the template the functions may use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackingResource {
    /// Logical id.
    pub logical_id: String,
    /// Its kind.
    pub kind: BackingKind,
    /// The physical name functions see through `Ref` (table, queue, topic or bucket name).
    pub name: String,
    /// Its `Properties` with intrinsic functions resolved (JSON).
    pub properties: serde_json::Value,
    /// Where it is declared.
    pub source: SourceLocation,
}
