//! AWS service integrations against a real moto server the test starts: a REST API request
//! becomes one signed SQS SendMessage (form body from a request template), Step Functions
//! StartExecution or DynamoDB PutItem (JSON templates, `X-Amz-Target`), read back with boto3; a
//! service error selects the 4xx integration response; an HTTP API `SQS-SendMessage`
//! first-class integration sends the request body.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{Moto, Server, python, repo_root};

/// Runs `code` with boto3 clients `sqs` and `ddb` on moto; returns what it printed.
fn boto3(moto: &Moto, code: &str) -> String {
    let script = format!(
        "import boto3, json\n\
         kw = dict(endpoint_url='{}', region_name='us-east-1',\n\
                   aws_access_key_id='x', aws_secret_access_key='x')\n\
         sqs = boto3.client('sqs', **kw)\n\
         ddb = boto3.client('dynamodb', **kw)\n\
         {code}\n",
        moto.url
    );
    let out = Command::new(python())
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        script
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn sqs_step_functions_and_dynamodb_calls_reach_a_local_service() {
    let moto = Moto::start();
    let queue_url = boto3(
        &moto,
        "print(sqs.create_queue(QueueName='orders')['QueueUrl'])\n\
         ddb.create_table(TableName='items', BillingMode='PAY_PER_REQUEST',\n\
             AttributeDefinitions=[{'AttributeName': 'id', 'AttributeType': 'S'}],\n\
             KeySchema=[{'AttributeName': 'id', 'KeyType': 'HASH'}])",
    );
    assert!(queue_url.contains("/123456789012/orders"), "{queue_url}");
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/aws-integrations/template.yaml",
            "-p",
            "0",
            "--no-watch",
        ],
        &[
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    );
    assert!(
        !server.printed().contains("real AWS"),
        "{}",
        server.printed()
    );
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // SQS: the request template's form body is the SendMessage call.
    let message = r#"{"order": 7, "note": "a & b = c"}"#;
    let r = c
        .post(server.url("/dev/orders"))
        .header("content-type", "application/json")
        .body(message)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert!(body.contains("MessageId"), "{body}");
    let received = boto3(
        &moto,
        &format!(
            "m = sqs.receive_message(QueueUrl='{}', MaxNumberOfMessages=10, WaitTimeSeconds=1)\n\
             print(json.dumps([x['Body'] for x in m.get('Messages', [])]))",
            queue_url.trim()
        ),
    );
    let bodies: Vec<String> = serde_json::from_str(received.trim()).unwrap();
    assert_eq!(bodies, vec![message.to_string()], "exactly one message");

    // Step Functions: the JSON template is the StartExecution call (X-Amz-Target).
    let state_machine = boto3(
        &moto,
        "sfn = boto3.client('stepfunctions', **kw)\n\
         print(sfn.create_state_machine(name='flow', roleArn='arn:aws:iam::123456789012:role/sfn',\n\
             definition=json.dumps({'StartAt': 'Done', 'States': {'Done': {'Type': 'Succeed'}}}))\n\
             ['stateMachineArn'])",
    );
    assert!(
        state_machine.trim().ends_with(":stateMachine:flow"),
        "{state_machine}"
    );
    let input = r#"{"run": 1, "tags": ["x"]}"#;
    let r = c
        .post(server.url("/dev/runs"))
        .header("content-type", "application/json")
        .body(input)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let execution = body["execution"].as_str().unwrap_or_default().to_string();
    assert!(execution.contains(":execution:flow:"), "{body}");
    let described = boto3(
        &moto,
        &format!(
            "sfn = boto3.client('stepfunctions', **kw)\n\
             print(sfn.describe_execution(executionArn='{execution}')['input'])"
        ),
    );
    let described: Value = serde_json::from_str(described.trim()).unwrap();
    assert_eq!(described, serde_json::from_str::<Value>(input).unwrap());

    // DynamoDB: the JSON template is the PutItem call.
    let r = c
        .put(server.url("/dev/items/abc"))
        .header("content-type", "application/json")
        .body(r#"{"table": "items", "name": "Widget \"W\""}"#)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        (status, &body),
        (200, &serde_json::json!({"stored": "abc"}))
    );
    let item = boto3(
        &moto,
        "print(json.dumps(ddb.get_item(TableName='items', Key={'id': {'S': 'abc'}})['Item']))",
    );
    let item: Value = serde_json::from_str(item.trim()).unwrap();
    assert_eq!(item["name"]["S"], "Widget \"W\"", "{item}");

    // A table that does not exist: the service's 400 selects the 4xx integration response.
    let r = c
        .put(server.url("/dev/items/x"))
        .header("content-type", "application/json")
        .body(r#"{"table": "missing", "name": "n"}"#)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 400, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|t| t.contains("ResourceNotFoundException")),
        "{body}"
    );
}

#[tokio::test]
async fn without_an_endpoint_the_route_is_warned_about_and_answers_500() {
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        // The server would inherit it; nothing to check here.
        return;
    }
    let server = Server::start(&[
        "start-api",
        "-t",
        "tests/fixtures/aws-integrations/template.yaml",
        "-p",
        "0",
        "--no-watch",
    ]);
    let printed = server.printed();
    assert!(
        printed.contains("AWS_ENDPOINT_URL_SQS") && printed.contains("real AWS"),
        "{printed}"
    );
    let r = reqwest::Client::new()
        .post(server.url("/dev/orders"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"message": "Internal server error"})
    );
}

#[tokio::test]
async fn an_http_api_sqs_send_message_integration_sends_the_body() {
    let moto = Moto::start();
    let queue_url = boto3(
        &moto,
        "print(sqs.create_queue(QueueName='orders')['QueueUrl'])",
    );
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/aws-integrations/http-api.yaml",
            "-p",
            "0",
            "--no-watch",
            // The flag names the endpoint for integrations too, over the environment's.
            "--aws-endpoint",
            &moto.url,
        ],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    let printed = server.printed();
    // A parameter the subtype does not take is said at startup.
    assert!(
        printed.contains("does not take the parameter `MessageGroupIdx`"),
        "{printed}"
    );
    let message = "plain text & more";
    let r = reqwest::Client::new()
        .post(server.url("/enqueue"))
        .body(message)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert!(body.contains("MessageId"), "{body}");
    let received = boto3(
        &moto,
        &format!(
            "m = sqs.receive_message(QueueUrl='{}', MaxNumberOfMessages=10, WaitTimeSeconds=1)\n\
             print(json.dumps([x['Body'] for x in m.get('Messages', [])]))",
            queue_url.trim()
        ),
    );
    let bodies: Vec<String> = serde_json::from_str(received.trim()).unwrap();
    assert_eq!(bodies, vec![message.to_string()], "exactly one message");
}

/// A local endpoint that records each request's head and body and answers `{}`.
async fn recording_endpoint() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    if buf.len() < end + 4 + length {
                        continue;
                    }
                    record
                        .lock()
                        .unwrap()
                        .push(text[..end + 4 + length].to_string());
                    buf.drain(..end + 4 + length);
                    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                                  content-length: 2\r\n\r\n{}";
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn each_api_request_sends_one_signed_request_to_the_service_endpoint() {
    let (endpoint, seen) = recording_endpoint().await;
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/aws-integrations/template.yaml",
            "-p",
            "0",
            "--no-watch",
        ],
        &[
            // The service's own variable wins over the general one (a closed port).
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCAL"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token-1"),
        ],
    );
    let c = reqwest::Client::new();
    let r = c
        .put(server.url("/dev/items/k1"))
        .header("content-type", "application/json")
        .body(r#"{"table": "t", "name": "n"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = requests[0].to_ascii_lowercase();
    assert!(request.starts_with("post / http/1.1\r\n"), "{request}");
    for expected in [
        "x-amz-target: dynamodb_20120810.putitem",
        "content-type: application/x-amz-json-1.0",
        "x-amz-security-token: token-1",
        "authorization: aws4-hmac-sha256 credential=akidlocal/",
        "/us-east-1/dynamodb/aws4_request",
        "\"tablename\": \"t\"",
    ] {
        assert!(request.contains(expected), "{expected} in {request}");
    }

    // The SQS route's endpoint (the general variable) does not answer: 500, and the server
    // keeps serving.
    let r = c
        .post(server.url("/dev/orders"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let r = c
        .put(server.url("/dev/items/k2"))
        .header("content-type", "application/json")
        .body(r#"{"table": "t", "name": "n"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(seen.lock().unwrap().len(), 2);
}
