//! What every part of an AWS application shares: the default account and region, ids, ARNs and
//! calendar dates in the formats AWS writes them. The function service and the gateway both use
//! these, so they live in the model rather than in either of them.

/// The account id every ARN and request context carries, as `sam local` uses it.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The region used when neither the command line nor the environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// A stable AWS-style API id (10 lower-case letters and digits) for a logical id.
///
/// Stable across restarts, so URLs with host-based routing and recorded events keep working.
pub fn api_id_for(logical_id: &str) -> String {
    // FNV-1a: tiny, deterministic, and good enough to keep ids of different APIs apart.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in logical_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..10)
        .map(|_| {
            let c = ALPHABET[(hash % ALPHABET.len() as u64) as usize] as char;
            hash /= ALPHABET.len() as u64;
            hash = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x5851_f42d;
            c
        })
        .collect()
}

/// A stable short id (`len` characters of [`api_id_for`]) for ids AWS gives resources and
/// deployments (`resourceId`, `deploymentId`).
pub fn short_id_for(text: &str, len: usize) -> String {
    let id = api_id_for(text);
    id[..len.min(id.len())].to_string()
}

/// The ARN of a Lambda function: `arn:aws:lambda:{region}:{account}:function:{name}`.
pub fn function_arn(region: &str, account: &str, function_name: &str) -> String {
    format!("arn:aws:lambda:{region}:{account}:function:{function_name}")
}

/// The execute-api ARN of a method as authorizers see it:
/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path without leading /}`.
pub fn method_arn(
    region: &str,
    account: &str,
    api_id: &str,
    stage: &str,
    method: &str,
    path: &str,
) -> String {
    format!(
        "arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{}",
        path.trim_start_matches('/')
    )
}

/// A random UUID v4 (`8-4-4-4-12` lower-case hex), as Lambda and REST APIs write request ids.
pub fn uuid_v4() -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = fastrand::u128(..).to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// (year, month 1-12, day 1-31) to days since 1970-01-01, proleptic Gregorian: the inverse of
/// [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm, shifted so eras start on March 1st.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let id = uuid_v4();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, uuid_v4());
    }

    #[test]
    fn api_ids_are_stable_and_distinct() {
        let a = api_id_for("ServerlessRestApi");
        assert_eq!(a.len(), 10);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(a, api_id_for("ServerlessRestApi"));
        assert_ne!(a, api_id_for("ServerlessHttpApi"));
        assert_eq!(short_id_for("x", 6).len(), 6);
    }

    #[test]
    fn arns() {
        assert_eq!(
            method_arn(
                "us-east-1",
                "123456789012",
                "abc",
                "Prod",
                "GET",
                "/items/1"
            ),
            "arn:aws:execute-api:us-east-1:123456789012:abc/Prod/GET/items/1"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(18_325), (2020, 3, 4));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
