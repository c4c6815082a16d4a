//! Function limits seen from a client of `start-api`: a function over its MemorySize gets the
//! API's function-error answer (502 REST, 500 HTTP API), and a function's printed line comes
//! before its END / REPORT lines and before the access log line.

mod support;

use std::time::{Duration, Instant};

use support::Server;

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hungry:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: fn/
      Handler: app.handler
      MemorySize: 128
      Timeout: 30
      Events:
        Rest:
          Type: Api
          Properties: {Path: /rest, Method: GET}
        Http:
          Type: HttpApi
          Properties: {Path: /http, Method: GET}
"#;

const HANDLER: &str = r#"
import time

def handler(event, context):
    if (event.get("queryStringParameters") or {}).get("eat"):
        hold = b"x" * (300 << 20)
        time.sleep(20)
    print("printed-by-the-handler " + context.aws_request_id)
    return {"statusCode": 200, "body": "fine"}
"#;

fn get(url: String) -> (u16, String) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let res = reqwest::get(url).await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        })
    })
    .join()
    .unwrap()
}

fn app_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lambdagate-limits-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("fn")).unwrap();
    std::fs::write(dir.join("template.yaml"), TEMPLATE).unwrap();
    std::fs::write(dir.join("fn/app.py"), HANDLER).unwrap();
    dir
}

#[test]
fn memory_over_memory_size_is_a_function_error_and_output_comes_before_report() {
    let dir = app_dir();
    let mut server = Server::start_in(&dir, &["start-api", "-p", "0"], &[]);
    // REST API: 502 {"message": "Internal server error"}; HTTP API: 500.
    // Before: 200 after allocating 300 MB in a 128 MB function.
    let (status, body) = get(server.url("/Prod/rest?eat=1"));
    assert_eq!(status, 502, "{body}");
    assert_eq!(body, r#"{"message": "Internal server error"}"#);
    let (status, body) = get(server.url("/http?eat=1"));
    assert_eq!(status, 500, "{body}");
    assert_eq!(body, r#"{"message":"Internal Server Error"}"#);
    let printed = server.printed();
    assert!(
        printed.contains("Error Type: Runtime.OutOfMemory"),
        "{printed}"
    );

    // The handler's line, then END, then REPORT, then the access log line, every time.
    for _ in 0..5 {
        let (status, body) = get(server.url("/Prod/rest"));
        assert_eq!((status, body.as_str()), (200, "fine"));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let printed = server.printed();
        let lines: Vec<&str> = printed.lines().collect();
        let printed_at: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains("printed-by-the-handler"))
            .map(|(i, _)| i)
            .collect();
        let access: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("GET /Prod/rest 200 "))
            .map(|(i, _)| i)
            .collect();
        if printed_at.len() < 5 || access.len() < 5 {
            assert!(Instant::now() < deadline, "{printed}");
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        // Calls are one at a time: the k-th printed line belongs to the k-th access line.
        for (k, &i) in printed_at.iter().enumerate() {
            assert!(i < access[k], "{printed}");
            let rid = lines[i].rsplit(' ').next().unwrap();
            let after = |what: &str| {
                lines
                    .iter()
                    .position(|l| l.contains(what) && l.contains(rid))
                    .unwrap_or_else(|| panic!("no {what} for {rid}: {printed}"))
            };
            assert!(i < after("END RequestId"), "{printed}");
            assert!(
                after("END RequestId") < after("REPORT RequestId"),
                "{printed}"
            );
        }
        break;
    }
    server.terminate(Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(&dir);
}
