//! The local token issuer: an RSA key in lambdagate's state folder that `lambdagate token`
//! signs with and the server trusts (unless started with `--no-local-tokens`).
//!
//! The key is RSA-2048 and tokens are RS256, so they are tokens API Gateway itself would accept
//! from an identity provider. Its `kid` is the key's RFC 7638 thumbprint: stable for the key,
//! and different from every identity provider's `kid`.

use std::io::Write;
use std::path::{Path, PathBuf};

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use serde_json::{Map, Value, json};

use crate::algorithm::Algorithm;
use crate::b64;

/// The key file's name inside the state folder.
pub const KEY_FILE: &str = "token-signing-key.pem";

/// A token to mint.
#[derive(Debug, Clone, Default)]
pub struct MintRequest {
    /// `iss`.
    pub issuer: String,
    /// `aud` (ID tokens) or `client_id` (access tokens); none when empty.
    pub audience: Option<String>,
    /// `sub`.
    pub subject: String,
    /// `scope`, space-separated when written.
    pub scopes: Vec<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// Any other claims.
    pub claims: Map<String, Value>,
    /// Seconds from now to `exp`.
    pub expires_in: u64,
}

/// Why the local key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LocalKeyError {
    /// The state folder or key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file is not a key this version wrote.
    #[error("{0}: not a lambdagate signing key")]
    Corrupt(String),
}

/// The local signing key.
pub struct LocalIssuer {
    private: PrivateKey,
    public: PublicKey,
    kid: String,
}

impl std::fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("LocalIssuer")
            .field("kid", &self.kid)
            .finish()
    }
}

/// lambdagate's state folder: `$LAMBDAGATE_STATE_DIR`, else `$XDG_STATE_HOME/lambdagate`,
/// else `~/.local/state/lambdagate`; `None` when none of those variables is set.
pub fn default_state_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("LAMBDAGATE_STATE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_STATE_HOME") {
        return Some(PathBuf::from(dir).join("lambdagate"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".local/state/lambdagate"))
}

impl LocalIssuer {
    /// The key kept in `state_dir`, created on first use.
    pub fn load_or_create(state_dir: &Path) -> Result<LocalIssuer, LocalKeyError> {
        let path = state_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(pem) => return LocalIssuer::from_pem(&pem, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(io_error(&path, source)),
        }
        create_private_dir(state_dir)?;
        let issuer = LocalIssuer::generate();
        let pem = issuer
            .private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| LocalKeyError::Corrupt(path.display().to_string()))?;
        // Written aside then linked into place: linking fails when another process created
        // the key meanwhile, and then both use that one (a token minted by `lambdagate token`
        // must verify in a server started at the same moment).
        let temp = state_dir.join(format!(".{KEY_FILE}.{}", std::process::id()));
        write_private_file(&temp, pem.as_bytes())?;
        let linked = std::fs::hard_link(&temp, &path);
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(issuer),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let pem = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
                LocalIssuer::from_pem(&pem, &path)
            }
            Err(source) => Err(io_error(&path, source)),
        }
    }

    /// A new key kept only in memory (tests, and servers without a state folder).
    pub fn generate() -> LocalIssuer {
        // The OS random generator failing is not something a caller can handle.
        let private = PrivateKey::new(&mut getrandom::SysRng, 2048)
            .expect("the system random generator failed while generating an RSA key");
        LocalIssuer::from_private(private)
    }

    fn from_pem(pem: &str, path: &Path) -> Result<LocalIssuer, LocalKeyError> {
        let private = PrivateKey::from_pkcs8_pem(pem)
            .map_err(|_| LocalKeyError::Corrupt(path.display().to_string()))?;
        Ok(LocalIssuer::from_private(private))
    }

    fn from_private(private: PrivateKey) -> LocalIssuer {
        let public = private.to_public_key();
        let kid = thumbprint(&public);
        LocalIssuer {
            private,
            public,
            kid,
        }
    }

    /// The `kid` of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK set (`{"keys": [...]}`), as an issuer's `jwks_uri` serves it.
    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": b64::encode(&self.public.n_bytes()),
            "e": b64::encode(&self.public.e_bytes()),
        }]})
    }

    /// The claims of a token minted for `request` at `now_s` (seconds after the epoch).
    pub fn claims(&self, request: &MintRequest, now_s: u64) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(request.subject));
        claims.insert("iss".into(), json!(request.issuer));
        // Cognito's shapes: access tokens carry `client_id` and `scope`, ID tokens `aud`.
        let access = !request.scopes.is_empty();
        if let Some(audience) = &request.audience {
            let key = if access { "client_id" } else { "aud" };
            claims.insert(key.into(), json!(audience));
        }
        if !request.groups.is_empty() {
            claims.insert("cognito:groups".into(), json!(request.groups));
        }
        if access {
            claims.insert("scope".into(), json!(request.scopes.join(" ")));
        }
        if request.issuer.contains("cognito-idp.") {
            let key = if access {
                "username"
            } else {
                "cognito:username"
            };
            claims.insert(key.into(), json!(request.subject));
        }
        claims.insert(
            "token_use".into(),
            json!(if access { "access" } else { "id" }),
        );
        claims.insert("auth_time".into(), json!(now_s));
        claims.insert("iat".into(), json!(now_s));
        claims.insert(
            "exp".into(),
            json!(now_s.saturating_add(request.expires_in)),
        );
        claims.insert("jti".into(), json!(random_id()));
        // What the caller asked for explicitly wins over the defaults above.
        for (key, value) in &request.claims {
            claims.insert(key.clone(), value.clone());
        }
        claims
    }

    /// A signed token, `now_s` seconds after the epoch.
    pub fn mint(&self, request: &MintRequest, now_s: u64) -> String {
        self.sign_claims(&self.claims(request, now_s))
    }

    /// `claims` signed as an RS256 token with this key's `kid`.
    pub fn sign_claims(&self, claims: &Map<String, Value>) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(Value::Object(claims.clone()).to_string().as_bytes())
        );
        // Signing with a valid 2048-bit key fails only if the OS random generator (used for
        // blinding) does.
        let signature = self
            .private
            .pkcs1v15_sign::<Sha256>(input.as_bytes())
            .expect("RSA signing failed");
        format!("{input}.{}", b64::encode(&signature))
    }

    /// `claims` signed with this key under `header` (its `alg` must be RS256, RS384 or RS512;
    /// `None` otherwise). For tests that need tokens an identity provider would make.
    pub fn sign_with_header(
        &self,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> Option<String> {
        let alg = Algorithm::from_name(header.get("alg")?.as_str()?)?;
        let input = format!(
            "{}.{}",
            b64::encode(Value::Object(header.clone()).to_string().as_bytes()),
            b64::encode(Value::Object(claims.clone()).to_string().as_bytes())
        );
        let signature = match alg {
            Algorithm::Rs256 => self.private.pkcs1v15_sign::<Sha256>(input.as_bytes()),
            Algorithm::Rs384 => self.private.pkcs1v15_sign::<Sha384>(input.as_bytes()),
            Algorithm::Rs512 => self.private.pkcs1v15_sign::<Sha512>(input.as_bytes()),
        }
        .ok()?;
        Some(format!("{input}.{}", b64::encode(&signature)))
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_pem(&self) -> String {
        use rsa::pkcs8::EncodePublicKey;
        self.public
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// Whether `signature` is this key's signature of `input` with `alg`.
    pub(crate) fn verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> bool {
        alg.verify(&self.public, input, signature)
    }
}

/// RFC 7638 thumbprint of an RSA public key, base64url.
fn thumbprint(public: &PublicKey) -> String {
    // Members in lexicographic order, no whitespace, as the RFC requires.
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        b64::encode(&public.e_bytes()),
        b64::encode(&public.n_bytes())
    );
    b64::encode(&Sha256::digest(canonical.as_bytes()))
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // A `jti` only needs to differ between tokens; zeros on failure are still a valid token.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_error(path: &Path, source: std::io::Error) -> LocalKeyError {
    LocalKeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn create_private_dir(dir: &Path) -> Result<(), LocalKeyError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io_error(dir, e))
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), LocalKeyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| io_error(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(path, e))
}
