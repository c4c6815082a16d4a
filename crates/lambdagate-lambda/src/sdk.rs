//! Lambda's bundled SDKs: on Lambda, Node.js 18+ runtimes carry the AWS SDK for JavaScript v3
//! and Python runtimes carry boto3, so handlers import them without packaging them.
//!
//! Here they come from lambdagate's cache: before functions start, their code is scanned for
//! `@aws-sdk/…` packages and `boto3` / `botocore` imports; what neither the function (its
//! folder, its layers) nor the host interpreter provides is installed once into the cache with
//! npm or pip, and the cache goes last on the functions' search paths, so a function's own copy
//! wins. Installing happens before serving, so it never counts against a function's Timeout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use lambdagate_model::{Application, Function, RuntimeFamily};

/// Files scanned per function at most, and the largest file read: bounds the scan of a big
/// code folder.
const MAX_FILES: usize = 5_000;
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// How long an install may take before serving goes on without it.
const INSTALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

/// The npm prefix the JavaScript SDK packages are installed under (`…/node_modules`).
pub fn node_prefix() -> PathBuf {
    crate::bootstraps::cache_root().join("lambdagate/sdk/node")
}

/// The folder boto3 is installed into (a `pip --target` folder).
pub fn python_dir() -> PathBuf {
    crate::bootstraps::cache_root().join("lambdagate/sdk/python")
}

/// What the application's functions import that must come from the cache.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    /// `@aws-sdk/…` (and `@smithy/…`) packages, e.g. `@aws-sdk/client-dynamodb`.
    pub node: BTreeSet<String>,
    /// Whether boto3 is needed by a function that does not carry it.
    pub python: bool,
}

/// Makes sure what `app`'s functions import from Lambda's bundled SDKs is installed; returns
/// one line per thing done or failed, for the caller to print.
pub async fn prepare(app: &Application) -> Vec<String> {
    let functions = app.functions.clone();
    let needs = match tokio::task::spawn_blocking(move || scan(&functions)).await {
        Ok(needs) => needs,
        Err(_) => return Vec::new(),
    };
    let mut lines = Vec::new();
    let node_dir = node_prefix();
    let node_modules = node_dir.join("node_modules");
    let recorded = Installed::read(&node_dir);
    if !missing(&needs.node, &node_modules, Some(&recorded)).is_empty() {
        // Other lambdagate processes may be installing into the same cache: one at a time, and
        // only what is still missing once this one has the lock. With the lock held no install
        // is under way, so a package's folder is a finished install even without the record
        // (a cache filled before the record existed).
        let _lock = CacheLock::acquire(&node_dir).await;
        let missing = missing(&needs.node, &node_modules, None);
        if !missing.is_empty() {
            lines.push(install_node(&missing).await);
        }
        let present = needs.node.iter().filter(|p| node_modules.join(p).is_dir());
        Installed::add(&node_dir, present.cloned());
    }
    let python = python_dir();
    let boto3 = BTreeSet::from(["boto3".to_string()]);
    if needs.python
        && !missing(&boto3, &python, Some(&Installed::read(&python))).is_empty()
        && !host_has_boto3().await
    {
        let _lock = CacheLock::acquire(&python).await;
        if !missing(&boto3, &python, None).is_empty() {
            lines.push(install_python().await);
        }
        if missing(&boto3, &python, None).is_empty() {
            Installed::add(&python, boto3);
        }
    }
    lines
}

/// The packages of `wanted` not installed in `folder` (`node_modules`, or pip's `--target`).
/// With `recorded` (what the record lists), a package counts only if it is listed and its
/// folder is there; without it (the lock held, no install under way), its folder is enough.
fn missing(
    wanted: &BTreeSet<String>,
    folder: &Path,
    recorded: Option<&BTreeSet<String>>,
) -> Vec<String> {
    wanted
        .iter()
        .filter(|p| !recorded.is_none_or(|r| r.contains(*p)) || !folder.join(p).is_dir())
        .cloned()
        .collect()
}

/// The record of what finished installing into a cache folder (`.lambdagate-installed`, one
/// package a line), written under the lock once the installer has exited.
///
/// A package's folder alone does not say that: npm and pip create it while they are still
/// unpacking the rest of the tree, and a second server starting then (two test processes, two
/// terminals) took the half-written tree for installed and served a function that failed with
/// `Runtime.ImportModuleError` (`Cannot find module '@smithy/core/…'`). Without the record
/// a server waits for the lock, which an installer holds until it is done.
struct Installed;

impl Installed {
    fn path(dir: &Path) -> PathBuf {
        dir.join(".lambdagate-installed")
    }

    /// What the record lists; empty when there is none.
    fn read(dir: &Path) -> BTreeSet<String> {
        std::fs::read_to_string(Self::path(dir))
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Adds `packages` to the record. The new record is written beside it and renamed over
    /// it, so a reader never sees half of one; failing to write it only means the next start
    /// takes the lock.
    fn add(dir: &Path, packages: impl IntoIterator<Item = String>) {
        let mut all = Self::read(dir);
        let before = all.len();
        all.extend(packages);
        if all.len() == before && Self::path(dir).is_file() {
            return;
        }
        let mut text = String::new();
        for package in &all {
            text.push_str(package);
            text.push('\n');
        }
        let partial = dir.join(format!(".lambdagate-installed.{}", std::process::id()));
        if std::fs::write(&partial, text).is_err()
            || std::fs::rename(&partial, Self::path(dir)).is_err()
        {
            let _ = std::fs::remove_file(&partial);
        }
    }
}

/// An exclusive lock on a cache folder, held across processes (a lock file beside it) until
/// dropped. Without one, two servers starting at once would install into the same folder.
struct CacheLock(Option<std::fs::File>);

impl CacheLock {
    async fn acquire(dir: &Path) -> CacheLock {
        let path = dir.with_extension("lock");
        let file = path
            .parent()
            .map(std::fs::create_dir_all)
            .and_then(Result::ok)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .ok()
            });
        let Some(file) = file else {
            // No lock file (read-only cache?): install unguarded rather than not at all.
            return CacheLock(None);
        };
        // Blocking until the other installer is done: off the async threads.
        let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file)).await;
        CacheLock(locked.ok().and_then(Result::ok))
    }
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        if let Some(file) = &self.0 {
            let _ = file.unlock();
        }
    }
}

/// What the functions need (a pure function of their files, for tests).
pub fn scan(functions: &[Function]) -> Needs {
    let mut needs = Needs::default();
    for function in functions {
        match function.family {
            RuntimeFamily::Node => {
                for package in node_imports(&function.code_dir) {
                    if !provided_node(function, &package) {
                        needs.node.insert(package);
                    }
                }
            }
            RuntimeFamily::Python => {
                if !needs.python && python_imports_boto3(&function.code_dir) {
                    needs.python = !provided_python(function);
                }
            }
            RuntimeFamily::Provided => {}
        }
    }
    needs
}

/// Whether the function's own folders resolve `package` (Node walks up from the code folder;
/// layers are on NODE_PATH).
fn provided_node(function: &Function, package: &str) -> bool {
    let mut dir = Some(function.code_dir.as_path());
    while let Some(d) = dir {
        if d.join("node_modules").join(package).is_dir() {
            return true;
        }
        dir = d.parent();
    }
    function.layers.iter().any(|layer| {
        layer.join("nodejs/node_modules").join(package).is_dir()
            || std::fs::read_dir(layer.join("nodejs"))
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| e.path().join("node_modules").join(package).is_dir())
    })
}

fn provided_python(function: &Function) -> bool {
    function.code_dir.join("boto3").is_dir()
        || function.layers.iter().any(|layer| {
            layer.join("python/boto3").is_dir()
                || std::fs::read_dir(layer.join("python/lib"))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|e| e.path().join("site-packages/boto3").is_dir())
        })
}

/// Source files under `dir`, skipping dependencies, hidden folders and build output.
fn source_files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !(name.starts_with('.') || name == "node_modules" || name == "__pycache__") {
                    stack.push(path);
                }
            } else if kind.is_file()
                && path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| extensions.contains(&e))
                && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
            {
                out.push(path);
                if out.len() >= MAX_FILES {
                    return out;
                }
            }
        }
    }
    out
}

/// Packages the SDK itself tries to load and does without (a bundle that contains the SDK
/// has these `require`s inside `try`): the CRT-based signers, whose native dependency is large.
const OPTIONAL: &[&str] = &[
    "@aws-sdk/signature-v4-crt",
    "@aws-sdk/signature-v4a",
    "@aws-sdk/crt-loader",
    "@smithy/signature-v4a",
];

/// `@aws-sdk/x` and `@smithy/x` packages the code loads: string literals that are module
/// specifiers (after `require(`, `import(`, `from` or a bare `import`), so that a bundle's
/// strings that merely start with a scope (error texts, schema names) are not taken for
/// packages. A subpath (`@aws-sdk/client-s3/dist-cjs/x`) names its package.
fn node_imports(dir: &Path) -> BTreeSet<String> {
    let mut packages = BTreeSet::new();
    for file in source_files(dir, &["js", "mjs", "cjs", "ts", "mts", "cts", "jsx", "tsx"]) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for scope in ["@aws-sdk/", "@smithy/"] {
            let mut from = 0;
            while let Some(found) = text[from..].find(scope) {
                let at = from + found;
                from = at + scope.len();
                let Some(quote) = text[..at].chars().next_back() else {
                    continue;
                };
                if !matches!(quote, '\'' | '"' | '`') || !loads_module(&text[..at - 1]) {
                    continue;
                }
                let rest = &text[at + scope.len()..];
                let name_len = rest
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
                    })
                    .unwrap_or(rest.len());
                let name = &rest[..name_len];
                // npm names are lower case; the specifier ends at its quote or a subpath.
                let ends = rest[name_len..].starts_with([quote, '/']);
                let package = format!("{scope}{name}");
                if !name.is_empty()
                    && ends
                    && !name.bytes().any(|b| b.is_ascii_uppercase())
                    && !OPTIONAL.contains(&package.as_str())
                {
                    packages.insert(package);
                }
            }
        }
    }
    packages
}

/// Whether the code before a string literal makes it a module specifier.
fn loads_module(before: &str) -> bool {
    /// Whether `text` ends with the word `word` (not `myimport`, not `x.from`).
    fn ends_with_word(text: &str, word: &str) -> bool {
        text.trim_end().strip_suffix(word).is_some_and(|head| {
            !head
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
        })
    }
    let before = before.trim_end();
    // `require(` also covers bundlers' `__require(`.
    before.ends_with("require(")
        || before
            .strip_suffix('(')
            .is_some_and(|head| ends_with_word(head, "import"))
        || ends_with_word(before, "from")
        || ends_with_word(before, "import")
}

fn python_imports_boto3(dir: &Path) -> bool {
    source_files(dir, &["py"]).iter().any(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            text.lines().any(|line| {
                let line = line.trim_start();
                [
                    "import boto3",
                    "import botocore",
                    "from boto3",
                    "from botocore",
                ]
                .iter()
                .any(|p| {
                    line.strip_prefix(p)
                        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '.', ',']))
                })
            })
        })
    })
}

async fn host_has_boto3() -> bool {
    let Some(python) = crate::bootstraps::interpreter(RuntimeFamily::Python) else {
        return false;
    };
    tokio::process::Command::new(python)
        .args(["-c", "import boto3"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

async fn install_node(packages: &[String]) -> String {
    let prefix = node_prefix();
    eprintln!(
        "Installing Lambda's bundled AWS SDK for JavaScript packages (once, into {}): {}",
        prefix.display(),
        packages.join(", ")
    );
    if let Err(e) = std::fs::create_dir_all(&prefix) {
        return format!("warning: cannot create {}: {e}", prefix.display());
    }
    // Lambda's runtimes carry v3; any v3 minor works for handlers written against it.
    let specs: Vec<String> = packages
        .iter()
        .map(|p| {
            if p.starts_with("@aws-sdk/") {
                format!("{p}@3")
            } else {
                p.clone()
            }
        })
        .collect();
    let output = tokio::process::Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args([
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--no-package-lock",
            // Offline, npm's default retries take minutes per package: fail fast instead.
            "--fetch-retries=1",
            "--fetch-retry-mintimeout=1000",
            "--fetch-retry-maxtimeout=5000",
            "--fetch-timeout=30000",
        ])
        .args(&specs)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let Ok(output) = tokio::time::timeout(INSTALL_LIMIT, output).await else {
        return format!(
            "warning: npm did not install {} within {} s; functions importing them fail with \
             Runtime.ImportModuleError until they are installed: run `npm install {}` in the \
             function's folder",
            packages.join(", "),
            INSTALL_LIMIT.as_secs(),
            packages.join(" ")
        );
    };
    match output {
        Ok(o) if o.status.success() => format!("Installed {}", packages.join(", ")),
        Ok(o) => format!(
            "warning: npm could not install {} ({}); functions importing them fail with \
             Runtime.ImportModuleError until they are installed: run `npm install {}` in the \
             function's folder, or restart once online",
            packages.join(", "),
            last_line(&o.stderr),
            packages.join(" ")
        ),
        Err(e) => format!(
            "warning: cannot run npm ({e}) to install {}; install them in the function's folder \
             with `npm install {}`",
            packages.join(", "),
            packages.join(" ")
        ),
    }
}

async fn install_python() -> String {
    let dir = python_dir();
    let Some(python) = crate::bootstraps::interpreter(RuntimeFamily::Python) else {
        return String::new();
    };
    eprintln!(
        "Installing boto3, which Lambda's Python runtimes carry (once, into {})",
        dir.display()
    );
    let output = tokio::process::Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
        ])
        .args(["--timeout", "30", "--retries", "1"])
        .arg(&dir)
        .arg("boto3")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let Ok(output) = tokio::time::timeout(INSTALL_LIMIT, output).await else {
        return format!(
            "warning: pip did not install boto3 within {} s; functions importing it fail until \
             it is installed: `{python} -m pip install boto3`",
            INSTALL_LIMIT.as_secs()
        );
    };
    match output {
        Ok(o) if o.status.success() => "Installed boto3".to_string(),
        Ok(o) => format!(
            "warning: pip could not install boto3 ({}); functions importing it fail until it is \
             installed: `{python} -m pip install boto3`, or restart once online",
            last_line(&o.stderr)
        ),
        Err(e) => format!(
            "warning: cannot run {python} -m pip ({e}) to install boto3; install it with \
             `pip install boto3`"
        ),
    }
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lambdagate-sdk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn node_imports_are_found_in_every_module_style() {
        let dir = scratch("node");
        std::fs::write(
            dir.join("index.mjs"),
            "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n\
             import { marshall } from \"@aws-sdk/util-dynamodb\";\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(
            dir.join("lib/s3.cjs"),
            "const { S3Client } = require('@aws-sdk/client-s3');\nconst x = '@aws-sdk/';\n",
        )
        .unwrap();
        // Dependencies are not the function's own imports.
        std::fs::create_dir_all(dir.join("node_modules/x")).unwrap();
        std::fs::write(
            dir.join("node_modules/x/i.js"),
            "require('@aws-sdk/client-sqs')",
        )
        .unwrap();
        // A bundle: external modules as esbuild writes them, and strings that only start
        // with a scope (messages, schema names, a prefix check) next to them.
        std::fs::write(
            dir.join("bundle.js"),
            "var import_sns = __require(\"@aws-sdk/client-sns\");\n\
             const lazy = () => import( '@aws-sdk/lib-dynamodb' );\n\
             export { x } from \"@smithy/util-retry/dist-cjs/index.js\";\n\
             import \"@aws-sdk/side-effect\";\n\
             throw new Error(\"@smithy/err: failed\");\n\
             const schema = \"@smithy/HttpBindingNormalizedSchema\";\n\
             if (name.startsWith(\"@smithy/\")) {}\n\
             const m = { from: \"@aws-sdk/not-an-import\" };\n\
             myimport(\"@aws-sdk/nor\");\n\
             try { require(\"@aws-sdk/signature-v4-crt\"); } catch {}\n",
        )
        .unwrap();
        let found = node_imports(&dir);
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            vec![
                "@aws-sdk/client-dynamodb".to_string(),
                "@aws-sdk/client-s3".to_string(),
                "@aws-sdk/client-sns".to_string(),
                "@aws-sdk/lib-dynamodb".to_string(),
                "@aws-sdk/side-effect".to_string(),
                "@aws-sdk/util-dynamodb".to_string(),
                "@smithy/util-retry".to_string(),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_package_folder_counts_as_installed_only_once_recorded_or_under_the_lock() {
        let dir = scratch("record");
        let modules = dir.join("node_modules");
        let wanted: BTreeSet<String> = ["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb"]
            .map(String::from)
            .into();
        // npm has created one package's folder and is still unpacking: without the record,
        // both are missing until the lock (held by that npm) is ours.
        std::fs::create_dir_all(modules.join("@aws-sdk/client-dynamodb")).unwrap();
        let recorded = Installed::read(&dir);
        assert!(recorded.is_empty());
        assert_eq!(missing(&wanted, &modules, Some(&recorded)).len(), 2);
        // Under the lock, the folder is a finished install.
        assert_eq!(
            missing(&wanted, &modules, None),
            vec!["@aws-sdk/lib-dynamodb".to_string()]
        );
        Installed::add(&dir, ["@aws-sdk/client-dynamodb".to_string()]);
        std::fs::create_dir_all(modules.join("@aws-sdk/lib-dynamodb")).unwrap();
        Installed::add(&dir, ["@aws-sdk/lib-dynamodb".to_string()]);
        let recorded = Installed::read(&dir);
        assert_eq!(recorded, wanted);
        assert!(missing(&wanted, &modules, Some(&recorded)).is_empty());
        // A recorded package whose folder is gone (a cleaned cache) is missing again.
        std::fs::remove_dir_all(modules.join("@aws-sdk/lib-dynamodb")).unwrap();
        assert_eq!(
            missing(&wanted, &modules, Some(&recorded)),
            vec!["@aws-sdk/lib-dynamodb".to_string()]
        );
        // No partial record is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with(".lambdagate-installed.")),
            "{names:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn python_imports_of_boto3_are_found() {
        let dir = scratch("py");
        std::fs::write(dir.join("app.py"), "import json\nimport boto3\n").unwrap();
        assert!(python_imports_boto3(&dir));
        std::fs::write(dir.join("app.py"), "import boto3x\n# import boto3\n").unwrap();
        assert!(!python_imports_boto3(&dir));
        std::fs::write(
            dir.join("app.py"),
            "from botocore.exceptions import ClientError\n",
        )
        .unwrap();
        assert!(python_imports_boto3(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
