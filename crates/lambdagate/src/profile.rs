//! AWS profiles, as the AWS CLI and SAM (through boto3) read them: credentials from
//! `~/.aws/credentials` `[name]`, then `~/.aws/config` `[profile name]` (`[default]` for the
//! default profile), and the profile's `region` from the config file. The files can be moved
//! with `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`.
//!
//! Which profile: `--profile`, else `AWS_PROFILE` (or the older `AWS_DEFAULT_PROFILE`), else
//! `default`. Only a profile named on the command line must exist; one chosen by the
//! environment or by default is used when it is there.

use std::path::{Path, PathBuf};

use anyhow::bail;
use lambdagate_lambda::Credentials;

/// The profile the AWS SDKs would use, and whether the command line named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// The profile's name.
    pub name: String,
    /// Named by `--profile`: it must exist, and its credentials win over the environment's.
    pub explicit: bool,
}

impl Selected {
    /// `--profile`, else the environment's choice, else `default`.
    pub fn new(flag: Option<&str>) -> Self {
        if let Some(name) = flag {
            return Self {
                name: name.to_string(),
                explicit: true,
            };
        }
        let from_env = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()));
        Self {
            name: from_env.map_or_else(|| "default".to_string(), |v| v.trim().to_string()),
            explicit: false,
        }
    }

    /// The credentials functions get from this profile, when the AWS SDKs would use them.
    ///
    /// A profile named on the command line must have credentials, and they win over
    /// `AWS_ACCESS_KEY_ID` in the environment (as boto3's explicit profile does). Otherwise
    /// the environment's own keys come first, and the profile's are used only without them.
    pub fn credentials(&self) -> anyhow::Result<Option<Credentials>> {
        let files = Files::from_env();
        if self.explicit {
            return match files.credentials(&self.name) {
                Some(found) => Ok(Some(found)),
                None => bail!(
                    "--profile {}: no aws_access_key_id and aws_secret_access_key for it in {} or {}",
                    self.name,
                    files.credentials.display(),
                    files.config.display()
                ),
            };
        }
        if std::env::var("AWS_ACCESS_KEY_ID").is_ok_and(|v| !v.is_empty()) {
            return Ok(None);
        }
        Ok(files.credentials(&self.name))
    }

    /// The profile's `region` in the config file.
    pub fn region(&self) -> Option<String> {
        let files = Files::from_env();
        let text = std::fs::read_to_string(&files.config).ok()?;
        value(&text, &config_section(&self.name), "region")
    }
}

/// The shared files' paths.
struct Files {
    credentials: PathBuf,
    config: PathBuf,
}

impl Files {
    fn from_env() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let file = |var: &str, default: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map_or_else(|| home.join(default), PathBuf::from)
        };
        Self {
            credentials: file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
            config: file("AWS_CONFIG_FILE", ".aws/config"),
        }
    }

    /// The profile's static credentials: the credentials file first, then the config file.
    fn credentials(&self, profile: &str) -> Option<Credentials> {
        read(&self.credentials, profile).or_else(|| read(&self.config, &config_section(profile)))
    }
}

/// The config file names a profile's section `[profile NAME]`, except `[default]`.
fn config_section(profile: &str) -> String {
    if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    }
}

fn read(file: &Path, section: &str) -> Option<Credentials> {
    let text = std::fs::read_to_string(file).ok()?;
    parse(&text, section)
}

/// The credentials in `[section]` of an INI text.
fn parse(text: &str, section: &str) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: value(text, section, "aws_access_key_id")?,
        secret_access_key: value(text, section, "aws_secret_access_key")?,
        session_token: value(text, section, "aws_session_token"),
    })
}

/// The value of `key` in `[section]` of an INI text (the last one, when it repeats).
fn value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut inside = false;
    let mut found = None;
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
        if let Some((name, v)) = line.split_once('=')
            && name.trim() == key
        {
            found = Some(v.trim().to_string());
        }
    }
    found.filter(|v| !v.is_empty())
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

    #[test]
    fn a_profiles_region_is_in_its_config_section() {
        let config = "[default]\nregion = us-west-1\n[profile dev]\noutput = json\nregion=eu-west-2\n\
            [dev]\nregion = wrong\n";
        assert_eq!(
            value(config, &config_section("default"), "region").as_deref(),
            Some("us-west-1")
        );
        assert_eq!(
            value(config, &config_section("dev"), "region").as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(value(config, &config_section("prod"), "region"), None);
    }
}
