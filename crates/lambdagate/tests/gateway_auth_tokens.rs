//! Authorizers with real credentials end to end: JWTs checked against a real OIDC issuer the
//! test serves on loopback (discovery and JWKS over HTTP, `--no-local-tokens`), Cognito tokens
//! minted by `lambdagate token`, and SigV4 signatures made by botocore.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use support::{Scratch, Server, repo_root};

const TEMPLATE: &str = "tests/fixtures/gateway/auth-tokens/template.yaml";

/// `lambdagate token ARGS` with the given state folder (where the signing key lives).
fn token(state: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .arg("token")
        .args(args)
        .current_dir(repo_root())
        .env("LAMBDAGATE_STATE_DIR", state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A static OIDC issuer: discovery and JWKS files served by Python's http.server.
struct Issuer {
    child: Child,
    url: String,
}

impl Issuer {
    fn start(root: &Path, jwks: &str) -> Issuer {
        std::fs::create_dir_all(root.join(".well-known")).unwrap();
        // The server binds a port of its own choosing and names it on its first line, so no
        // other process can take the port between our choosing and its binding. The files go
        // in afterwards (they carry the URL); it reads them on each request.
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first).unwrap();
        // "Serving HTTP on 127.0.0.1 port 40199 (http://127.0.0.1:40199/) ..."
        let port: u16 = first
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the issuer did not start: {first:?}"));
        let url = format!("http://127.0.0.1:{port}");
        std::fs::write(
            root.join(".well-known/openid-configuration"),
            json!({ "issuer": url, "jwks_uri": format!("{url}/jwks.json") }).to_string(),
        )
        .unwrap();
        std::fs::write(root.join("jwks.json"), jwks).unwrap();
        Issuer { child, url }
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(url: &str, bearer: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = bearer {
        request = request.header("Authorization", token);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn jwt_against_a_real_issuer_and_cognito_with_local_tokens() {
    let scratch = Scratch::new("auth-tokens");
    let state = scratch.0.join("state");
    let issuer_root = scratch.0.join("issuer");
    // The issuer publishes the key `lambdagate token` signs with: real discovery, real JWKS.
    let jwks = token(&state, &["--print-jwks", "--issuer", "http://x"]);
    let issuer = Issuer::start(&issuer_root, &jwks);
    let overrides = format!("Issuer={}", issuer.url);
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            TEMPLATE,
            "-p",
            "0",
            "--no-watch",
            "--no-local-tokens",
            "--parameter-overrides",
            &overrides,
        ],
        &[("LAMBDAGATE_STATE_DIR", state.to_str().unwrap())],
    );
    let jwt = |extra: &[&str]| {
        let mut args = vec![
            "--issuer",
            issuer.url.as_str(),
            "--audience",
            "my-client",
            "--sub",
            "alice",
        ];
        args.extend_from_slice(extra);
        token(&state, &args)
    };

    // A good token with the route's scope: the claims and scopes reach the function.
    let good = jwt(&["--scope", "items/read", "--claim", "tier=gold"]);
    let (status, _, body) = call(&server.url("/jwt"), Some(&format!("Bearer {good}"))).await;
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert_eq!(body["authorizer"]["jwt"]["claims"]["sub"], "alice");
    assert_eq!(body["authorizer"]["jwt"]["claims"]["tier"], "gold");
    assert_eq!(body["authorizer"]["jwt"]["scopes"], json!(["items/read"]));

    // No token, a token without the scope, another audience, a tampered one.
    let (status, headers, body) = call(&server.url("/jwt"), None).await;
    assert_eq!((status, &body), (401, &json!({"message": "Unauthorized"})));
    assert!(headers.contains_key("www-authenticate"));
    let unscoped = jwt(&[]);
    let (status, _, _) = call(&server.url("/jwt"), Some(&format!("Bearer {unscoped}"))).await;
    assert_eq!(status, 403);
    // (Expiry, not-before and the other security cases are proved with a clock in
    // lambdagate-auth's tests/jwt_issuer.rs.)
    let other = token(
        &state,
        &[
            "--issuer",
            &issuer.url,
            "--audience",
            "someone-else",
            "--scope",
            "items/read",
        ],
    );
    let (status, headers, _) = call(&server.url("/jwt"), Some(&format!("Bearer {other}"))).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("audience"),
        "{headers:?}"
    );
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = parts.join(".");
    let (status, _, _) = call(&server.url("/jwt"), Some(&format!("Bearer {tampered}"))).await;
    assert_eq!(status, 401);

    // Cognito: with --no-local-tokens and the pool's issuer unreachable offline, a locally
    // minted token is refused; the REST answer without a token is 401 Unauthorized.
    let (status, _, body) = call(&server.url("/dev/cognito"), None).await;
    assert_eq!((status, &body), (401, &json!({"message": "Unauthorized"})));
    drop(server);

    // Without --no-local-tokens, `lambdagate token` mints Cognito tokens the server accepts.
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            TEMPLATE,
            "-p",
            "0",
            "--no-watch",
            "--parameter-overrides",
            &overrides,
        ],
        &[("LAMBDAGATE_STATE_DIR", state.to_str().unwrap())],
    );
    let id_token = token(
        &state,
        &["-t", TEMPLATE, "Pool", "--sub", "bob", "--groups", "admins"],
    );
    let (status, _, body) = call(&server.url("/dev/cognito"), Some(&id_token)).await;
    assert_eq!(status, 200, "{body}\n{}", server.printed());
    assert_eq!(body["authorizer"]["claims"]["sub"], "bob");
    assert_eq!(body["authorizer"]["claims"]["cognito:groups"], "admins");
    let (status, _, _) = call(&server.url("/dev/cognito"), Some("not-a-jwt")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn aws_iam_routes_take_botocore_signatures() {
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            TEMPLATE,
            "-p",
            "0",
            "--no-watch",
            "--iam-credentials",
            "AKIDLOCALTEST:local-secret:111122223333",
        ],
        &[],
    );
    let url = server.url("/dev/iam");
    let python = std::env::var("LAMBDAGATE_TEST_PYTHON_SDK").unwrap_or_else(|_| "python3".into());
    // botocore signs for execute-api exactly as the AWS SDKs do; urllib sends it.
    let script = r#"
import json, sys, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, secret = sys.argv[1], sys.argv[2]
req = AWSRequest(method="GET", url=url)
SigV4Auth(Credentials("AKIDLOCALTEST", secret), "execute-api", "us-east-1").add_auth(req)
try:
    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers))) as r:
        print(json.dumps({"status": r.status, "body": json.loads(r.read())}))
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code, "body": json.loads(e.read())}))
"#;
    let run = |secret: &str| -> Value {
        let out = Command::new(&python)
            .args(["-c", script, &url, secret])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let signed = run("local-secret");
    assert_eq!(signed["status"], 200, "{signed}\n{}", server.printed());
    assert_eq!(signed["body"]["identity"]["accessKey"], "AKIDLOCALTEST");
    assert_eq!(signed["body"]["identity"]["accountId"], "111122223333");
    let wrong = run("not-the-secret");
    assert_eq!(wrong["status"], 403);
    assert!(
        wrong["body"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The request signature we calculated does not match"),
        "{wrong}"
    );
    let (status, _, body) = call(&url, None).await;
    assert_eq!(
        (status, &body),
        (403, &json!({"message": "Missing Authentication Token"}))
    );
}
