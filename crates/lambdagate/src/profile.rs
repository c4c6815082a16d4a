//! `--profile`: credentials of a named profile from the AWS shared files, as the AWS CLI and
//! SAM read them (`~/.aws/credentials` `[name]`, then `~/.aws/config` `[profile name]`).

use std::path::{Path, PathBuf};

use anyhow::bail;
use lambdagate_lambda::Credentials;

/// The profile's static credentials.
pub fn credentials(profile: &str) -> anyhow::Result<Credentials> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let credentials_file = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let config_file = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let config_section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    for (file, section) in [
        (&credentials_file, profile),
        (&config_file, &config_section),
    ] {
        if let Some(found) = read(file, section) {
            return Ok(found);
        }
    }
    bail!(
        "--profile {profile}: no aws_access_key_id and aws_secret_access_key for it in {} or {}",
        credentials_file.display(),
        config_file.display()
    )
}

fn read(file: &Path, section: &str) -> Option<Credentials> {
    let text = std::fs::read_to_string(file).ok()?;
    parse(&text, section)
}

/// The credentials in `[section]` of an INI text.
fn parse(text: &str, section: &str) -> Option<Credentials> {
    let mut inside = false;
    let (mut key, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if !inside {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().to_string();
        match name.trim() {
            "aws_access_key_id" => key = Some(value),
            "aws_secret_access_key" => secret = Some(value),
            "aws_session_token" => token = Some(value),
            _ => {}
        }
    }
    Some(Credentials {
        access_key_id: key?,
        secret_access_key: secret?,
        session_token: token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[default]\naws_access_key_id = AKIDEFAULT\naws_secret_access_key = s1\n\n\
        # comment\n[dev]\naws_access_key_id=AKIDEV\naws_secret_access_key = s2\naws_session_token = t\n";

    #[test]
    fn a_named_section_is_read() {
        let dev = parse(FILE, "dev").unwrap();
        assert_eq!(dev.access_key_id, "AKIDEV");
        assert_eq!(dev.secret_access_key, "s2");
        assert_eq!(dev.session_token.as_deref(), Some("t"));
        let default = parse(FILE, "default").unwrap();
        assert_eq!(default.access_key_id, "AKIDEFAULT");
        assert_eq!(default.session_token, None);
    }

    #[test]
    fn a_missing_section_or_key_is_none() {
        assert!(parse(FILE, "prod").is_none());
        assert!(parse("[x]\naws_access_key_id = a\n", "x").is_none());
    }
}
