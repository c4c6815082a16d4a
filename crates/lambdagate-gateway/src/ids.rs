//! Request ids, trace ids and request times in API Gateway's formats.

use base64::Engine;
use lambdagate_model::aws::civil_from_days;

/// A random UUID v4, as REST APIs use for `requestId` and `x-amzn-RequestId`.
pub fn request_uuid() -> String {
    lambdagate_model::aws::uuid_v4()
}

/// A short id in AWS's style (`LV7fzho-PHcEJPw=`): `extendedRequestId`, `x-amz-apigw-id`, and an
/// HTTP API's `requestId` / `apigw-requestid`.
pub fn short_id() -> String {
    let mut bytes = [0u8; 11];
    fastrand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

/// A new X-Ray trace header value: `Root=1-{epoch seconds, 8 hex}-{24 hex}`.
pub fn trace_id(epoch_secs: u64) -> String {
    let mut bytes = [0u8; 12];
    fastrand::fill(&mut bytes);
    let mut out = String::with_capacity(40);
    out.push_str("Root=1-");
    push_hex(&mut out, &(epoch_secs as u32).to_be_bytes());
    out.push('-');
    push_hex(&mut out, &bytes);
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// Per-request identifiers.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    /// `requestId` (`x-amzn-RequestId` / `apigw-requestid`).
    pub request_id: String,
    /// `extendedRequestId` (`x-amz-apigw-id`).
    pub extended: String,
    /// The X-Ray trace header value sent to the integration.
    pub trace: String,
}

/// When a request arrived, in the two forms events carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTime {
    /// Milliseconds since the epoch (`requestTimeEpoch`, `timeEpoch`).
    pub epoch_ms: u64,
    /// Common Log Format, `04/Mar/2020:19:15:17 +0000` (`requestTime`, `time`).
    pub clf: String,
}

impl RequestTime {
    /// The time `epoch_ms` milliseconds after the epoch.
    pub fn at(epoch_ms: u64) -> RequestTime {
        RequestTime {
            epoch_ms,
            clf: clf(epoch_ms / 1000),
        }
    }
}

/// Formats epoch seconds in Common Log Format (UTC).
fn clf(epoch_secs: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = (epoch_secs / 86_400) as i64;
    let secs = epoch_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    // Written digit by digit: every request needs this, and `format!` with widths costs about
    // 2,000 instructions where this costs a tenth of that.
    let mut out = String::with_capacity(26);
    push_2(&mut out, day as u64);
    out.push('/');
    out.push_str(MONTHS[(month - 1) as usize]);
    out.push('/');
    let year = year.clamp(0, 9999) as u64;
    push_2(&mut out, year / 100);
    push_2(&mut out, year % 100);
    out.push(':');
    push_2(&mut out, secs / 3600);
    out.push(':');
    push_2(&mut out, (secs / 60) % 60);
    out.push(':');
    push_2(&mut out, secs % 60);
    out.push_str(" +0000");
    out
}

/// `n` (below 100) as two digits.
fn push_2(out: &mut String, n: u64) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_matches_recorded_events() {
        // From the DG example: requestTimeEpoch 1583349317135 is 04/Mar/2020:19:15:17 +0000.
        assert_eq!(
            RequestTime::at(1_583_349_317_135).clf,
            "04/Mar/2020:19:15:17 +0000"
        );
        // From a captured HTTP API event: 1587481701067 is 21/Apr/2020:15:08:21 +0000.
        assert_eq!(
            RequestTime::at(1_587_481_701_067).clf,
            "21/Apr/2020:15:08:21 +0000"
        );
        assert_eq!(RequestTime::at(0).clf, "01/Jan/1970:00:00:00 +0000");
        assert_eq!(
            RequestTime::at(253_402_300_799_999).clf,
            "31/Dec/9999:23:59:59 +0000"
        );
        assert_eq!(
            RequestTime::at(1_764_633_600_000 + 86_399_000).clf,
            "02/Dec/2025:23:59:59 +0000"
        );
        assert_eq!(
            RequestTime::at(951_782_400_000).clf,
            "29/Feb/2000:00:00:00 +0000"
        );
    }

    #[test]
    fn ids_have_aws_shapes() {
        let id = request_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        let short = short_id();
        assert_eq!(short.len(), 16);
        assert!(short.ends_with('='));
        let trace = trace_id(0x5e9f_0c65);
        assert!(trace.starts_with("Root=1-5e9f0c65-"));
        assert_eq!(trace.len(), "Root=1-5e9f0c65-".len() + 24);
        assert!(trace_id(0x1f).starts_with("Root=1-0000001f-"));
    }
}
