//! The parts of an HTTP request the pipeline works on, decoded once.

use std::net::IpAddr;

use bytes::Bytes;

/// A request as the gateway received it, before any API-specific treatment.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    /// The method, upper-case as sent.
    pub method: String,
    /// The path exactly as sent (percent-encoding kept), always starting with `/`.
    pub raw_path: String,
    /// The query string without `?`; `None` when the URL had no `?`.
    pub raw_query: Option<String>,
    /// Headers in arrival order; names in the client's casing where it is known.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub source_ip: IpAddr,
    /// The port the request arrived on (`X-Forwarded-Port`).
    pub local_port: u16,
    /// Whether it arrived over TLS (`X-Forwarded-Proto: https`, `aws:SecureTransport`).
    pub secure: bool,
}

impl IncomingRequest {
    /// The last value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `X-Forwarded-Proto`: the scheme the client used.
    pub fn scheme(&self) -> &'static str {
        if self.secure { "https" } else { "http" }
    }

    /// The `User-Agent`, or empty.
    pub fn user_agent(&self) -> &str {
        self.header("user-agent").unwrap_or("")
    }

    /// The source IP as events print it.
    pub fn source_ip_string(&self) -> String {
        match self.source_ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => dotted_quad(v4),
                None => v6.to_string(),
            },
            IpAddr::V4(v4) => dotted_quad(v4),
        }
    }
}

/// `v4` as `a.b.c.d`, as its `Display` writes it. Every Lambda event carries the source IP
/// (twice in REST events), and `Display` goes through the formatter's padding machinery: about
/// 1,300 instructions against some 60 here.
fn dotted_quad(v4: std::net::Ipv4Addr) -> String {
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

/// Header values grouped by case-insensitive name, in first-arrival order; the name keeps the
/// casing of its first occurrence.
pub fn group_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, value) in headers {
        match groups
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, values)) => values.push(value),
            None => groups.push((name, vec![value])),
        }
    }
    groups
}

/// Splits a query string into form-decoded `(key, value)` pairs, in order.
///
/// `+` is a space and `%XX` a byte, as API Gateway decodes them; invalid escapes stay literal.
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

/// Query pairs grouped by key (exact, case-sensitive), in first-arrival order.
pub fn group_pairs(pairs: &[(String, String)]) -> Vec<(&str, Vec<&str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (k, v) in pairs {
        match groups.iter_mut().find(|(n, _)| *n == k) {
            Some((_, values)) => values.push(v),
            None => groups.push((k, vec![v])),
        }
    }
    groups
}

/// `application/x-www-form-urlencoded` decoding of one component.
pub fn form_decode(text: &str) -> String {
    decode(text, true)
}

/// Percent-decoding of a path component (`+` stays `+`).
pub fn percent_decode(text: &str) -> String {
    decode(text, false)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    if !text.contains(['%', '+']) {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The media type of a `Content-Type` or `Accept` entry: lower-case, without parameters.
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether `media` (e.g. `image/png`) matches a pattern such as `image/png`, `image/*` or `*/*`.
pub fn media_type_matches(pattern: &str, media: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    if pattern == "*/*" {
        return true;
    }
    match pattern.strip_suffix("/*") {
        Some(kind) => media.split_once('/').is_some_and(|(k, _)| k == kind),
        None => pattern == media,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_quads_match_display() {
        let samples = (0..=255u8)
            .map(|o| [o, 255 - o, o / 10, o.wrapping_mul(7)])
            .chain([[0, 0, 0, 0], [127, 0, 0, 1], [10, 100, 1, 99], [255; 4]]);
        for octets in samples {
            let v4 = std::net::Ipv4Addr::from(octets);
            assert_eq!(dotted_quad(v4), v4.to_string());
        }
    }

    #[test]
    fn query_decoding_matches_recorded_aws_events() {
        let pairs = query_pairs(
            "dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com\
             &plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar\
             &zhash=abort/&bad=%zz%4",
        );
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("dateTimeOffset"), "2023-06-12T18:05:10.123456 00:00");
        assert_eq!(get("email"), "test+alias@gmail.com");
        assert_eq!(get("plus"), "test alias@gmail.com");
        assert_eq!(get("url"), "https://www.google.com/");
        assert_eq!(get("whitespace"), "foo bar");
        assert_eq!(get("bad"), "%zz%4");
        let pairs = query_pairs("category=electronics&category=books&flag");
        let groups = group_pairs(&pairs);
        assert_eq!(groups[0], ("category", vec!["electronics", "books"]));
        assert_eq!(groups[1], ("flag", vec![""]));
    }

    #[test]
    fn headers_group_case_insensitively() {
        let groups = group_headers([("X-A", "1"), ("x-a", "2"), ("B", "3")]);
        assert_eq!(groups, vec![("X-A", vec!["1", "2"]), ("B", vec!["3"])]);
    }

    #[test]
    fn media_types() {
        assert_eq!(media_type("Image/PNG; charset=x"), "image/png");
        assert!(media_type_matches("image/*", "image/png"));
        assert!(media_type_matches("*/*", "text/plain"));
        assert!(!media_type_matches("image/png", "image/jpeg"));
        assert_eq!(percent_decode("a%2Bb+c%"), "a+b+c%");
    }
}
