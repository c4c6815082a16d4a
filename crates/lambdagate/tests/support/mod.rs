//! Shared helpers for end-to-end tests: run the real `lambdagate` binary and talk to it.
#![allow(dead_code)]

pub mod raw_http;
#[path = "../../../lambdagate-gateway/tests/support/recorded.rs"]
pub mod recorded;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A running `lambdagate` server, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// Every line the server printed on stdout and stderr so far (collected in the background).
    pub output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `lambdagate ARGS…` (args should include `-p 0`) and waits for `Listening on URL`.
    pub fn start(args: &[&str]) -> Server {
        Self::start_in(&repo_root(), args, &[])
    }

    /// Like [`Server::start`], in `dir`, with extra environment variables.
    pub fn start_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lambdagate"));
        command
            .args(args)
            .current_dir(dir)
            .envs(env.iter().copied());
        Self::start_command(command)
    }

    /// Like [`Server::start`] with a command of the caller's (a shell that sets limits first).
    pub fn start_command(mut command: Command) -> Server {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn lambdagate");
        // Owned by a `Server` from the start, so that its `Drop` reaps the child on every path,
        // a panic while starting included.
        let mut server = Server {
            child,
            base_url: String::new(),
            output: std::sync::Arc::new(std::sync::Mutex::new(Vec::new())),
        };
        let (tx, rx) = mpsc::channel::<String>();
        let stdout = server
            .child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = server
            .child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let tx = tx.clone();
            let output = server.output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        // Only the reader threads hold senders now: when the server exits before it listens,
        // both streams close and `recv` fails at once instead of waiting out the deadline.
        drop(tx);
        // Both lines: `Listening on` (stdout) gives the address; SAM's ready line, which the
        // serving commands print on stderr right after it, means every line printed on stderr
        // before it (startup warnings) has been read too, so tests can look at them at once.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut ready = false;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(idx) = line.find("Listening on http") {
                        server.base_url = line[idx + "Listening on ".len()..].trim().to_string();
                    }
                    ready |= line.contains("(Press CTRL+C to quit)");
                    if ready && !server.base_url.is_empty() {
                        return server;
                    }
                }
                Err(_) => {
                    let lines = server.printed();
                    drop(server);
                    panic!("lambdagate did not start listening; it printed:\n{lines}");
                }
            }
        }
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Everything printed so far, joined.
    pub fn printed(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.terminate(Duration::from_secs(5));
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `lambdagate ARGS…` to completion in `dir`, with `stdin` as input.
pub fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lambdagate"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lambdagate");
    if let Some(mut input) = child.stdin.take() {
        // A command may exit without reading its input; its output then tells what happened.
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().unwrap()
}

/// A scratch folder under the system temp folder, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// An empty folder named for the test and this process.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lambdagate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes `text` at `path` inside, creating folders as needed.
    pub fn write(&self, path: &str, text: &str) {
        let path = self.0.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Writes by renaming a sibling into place, as many editors save.
    pub fn save_by_rename(&self, path: &str, text: &str) {
        let tmp = self.0.join(format!("{path}.tmp-save"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.0.join(path)).unwrap();
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Python with boto3 the tests use (`.ci/run` sets it to its virtualenv).
pub fn python() -> String {
    std::env::var("LAMBDAGATE_TEST_PYTHON_SDK").unwrap_or_else(|_| "python3".into())
}

/// moto's server (a local DynamoDB/SQS/SNS/S3/Step Functions endpoint) from the test
/// virtualenv (`.ci/run` installs `moto[server]` there), on a free port; killed when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl Moto {
    /// Starts it and waits until it listens.
    pub fn start() -> Moto {
        let program = PathBuf::from(python()).with_file_name("moto_server");
        let program = if program.exists() {
            program
        } else {
            PathBuf::from("moto_server")
        };
        // Port 0: moto binds a free port itself and names it on stderr. (Choosing one here and
        // passing it raced: another test's server could take it first, this moto failed to
        // bind, and the test talked to the other test's moto until that one stopped.)
        let mut child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): pip install 'moto[server]' (.ci/run does)",
                    program.display()
                )
            });
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Read to the end: moto logs every request here, and a full pipe would stop it.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("Running on http://127.0.0.1:") {
                    let port: String = line[at + "Running on http://127.0.0.1:".len()..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    let _ = tx.send(port);
                }
            }
        });
        // A bound that only catches a hang.
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("moto_server did not say where it listens");
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
