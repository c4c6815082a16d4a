//! The app's own AWS resources on a local endpoint: `examples/items-dynamodb` (the seeds' Node
//! and Python handlers on the AWS SDKs, unpackaged) against a real moto server the test starts,
//! full CRUD through the gateway; an existing table with another key schema; an endpoint that
//! does not answer.

mod support;

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Moto, Server, python, repo_root};

/// The first line the server printed that `pick` accepts, waiting for it: standard error is
/// read on its own thread, line by line.
fn line_of(server: &Server, pick: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(line) = server.printed().lines().find(|l| pick(l)) {
            return line.to_string();
        }
        assert!(Instant::now() < deadline, "{}", server.printed());
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

#[tokio::test]
async fn the_seed_items_app_runs_against_a_local_dynamodb() {
    let moto = Moto::start();
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "examples/items-dynamodb/template.yaml",
            "-p",
            "0",
            "--no-watch",
            "--aws-endpoint",
            &moto.url,
        ],
        &[],
    );
    let row = line_of(&server, |l| l.trim_start().starts_with("ItemsTable"));
    assert!(
        row.contains("items-dynamodb-ItemsTable-") && row.ends_with("created"),
        "{row}"
    );

    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let (status, created) = json(
        c.post(server.url("/prod/items"))
            .header("content-type", "application/json")
            .body(r#"{"name": "Test", "qty": 3}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}\n{}", server.printed());
    let id = created["id"].as_str().unwrap().to_string();
    let (status, item) = json(
        c.get(server.url(&format!("/prod/items/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["name"], "Test");
    assert_eq!(item["qty"], 3);
    let (status, missing) = json(c.get(server.url("/prod/items/nope")).send().await.unwrap()).await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (404, Some("Item not found"))
    );
    // The Python function reads what the Node one wrote, through boto3.
    let (status, all) = json(c.get(server.url("/prod/items")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{all}\n{}", server.printed());
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "{all}"
    );
    drop(server);

    // A second start finds the table and keeps it (and its item).
    let again = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "examples/items-dynamodb/template.yaml",
            "-p",
            "0",
            "--no-watch",
            "--aws-endpoint",
            &moto.url,
        ],
        &[],
    );
    let row = line_of(&again, |l| l.trim_start().starts_with("ItemsTable"));
    assert!(row.ends_with("exists"), "{row}");
    let (status, _) = json(
        c.get(again.url(&format!("/prod/items/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}

#[test]
fn a_table_with_another_key_schema_is_kept_and_warned_about() {
    let moto = Moto::start();
    // Someone made `legacy-items` keyed by `pk` already.
    let python = python();
    let made = Command::new(&python)
        .arg("-c")
        .arg(format!(
            "import boto3\n\
             c = boto3.client('dynamodb', endpoint_url='{}', region_name='us-east-1',\n\
                 aws_access_key_id='x', aws_secret_access_key='x')\n\
             c.create_table(TableName='legacy-items', BillingMode='PAY_PER_REQUEST',\n\
                 AttributeDefinitions=[{{'AttributeName': 'pk', 'AttributeType': 'S'}}],\n\
                 KeySchema=[{{'AttributeName': 'pk', 'KeyType': 'HASH'}}])\n\
             c.put_item(TableName='legacy-items', Item={{'pk': {{'S': 'kept'}}}})\n",
            moto.url
        ))
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let dir = std::env::temp_dir().join(format!("lambdagate-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        "Resources:\n  Legacy:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: legacy-items\n      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n",
    )
    .unwrap();
    let server = Server::start_in(
        &dir,
        &["start-lambda", "-p", "0", "--aws-endpoint", &moto.url],
        &[("AWS_REGION", "us-east-1")],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.printed().contains("legacy-items") {
        assert!(Instant::now() < deadline, "{}", server.printed());
        std::thread::sleep(Duration::from_millis(20));
    }
    let printed = server.printed();
    assert!(
        printed.contains(
            "exists, but its key schema is [pk HASH], the template's [id HASH] (left as it is)"
        ),
        "{printed}"
    );
    // Nothing was deleted: the old item is still there.
    let check = Command::new(&python)
        .arg("-c")
        .arg(format!(
            "import boto3\n\
             c = boto3.client('dynamodb', endpoint_url='{}', region_name='us-east-1',\n\
                 aws_access_key_id='x', aws_secret_access_key='x')\n\
             print(c.get_item(TableName='legacy-items', Key={{'pk': {{'S': 'kept'}}}})['Item']['pk']['S'])\n",
            moto.url
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "kept");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_endpoint_that_does_not_answer_is_one_warning_and_serving_goes_on() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "examples/items-dynamodb/template.yaml",
            "-p",
            "0",
            "--no-watch",
            "--aws-endpoint",
            &endpoint,
        ],
        &[],
    );
    // Standard error is read on its own thread: give the warning time to arrive.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.printed().contains("warning: the AWS endpoint") {
        assert!(Instant::now() < deadline, "{}", server.printed());
        std::thread::sleep(Duration::from_millis(20));
    }
    let printed = server.printed();
    let warnings: Vec<&str> = printed.lines().filter(|l| l.contains(&endpoint)).collect();
    assert_eq!(warnings.len(), 1, "{printed}");
    assert!(
        warnings[0].starts_with(&format!(
            "warning: the AWS endpoint {endpoint} did not answer"
        )),
        "{printed}"
    );
    assert!(printed.contains("Listening on http"));
}
