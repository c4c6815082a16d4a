//! The local signing key on disk: created once, private, reused, and refused when damaged.

use std::sync::Arc;

use lambdagate_auth::jwt::{Expected, JwtVerifier};
use lambdagate_auth::local::{KEY_FILE, LocalIssuer, LocalKeyError, MintRequest};
use lambdagate_state::ManualClock;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lambdagate-auth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_key_is_created_once_with_private_permissions_and_reused() {
    let dir = temp_dir("create").join("nested/state");
    let first = LocalIssuer::load_or_create(&dir).unwrap();
    let path = dir.join(KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
        let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o077, 0, "state folder mode {dir_mode:o}");
    }
    let second = LocalIssuer::load_or_create(&dir).unwrap();
    assert_eq!(first.kid(), second.kid());
    // A token minted with one load verifies with the other (a server and `lambdagate token`).
    let token = first.mint(
        &MintRequest {
            issuer: "https://issuer.example".into(),
            subject: "u".into(),
            expires_in: 60,
            ..MintRequest::default()
        },
        1_800_000_000,
    );
    let verifier = JwtVerifier::new(
        Arc::new(ManualClock::at(1_800_000_010_000)),
        Some(Arc::new(second)),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let claims = runtime
        .block_on(verifier.verify(
            &token,
            &Expected {
                issuer: "https://issuer.example",
                audiences: &[],
            },
        ))
        .unwrap();
    assert_eq!(claims["sub"], "u");
    assert_eq!(claims["exp"], 1_800_000_060u64);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap());
}

#[test]
fn a_damaged_key_file_is_refused_not_replaced() {
    let dir = temp_dir("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(KEY_FILE), "not a key").unwrap();
    assert!(matches!(
        LocalIssuer::load_or_create(&dir),
        Err(LocalKeyError::Corrupt(_))
    ));
    assert_eq!(
        std::fs::read_to_string(dir.join(KEY_FILE)).unwrap(),
        "not a key"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_public_key_is_a_jwk_set_with_the_tokens_kid() {
    let issuer = LocalIssuer::generate();
    let jwks = issuer.jwks();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["kid"], issuer.kid());
    assert_eq!(key["e"], "AQAB");
    // 2048 bits: 256 bytes of modulus, 342 base64url characters.
    assert_eq!(key["n"].as_str().unwrap().len(), 342);
}
