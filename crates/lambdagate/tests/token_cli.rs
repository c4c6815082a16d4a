//! `lambdagate token` end to end: the real binary mints tokens into a temporary state folder,
//! and they verify with the key that folder holds (the key `start-api` loads).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use base64::Engine;
use lambdagate_auth::jwt::{Expected, JwtVerifier};
use lambdagate_auth::local::LocalIssuer;
use lambdagate_gateway::SystemClock;
use serde_json::{Map, Value, json};
use support::{Server, repo_root};

fn state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lambdagate-token-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `lambdagate ARGS` with its state in `state`; (status ok, stdout, stderr).
fn lambdagate(state: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(args)
        .current_dir(dir)
        .env("LAMBDAGATE_STATE_DIR", state)
        .env_remove("AWS_REGION")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn payload(token: &str) -> Map<String, Value> {
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn verify(state: &Path, token: &str, issuer: &str, audiences: &[String]) {
    let local = LocalIssuer::load_or_create(state).unwrap();
    let verifier = JwtVerifier::new(Arc::new(SystemClock), Some(Arc::new(local)));
    verifier
        .verify(token, &Expected { issuer, audiences })
        .await
        .unwrap_or_else(|e| panic!("the minted token does not verify: {e}"));
}

#[tokio::test]
async fn a_token_for_an_issuer_carries_the_requested_claims() {
    let state = state_dir("issuer");
    let (ok, stdout, stderr) = lambdagate(
        &state,
        &repo_root(),
        &[
            "token",
            "--issuer",
            "http://127.0.0.1:9999/idp",
            "--audience",
            "my-client",
            "--sub",
            "alice",
            "--scope",
            "pets/read",
            "--scope",
            "pets/write openid",
            "--groups",
            "admins,ops",
            "--claim",
            "tier=gold",
            "--claim",
            "level=3",
            "--claim",
            "beta=true",
            "--expires-in",
            "600",
        ],
    );
    assert!(ok, "{stderr}");
    // Only the token: one line, three parts.
    let token = stdout.trim_end_matches('\n');
    assert!(
        !token.contains('\n') && token.split('.').count() == 3,
        "{stdout:?}"
    );
    let claims = payload(token);
    assert_eq!(claims["iss"], "http://127.0.0.1:9999/idp");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], "my-client");
    assert_eq!(claims["scope"], "pets/read pets/write openid");
    assert_eq!(claims["cognito:groups"], json!(["admins", "ops"]));
    assert_eq!(claims["tier"], "gold");
    assert_eq!(claims["level"], 3);
    assert_eq!(claims["beta"], true);
    assert_eq!(claims["token_use"], "access");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        600
    );
    verify(
        &state,
        token,
        "http://127.0.0.1:9999/idp",
        &["my-client".to_string()],
    )
    .await;
    // The public key, for other tools: the same key that signed the token.
    let (ok, jwks, _) = lambdagate(&state, &repo_root(), &["token", "--print-jwks"]);
    assert!(ok);
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(header["alg"], "RS256");
    // The key stays: a second token verifies with the same key file.
    let (ok, second, _) = lambdagate(&state, &repo_root(), &["token", "--issuer", "https://i"]);
    assert!(ok);
    verify(&state, second.trim(), "https://i", &[]).await;
    let _ = std::fs::remove_dir_all(&state);
}

#[tokio::test]
async fn a_token_for_a_cognito_authorizer_of_the_template() {
    let state = state_dir("cognito");
    let (ok, stdout, stderr) = lambdagate(
        &state,
        &repo_root(),
        &[
            "token",
            "CognitoAuthorizer",
            "-t",
            "tests/fixtures/seed-004/template.yaml",
            "--sub",
            "bob",
        ],
    );
    assert!(ok, "{stderr}");
    let token = stdout.trim();
    let claims = payload(token);
    let issuer = claims["iss"].as_str().unwrap().to_string();
    assert!(
        issuer.starts_with("https://cognito-idp.us-east-1.amazonaws.com/"),
        "{issuer}"
    );
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["cognito:username"], "bob");
    verify(&state, token, &issuer, &[]).await;
    let _ = std::fs::remove_dir_all(&state);
}

#[tokio::test]
async fn a_token_for_a_jwt_authorizer_takes_its_issuer_and_first_audience() {
    let state = state_dir("jwt");
    let dir = state_dir("jwt-app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Oidc
        Authorizers:
          Oidc:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: http://127.0.0.1:8555/realms/dev
              audience: [web-client, cli-client]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return {}"
      Events:
        Get:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /me
            Method: GET
"#,
    )
    .unwrap();
    // The only token authorizer is the default: no name needed.
    let (ok, stdout, stderr) = lambdagate(&state, &dir, &["token"]);
    assert!(ok, "{stderr}");
    let claims = payload(stdout.trim());
    assert_eq!(claims["iss"], "http://127.0.0.1:8555/realms/dev");
    assert_eq!(claims["aud"], "web-client");
    verify(
        &state,
        stdout.trim(),
        "http://127.0.0.1:8555/realms/dev",
        &["web-client".to_string()],
    )
    .await;
    // An authorizer that does not exist is a clear error, and nothing on stdout.
    let (ok, stdout, stderr) = lambdagate(&state, &dir, &["token", "Nope"]);
    assert!(!ok && stdout.is_empty());
    assert!(stderr.contains("no authorizer named Nope"), "{stderr}");
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn start_api_takes_the_auth_flags() {
    let state = state_dir("start");
    let state_text = state.to_str().unwrap().to_string();
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/seed-004/template.yaml",
            "-p",
            "0",
            "--iam-credentials",
            "AKIAEXAMPLE:secret:210987654321",
            "--iam-credentials",
            "ASIAEXAMPLE:secret2::token",
        ],
        &[("LAMBDAGATE_STATE_DIR", state_text.as_str())],
    );
    // The server made the key `lambdagate token` signs with.
    assert!(state.join(lambdagate_auth::local::KEY_FILE).exists());
    drop(server);
    let no_local = state_dir("no-local");
    let server = Server::start_in(
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/seed-004/template.yaml",
            "-p",
            "0",
            "--no-local-tokens",
        ],
        &[("LAMBDAGATE_STATE_DIR", no_local.to_str().unwrap())],
    );
    // With --no-local-tokens no key is made.
    assert!(!no_local.exists());
    drop(server);
    // A malformed --iam-credentials stops the start with a message that hides the secret.
    let (ok, _, stderr) = lambdagate(
        &state,
        &repo_root(),
        &[
            "start-api",
            "-t",
            "tests/fixtures/seed-004/template.yaml",
            "-p",
            "0",
            "--iam-credentials",
            "AKIAEXAMPLE:topsecret:notanaccount",
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("12-digit") && !stderr.contains("topsecret"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&state);
}
