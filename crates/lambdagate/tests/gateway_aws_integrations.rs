//! AWS service integrations against a real moto server the test starts: a REST API request
//! becomes one signed SQS SendMessage (form body from a request template), Step Functions
//! StartExecution or DynamoDB PutItem (JSON templates, `X-Amz-Target`), read back with boto3; a
//! service error selects the 4xx integration response. HTTP API first-class integrations
//! (`IntegrationSubtype`): SQS-SendMessage with the body and with message attributes,
//! SQS-ReceiveMessage, Kinesis-PutRecord (records read back with boto3), and
//! AppConfig-GetConfiguration against a local endpoint that checks the signature with botocore's
//! own signer (moto does not serve GetConfiguration); service errors answer 500, parameters
//! without a value 400, a missing required parameter is refused at startup.

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

/// Starts `start-api` on `tests/fixtures/aws-integrations/<template>` (port 0, no watching) with
/// `extra` arguments and `env`.
fn start_api(template: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let template = format!("tests/fixtures/aws-integrations/{template}");
    let mut args = vec!["start-api", "-t", &template, "-p", "0", "--no-watch"];
    args.extend_from_slice(extra);
    Server::start_in(&repo_root(), &args, env)
}

/// Creates the SQS queue `name` on moto; returns its URL.
fn create_queue(moto: &Moto, name: &str) -> String {
    boto3(
        moto,
        &format!("print(sqs.create_queue(QueueName='{name}')['QueueUrl'])"),
    )
}

/// The bodies of the messages waiting in the queue, read with boto3.
fn received_bodies(moto: &Moto, queue_url: &str) -> Vec<String> {
    let received = boto3(
        moto,
        &format!(
            "m = sqs.receive_message(QueueUrl='{}', MaxNumberOfMessages=10, WaitTimeSeconds=1)\n\
             print(json.dumps([x['Body'] for x in m.get('Messages', [])]))",
            queue_url.trim()
        ),
    );
    serde_json::from_str(received.trim()).unwrap()
}

/// The gateway answered 200 with SQS's `MessageId`, and `message` is the one message in the queue.
async fn assert_one_message_sent(
    r: reqwest::Response,
    server: &Server,
    moto: &Moto,
    queue_url: &str,
    message: &str,
) {
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert!(body.contains("MessageId"), "{body}");
    let bodies = received_bodies(moto, queue_url);
    assert_eq!(bodies, vec![message.to_string()], "exactly one message");
}

/// Sends `body` as JSON.
async fn send_json(request: reqwest::RequestBuilder, body: &str) -> reqwest::Response {
    request
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
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
    let server = start_api(
        "template.yaml",
        &[],
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
    let r = send_json(c.post(server.url("/dev/orders")), message).await;
    assert_one_message_sent(r, &server, &moto, &queue_url, message).await;

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
    let r = send_json(c.post(server.url("/dev/runs")), input).await;
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
    let r = send_json(
        c.put(server.url("/dev/items/abc")),
        r#"{"table": "items", "name": "Widget \"W\""}"#,
    )
    .await;
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
    let r = send_json(
        c.put(server.url("/dev/items/x")),
        r#"{"table": "missing", "name": "n"}"#,
    )
    .await;
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
    let server = start_api("template.yaml", &[], &[]);
    let printed = server.printed();
    assert!(
        printed.contains("AWS_ENDPOINT_URL_SQS") && printed.contains("real AWS"),
        "{printed}"
    );
    let r = send_json(reqwest::Client::new().post(server.url("/dev/orders")), "{}").await;
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
    let queue_url = create_queue(&moto, "orders");
    // The flag names the endpoint for integrations too, over the environment's.
    let server = http_api_server(&moto, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]);
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
    assert_one_message_sent(r, &server, &moto, &queue_url, message).await;
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
    let server = start_api(
        "template.yaml",
        &[],
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
    let r = send_json(
        c.put(server.url("/dev/items/k1")),
        r#"{"table": "t", "name": "n"}"#,
    )
    .await;
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
    let r = send_json(c.post(server.url("/dev/orders")), "{}").await;
    assert_eq!(r.status().as_u16(), 500);
    let r = send_json(
        c.put(server.url("/dev/items/k2")),
        r#"{"table": "t", "name": "n"}"#,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

/// Starts the HTTP API subtypes fixture against moto (`--aws-endpoint`), with `env`.
fn http_api_server(moto: &Moto, env: &[(&str, &str)]) -> Server {
    start_api("http-api.yaml", &["--aws-endpoint", &moto.url], env)
}

/// The gateway's answer: status, content type and body.
async fn answer(r: reqwest::RequestBuilder) -> (u16, String, String) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, r.text().await.unwrap())
}

#[tokio::test]
async fn an_http_api_sqs_integration_sends_and_receives_message_attributes() {
    let moto = Moto::start();
    let queue_url = create_queue(&moto, "tagged");
    let server = http_api_server(&moto, &[]);
    let c = reqwest::Client::new();
    let (status, _, body) = answer(
        c.post(server.url("/tagged"))
            .header("x-color", "deep red")
            .body("with attributes"),
    )
    .await;
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert!(body.contains("MD5OfMessageAttributes"), "{body}");

    // What SQS stored, read with boto3; visible again at once for the gateway's own receive.
    let received = boto3(
        &moto,
        &format!(
            "m = sqs.receive_message(QueueUrl='{}', MaxNumberOfMessages=10, WaitTimeSeconds=1,\n\
                 MessageAttributeNames=['All'], VisibilityTimeout=0)\n\
             print(json.dumps([[x['Body'], x.get('MessageAttributes')]\n\
                 for x in m.get('Messages', [])]))",
            queue_url.trim()
        ),
    );
    let received: Value = serde_json::from_str(received.trim()).unwrap();
    assert_eq!(
        received,
        serde_json::json!([[
            "with attributes",
            {
                "color": {"DataType": "String", "StringValue": "deep red"},
                "origin": {"DataType": "String", "StringValue": "gateway"},
                "size": {"DataType": "Number", "StringValue": "3"},
            }
        ]])
    );

    // SQS-ReceiveMessage with MessageAttributeNames and AttributeNames: SQS's answer comes back.
    let (status, _, body) = answer(c.post(server.url("/dequeue"))).await;
    assert_eq!(status, 200, "{body}");
    for expected in ["with attributes", "deep red", "origin", "SentTimestamp"] {
        assert!(body.contains(expected), "{expected} in {body}");
    }
}

/// The records of the stream `clicks` in `shard`, from the start, read with boto3: each as
/// `[partition key, data bytes]`.
fn shard_records(moto: &Moto, shard: &str) -> Value {
    let records = boto3(
        moto,
        &format!(
            "k = boto3.client('kinesis', **kw)\n\
             it = k.get_shard_iterator(StreamName='clicks', ShardId='{shard}',\n\
                 ShardIteratorType='TRIM_HORIZON')['ShardIterator']\n\
             print(json.dumps([[r['PartitionKey'], list(r['Data'])]\n\
                 for r in k.get_records(ShardIterator=it)['Records']]))"
        ),
    );
    serde_json::from_str(records.trim()).unwrap()
}

#[tokio::test]
async fn an_http_api_kinesis_put_record_integration_writes_the_record() {
    let moto = Moto::start();
    boto3(
        &moto,
        "boto3.client('kinesis', **kw).create_stream(StreamName='clicks', ShardCount=1)",
    );
    let server = http_api_server(&moto, &[]);
    let printed = server.printed();
    // A required parameter missing is refused at startup, as AWS refuses the integration.
    assert!(
        printed.contains("/broken") && printed.contains("needs the parameter PartitionKey"),
        "{printed}"
    );
    let c = reqwest::Client::new();
    // `Data` is passed to Kinesis as given, so the client sends it base64-encoded, as
    // Kinesis's API takes it: bytes that are not UTF-8 arrive intact.
    let bytes: &[u8] = b"\x00\x01click \xff\xfe";
    let data = "AAFjbGljayD//g==";
    let (status, content_type, body) = answer(
        c.post(server.url("/records"))
            .header("x-partition", "user-7")
            .body(serde_json::json!({"stream": "clicks", "data": data}).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert_eq!(content_type, "application/x-amz-json-1.1");
    let put: Value = serde_json::from_str(&body).unwrap();
    let shard = put["ShardId"].as_str().unwrap().to_string();
    assert!(put["SequenceNumber"].is_string(), "{put}");

    let records = shard_records(&moto, &shard);
    assert_eq!(records, serde_json::json!([["user-7", bytes]]));

    // The stream does not exist: Kinesis's 400 is AWS's 500 for the client.
    let (status, _, body) = answer(
        c.post(server.url("/records"))
            .header("x-partition", "user-7")
            .body(serde_json::json!({"stream": "nope", "data": data}).to_string()),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
    // A parameter with no value for this request: 400, and nothing is sent.
    let (status, _, body) = answer(
        c.post(server.url("/records"))
            .body(serde_json::json!({"stream": "clicks", "data": data}).to_string()),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"message":"Bad Request"}"#)
    );
    let (status, _, _) = answer(c.post(server.url("/broken")).body("x")).await;
    assert_eq!(status, 500);
    let records = shard_records(&moto, &shard);
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
}

/// A local AppConfig endpoint: checks each request's SigV4 signature with botocore's own signer
/// (recomputed over what it received, for the expected keys, service and region) and answers
/// a configuration naming what it was asked for; 403 when the signature does not match, 404
/// for the application `missing`.
const APPCONFIG_SERVER: &str = r#"
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit, parse_qsl
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET, TOKEN, REGION = sys.argv[1:5]

class Handler(BaseHTTPRequestHandler):
    def answer(self, status, document, content_type='application/json'):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Configuration-Version', '3')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get('Authorization', '')
        fields = dict(p.strip().split('=', 1) for p in auth[len('AWS4-HMAC-SHA256 '):].split(','))
        key, date, region, service, _ = fields['Credential'].split('/')
        signed = fields['SignedHeaders'].split(';')
        request = AWSRequest(method='GET', url='http://' + self.headers['Host'] + self.path,
                             headers={name: self.headers[name] for name in signed})
        request.context['timestamp'] = self.headers['X-Amz-Date']
        signer = SigV4Auth(Credentials(KEY, SECRET, TOKEN), 'appconfig', REGION)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if (key, region, service) != (KEY, REGION, 'appconfig') or expected != fields['Signature']:
            return self.answer(403, {'message': 'signature mismatch', 'canonical': canonical})
        url = urlsplit(self.path)
        if url.path.startswith('/applications/missing/'):
            return self.answer(404, {'Message': 'Application not found'})
        self.answer(200, {'flags': {'dark': True},
                          'path': url.path, 'query': dict(parse_qsl(url.query))})

    def log_message(self, *args):
        pass

server = HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// The AppConfig endpoint above, killed when dropped.
struct AppConfigEndpoint {
    child: std::process::Child,
    url: String,
}

impl AppConfigEndpoint {
    fn start(key: &str, secret: &str, token: &str, region: &str) -> AppConfigEndpoint {
        use std::io::BufRead;
        let mut child = Command::new(python())
            .args(["-c", APPCONFIG_SERVER, key, secret, token, region])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the AppConfig endpoint did not start: {line:?}")
        });
        AppConfigEndpoint {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for AppConfigEndpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_http_api_appconfig_integration_sends_a_signed_get_configuration() {
    let endpoint = AppConfigEndpoint::start("AKIDLOCAL", "secret", "token-1", "eu-west-1");
    let server = start_api(
        "http-api.yaml",
        &[],
        &[
            // The service's own endpoint; the others do not answer.
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ENDPOINT_URL_APPCONFIG", endpoint.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCAL"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token-1"),
            // The route's Region parameter (eu-west-1) wins over the environment's region.
            ("AWS_REGION", "us-west-2"),
        ],
    );
    let c = reqwest::Client::new();
    let (status, content_type, body) = answer(
        c.get(server.url("/config/shop?version=2"))
            .header("x-client-id", "client-1"),
    )
    .await;
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert_eq!(content_type, "application/json");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "flags": {"dark": true},
            "path": "/applications/shop/environments/prod/configurations/feature%20flags",
            "query": {"client_id": "client-1", "client_configuration_version": "2"},
        })
    );
    // The service's 404 is AWS's 500 for the client.
    let (status, _, body) = answer(
        c.get(server.url("/config/missing?version=2"))
            .header("x-client-id", "client-1"),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
    // No client id for this request: 400.
    let (status, _, body) = answer(c.get(server.url("/config/shop?version=2"))).await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"message":"Bad Request"}"#)
    );
}
