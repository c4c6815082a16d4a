//! How an instance's processes are started: the [`Launch`] a pool holds for its function, the
//! [`Program`] chosen for the function's runtime family, and the command built from them
//! (wrapped in `setpriv` so the process dies with the gateway).
//!
//! Separate from the instance's life because it is decided once per function and knows nothing
//! of a running instance: it only turns a function into a command to spawn.

use std::path::PathBuf;
use std::process::Stdio;

use lambdagate_model::RuntimeFamily;
use tokio::process::Command;

/// How to start the processes of one function.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    /// The environment, without the per-instance variables.
    pub env: Vec<(String, String)>,
    /// What to run.
    pub program: Program,
    /// `--function-user`: the user and group the processes run as (else ours).
    pub user: Option<crate::environment::FunctionUser>,
}

/// The program of an instance.
#[derive(Debug, Clone)]
pub(crate) enum Program {
    /// An interpreter running our bootstrap.
    Bootstrap {
        /// The runtime identifier (`python3.12`), whose probed executable is used once known.
        runtime: String,
        interpreter: String,
        /// The interpreter's options before the script (see [`node_options`]).
        options: Vec<String>,
        script: PathBuf,
    },
    /// The function's own `bootstrap` (found in the code folder, then in the layers).
    Provided { candidates: Vec<PathBuf> },
    /// Nothing can run this function; the reason is the answer.
    Unavailable(String),
}

impl Launch {
    /// Whether the instances speak frames on a Unix socket to us: our bootstraps do, unless
    /// the function runs as another user, who cannot open our private folder (TCP then).
    /// Only such runtimes are sent events ahead (see `instance::ahead`).
    pub(crate) fn speaks_frames(&self) -> bool {
        matches!(self.program, Program::Bootstrap { .. }) && self.user.is_none()
    }

    pub(super) fn command(&self, cwd: &std::path::Path) -> Result<Command, String> {
        let (program, args): (PathBuf, Vec<&std::ffi::OsStr>) = match &self.program {
            Program::Bootstrap {
                runtime,
                interpreter,
                options,
                script,
            } => (
                crate::bootstraps::executable_for(runtime)
                    .unwrap_or_else(|| PathBuf::from(interpreter)),
                options
                    .iter()
                    .map(std::ffi::OsStr::new)
                    .chain([script.as_os_str()])
                    .collect(),
            ),
            Program::Provided { candidates } => {
                let found = candidates.iter().find(|p| p.is_file()).ok_or_else(|| {
                    let list: Vec<String> =
                        candidates.iter().map(|p| p.display().to_string()).collect();
                    format!("Couldn't find valid bootstrap(s): [{}]", list.join(" "))
                })?;
                (found.clone(), Vec::new())
            }
            Program::Unavailable(why) => return Err(why.clone()),
        };
        // The instance dies with the gateway, even when the gateway is SIGKILLed: `setpriv`
        // sets the parent-death signal and then execs the runtime (same pid), which needs no
        // `unsafe` pre-exec hook here. Only a program found on PATH is wrapped, so a missing
        // interpreter still fails to spawn with its own error.
        let path = self
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_str());
        //
        // And it runs as SCHED_BATCH (`chrt`, exec'd the same way): a batch task does not
        // preempt the running one when it wakes. Every request passes through the gateway's
        // worker twice, and an instance woken by its event used to preempt that worker about
        // once every two requests, stalling every other connection meanwhile (see "Instances
        // as batch tasks" in docs/design-notes.md). The function sees the same CPU share.
        let mut cmd = match find_program(&program, path) {
            Some(resolved) => {
                let mut line: Vec<std::ffi::OsString> = Vec::new();
                if let Some(setpriv) = pdeath_wrapper() {
                    line.push(setpriv.into());
                    line.extend(["--pdeathsig", "KILL", "--"].map(Into::into));
                }
                if let Some(chrt) = batch_wrapper() {
                    line.push(chrt.into());
                    line.extend(["--batch", "0"].map(Into::into));
                }
                line.push(resolved.into());
                let mut cmd = Command::new(&line[0]);
                cmd.args(&line[1..]);
                cmd
            }
            None => Command::new(&program),
        };
        cmd.args(args);
        cmd.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(user) = &self.user {
            // std drops the supplementary groups too when it changes the uid as root.
            cmd.uid(user.uid).gid(user.gid);
        }
        Ok(cmd)
    }
}

/// Finds the programs that wrap an instance's (see [`Launch::command`]), which the first
/// launch would otherwise wait for.
pub(crate) fn find_wrappers() {
    pdeath_wrapper();
    batch_wrapper();
}

/// `setpriv` when it is installed and knows `--pdeathsig` (util-linux 2.33 and later).
fn pdeath_wrapper() -> Option<&'static std::path::Path> {
    static SETPRIV: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    SETPRIV
        .get_or_init(|| {
            let path = std::env::var("PATH").ok();
            let Some(setpriv) = find_program(std::path::Path::new("setpriv"), path.as_deref())
            else {
                tracing::warn!(
                    "setpriv (util-linux) not found: function instances may outlive a killed lambdagate"
                );
                return None;
            };
            let help = std::process::Command::new(&setpriv)
                .arg("--help")
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .ok()?;
            let knows = String::from_utf8_lossy(&help.stdout).contains("--pdeathsig");
            if !knows {
                tracing::warn!(
                    "{} has no --pdeathsig: function instances may outlive a killed lambdagate",
                    setpriv.display()
                );
            }
            knows.then_some(setpriv)
        })
        .as_deref()
}

/// `chrt` when it is installed and may make a process SCHED_BATCH here (a container's
/// seccomp profile may refuse `sched_setscheduler`; then instances run as normal tasks).
fn batch_wrapper() -> Option<&'static std::path::Path> {
    static CHRT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CHRT.get_or_init(|| {
        let path = std::env::var("PATH").ok();
        let chrt = find_program(std::path::Path::new("chrt"), path.as_deref())?;
        // `chrt` running itself as the program: works wherever `chrt` does.
        let works = std::process::Command::new(&chrt)
            .args(["--batch", "0"])
            .arg(&chrt)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        works.then_some(chrt)
    })
    .as_deref()
}

/// The file `program` names: itself when it has a slash, else the first match on `path`.
fn find_program(program: &std::path::Path, path: Option<&str>) -> Option<PathBuf> {
    if program.components().count() > 1 {
        // Absolute: the child runs in the function's code folder, not in ours.
        return program
            .is_file()
            .then(|| std::path::absolute(program).ok())
            .flatten();
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Chooses the program for a function family.
pub(crate) fn program_for(
    function: &lambdagate_model::Function,
    bootstraps: Result<&crate::bootstraps::Bootstraps, String>,
) -> Program {
    match function.family {
        RuntimeFamily::Provided => {
            let mut candidates = vec![function.code_dir.join("bootstrap")];
            candidates.extend(function.layers.iter().rev().map(|l| l.join("bootstrap")));
            Program::Provided { candidates }
        }
        family => {
            let bootstraps = match bootstraps {
                Ok(b) => b,
                Err(e) => return Program::Unavailable(format!("cannot write the bootstraps: {e}")),
            };
            let Some(script) = bootstraps.for_family(family) else {
                return Program::Unavailable(format!(
                    "this lambdagate build carries no bootstrap for {}",
                    function.runtime
                ));
            };
            Program::Bootstrap {
                runtime: function.runtime.clone(),
                interpreter: crate::bootstraps::interpreter(family).unwrap_or_default(),
                options: match family {
                    RuntimeFamily::Node => node_options(function.memory_mb),
                    _ => Vec::new(),
                },
                script: script.to_path_buf(),
            }
        }
    }
}

/// The options Lambda's Node.js runtimes start `node` with (their `/var/runtime/bootstrap`):
/// `gc()` exposed, HTTP headers up to 80 KiB in node's `http`, and a heap sized from the
/// function's MemorySize, a tenth of it for the young generation (two semi-spaces) and the
/// rest for the old one. So a function that calls `gc()` runs as on Lambda, and one that
/// outgrows its heap fails with V8's out-of-memory error at the same size (without them, node
/// sizes its heap from the machine's memory: 4 GB here, and 16 MB semi-spaces against
/// Lambda's 6 at 128 MB). A user's `NODE_OPTIONS` still applies; options on the command line
/// come after it, as on Lambda.
fn node_options(memory_mb: u32) -> Vec<String> {
    let young = memory_mb / 10;
    vec![
        "--expose-gc".to_string(),
        "--max-http-header-size".to_string(),
        "81920".to_string(),
        format!("--max-semi-space-size={}", young / 2),
        format!("--max-old-space-size={}", memory_mb - young),
    ]
}

#[cfg(test)]
mod tests {
    use super::node_options;

    #[test]
    fn node_heap_options_follow_lambdas_formula() {
        assert_eq!(
            node_options(128),
            [
                "--expose-gc",
                "--max-http-header-size",
                "81920",
                "--max-semi-space-size=6",
                "--max-old-space-size=116"
            ]
        );
        let big = node_options(10_240);
        assert_eq!(big[3], "--max-semi-space-size=512");
        assert_eq!(big[4], "--max-old-space-size=9216");
        assert_eq!(
            node_options(1_769)[3..],
            ["--max-semi-space-size=88", "--max-old-space-size=1593"]
        );
    }
}
