//! Waiting for the signals that end a server: SIGINT (Ctrl-C) and SIGTERM.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Installed SIGINT/SIGTERM handlers.
///
/// Install them before telling anyone the server is ready: a signal that arrives between
/// "Listening on" and the first poll of a lazily installed handler would otherwise take the
/// default action and kill the process without a graceful shutdown.
pub struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl Signals {
    /// Installs the handlers now. Must be called inside the Tokio runtime.
    pub fn install() -> Self {
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// Resolves when the process receives SIGINT or SIGTERM, after saying at once on stderr
    /// that the server is shutting down (finishing in-flight work can take a while). From then
    /// on, a second signal ends the process at once.
    pub async fn recv(mut self) {
        self.next().await;
        eprintln!(
            "Shutting down: finishing in-flight requests and stopping functions \
             (press Ctrl-C again to stop now)"
        );
        tokio::spawn(async move {
            self.next().await;
            eprintln!("Stopping now");
            lambdagate_lambda::output::flush();
            // The conventional status of a process ended by SIGINT.
            std::process::exit(130);
        });
    }

    async fn next(&mut self) {
        async fn next(s: &mut Option<Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                // Without this handler, wait for the other one.
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = next(&mut self.interrupt) => {}
            _ = next(&mut self.terminate) => {}
        }
    }
}
