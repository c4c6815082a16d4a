//! The application's own AWS resources on a local endpoint: with `--aws-endpoint` (or
//! `AWS_ENDPOINT_URL[_SERVICE]`), the template's DynamoDB tables, SQS queues, SNS topics and S3
//! buckets are created there before serving, under the names `Ref` gives the functions, and
//! listed. Existing resources are kept (never deleted); one that differs is a warning.

use std::time::Duration;

use lambdagate_auth::sigv4::{Credentials, SignedRequest};
use lambdagate_model::Application;
use lambdagate_model::resources::{BackingKind, BackingResource};
use serde_json::{Value, json};

/// Where each service of the resources is reached.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `--aws-endpoint` or `AWS_ENDPOINT_URL`.
    pub default: Option<String>,
}

impl Endpoints {
    /// From the flag, then the standard variables of lambdagate's environment.
    pub fn from_env(flag: Option<&str>) -> Endpoints {
        let default = flag
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .filter(|v| !v.is_empty());
        Endpoints { default }
    }

    /// The endpoint for `service` (`AWS_ENDPOINT_URL_DYNAMODB` wins over the default).
    pub fn of(&self, service: &str) -> Option<String> {
        std::env::var(format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase()))
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.default.clone())
            .map(|e| e.trim_end_matches('/').to_string())
    }
}

/// How a failure to reach the endpoint at all starts.
const NO_ANSWER: &str = "did not answer";

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created now.
    Created,
    /// It was there already.
    Exists,
    /// It is there but differs from the template (the reason); left as it is.
    Differs(String),
    /// It could not be created (the reason).
    Failed(String),
}

/// Creates what is missing and prints a table of the resources; warnings for failures.
pub async fn run(app: &Application, endpoints: &Endpoints) {
    if app.resources.is_empty() {
        return;
    }
    if endpoints.default.is_none()
        && app
            .resources
            .iter()
            .all(|r| endpoints.of(r.kind.service()).is_none())
    {
        eprintln!(
            "note: the template's {} table/queue/topic/bucket resource{} are not created: pass \
             --aws-endpoint URL (a local AWS-compatible server) to create them there",
            app.resources.len(),
            if app.resources.len() == 1 { "" } else { "s" }
        );
        return;
    }
    let client = match reqwest::Client::builder()
        // A refused connection fails at once; a slow local emulator (moto under load) gets time.
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("warning: cannot create the template's resources: {e}");
            return;
        }
    };
    let credentials = credentials();
    let mut rows = Vec::new();
    // Endpoints that did not answer at all, with why and how many resources they would have had.
    let mut unreachable: Vec<(String, String, usize)> = Vec::new();
    for resource in &app.resources {
        let Some(endpoint) = endpoints.of(resource.kind.service()) else {
            continue;
        };
        if let Some(dead) = unreachable.iter_mut().find(|(e, ..)| *e == endpoint) {
            dead.2 += 1;
            continue;
        }
        let api = Api {
            client: &client,
            endpoint: &endpoint,
            region: &app.region,
            credentials: &credentials,
        };
        match create(&api, resource).await {
            Outcome::Failed(why) if why.starts_with(NO_ANSWER) => {
                unreachable.push((endpoint, why, 1));
            }
            outcome => rows.push((resource, endpoint, outcome)),
        }
    }
    for (endpoint, why, count) in &unreachable {
        eprintln!(
            "warning: the AWS endpoint {endpoint} {why}; the template's {count} resource{} there \
             {} not created, and functions that use {} will fail until it answers",
            if *count == 1 { "" } else { "s" },
            if *count == 1 { "was" } else { "were" },
            if *count == 1 { "it" } else { "them" },
        );
    }
    if rows.is_empty() {
        return;
    }
    let width = rows
        .iter()
        .map(|(r, ..)| r.logical_id.len())
        .max()
        .unwrap_or(0);
    let name_width = rows.iter().map(|(r, ..)| r.name.len()).max().unwrap_or(0);
    eprintln!("AWS resources (logical id -> name on the endpoint):");
    for (resource, endpoint, outcome) in &rows {
        let state = match outcome {
            Outcome::Created => "created".to_string(),
            Outcome::Exists => "exists".to_string(),
            Outcome::Differs(why) => format!("exists, but {why} (left as it is)"),
            Outcome::Failed(why) => format!("NOT created: {why}"),
        };
        eprintln!(
            "  {:width$}  {:8}  {:name_width$}  {endpoint}  {state}",
            resource.logical_id,
            resource.kind.service(),
            resource.name
        );
    }
    for (resource, endpoint, outcome) in &rows {
        if let Outcome::Failed(why) = outcome {
            eprintln!(
                "warning: {}: {} `{}` was not created on {endpoint}: {why}",
                resource.source, resource.logical_id, resource.name
            );
        }
    }
}

/// The credentials requests are signed with: the environment's, or the local dummies that
/// functions get too (local endpoints accept any).
fn credentials() -> Credentials {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Credentials {
        access_key_id: var("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "lambdagate-local".into()),
        secret_access_key: var("AWS_SECRET_ACCESS_KEY")
            .unwrap_or_else(|| "lambdagate-local".into()),
        session_token: var("AWS_SESSION_TOKEN"),
        account_id: lambdagate_model::DEFAULT_ACCOUNT_ID.to_string(),
        user_arn: String::new(),
    }
}

struct Api<'a> {
    client: &'a reqwest::Client,
    endpoint: &'a str,
    region: &'a str,
    credentials: &'a Credentials,
}

/// An answer: status and body.
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// The AWS error code of a JSON or XML error body (`ResourceNotFoundException`).
    fn error_code(&self) -> String {
        if let Ok(v) = serde_json::from_str::<Value>(&self.body) {
            let t = v["__type"].as_str().or(v["code"].as_str()).unwrap_or("");
            return t.rsplit('#').next().unwrap_or(t).to_string();
        }
        self.body
            .split("<Code>")
            .nth(1)
            .and_then(|r| r.split("</Code>").next())
            .unwrap_or("")
            .to_string()
    }

    fn message(&self) -> String {
        if let Ok(v) = serde_json::from_str::<Value>(&self.body)
            && let Some(m) = v["message"].as_str().or(v["Message"].as_str())
        {
            return format!("{} ({})", m, self.status);
        }
        let text: String = self.body.chars().take(200).collect();
        format!("HTTP {}: {}", self.status, text.trim())
    }
}

impl Api<'_> {
    async fn send(
        &self,
        service: &str,
        method: &str,
        path: &str,
        mut headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<Answer, String> {
        let url: reqwest::Url = format!("{}{path}", self.endpoint)
            .parse()
            .map_err(|e| format!("bad endpoint URL {}: {e}", self.endpoint))?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        headers.push(("host".to_string(), host));
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let signed = lambdagate_auth::sigv4::sign(
            &SignedRequest {
                method,
                raw_path: url.path(),
                raw_query: url.query().unwrap_or(""),
                headers: &headers,
                body: &body,
            },
            self.credentials,
            self.region,
            service,
            now_ms,
        );
        headers.extend(signed);
        let mut request = self.client.request(
            method.parse().map_err(|_| format!("bad method {method}"))?,
            url,
        );
        for (name, value) in &headers {
            if name != "host" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{NO_ANSWER}: {}", lambdagate_auth::error_causes(&e)))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok(Answer { status, body })
    }

    async fn json(&self, service: &str, target: &str, body: Value) -> Result<Answer, String> {
        let headers = vec![
            (
                "content-type".to_string(),
                "application/x-amz-json-1.0".to_string(),
            ),
            ("x-amz-target".to_string(), target.to_string()),
        ];
        self.send(service, "POST", "/", headers, body.to_string().into_bytes())
            .await
    }
}

async fn create(api: &Api<'_>, resource: &BackingResource) -> Outcome {
    let result = match resource.kind {
        BackingKind::DynamoDbTable | BackingKind::SimpleTable => table(api, resource).await,
        BackingKind::Queue => queue(api, resource).await,
        BackingKind::Topic => topic(api, resource).await,
        BackingKind::Bucket => bucket(api, resource).await,
    };
    result.unwrap_or_else(Outcome::Failed)
}

/// CreateTable's request from the template's properties.
pub fn create_table_request(resource: &BackingResource) -> Value {
    let p = &resource.properties;
    let mut request = json!({ "TableName": resource.name });
    if resource.kind == BackingKind::SimpleTable {
        let key = p["PrimaryKey"]["Name"].as_str().unwrap_or("id");
        let kind = match p["PrimaryKey"]["Type"].as_str().unwrap_or("String") {
            "Number" => "N",
            "Binary" => "B",
            _ => "S",
        };
        request["AttributeDefinitions"] = json!([{ "AttributeName": key, "AttributeType": kind }]);
        request["KeySchema"] = json!([{ "AttributeName": key, "KeyType": "HASH" }]);
    } else {
        for key in [
            "AttributeDefinitions",
            "KeySchema",
            "LocalSecondaryIndexes",
            "TableClass",
        ] {
            if !p[key].is_null() {
                request[key] = p[key].clone();
            }
        }
        if let Some(indexes) = p["GlobalSecondaryIndexes"].as_array() {
            request["GlobalSecondaryIndexes"] = Value::Array(
                indexes
                    .iter()
                    .map(|index| {
                        let mut index = index.clone();
                        if let Some(t) = index.get("ProvisionedThroughput").cloned() {
                            index["ProvisionedThroughput"] = throughput(&t);
                        }
                        index
                    })
                    .collect(),
            );
        }
        if let Some(view) = p["StreamSpecification"]["StreamViewType"].as_str() {
            request["StreamSpecification"] =
                json!({ "StreamEnabled": true, "StreamViewType": view });
        }
    }
    match p.get("ProvisionedThroughput").filter(|t| !t.is_null()) {
        Some(t) if p["BillingMode"].as_str() != Some("PAY_PER_REQUEST") => {
            request["BillingMode"] = json!("PROVISIONED");
            request["ProvisionedThroughput"] = throughput(t);
        }
        _ => {
            request["BillingMode"] = json!("PAY_PER_REQUEST");
            // PAY_PER_REQUEST tables' indexes carry no throughput.
            if let Some(indexes) = request["GlobalSecondaryIndexes"].as_array_mut() {
                for index in indexes {
                    if let Some(map) = index.as_object_mut() {
                        map.remove("ProvisionedThroughput");
                    }
                }
            }
        }
    }
    request
}

/// Throughput numbers, which templates often write as strings.
fn throughput(t: &Value) -> Value {
    let number = |v: &Value| -> Value {
        match v {
            Value::String(s) => s.parse::<u64>().map_or(json!(1), |n| json!(n)),
            Value::Number(_) => v.clone(),
            _ => json!(1),
        }
    };
    json!({
        "ReadCapacityUnits": number(&t["ReadCapacityUnits"]),
        "WriteCapacityUnits": number(&t["WriteCapacityUnits"]),
    })
}

async fn table(api: &Api<'_>, resource: &BackingResource) -> Result<Outcome, String> {
    let described = api
        .json(
            "dynamodb",
            "DynamoDB_20120810.DescribeTable",
            json!({ "TableName": resource.name }),
        )
        .await?;
    let request = create_table_request(resource);
    if described.status == 200 {
        let existing: Value = serde_json::from_str(&described.body).unwrap_or(Value::Null);
        let have = key_schema(&existing["Table"]["KeySchema"]);
        let want = key_schema(&request["KeySchema"]);
        if have != want {
            return Ok(Outcome::Differs(format!(
                "its key schema is {have}, the template's {want}"
            )));
        }
        return Ok(Outcome::Exists);
    }
    if described.error_code() != "ResourceNotFoundException" {
        return Err(described.message());
    }
    let created = api
        .json("dynamodb", "DynamoDB_20120810.CreateTable", request)
        .await?;
    if created.status != 200 {
        return Err(created.message());
    }
    let ttl = &resource.properties["TimeToLiveSpecification"];
    if ttl["Enabled"].as_bool() == Some(true) || ttl["Enabled"].as_str() == Some("true") {
        let answer = api
            .json(
                "dynamodb",
                "DynamoDB_20120810.UpdateTimeToLive",
                json!({
                    "TableName": resource.name,
                    "TimeToLiveSpecification": {
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": true,
                    },
                }),
            )
            .await?;
        if answer.status != 200 {
            return Err(format!(
                "created, but its TTL was refused: {}",
                answer.message()
            ));
        }
    }
    Ok(Outcome::Created)
}

fn key_schema(schema: &Value) -> String {
    let parts: Vec<String> = schema
        .as_array()
        .map(|keys| {
            keys.iter()
                .map(|k| {
                    format!(
                        "{} {}",
                        k["AttributeName"].as_str().unwrap_or("?"),
                        k["KeyType"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!("[{}]", parts.join(", "))
}

async fn queue(api: &Api<'_>, resource: &BackingResource) -> Result<Outcome, String> {
    let exists = api
        .json(
            "sqs",
            "AmazonSQS.GetQueueUrl",
            json!({ "QueueName": resource.name }),
        )
        .await?;
    if exists.status == 200 {
        return Ok(Outcome::Exists);
    }
    let mut attributes = serde_json::Map::new();
    if let Some(p) = resource.properties.as_object() {
        for (key, value) in p {
            if matches!(
                key.as_str(),
                "QueueName" | "Tags" | "RedrivePolicy" | "RedriveAllowPolicy"
            ) {
                continue;
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            attributes.insert(key.clone(), Value::String(text));
        }
    }
    let created = api
        .json(
            "sqs",
            "AmazonSQS.CreateQueue",
            json!({ "QueueName": resource.name, "Attributes": attributes }),
        )
        .await?;
    if created.status != 200 {
        return Err(created.message());
    }
    Ok(Outcome::Created)
}

async fn topic(api: &Api<'_>, resource: &BackingResource) -> Result<Outcome, String> {
    let body = format!(
        "Action=CreateTopic&Version=2010-03-31&Name={}",
        form_encode(&resource.name)
    );
    let headers = vec![(
        "content-type".to_string(),
        "application/x-www-form-urlencoded; charset=utf-8".to_string(),
    )];
    let created = api
        .send("sns", "POST", "/", headers, body.into_bytes())
        .await?;
    if created.status != 200 {
        return Err(created.message());
    }
    // CreateTopic is idempotent: it cannot tell us whether the topic was there before.
    Ok(Outcome::Created)
}

async fn bucket(api: &Api<'_>, resource: &BackingResource) -> Result<Outcome, String> {
    let body = if api.region == "us-east-1" {
        Vec::new()
    } else {
        format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
            api.region
        )
        .into_bytes()
    };
    let created = api
        .send(
            "s3",
            "PUT",
            &format!("/{}", resource.name),
            Vec::new(),
            body,
        )
        .await?;
    match created.status {
        200 => Ok(Outcome::Created),
        409 if created.error_code() == "BucketAlreadyOwnedByYou" => Ok(Outcome::Exists),
        _ => Err(created.message()),
    }
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambdagate_model::SourceLocation;

    fn resource(kind: BackingKind, properties: Value) -> BackingResource {
        BackingResource {
            logical_id: "T".into(),
            kind,
            name: "stack-T-ABC".into(),
            properties,
            source: SourceLocation::default(),
        }
    }

    #[test]
    fn create_table_requests_follow_the_template() {
        let r = resource(
            BackingKind::DynamoDbTable,
            json!({
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "ProvisionedThroughput": {"ReadCapacityUnits": "5", "WriteCapacityUnits": 2},
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": [],
                    "Projection": {"ProjectionType": "ALL"},
                    "ProvisionedThroughput": {"ReadCapacityUnits": "1", "WriteCapacityUnits": "1"}}],
            }),
        );
        let request = create_table_request(&r);
        assert_eq!(request["TableName"], "stack-T-ABC");
        assert_eq!(request["BillingMode"], "PROVISIONED");
        assert_eq!(request["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
        assert_eq!(request["StreamSpecification"]["StreamEnabled"], true);
        assert_eq!(
            request["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"],
            1
        );
        let on_demand = resource(
            BackingKind::DynamoDbTable,
            json!({"BillingMode": "PAY_PER_REQUEST", "KeySchema": [],
                   "GlobalSecondaryIndexes": [{"IndexName": "g", "ProvisionedThroughput": {}}]}),
        );
        let request = create_table_request(&on_demand);
        assert_eq!(request["BillingMode"], "PAY_PER_REQUEST");
        assert!(
            request["GlobalSecondaryIndexes"][0]
                .get("ProvisionedThroughput")
                .is_none()
        );
    }

    #[test]
    fn simple_tables_have_one_key() {
        let r = resource(
            BackingKind::SimpleTable,
            json!({"PrimaryKey": {"Name": "sku", "Type": "Number"}}),
        );
        let request = create_table_request(&r);
        assert_eq!(request["KeySchema"][0]["AttributeName"], "sku");
        assert_eq!(request["AttributeDefinitions"][0]["AttributeType"], "N");
        assert_eq!(request["BillingMode"], "PAY_PER_REQUEST");
        let default = create_table_request(&resource(BackingKind::SimpleTable, Value::Null));
        assert_eq!(default["KeySchema"][0]["AttributeName"], "id");
    }
}
