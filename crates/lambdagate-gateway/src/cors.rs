//! HTTP API `CorsConfiguration` (spec §6.1): preflights answered by the gateway, CORS headers on
//! actual responses. REST CORS is not here: SAM expands it into OPTIONS mock routes.

use lambdagate_model::HttpCors;

use crate::request::IncomingRequest;

/// Headers to send; empty when the request gets no CORS headers.
pub type CorsHeaders = Vec<(&'static str, String)>;

/// A compiled `CorsConfiguration`.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    config: HttpCors,
    allow_methods: String,
    allow_headers: String,
    expose_headers: String,
}

impl CorsPolicy {
    /// Compiles a configuration once, at load time.
    pub fn new(config: &HttpCors) -> CorsPolicy {
        CorsPolicy {
            allow_methods: config.allow_methods.join(","),
            allow_headers: config.allow_headers.join(","),
            expose_headers: config.expose_headers.join(","),
            config: config.clone(),
        }
    }

    /// Whether this is a preflight: `OPTIONS` with both `Origin` and
    /// `Access-Control-Request-Method`.
    pub fn is_preflight(request: &IncomingRequest) -> bool {
        request.method == "OPTIONS"
            && request.header("origin").is_some()
            && request.header("access-control-request-method").is_some()
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, when it is allowed.
    fn allowed_origin(&self, origin: &str) -> Option<String> {
        let origins = &self.config.allow_origins;
        if origins.iter().any(|o| o == "*") {
            // With credentials a literal `*` is not usable by browsers; echo the origin then.
            return Some(if self.config.allow_credentials {
                origin.to_string()
            } else {
                "*".to_string()
            });
        }
        let lower = origin.to_ascii_lowercase();
        let allowed = origins.iter().any(|o| {
            let o = o.to_ascii_lowercase();
            match o.strip_suffix('*') {
                // `https://*` and `http://*`: any origin with that scheme.
                Some(prefix) if prefix.ends_with("://") => lower.starts_with(prefix),
                _ => o == lower,
            }
        });
        allowed.then(|| origin.to_string())
    }

    fn method_allowed(&self, method: &str) -> bool {
        self.config
            .allow_methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(method))
    }

    fn headers_allowed(&self, requested: &str) -> bool {
        if self.config.allow_headers.iter().any(|h| h == "*") {
            return true;
        }
        requested
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .all(|h| {
                self.config
                    .allow_headers
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(h))
            })
    }

    /// The headers of the gateway's own answer to a preflight.
    pub fn preflight(&self, request: &IncomingRequest) -> CorsHeaders {
        let origin = request.header("origin").unwrap_or("");
        let method = request
            .header("access-control-request-method")
            .unwrap_or("");
        let requested_headers = request
            .header("access-control-request-headers")
            .unwrap_or("");
        let Some(allow_origin) = self.allowed_origin(origin) else {
            return Vec::new();
        };
        if !self.method_allowed(method) || !self.headers_allowed(requested_headers) {
            return Vec::new();
        }
        let mut out = vec![("access-control-allow-origin", allow_origin)];
        if self.config.allow_credentials {
            out.push(("access-control-allow-credentials", "true".to_string()));
        }
        if !self.allow_methods.is_empty() {
            out.push(("access-control-allow-methods", self.allow_methods.clone()));
        }
        if !self.allow_headers.is_empty() {
            let value = if self.allow_headers == "*" && !requested_headers.is_empty() {
                requested_headers.to_ascii_lowercase()
            } else {
                self.allow_headers.clone()
            };
            out.push(("access-control-allow-headers", value));
        }
        if !self.expose_headers.is_empty() {
            out.push(("access-control-expose-headers", self.expose_headers.clone()));
        }
        if let Some(max_age) = self.config.max_age {
            out.push(("access-control-max-age", max_age.to_string()));
        }
        out
    }

    /// The headers added to an actual (non-preflight) response.
    pub fn actual(&self, request: &IncomingRequest) -> CorsHeaders {
        let Some(origin) = request.header("origin") else {
            return Vec::new();
        };
        let Some(allow_origin) = self.allowed_origin(origin) else {
            return Vec::new();
        };
        let mut out = vec![("access-control-allow-origin", allow_origin)];
        if self.config.allow_credentials {
            out.push(("access-control-allow-credentials", "true".to_string()));
        }
        if !self.expose_headers.is_empty() {
            out.push(("access-control-expose-headers", self.expose_headers.clone()));
        }
        out
    }
}

/// Whether a response header is a CORS header (which AWS ignores from the backend when the API
/// has a CORS configuration).
pub fn is_cors_header(name: &str) -> bool {
    name.len() > 15 && name[..15].eq_ignore_ascii_case("access-control-")
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn request(method: &str, headers: &[(&str, &str)]) -> IncomingRequest {
        IncomingRequest {
            secure: false,
            method: method.into(),
            raw_path: "/".into(),
            raw_query: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Default::default(),
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            local_port: 3000,
        }
    }

    fn policy(origins: &[&str], credentials: bool) -> CorsPolicy {
        CorsPolicy::new(&HttpCors {
            allow_origins: origins.iter().map(|s| s.to_string()).collect(),
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["content-type".into(), "x-api".into()],
            expose_headers: vec!["x-id".into()],
            max_age: Some(300),
            allow_credentials: credentials,
        })
    }

    #[test]
    fn preflight_for_an_allowed_origin() {
        let p = policy(&["https://app.example.com"], true);
        let req = request(
            "OPTIONS",
            &[
                ("Origin", "https://app.example.com"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "Content-Type"),
            ],
        );
        assert!(CorsPolicy::is_preflight(&req));
        let h = p.preflight(&req);
        assert!(h.contains(&(
            "access-control-allow-origin",
            "https://app.example.com".into()
        )));
        assert!(h.contains(&("access-control-allow-credentials", "true".into())));
        assert!(h.contains(&("access-control-max-age", "300".into())));
        assert!(h.contains(&("access-control-allow-methods", "GET,POST".into())));
    }

    #[test]
    fn disallowed_origin_method_or_header_gets_nothing() {
        let p = policy(&["https://app.example.com"], false);
        let bad_origin = request(
            "OPTIONS",
            &[
                ("Origin", "https://evil.example.com"),
                ("Access-Control-Request-Method", "GET"),
            ],
        );
        assert!(p.preflight(&bad_origin).is_empty());
        let bad_method = request(
            "OPTIONS",
            &[
                ("Origin", "https://app.example.com"),
                ("Access-Control-Request-Method", "DELETE"),
            ],
        );
        assert!(p.preflight(&bad_method).is_empty());
        let bad_header = request(
            "OPTIONS",
            &[
                ("Origin", "https://app.example.com"),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "x-other"),
            ],
        );
        assert!(p.preflight(&bad_header).is_empty());
        assert!(
            p.actual(&request("GET", &[("Origin", "https://evil.example.com")]))
                .is_empty()
        );
        assert!(p.actual(&request("GET", &[])).is_empty());
    }

    #[test]
    fn wildcards() {
        let p = policy(&["*"], false);
        let h = p.actual(&request("GET", &[("Origin", "http://x.test")]));
        assert_eq!(h[0], ("access-control-allow-origin", "*".into()));
        assert_eq!(h[1], ("access-control-expose-headers", "x-id".into()));
        let p = policy(&["https://*"], false);
        assert_eq!(
            p.actual(&request("GET", &[("Origin", "https://a.b")]))
                .len(),
            2
        );
        assert!(
            p.actual(&request("GET", &[("Origin", "http://a.b")]))
                .is_empty()
        );
        assert!(is_cors_header("Access-Control-Allow-Origin"));
        assert!(!is_cors_header("content-type"));
    }
}
