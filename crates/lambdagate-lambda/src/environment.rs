//! The environment a function instance starts with, as Lambda sets it: reserved variables,
//! the template's variables, `--env-vars` overrides, layers mapped as `/opt` would be, and
//! credentials (the user's own when set, dummy ones otherwise).

use std::path::{Path, PathBuf};

use lambdagate_model::{Function, RuntimeFamily};

use crate::ServiceConfig;

/// Variables a runtime needs from the host to work at all (not Lambda's, but harmless).
const HOST_PASSTHROUGH: &[&str] = &["HOME", "USER", "TMPDIR", "LD_LIBRARY_PATH", "SSL_CERT_FILE"];

/// Credential variables taken from the user's environment when present.
const CREDENTIALS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// The environment of every instance of `function`, except the per-instance variables
/// (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_LOG_STREAM_NAME`).
pub fn base(
    function: &Function,
    config: &ServiceConfig,
    runtime_dir: Option<&Path>,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| {
        if let Some(slot) = env.iter_mut().find(|(key, _)| key == k) {
            slot.1 = v;
        } else {
            env.push((k.to_string(), v));
        }
    };
    for key in HOST_PASSTHROUGH {
        if let Ok(value) = std::env::var(key) {
            set(key, value);
        }
    }
    set("LANG", "en_US.UTF-8".into());

    // The template's variables, then (as `sam local` does) the shell's value of a declared
    // one, then the overrides file; `--env-vars` changes only variables the function declares,
    // as SAM's does (`--container-env-vars` adds any).
    for (k, v) in &function.environment {
        match std::env::var(k) {
            Ok(shell) if config.sam_local => set(k, shell),
            _ => set(k, v.clone()),
        }
    }
    if let Some(serde_json::Value::Object(all)) = config.env_overrides.get("Parameters") {
        for (k, v) in all {
            if function.environment.contains_key(k) {
                set(k, json_to_env(v));
            }
        }
    }
    // A nested stack's function is also found under its logical id in its own stack, as
    // `sam local` reads it; the full path and the function name are more specific.
    // (A key that is the same as the next one sets the same values twice.)
    let keys = [
        function.stack_logical_id(),
        function.logical_id.as_str(),
        function.function_name.as_str(),
    ];
    for key in keys {
        if let Some(serde_json::Value::Object(own)) = config.env_overrides.get(key) {
            for (k, v) in own {
                if function.environment.contains_key(k) {
                    set(k, json_to_env(v));
                }
            }
        }
    }

    // `--container-env-vars`: added whether the template declares them or not.
    let container = config
        .container_env
        .get("Parameters")
        .into_iter()
        .chain(keys.iter().filter_map(|key| config.container_env.get(*key)));
    for map in container {
        if let serde_json::Value::Object(map) = map {
            for (k, v) in map {
                set(k, json_to_env(v));
            }
        }
    }

    // A local endpoint for the AWS SDKs inside functions: `--aws-endpoint`, or the standard
    // variables in lambdagate's own environment, whatever `--env-vars` says.
    for (key, value) in std::env::vars() {
        if key.starts_with("AWS_ENDPOINT_URL") && !value.is_empty() {
            set(&key, value);
        }
    }
    if let Some(endpoint) = &config.aws_endpoint {
        set("AWS_ENDPOINT_URL", endpoint.clone());
    }

    // Credentials: the AWS profile's (chosen as the gateway's command line and environment say,
    // see `ServiceConfig::credentials`), else the user's own from the environment, otherwise
    // dummies so SDKs can sign.
    let have_real = std::env::var("AWS_ACCESS_KEY_ID").is_ok_and(|v| !v.is_empty());
    if let Some(credentials) = &config.credentials {
        set("AWS_ACCESS_KEY_ID", credentials.access_key_id.clone());
        set(
            "AWS_SECRET_ACCESS_KEY",
            credentials.secret_access_key.clone(),
        );
        match &credentials.session_token {
            Some(token) => set("AWS_SESSION_TOKEN", token.clone()),
            None => set("AWS_SESSION_TOKEN", String::new()),
        }
    } else if have_real {
        for key in CREDENTIALS {
            if let Ok(value) = std::env::var(key) {
                set(key, value);
            }
        }
    } else if !function.environment.contains_key("AWS_ACCESS_KEY_ID") {
        set("AWS_ACCESS_KEY_ID", "lambdagate-local".into());
        set("AWS_SECRET_ACCESS_KEY", "lambdagate-local".into());
        set("AWS_SESSION_TOKEN", "lambdagate-local".into());
    }

    // Layers: /opt/bin on PATH, /opt/lib on LD_LIBRARY_PATH, language folders on the
    // language's search path. A later layer wins, so it comes first.
    let layers: Vec<&PathBuf> = function.layers.iter().rev().collect();
    let host_path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    let mut path: Vec<String> = layers
        .iter()
        .map(|l| l.join("bin").display().to_string())
        .collect();
    path.push(host_path);
    set("PATH", path.join(":"));
    let mut libs: Vec<String> = layers
        .iter()
        .map(|l| l.join("lib").display().to_string())
        .collect();
    if let Ok(host_libs) = std::env::var("LD_LIBRARY_PATH") {
        libs.push(host_libs);
    }
    if !function.layers.is_empty() {
        set("LD_LIBRARY_PATH", libs.join(":"));
    }
    let task_root = function.code_dir.display().to_string();
    match function.family {
        RuntimeFamily::Python => {
            let version = function.runtime.trim_start_matches("python");
            let mut py = vec![task_root.clone()];
            for layer in &layers {
                py.push(layer.join("python").display().to_string());
                py.push(
                    layer
                        .join(format!("python/lib/python{version}/site-packages"))
                        .display()
                        .to_string(),
                );
            }
            // Lambda's bundled boto3 last: the function's own copy wins.
            py.push(crate::sdk::python_dir().display().to_string());
            set("PYTHONPATH", py.join(":"));
            // Lines reach the log as they are printed, tagged with the right request id.
            set("PYTHONUNBUFFERED", "1".into());
            // Lambda's code folder is read-only, so Python never leaves `__pycache__` folders
            // in it; here it would litter the user's source tree (and can run stale bytecode
            // after an edit that keeps a file's size and mtime second). Keep bytecode in our
            // cache instead.
            set(
                "PYTHONPYCACHEPREFIX",
                crate::bootstraps::cache_root()
                    .join("lambdagate/pycache")
                    .display()
                    .to_string(),
            );
        }
        RuntimeFamily::Node => {
            let major = function
                .runtime
                .trim_start_matches("nodejs")
                .trim_end_matches(".x");
            let mut node = Vec::new();
            for layer in &layers {
                node.push(
                    layer
                        .join(format!("nodejs/node{major}/node_modules"))
                        .display()
                        .to_string(),
                );
                node.push(layer.join("nodejs/node_modules").display().to_string());
            }
            node.push(task_root.clone());
            // Lambda's bundled AWS SDK last: the function's own copy wins. `import` ignores
            // NODE_PATH; the bootstrap's resolve hook falls back to the same folder.
            let sdk = crate::sdk::node_prefix();
            node.push(sdk.join("node_modules").display().to_string());
            set("NODE_PATH", node.join(":"));
            set("LAMBDAGATE_SDK_NODE_PREFIX", sdk.display().to_string());
        }
        RuntimeFamily::Provided => {}
    }

    // Reserved variables last: the template cannot override them, as on Lambda.
    set("AWS_LAMBDA_FUNCTION_NAME", function.function_name.clone());
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        function.memory_mb.to_string(),
    );
    set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into());
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
    set(
        "AWS_LAMBDA_LOG_GROUP_NAME",
        function
            .logging
            .log_group
            .clone()
            .unwrap_or_else(|| format!("/aws/lambda/{}", function.function_name)),
    );
    // `LoggingConfig`: the runtimes format their records as JSON and drop those below the
    // application level (INFO unless set) when told so, as Lambda tells them.
    if let Some(format) = &function.logging.log_format {
        set("AWS_LAMBDA_LOG_FORMAT", format.clone());
        if format.eq_ignore_ascii_case("JSON") {
            set(
                "AWS_LAMBDA_LOG_LEVEL",
                function
                    .logging
                    .application_log_level
                    .clone()
                    .unwrap_or_else(|| "INFO".to_string()),
            );
        }
    }
    set("AWS_REGION", config.region.clone());
    set("AWS_DEFAULT_REGION", config.region.clone());
    if let Some(handler) = &function.handler {
        set("_HANDLER", handler.clone());
    }
    set("LAMBDA_TASK_ROOT", task_root.clone());
    set(
        "LAMBDA_RUNTIME_DIR",
        runtime_dir.map_or(task_root, |d| d.display().to_string()),
    );
    if function.family != RuntimeFamily::Provided {
        set(
            "AWS_EXECUTION_ENV",
            format!("AWS_Lambda_{}", function.runtime),
        );
    }
    set("TZ", ":UTC".into());
    if config.sam_local {
        // What code written for `sam local` checks to know it runs locally.
        set("AWS_SAM_LOCAL", "true".into());
    }
    env
}

/// A new log stream name: `2024/05/01/[$LATEST]<32 hex digits>`.
pub fn log_stream_name() -> String {
    format!(
        "{}/[$LATEST]{:032x}",
        crate::errors::date_path(std::time::SystemTime::now()),
        fastrand::u128(..)
    )
}

fn json_to_env(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Where Python instances started by reload `generation` keep their bytecode.
///
/// Python trusts a `.pyc` whose recorded source mtime (in whole seconds) and size match, so a
/// same-size edit within a second of the last compile would run the old code. Each reload's
/// instances get a bytecode folder of their own, which starts empty.
pub fn bytecode_dir(generation: u64) -> PathBuf {
    bytecode_root().join(generation.to_string())
}

/// The folder holding every reload's bytecode folders of this process; removed at shutdown.
pub fn bytecode_root() -> PathBuf {
    crate::bootstraps::cache_root()
        .join("lambdagate/pycache")
        .join(format!("reload-{}", std::process::id()))
}

/// Points a Python function started by reload `generation` at a fresh bytecode folder.
pub fn fresh_bytecode(env: &mut Vec<(String, String)>, function: &Function, generation: u64) {
    if function.family != RuntimeFamily::Python {
        return;
    }
    let dir = bytecode_dir(generation).to_string_lossy().into_owned();
    env.retain(|(k, _)| k != "PYTHONPYCACHEPREFIX");
    env.push(("PYTHONPYCACHEPREFIX".to_string(), dir));
}

/// Puts `dir` first on the search path variable `name` (`PYTHONPATH`).
pub fn prepend_path(env: &mut [(String, String)], name: &str, dir: &Path) {
    let dir = dir.display().to_string();
    match env.iter_mut().find(|(k, _)| k == name) {
        Some((_, value)) if !value.is_empty() => *value = format!("{dir}:{value}"),
        Some((_, value)) => *value = dir,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn function() -> Function {
        Function {
            logging: Default::default(),
            logical_id: "Hello".into(),
            function_name: "hello-fn".into(),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:hello-fn".into(),
            runtime: "python3.12".into(),
            family: RuntimeFamily::Python,
            handler: Some("app.handler".into()),
            code_dir: "/code".into(),
            environment: BTreeMap::from([
                ("TABLE".to_string(), "t1".to_string()),
                ("AWS_REGION".to_string(), "nope".to_string()),
            ]),
            timeout_secs: 3,
            memory_mb: 256,
            layers: vec!["/l1".into(), "/l2".into()],
            reserved_concurrency: None,
            architectures: vec!["x86_64".into()],
            source: Default::default(),
        }
    }

    fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
        env.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_nested_functions_overrides_are_found_under_its_id_in_its_own_stack() {
        // SAM CLI's env-vars files name a nested stack's function by its logical id there;
        // the full path and the function name are more specific and win.
        let mut f = function();
        f.logical_id = "SubApp/Echo".into();
        f.function_name = "customname".into();
        for key in ["A", "B", "C"] {
            f.environment.insert(key.into(), "declared".into());
        }
        let config = ServiceConfig {
            env_overrides: serde_json::from_str(
                r#"{"Echo": {"A": "by id", "B": "by id", "C": "by id"},
                    "SubApp/Echo": {"B": "by path", "C": "by path"},
                    "customname": {"C": "by name"}}"#,
            )
            .unwrap(),
            ..Default::default()
        };
        let env = base(&f, &config, None);
        assert_eq!(get(&env, "A"), Some("by id"));
        assert_eq!(get(&env, "B"), Some("by path"));
        assert_eq!(get(&env, "C"), Some("by name"));
    }

    #[test]
    fn reserved_variables_and_overrides() {
        let config = ServiceConfig {
            env_overrides: serde_json::from_str(
                r#"{"Parameters": {"TABLE": "t2", "UNDECLARED": "x"}, "hello-fn": {"EXTRA": 5}}"#,
            )
            .unwrap(),
            ..Default::default()
        };
        let env = base(&function(), &config, None);
        assert_eq!(get(&env, "TABLE"), Some("t2"));
        assert_eq!(get(&env, "UNDECLARED"), None);
        // A function's own map changes only what it declares, as SAM's does.
        assert_eq!(get(&env, "EXTRA"), None);
        assert_eq!(get(&env, "AWS_SAM_LOCAL"), None);
        assert_eq!(get(&env, "AWS_REGION"), Some("us-east-1"));
        assert_eq!(get(&env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("256"));
        assert_eq!(get(&env, "_HANDLER"), Some("app.handler"));
        assert_eq!(get(&env, "LAMBDA_TASK_ROOT"), Some("/code"));
        assert_eq!(
            get(&env, "AWS_EXECUTION_ENV"),
            Some("AWS_Lambda_python3.12")
        );
        assert_eq!(
            get(&env, "AWS_LAMBDA_LOG_GROUP_NAME"),
            Some("/aws/lambda/hello-fn")
        );
        let py = get(&env, "PYTHONPATH").unwrap();
        assert!(py.starts_with("/code:/l2/python:"), "{py}");
        assert!(get(&env, "PATH").unwrap().starts_with("/l2/bin:/l1/bin:"));
    }

    #[test]
    fn log_stream_names() {
        let name = log_stream_name();
        assert!(name.contains("/[$LATEST]"));
        assert_eq!(name.len(), "2024/05/01/[$LATEST]".len() + 32);
    }
}

/// The user function processes run as (`--function-user`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionUser {
    /// Its user id.
    pub uid: u32,
    /// Its primary group id.
    pub gid: u32,
}

/// Looks up `--function-user` (a name or a numeric id). Only root may start processes as
/// another user, so anyone else gets a clear error instead of instances that cannot start.
pub fn function_user(name: &str) -> Result<FunctionUser, String> {
    use nix::unistd::{Uid, User};
    let user = match name.parse::<u32>() {
        Ok(id) => User::from_uid(Uid::from_raw(id)),
        Err(_) => User::from_name(name),
    }
    .map_err(|e| format!("--function-user {name}: cannot look the user up: {e}"))?
    .ok_or_else(|| format!("--function-user {name}: no such user"))?;
    let me = Uid::effective();
    if !me.is_root() && user.uid != me {
        return Err(format!(
            "--function-user {name}: only root can run functions as another user (lambdagate runs as uid {me})"
        ));
    }
    Ok(FunctionUser {
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    })
}

#[cfg(test)]
mod user_tests {
    #[test]
    fn function_user_is_looked_up_and_unknown_users_are_refused() {
        let e = super::function_user("no-such-user-lambdagate").unwrap_err();
        assert!(e.contains("no such user"), "{e}");
        // Our own user is always allowed, root or not.
        let me = nix::unistd::Uid::effective().as_raw();
        let user = super::function_user(&me.to_string()).unwrap();
        assert_eq!(user.uid, me);
    }
}
