//! An https issuer: keys fetched over TLS from a local server whose certificate is signed by a
//! test CA (fixtures made with openssl). Trusted only when the CA is configured.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lambdagate_auth::jwt::{Expected, JwtError, JwtSettings, JwtVerifier};
use lambdagate_auth::local::LocalIssuer;
use lambdagate_state::ManualClock;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Map, json};

const CA: &[u8] = include_bytes!("fixtures/test-ca.pem");
const CERT: &[u8] = include_bytes!("fixtures/issuer-cert.pem");
const KEY: &[u8] = include_bytes!("fixtures/issuer-key.pem");

/// Serves discovery and JWKS over TLS on 127.0.0.1; the counter counts JWKS requests.
fn start_https_issuer(idp: &LocalIssuer) -> (String, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(CERT)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let jwks = idp.jwks().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let (served_base, served_hits) = (base.clone(), hits.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { return };
            let (config, base, jwks, hits) = (
                config.clone(),
                served_base.clone(),
                jwks.clone(),
                served_hits.clone(),
            );
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut reader = BufReader::new(&mut tls);
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return; // the client refused the certificate
                }
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("");
                let body = if path == "/.well-known/openid-configuration" {
                    json!({"issuer": base, "jwks_uri": format!("{base}/jwks")}).to_string()
                } else {
                    hits.fetch_add(1, Ordering::SeqCst);
                    jwks
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes());
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (base, hits)
}

fn token(idp: &LocalIssuer, issuer: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(issuer));
    claims.insert("sub".into(), json!("tls-user"));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + 600));
    idp.sign_claims(&claims)
}

fn clock() -> Arc<ManualClock> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    Arc::new(ManualClock::at(now.as_millis() as u64))
}

#[tokio::test]
async fn keys_are_fetched_over_tls_from_a_trusted_issuer() {
    let idp = LocalIssuer::generate();
    let (issuer, hits) = start_https_issuer(&idp);
    let settings = JwtSettings {
        extra_root_certificates: vec![CA.to_vec()],
        ..JwtSettings::default()
    };
    let verifier = JwtVerifier::with_settings(clock(), None, settings);
    let claims = verifier
        .verify(
            &token(&idp, &issuer),
            &Expected {
                issuer: &issuer,
                audiences: &[],
            },
        )
        .await
        .unwrap();
    assert_eq!(claims["sub"], "tls-user");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_issuer_with_an_untrusted_certificate_is_unavailable() {
    let idp = LocalIssuer::generate();
    let (issuer, hits) = start_https_issuer(&idp);
    // Only the system's roots: the test CA is not among them.
    let verifier = JwtVerifier::new(clock(), None);
    let error = verifier
        .verify(
            &token(&idp, &issuer),
            &Expected {
                issuer: &issuer,
                audiences: &[],
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, JwtError::IssuerUnavailable(m) if m.to_lowercase().contains("certificate")),
        "{error:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
