//! The language bootstraps shipped inside the binary, written once to a cache folder, and the
//! host interpreters that run them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lambdagate_model::{Application, RuntimeFamily};

/// Our Python bootstrap (runtimes/python/bootstrap.py), empty when built without it.
const PYTHON_BOOTSTRAP: &str = include_str!(concat!(env!("OUT_DIR"), "/bootstrap.py"));
/// Our Node bootstrap (runtimes/node/bootstrap.mjs), empty when built without it.
const NODE_BOOTSTRAP: &str = include_str!(concat!(env!("OUT_DIR"), "/bootstrap.mjs"));

/// The bootstraps on disk, where interpreters can run them.
#[derive(Debug, Clone)]
pub struct Bootstraps {
    /// The folder holding them (`LAMBDA_RUNTIME_DIR` for Python and Node).
    pub dir: PathBuf,
    /// `bootstrap.py`, when this build carries it.
    pub python: Option<PathBuf>,
    /// `bootstrap.mjs`, when this build carries it.
    pub node: Option<PathBuf>,
}

static INSTALLED: OnceLock<Result<Bootstraps, String>> = OnceLock::new();

impl Bootstraps {
    /// Writes the bootstraps (once per process, and once per content on disk) and returns where
    /// they are: `$XDG_CACHE_HOME/lambdagate/runtimes/<hash>/` or `~/.cache/…`, else the
    /// temporary folder.
    pub fn installed() -> Result<&'static Bootstraps, String> {
        INSTALLED
            .get_or_init(|| install(&cache_root()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The bootstrap for a family (`None` for `provided*` or when this build lacks it).
    pub fn for_family(&self, family: RuntimeFamily) -> Option<&Path> {
        match family {
            RuntimeFamily::Python => self.python.as_deref(),
            RuntimeFamily::Node => self.node.as_deref(),
            RuntimeFamily::Provided => None,
        }
    }
}

/// The user's cache folder (`$XDG_CACHE_HOME`, `~/.cache`, else the temp folder).
pub(crate) fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache");
    }
    std::env::temp_dir()
}

fn content_hash() -> String {
    // FNV-1a over both files: a new build with new bootstraps gets a new folder, so running
    // servers of an older build keep theirs.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in PYTHON_BOOTSTRAP
        .bytes()
        .chain([0])
        .chain(NODE_BOOTSTRAP.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn install(root: &Path) -> std::io::Result<Bootstraps> {
    let dir = root.join("lambdagate/runtimes").join(content_hash());
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, text: &str| -> std::io::Result<Option<PathBuf>> {
        if text.is_empty() {
            return Ok(None);
        }
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text) {
            // Write then rename, so a concurrent lambdagate never runs a half-written file.
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(Some(path))
    };
    Ok(Bootstraps {
        python: write("bootstrap.py", PYTHON_BOOTSTRAP)?,
        node: write("bootstrap.mjs", NODE_BOOTSTRAP)?,
        dir,
    })
}

/// The interpreter program for a family: `LAMBDAGATE_PYTHON` / `LAMBDAGATE_NODE`, else
/// `python3` / `node` from PATH.
pub fn interpreter(family: RuntimeFamily) -> Option<String> {
    let (var, default) = match family {
        RuntimeFamily::Python => ("LAMBDAGATE_PYTHON", "python3"),
        RuntimeFamily::Node => ("LAMBDAGATE_NODE", "node"),
        RuntimeFamily::Provided => return None,
    };
    Some(
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_string()),
    )
}

/// Which host interpreter serves which of the application's runtimes.
#[derive(Debug, Clone)]
pub struct HostRuntime {
    /// The template's runtime identifier (`python3.12`).
    pub runtime: String,
    /// The interpreter program.
    pub program: String,
    /// Its version (`3.11.7`, `20.20.2`), or `None` when it could not be run.
    pub version: Option<String>,
    /// A warning when the interpreter is missing or its major version differs.
    pub warning: Option<String>,
}

/// Asks each interpreter the application needs for its version (once per runtime identifier).
pub async fn host_runtimes(app: &Application) -> Vec<HostRuntime> {
    let mut runtimes: Vec<(String, RuntimeFamily, &Path)> = Vec::new();
    for f in &app.functions {
        if f.family != RuntimeFamily::Provided && !runtimes.iter().any(|(r, _, _)| *r == f.runtime)
        {
            runtimes.push((f.runtime.clone(), f.family, f.code_dir.as_path()));
        }
    }
    let mut out = Vec::new();
    for (runtime, family, code_dir) in runtimes {
        let Some(program) = interpreter(family) else {
            continue;
        };
        // Asked from a function's folder, as its instances start there: version managers
        // (pyenv, nvm shims) choose by the folder's `.python-version` / `.nvmrc`.
        let version = version_of(&program, code_dir).await;
        let warning = match &version {
            None => Some(format!(
                "{runtime}: `{program}` was not found or did not run; functions on {runtime} will fail"
            )),
            Some(v) => {
                let wanted = wanted_version(&runtime);
                let have_major = v.split('.').next().unwrap_or_default();
                let (want_major, have) = match family {
                    RuntimeFamily::Python => (wanted.clone(), major_minor(v)),
                    _ => (wanted.clone(), have_major.to_string()),
                };
                (!want_major.is_empty() && want_major != have).then(|| {
                    format!("{runtime}: served by {program} {v}, which differs from {want_major}")
                })
            }
        };
        out.push(HostRuntime {
            runtime,
            program,
            version,
            warning,
        });
    }
    out
}

/// `python3.12` → `3.12`; `nodejs20.x` → `20`.
fn wanted_version(runtime: &str) -> String {
    if let Some(v) = runtime.strip_prefix("python") {
        return v.to_string();
    }
    runtime
        .trim_start_matches("nodejs")
        .trim_end_matches(".x")
        .to_string()
}

fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

async fn version_of(program: &str, cwd: &Path) -> Option<String> {
    let mut command = tokio::process::Command::new(program);
    if cwd.is_dir() {
        command.current_dir(cwd);
    }
    let out = command
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    // `Python 3.11.7` (stdout; older Pythons print to stderr) or `v20.20.2`.
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    let text = String::from_utf8_lossy(&text);
    let word = text.split_whitespace().last()?;
    Some(word.trim_start_matches('v').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_wanted() {
        assert_eq!(wanted_version("python3.12"), "3.12");
        assert_eq!(wanted_version("nodejs20.x"), "20");
        assert_eq!(major_minor("3.11.7"), "3.11");
    }

    #[test]
    fn install_writes_once_per_content() {
        let root = std::env::temp_dir().join(format!("lambdagate-bs-{}", fastrand::u64(..)));
        let first = install(&root).unwrap();
        let second = install(&root).unwrap();
        assert_eq!(first.dir, second.dir);
        assert!(first.dir.starts_with(&root));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
