//! JWT verification against an issuer's keys (RS256/384/512 only, as API Gateway).
//!
//! The issuer's keys are found as API Gateway finds them: `{issuer}/.well-known/openid-configuration`
//! names a `jwks_uri`, whose JWK set holds the keys. Each fetch has AWS's 1.5 s timeout and
//! 150 000-byte limit. Keys are cached per issuer; a token naming a `kid` the cached set lacks
//! causes one refetch (at most one per issuer per [`JwtSettings::refetch_interval`]), and
//! requests waiting for the same issuer share one fetch. A failed fetch is not cached: the
//! next request tries again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use lambdagate_state::{Clock, MemoryTtlCache};
use rsa::{BoxedUint, PublicKey};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::b64;
use crate::local::LocalIssuer;

/// Tokens longer than this are refused before any decoding (headers are bounded anyway; this
/// keeps a huge header from costing more than a length check).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What a token must show to be accepted.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The `iss` claim, exactly.
    pub issuer: &'a str,
    /// Accepted `aud` (or, for access tokens without `aud`, `client_id`) values; empty accepts
    /// any audience (Cognito user pool authorizers of REST APIs do not check it).
    pub audiences: &'a [String],
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON, or longer than [`MAX_TOKEN_BYTES`].
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// `alg` is not one API Gateway accepts (`none`, HMAC, EC, …).
    #[error("the token's algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    /// No key with the token's `kid` at the issuer (after one refetch), or no `kid`.
    #[error("no key {0:?} at the issuer")]
    UnknownKey(Option<String>),
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` has passed (beyond the leeway), or the token has no numeric `exp`.
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` differs.
    #[error("the token's issuer is not the expected one")]
    WrongIssuer,
    /// Neither `aud` nor `client_id` is accepted.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// The issuer's discovery document or keys could not be fetched or read.
    #[error("the issuer's keys could not be fetched: {0}")]
    IssuerUnavailable(String),
}

impl JwtError {
    /// The `error_description` of the `www-authenticate` header API Gateway sends with the 401.
    pub fn description(&self) -> &'static str {
        match self {
            JwtError::Malformed => "the token is not a valid JWT",
            JwtError::UnsupportedAlgorithm(_) => "the token's signing algorithm is not supported",
            JwtError::UnknownKey(_) => "the token's key id is not among the issuer's keys",
            JwtError::BadSignature => "signature is invalid",
            JwtError::Expired => "the token has expired",
            JwtError::NotYetValid => "the token is not valid yet",
            JwtError::WrongIssuer => "the token does not have a valid issuer",
            JwtError::WrongAudience => "the token does not have a valid audience",
            JwtError::IssuerUnavailable(_) => "the issuer's signing keys could not be retrieved",
        }
    }

    /// The whole `www-authenticate` value for the 401, in API Gateway's form:
    /// `Bearer scope="" error="invalid_token" error_description="…"`.
    pub fn www_authenticate(&self) -> String {
        format!(
            r#"Bearer scope="" error="invalid_token" error_description="{}""#,
            self.description()
        )
    }
}

pub use crate::algorithm::Algorithm;

/// How issuers are reached and tokens' times are judged.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// Each request to the issuer (discovery, then JWKS): AWS's 1.5 s.
    pub issuer_timeout: Duration,
    /// How long an issuer's keys are kept.
    pub keys_ttl: Duration,
    /// The least time between two fetches of one issuer's keys caused by unknown `kid`s.
    pub refetch_interval: Duration,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
    pub leeway_s: u64,
    /// The largest discovery document or JWK set read: AWS's 150 000 bytes.
    pub max_document_bytes: usize,
    /// PEM certificates trusted for https issuers besides the system's roots (an identity
    /// provider behind a private CA).
    pub extra_root_certificates: Vec<Vec<u8>>,
}

impl Default for JwtSettings {
    fn default() -> Self {
        JwtSettings {
            issuer_timeout: Duration::from_millis(1500),
            keys_ttl: Duration::from_secs(3600),
            refetch_interval: Duration::from_secs(60),
            leeway_s: 60,
            max_document_bytes: 150_000,
            extra_root_certificates: Vec::new(),
        }
    }
}

/// One key of an issuer's JWK set.
#[derive(Debug)]
struct Key {
    kid: Option<String>,
    alg: Option<String>,
    key: PublicKey,
}

/// An issuer's usable (RSA, signing) keys.
#[derive(Debug, Default)]
struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// The keys a token with `kid` may be signed with (one, unless the issuer repeats a `kid`).
    fn candidates<'a>(&'a self, kid: &'a str) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.kid.as_deref() == Some(kid))
    }

    fn has(&self, kid: &str) -> bool {
        self.candidates(kid).next().is_some()
    }
}

type FetchResult = Result<Arc<KeySet>, JwtError>;

type HttpClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Verifies tokens, fetching and caching each issuer's keys.
pub struct JwtVerifier {
    clock: Arc<dyn Clock>,
    local: Option<Arc<LocalIssuer>>,
    settings: JwtSettings,
    // Made on the first fetch (reading the system's CA roots costs a few milliseconds that
    // servers without JWT authorizers need not pay); an error if TLS could not be set up.
    client: OnceLock<Result<HttpClient, String>>,
    keys: MemoryTtlCache<Arc<KeySet>>,
    // The fetch under way for each issuer, shared by every request waiting for its keys.
    fetches: Mutex<HashMap<String, Arc<OnceCell<FetchResult>>>>,
    // When each issuer's keys were last fetched (ms), for the refetch rate limit.
    fetched_at: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("local", &self.local)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier reading time from `clock` that also trusts `local`'s key for every issuer
    /// (`None` with `--no-local-tokens`).
    pub fn new(clock: Arc<dyn Clock>, local: Option<Arc<LocalIssuer>>) -> Self {
        JwtVerifier::with_settings(clock, local, JwtSettings::default())
    }

    /// A verifier with other timeouts, cache times or leeway than AWS's.
    pub fn with_settings(
        clock: Arc<dyn Clock>,
        local: Option<Arc<LocalIssuer>>,
        settings: JwtSettings,
    ) -> Self {
        JwtVerifier {
            keys: MemoryTtlCache::new(clock.clone(), 1024),
            clock,
            local,
            settings,
            client: OnceLock::new(),
            fetches: Mutex::new(HashMap::new()),
            fetched_at: Mutex::new(HashMap::new()),
        }
    }

    /// The local issuer whose tokens are accepted for every issuer, if any.
    pub fn local(&self) -> Option<&Arc<LocalIssuer>> {
        self.local.as_ref()
    }

    /// The token's verified claims.
    pub async fn verify(
        &self,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<Map<String, Value>, JwtError> {
        let token = strip_bearer(token.trim());
        let parsed = Parsed::new(token)?;
        // The issuer first: it is cheap, and a token for another issuer must not make us
        // fetch anything.
        if parsed.claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
            return Err(JwtError::WrongIssuer);
        }
        let kid = parsed.kid.as_deref();
        match &self.local {
            Some(local) if kid == Some(local.kid()) => {
                if !local.verifies(parsed.alg, parsed.input.as_bytes(), &parsed.signature) {
                    return Err(JwtError::BadSignature);
                }
            }
            _ => {
                // API Gateway requires the `kid` to name one of the issuer's keys; a token
                // without one is not tried against every key.
                let Some(kid) = kid else {
                    return Err(JwtError::UnknownKey(None));
                };
                let keys = self.keys_for(expected.issuer, kid).await?;
                if !keys.has(kid) {
                    return Err(JwtError::UnknownKey(parsed.kid.clone()));
                }
                let verified = keys
                    .candidates(kid)
                    .filter(|k| k.alg.as_deref().is_none_or(|a| a == parsed.alg.name()))
                    .any(|k| {
                        parsed
                            .alg
                            .verify(&k.key, parsed.input.as_bytes(), &parsed.signature)
                    });
                if !verified {
                    return Err(JwtError::BadSignature);
                }
            }
        }
        check_claims(
            &parsed.claims,
            expected,
            self.clock.now_ms() / 1000,
            self.settings.leeway_s,
        )?;
        Ok(parsed.claims)
    }

    /// The issuer's keys, fetched when not cached or when they lack `kid` (rate-limited).
    async fn keys_for(&self, issuer: &str, kid: &str) -> FetchResult {
        if let Some(cached) = self.keys.get_now(issuer) {
            if cached.has(kid) {
                return Ok(cached);
            }
            // A key the cached set lacks: the issuer may have rotated. Join a fetch under way,
            // or start one if none was made recently; otherwise answer from what is cached.
            let recent = self.fetched_at_ms(issuer).is_some_and(|at| {
                self.clock.now_ms()
                    < at.saturating_add(self.settings.refetch_interval.as_millis() as u64)
            });
            if recent && !self.fetch_under_way(issuer) {
                return Ok(cached);
            }
        }
        self.shared_fetch(issuer).await
    }

    fn fetched_at_ms(&self, issuer: &str) -> Option<u64> {
        lock(&self.fetched_at).get(issuer).copied()
    }

    fn fetch_under_way(&self, issuer: &str) -> bool {
        lock(&self.fetches).contains_key(issuer)
    }

    /// Joins the fetch of `issuer`'s keys under way, or starts one.
    async fn shared_fetch(&self, issuer: &str) -> FetchResult {
        let cell = {
            let mut fetches = lock(&self.fetches);
            fetches
                .entry(issuer.to_string())
                .or_insert_with(|| {
                    lock(&self.fetched_at).insert(issuer.to_string(), self.clock.now_ms());
                    Arc::new(OnceCell::new())
                })
                .clone()
        };
        let result = cell
            .get_or_init(|| async {
                let result = self.fetch(issuer).await.map(Arc::new);
                if let Ok(keys) = &result {
                    // Cached before the fetch is forgotten, so no request in between fetches
                    // again.
                    self.keys
                        .insert_now(issuer.to_string(), keys.clone(), self.settings.keys_ttl);
                }
                result
            })
            .await
            .clone();
        let mut fetches = lock(&self.fetches);
        if fetches.get(issuer).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            fetches.remove(issuer);
        }
        result
    }

    /// Discovery document, then JWK set.
    async fn fetch(&self, issuer: &str) -> Result<KeySet, JwtError> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = self.get_json(&discovery_url, "discovery document").await?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                JwtError::IssuerUnavailable(format!("{discovery_url} has no jwks_uri"))
            })?;
        let jwks = self.get_json(jwks_uri, "JWK set").await?;
        let keys = parse_jwks(&jwks);
        if keys.keys.is_empty() {
            return Err(JwtError::IssuerUnavailable(format!(
                "{jwks_uri} has no RSA signing keys"
            )));
        }
        Ok(keys)
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, JwtError> {
        let unavailable = |why: String| JwtError::IssuerUnavailable(format!("{what} {url}: {why}"));
        check_url(url).map_err(unavailable)?;
        let limit = self.settings.max_document_bytes;
        // Made before the clock starts: reading the system's CA roots is not the issuer's time.
        let client = self
            .client
            .get_or_init(|| http_client(&self.settings))
            .as_ref()
            .map_err(|e| unavailable(e.clone()))?;
        let read = async {
            let request = http::Request::get(url)
                .header(http::header::ACCEPT, "application/json")
                .body(Empty::<Bytes>::new())
                .map_err(|e| e.to_string())?;
            let response = client
                .request(request)
                .await
                .map_err(|e| crate::error_causes(&e))?;
            if !response.status().is_success() {
                return Err(format!("answered {}", response.status()));
            }
            let body = Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<LengthLimitError>() {
                        format!("larger than {limit} bytes")
                    } else {
                        crate::error_causes(e.as_ref())
                    }
                })?
                .to_bytes();
            serde_json::from_slice::<Value>(&body).map_err(|e| format!("not JSON: {e}"))
        };
        match tokio::time::timeout(self.settings.issuer_timeout, read).await {
            Ok(result) => result.map_err(unavailable),
            Err(_) => Err(unavailable(format!(
                "no answer within {} ms",
                self.settings.issuer_timeout.as_millis()
            ))),
        }
    }
}

/// How many certificates PEM text holds, when it holds at least one usable as a trust root
/// (what [`JwtSettings::extra_root_certificates`] takes); checked at startup so a wrong file
/// is reported then, not at the first token.
pub fn check_root_certificates(pem: &[u8]) -> Result<usize, String> {
    add_roots(&mut rustls::RootCertStore::empty(), pem)
}

fn add_roots(roots: &mut rustls::RootCertStore, pem: &[u8]) -> Result<usize, String> {
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("a certificate is unusable as a trust root: {e}"))?;
        added += 1;
    }
    if added == 0 {
        return Err("no PEM certificate in it".into());
    }
    Ok(added)
}

/// An HTTP/1.1 client for http and https URLs: rustls with the ring provider, trusting the
/// system's CA roots and `extra_root_certificates`. Redirects are not followed (keys come
/// from where the discovery document says) and no proxy is used.
fn http_client(settings: &JwtSettings) -> Result<HttpClient, String> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: an issuer they would have vouched for is
    // then reported unavailable, with the reason.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    for pem in &settings.extra_root_certificates {
        add_roots(&mut roots, pem)?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    // No idle connections kept: fetches are rare (keys are cached), and a pooled connection
    // would belong to the runtime of the request that opened it.
    Ok(Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(connector))
}

/// The token's scopes: `scope` (a space-separated string, as Cognito and most providers write
/// it) or `scp` (an array, or a space-separated string); `None` when it has neither.
pub fn scopes(claims: &Map<String, Value>) -> Option<Vec<String>> {
    let split = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => Some(split(s)),
        (_, Some(Value::String(s))) => Some(split(s)),
        (_, Some(Value::Array(items))) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

/// The claims as HTTP API JWT authorizers hand them to integrations
/// (`requestContext.authorizer.jwt.claims`): every value a string. Numbers are written as
/// they are (`"exp": "1787996002"`), booleans as `true`/`false`, and arrays in brackets with
/// their elements separated by spaces (`"cognito:groups": "[admins ops]"`), as observed from
/// API Gateway; objects, for which no observation exists, as their JSON text.
pub fn claims_as_strings(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(claim_text(v))))
        .collect()
}

fn claim_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(claim_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// AWS requires https issuers; a local tool also accepts http on a loopback address (a local
/// identity provider).
fn check_url(url: &str) -> Result<(), String> {
    let parsed = url
        .parse::<http::Uri>()
        .map_err(|e| format!("not a URL: {e}"))?;
    match parsed.scheme_str() {
        Some("https") => Ok(()),
        Some("http") => {
            let host = parsed.host().unwrap_or_default();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err("http is accepted only on a loopback address (AWS requires https)".into())
            }
        }
        other => Err(format!("unsupported scheme {}", other.unwrap_or("(none)"))),
    }
}

/// The RSA signing keys of a JWK set; other keys (EC, encryption keys, malformed) are skipped.
fn parse_jwks(jwks: &Value) -> KeySet {
    let mut set = KeySet::default();
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return set;
    };
    for jwk in keys {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        if text("kty") != Some("RSA") || text("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let (Some(n), Some(e)) = (
            text("n").and_then(b64::decode),
            text("e").and_then(b64::decode),
        ) else {
            continue;
        };
        let Ok(key) = PublicKey::new(
            BoxedUint::from_be_slice_vartime(&n),
            BoxedUint::from_be_slice_vartime(&e),
        ) else {
            continue;
        };
        set.keys.push(Key {
            kid: text("kid").map(str::to_string),
            alg: text("alg").map(str::to_string),
            key,
        });
    }
    set
}

/// A token taken apart (not yet verified).
struct Parsed {
    alg: Algorithm,
    kid: Option<String>,
    claims: Map<String, Value>,
    /// `header.payload`, what the signature covers.
    input: String,
    signature: Vec<u8>,
}

impl Parsed {
    fn new(token: &str) -> Result<Parsed, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let header = decode_object(header)?;
        let alg = match header.get("alg") {
            Some(Value::String(name)) => Algorithm::from_name(name)
                .ok_or_else(|| JwtError::UnsupportedAlgorithm(name.clone()))?,
            _ => return Err(JwtError::Malformed),
        };
        // Extensions the token says must be understood: none are (RFC 7515 §4.1.11).
        if header.contains_key("crit") {
            return Err(JwtError::Malformed);
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(JwtError::Malformed),
        };
        let claims = decode_object(payload)?;
        let signature = b64::decode(signature).ok_or(JwtError::Malformed)?;
        let input = token[..header_len_plus_payload(token)].to_string();
        Ok(Parsed {
            alg,
            kid,
            claims,
            input,
            signature,
        })
    }
}

/// The length of `header.payload` in a three-part token.
fn header_len_plus_payload(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_object(part: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = b64::decode(part).ok_or(JwtError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

fn strip_bearer(token: &str) -> &str {
    match token.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => token[7..].trim_start(),
        _ => token,
    }
}

/// `iss` was checked already; here the times and the audience.
fn check_claims(
    claims: &Map<String, Value>,
    expected: &Expected<'_>,
    now_s: u64,
    leeway_s: u64,
) -> Result<(), JwtError> {
    let now = now_s as f64;
    let leeway = leeway_s as f64;
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    match number("exp") {
        Some(exp) if exp + leeway > now => {}
        _ => return Err(JwtError::Expired),
    }
    for name in ["nbf", "iat"] {
        if number(name).is_some_and(|t| t > now + leeway) {
            return Err(JwtError::NotYetValid);
        }
    }
    if expected.audiences.is_empty() {
        return Ok(());
    }
    let accepted = |v: &Value| {
        v.as_str()
            .is_some_and(|s| expected.audiences.iter().any(|a| a == s))
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::Array(values)) => values.iter().any(accepted),
        Some(value) => accepted(value),
        None => false,
    };
    if aud_ok || claims.get("client_id").is_some_and(accepted) {
        Ok(())
    } else {
        Err(JwtError::WrongAudience)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update under these locks is one step: a panic elsewhere leaves them consistent.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        assert_eq!(
            scopes(&map(json!({"scope": "a b  c"}))),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            scopes(&map(json!({"scp": ["x", "y"]}))),
            Some(vec!["x".into(), "y".into()])
        );
        assert_eq!(scopes(&map(json!({"scp": "x"}))), Some(vec!["x".into()]));
        assert_eq!(scopes(&map(json!({"sub": "u"}))), None);
    }

    #[test]
    fn only_loopback_http_and_https_issuers_are_fetched() {
        assert!(check_url("https://cognito-idp.us-east-1.amazonaws.com/p").is_ok());
        assert!(check_url("http://127.0.0.1:8080/realms/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        assert!(check_url("http://[::1]:9000/x").is_ok());
        assert!(check_url("http://10.0.0.1/x").is_err());
        assert!(check_url("http://idp.example.com/x").is_err());
        assert!(check_url("ftp://127.0.0.1/x").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn claims_become_strings_as_api_gateway_writes_them() {
        let claims = map(json!({
            "sub": "u", "exp": 1787996002u64, "email_verified": true,
            "cognito:groups": ["admins", "ops"], "ratio": 1.5, "addr": {"c": "x"}
        }));
        let text = claims_as_strings(&claims);
        assert_eq!(text["sub"], "u");
        assert_eq!(text["exp"], "1787996002");
        assert_eq!(text["email_verified"], "true");
        assert_eq!(text["cognito:groups"], "[admins ops]");
        assert_eq!(text["ratio"], "1.5");
        assert_eq!(text["addr"], r#"{"c":"x"}"#);
    }

    #[test]
    fn bearer_is_stripped_in_any_case() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bearer   abc"), "abc");
        assert_eq!(strip_bearer("abc"), "abc");
        assert_eq!(strip_bearer("Bear"), "Bear");
    }
}
