//! `samconfig.toml`: the defaults SAM CLI reads for each command (`--config-file`,
//! `--config-env`), applied as command-line flags the user did not give.
//!
//! SAM's layout: `[ENV.COMMAND.parameters]` tables, where COMMAND is the command's words joined
//! by `_` (`local_start_api`) or `global` for every command, and each key is a flag name with
//! `_` for `-` (`warm_containers = "EAGER"`, `parameter_overrides = "A=1 B=2"`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// A TOML value, as far as samconfig files use them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Text(String),
    /// A number or other bare word, kept as written.
    Bare(String),
    /// `true` / `false`.
    Bool(bool),
    /// An array of values.
    List(Vec<Value>),
}

/// The file's tables: dotted table name → key → value.
pub type Tables = BTreeMap<String, BTreeMap<String, Value>>;

/// `args` with the config file's defaults for its command added. Flags the command does not
/// know are skipped with a note; flags given on the command line win.
pub fn apply(args: Vec<String>, command: &clap::Command) -> anyhow::Result<Vec<String>> {
    let (words, sub) = command_words(&args, command);
    if words.is_empty() {
        return Ok(args);
    }
    let explicit_file = flag_value(&args, "--config-file");
    let path = explicit_file
        .clone()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("samconfig.toml"));
    if !path.is_file() {
        if explicit_file.is_some() {
            bail!("--config-file {}: no such file", path.display());
        }
        return Ok(args);
    }
    let env = flag_value(&args, "--config-env").unwrap_or_else(|| "default".to_string());
    let tables = parse_file(&path)?;
    let section = words.join("_");
    let mut defaults: BTreeMap<String, Value> = BTreeMap::new();
    for table in [
        format!("{env}.global.parameters"),
        format!("{env}.{section}.parameters"),
    ] {
        if let Some(values) = tables.get(&table) {
            defaults.extend(values.clone());
        }
    }
    let mut added = Vec::new();
    let mut unknown = Vec::new();
    for (key, value) in defaults {
        let long = key.replace('_', "-");
        let Some(arg) = sub
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
        else {
            unknown.push(key);
            continue;
        };
        let flag = format!("--{long}");
        let given = args
            .iter()
            .any(|a| *a == flag || a.starts_with(&format!("{flag}=")))
            || arg
                .get_short()
                .is_some_and(|s| args.iter().any(|a| *a == format!("-{s}")));
        if given {
            continue;
        }
        let takes_value = arg.get_action().takes_values();
        match value {
            Value::Bool(true) if !takes_value => added.push(flag),
            Value::Bool(false) if !takes_value => {}
            Value::Bool(b) => added.extend([flag, b.to_string()]),
            Value::Text(t) | Value::Bare(t) => added.extend([flag, t]),
            Value::List(items) => {
                for item in items {
                    let text = match item {
                        Value::Text(t) | Value::Bare(t) => t,
                        Value::Bool(b) => b.to_string(),
                        Value::List(_) => continue,
                    };
                    added.extend([flag.clone(), text]);
                }
            }
        }
    }
    if !unknown.is_empty() {
        eprintln!(
            "note: {}: [{env}.{section}] {} not used by lambdagate",
            path.display(),
            unknown.join(", ")
        );
    }
    if added.is_empty() {
        return Ok(args);
    }
    // After everything the user wrote (before a `--`, if any): a flag that takes several values
    // (`--parameter-overrides`) placed before the user's positional arguments would take them
    // as its values (`local invoke FUNCTION` with overrides in samconfig.toml).
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let mut out = args[..at].to_vec();
    out.extend(added);
    out.extend_from_slice(&args[at..]);
    Ok(out)
}

/// The subcommand words in `args` (e.g. `["local", "start_api"]`) and that subcommand.
fn command_words<'c>(
    args: &[String],
    command: &'c clap::Command,
) -> (Vec<String>, &'c clap::Command) {
    let mut words = Vec::new();
    let mut current = command;
    for arg in args.iter().skip(1) {
        if arg.starts_with('-') {
            break;
        }
        match current.find_subcommand(arg) {
            Some(sub) => {
                words.push(arg.replace('-', "_"));
                current = sub;
            }
            None => break,
        }
    }
    // `start-api` reads the same section as `local start-api`, like the rest of its flags.
    if words.len() == 1 && matches!(words[0].as_str(), "start_api" | "invoke" | "start_lambda") {
        words.insert(0, "local".to_string());
    }
    (words, current)
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if a == flag {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix(&prefix).map(str::to_string)
        }
    })
}

/// Reads a samconfig file.
pub fn parse_file(path: &Path) -> anyhow::Result<Tables> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).map_err(|(line, e)| anyhow::anyhow!("{}:{line}: {e}", path.display()))
}

/// Parses the TOML that samconfig files use: tables, `key = value` with strings, numbers,
/// booleans and (possibly multi-line) arrays, and comments.
pub fn parse(text: &str) -> Result<Tables, (usize, String)> {
    let mut tables = Tables::new();
    let mut table = String::new();
    let mut pending: Option<(usize, String, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = strip_comment(raw);
        if let Some((start, key, mut value)) = pending.take() {
            value.push(' ');
            value.push_str(line.trim());
            if balanced(&value) {
                let parsed = parse_value(value.trim()).map_err(|e| (start, e))?;
                tables.entry(table.clone()).or_default().insert(key, parsed);
            } else {
                pending = Some((start, key, value));
            }
            continue;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name
                .split('.')
                .map(|part| part.trim().trim_matches('"'))
                .collect::<Vec<_>>()
                .join(".");
            tables.entry(table.clone()).or_default();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((number, format!("expected `key = value`, found `{line}`")));
        };
        let key = key.trim().trim_matches('"').to_string();
        let value = value.trim().to_string();
        if balanced(&value) {
            let parsed = parse_value(&value).map_err(|e| (number, e))?;
            tables.entry(table.clone()).or_default().insert(key, parsed);
        } else {
            pending = Some((number, key, value));
        }
    }
    if let Some((start, key, _)) = pending {
        return Err((start, format!("the array of `{key}` is not closed")));
    }
    Ok(tables)
}

/// The line without a `#` comment outside strings.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return &line[..i],
            None => {}
        }
    }
    line
}

/// Whether every `[` outside strings is closed.
fn balanced(value: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in value.chars() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '[' => depth += 1,
            None if c == ']' => depth -= 1,
            None => {}
        }
    }
    depth <= 0
}

fn parse_value(text: &str) -> Result<Value, String> {
    let (value, rest) = parse_one(text.trim())?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected `{}` after the value", rest.trim()));
    }
    Ok(value)
}

fn parse_one(text: &str) -> Result<(Value, &str), String> {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((Value::Text(out), &rest[i + 1..])),
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some(other) => return Err(format!("unknown escape `\\{other}`")),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("a string is not closed".to_string());
    }
    if let Some(rest) = text.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or_else(|| "a string is not closed".to_string())?;
        return Ok((Value::Text(rest[..end].to_string()), &rest[end + 1..]));
    }
    if let Some(mut rest) = text.strip_prefix('[') {
        let mut items = Vec::new();
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(']') {
                return Ok((Value::List(items), after));
            }
            let (item, after) = parse_one(rest)?;
            items.push(item);
            rest = after.trim_start();
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else if !rest.starts_with(']') {
                return Err("expected `,` or `]` in an array".to_string());
            }
        }
    }
    let end = text.find([',', ']']).unwrap_or(text.len());
    let word = text[..end].trim();
    if word.is_empty() {
        return Err("a value is missing".to_string());
    }
    let value = match word {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::Bare(word.to_string()),
    };
    Ok((value, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    const FILE: &str = r#"version = 0.1
# comment
[default.global.parameters]
stack_name = "sam-app"   # trailing comment
[default.local_invoke.parameters]
parameter_overrides = "AppBucketName=\"my-bucket\""
[default.local_start_api.parameters]
port = 3005
warm_containers = "EAGER"
skip_pull_image = true
parameter_overrides = [
  "Stage=dev",
  "Table=items#1",
]
[prod.local_start_api.parameters]
port = 8080
"#;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn samconfig_tables_parse() {
        let tables = parse(FILE).unwrap();
        let api = &tables["default.local_start_api.parameters"];
        assert_eq!(api["port"], Value::Bare("3005".into()));
        assert_eq!(api["skip_pull_image"], Value::Bool(true));
        assert_eq!(
            api["parameter_overrides"],
            Value::List(vec![
                Value::Text("Stage=dev".into()),
                Value::Text("Table=items#1".into())
            ])
        );
        assert_eq!(
            tables["default.global.parameters"]["stack_name"],
            Value::Text("sam-app".into())
        );
        assert!(parse("key = \"open").is_err());
        assert_eq!(parse("a = [1,\n2").unwrap_err().0, 1);
    }

    #[test]
    fn defaults_become_flags_the_user_did_not_give() {
        let dir = std::env::temp_dir().join(format!("lambdagate-samconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("samconfig.toml");
        std::fs::write(&file, FILE).unwrap();
        let command = crate::cli::Cli::command();
        let file_arg = format!("--config-file={}", file.display());
        let args = strings(&["lambdagate", "local", "start-api", "-p", "4000", &file_arg]);
        let out = apply(args, &command).unwrap();
        // The user's port wins; the rest is added after the user's arguments.
        assert_eq!(
            &out[..3],
            &strings(&["lambdagate", "local", "start-api"])[..]
        );
        assert!(out.contains(&"--warm-containers".to_string()));
        assert!(out.contains(&"--skip-pull-image".to_string()));
        assert!(!out.contains(&"3005".to_string()));
        assert!(out.contains(&"Table=items#1".to_string()));
        let parsed = crate::cli::Cli::try_parse_from(&out);
        assert!(parsed.is_ok(), "{out:?}: {parsed:?}");
        // Another environment.
        let args = strings(&["lambdagate", "start-api", &file_arg, "--config-env", "prod"]);
        let out = apply(args, &command).unwrap();
        assert!(out.windows(2).any(|w| w == ["--port", "8080"]), "{out:?}");
        // A flag of several values does not swallow the function named after the command.
        let args = strings(&["lambdagate", "local", "invoke", "Fn", &file_arg]);
        let out = apply(args, &command).unwrap();
        let parsed = crate::cli::Cli::try_parse_from(&out).unwrap();
        let crate::cli::Command::Local {
            command: crate::cli::LocalCommand::Invoke(invoke),
        } = parsed.command
        else {
            panic!("{out:?}")
        };
        assert_eq!(invoke.function.as_deref(), Some("Fn"), "{out:?}");
        assert_eq!(
            crate::load::parameter_overrides(&invoke.template.parameter_overrides).unwrap(),
            [("AppBucketName".to_string(), "my-bucket".to_string())],
            "{out:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
