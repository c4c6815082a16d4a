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
    /// The interpreter's own executable (`sys.executable`, `process.execPath`), which the
    /// runtime's instances run from then on.
    pub executable: Option<PathBuf>,
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
        let (version, executable) = probe(&program, family, code_dir)
            .await
            .map_or((None, None), |(version, exe)| (Some(version), exe));
        if let Some(exe) = &executable {
            record_executable(&runtime, exe);
        }
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
            executable,
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

/// Where each runtime's interpreter really is, once [`host_runtimes`] has asked it.
static EXECUTABLES: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());

fn record_executable(runtime: &str, executable: &Path) {
    let mut known = EXECUTABLES.lock().unwrap_or_else(|e| e.into_inner());
    known.retain(|(r, _)| r != runtime);
    known.push((runtime.to_string(), executable.to_path_buf()));
}

/// The executable the interpreter of `runtime` reported for itself, when [`host_runtimes`] has
/// asked it. Instances start it directly rather than through `python3` / `node` on PATH: a
/// version manager's shim there (pyenv, asdf, mise) is a shell script that runs a few dozen
/// processes to pick the version, about 100 ms for every instance started (measured with
/// pyenv: a cold first request 128-181 ms through the shim, 64-119 ms without). It also makes
/// every instance run the interpreter whose version was reported.
pub fn executable_for(runtime: &str) -> Option<PathBuf> {
    let known = EXECUTABLES.lock().unwrap_or_else(|e| e.into_inner());
    known
        .iter()
        .find(|(r, _)| r == runtime)
        .map(|(_, exe)| exe.clone())
}

/// Runs the interpreter once (from `cwd`) and asks for its version and its own executable.
async fn probe(
    program: &str,
    family: RuntimeFamily,
    cwd: &Path,
) -> Option<(String, Option<PathBuf>)> {
    // One line each: the executable, then the version. Both languages since their oldest
    // supported releases.
    let args: [&str; 2] = match family {
        RuntimeFamily::Python => [
            "-c",
            "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])",
        ],
        RuntimeFamily::Node => [
            "-e",
            "console.log(process.execPath); console.log(process.versions.node)",
        ],
        RuntimeFamily::Provided => return None,
    };
    let mut command = tokio::process::Command::new(program);
    if cwd.is_dir() {
        command.current_dir(cwd);
    }
    let out = command
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_probe(&String::from_utf8_lossy(&out.stdout))
}

/// The version and the executable from a probe's output: its last two lines (a
/// `sitecustomize` or `NODE_OPTIONS` preload may print before them). An executable that is
/// not an absolute path to a file (an embedded interpreter reports none) is left out.
fn parse_probe(text: &str) -> Option<(String, Option<PathBuf>)> {
    let mut lines = text.lines().rev().map(str::trim).filter(|l| !l.is_empty());
    let version = lines.next()?;
    if !version.split('.').all(|p| p.parse::<u32>().is_ok()) {
        return None;
    }
    let executable = lines
        .next()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_file());
    Some((version.to_string(), executable))
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
    fn probe_output() {
        let exe = std::env::current_exe().unwrap();
        let text = format!("preload says hi\n{}\n3.12.4\n", exe.display());
        assert_eq!(parse_probe(&text), Some(("3.12.4".into(), Some(exe))));
        // No executable (or not a file): the version alone.
        assert_eq!(parse_probe("\n3.11.7\n"), Some(("3.11.7".into(), None)));
        assert_eq!(
            parse_probe("/no/such/python\n3.11.7"),
            Some(("3.11.7".into(), None))
        );
        assert_eq!(
            parse_probe("relative/python\n20.20.2"),
            Some(("20.20.2".into(), None))
        );
        // Not a version on the last line: the probe failed.
        assert_eq!(parse_probe("/usr/bin/python3\nTraceback"), None);
        assert_eq!(parse_probe(""), None);
    }

    #[test]
    fn recorded_executables_are_per_runtime() {
        let exe = std::env::current_exe().unwrap();
        record_executable("python3.99-test", &exe);
        assert_eq!(executable_for("python3.99-test"), Some(exe.clone()));
        assert_eq!(executable_for("python3.98-test"), None);
        record_executable("python3.99-test", Path::new("/other"));
        assert_eq!(
            executable_for("python3.99-test"),
            Some(PathBuf::from("/other"))
        );
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
