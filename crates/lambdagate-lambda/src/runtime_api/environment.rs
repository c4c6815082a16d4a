//! What the Runtime API serves: the execution environment's operations and the event it hands
//! out, the same over HTTP and in frames.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use super::connection::Connection;
use crate::{Invocation, Outcome};

/// What the Runtime API needs of the execution environment it serves: one call per Runtime API
/// operation. An instance implements it; this module knows nothing else of instances, so it
/// stays below them (the instance starts this listener, the listener only answers to it).
///
/// Served through a generic, not `dyn`: the futures of `next` and `prefetch_next` stay unboxed
/// on the per-invocation path.
pub(crate) trait ExecutionEnvironment: Send + Sync + 'static {
    /// `GET /runtime/invocation/next`: waits for the next invocation; `None` when the
    /// environment is stopping (the runtime is told to exit).
    fn next(
        self: &Arc<Self>,
        conn: &Arc<Connection>,
    ) -> impl Future<Output = Option<NextEvent>> + Send;

    /// For a runtime that pipelined its `GET /next` behind the answer just accepted (the
    /// `Lambdagate-Next-Follows` header): waits for the next event now, so the answer and the
    /// event can leave together. The `GET /next` that follows takes it.
    fn prefetch_next(self: &Arc<Self>, conn: &Arc<Connection>) -> impl Future<Output = ()> + Send;

    /// For a frame connection whose runtime is running an invocation: the next queued one, to
    /// send now as an event ahead (see "Events ahead" in docs/design-notes.md). The runtime
    /// takes it as the answer to its next `N` without waiting; `None` when nothing is queued
    /// or sending ahead would not pay (the invocations are slow).
    fn take_ahead(self: &Arc<Self>, conn: &Arc<Connection>) -> Option<NextEvent>;

    /// A runtime asked for its next event: begins the event sent ahead, if there is one (it is
    /// in the runtime's hands already, so nothing more is sent). False when there is none.
    fn begin_ahead(self: &Arc<Self>, conn: &Arc<Connection>) -> bool;

    /// The runtime is about to exit (it asked for an acknowledgement): the event sent ahead,
    /// if any, goes back to the queue; the runtime skips it.
    fn withdraw_ahead(self: &Arc<Self>);

    /// `POST /runtime/invocation/{id}/response` or `/error`: the answer to the invocation in
    /// progress; `Err` when `request_id` is not that invocation.
    fn complete(&self, request_id: &str, outcome: Outcome) -> Result<(), ()>;

    /// `POST /runtime/init/error`: the runtime could not initialize; the error type and body
    /// become the answer to the invocations that wait for this environment.
    fn init_error(&self, error_type: String, payload: Bytes);

    /// Whether a connection comes from one of the environment's own processes. Any other
    /// connection is closed unanswered: another function's process that found this port must
    /// not take these invocations or answer them.
    fn owns_connection(self: &Arc<Self>, peer: Peer) -> impl Future<Output = bool> + Send;
}

/// Who is at the other end of a Runtime API connection, as far as the kernel tells.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Peer {
    /// A TCP connection from `peer` to our `local` address: its owner is found by its socket.
    Tcp { peer: SocketAddr, local: SocketAddr },
    /// A Unix socket connection, made by this process (`SO_PEERCRED`).
    Process(u32),
}

/// What `GET /next` answers.
pub(crate) struct NextEvent {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: Arc<str>,
    /// When the invocation times out.
    pub deadline: EventDeadline,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// Lambda always passes a trace header; this one is used when the caller sent none.
    pub fallback_trace_id: String,
    /// The event and the caller's context.
    pub invocation: Invocation,
}

/// When an event's invocation times out, as the runtime is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventDeadline {
    /// `Lambda-Runtime-Deadline-Ms`: at this Unix time, in milliseconds.
    At(u128),
    /// An event sent ahead: its clock starts when the runtime begins it, so the runtime is
    /// given the Timeout ([`TIMEOUT_HEADER`], milliseconds) and computes the deadline itself.
    /// Only frames carry it; our bootstraps turn it into the deadline the function sees.
    After(u64),
}

/// The frames' header of an event sent ahead: its Timeout in milliseconds, in place of
/// `lambda-runtime-deadline-ms`.
pub(crate) const TIMEOUT_HEADER: &str = "lambdagate-timeout-ms";

impl NextEvent {
    /// The Runtime API headers that come with the event (`GET /next`'s, and the frames' `V`).
    pub(crate) fn each_header(&self, mut put: impl FnMut(&'static str, &str)) {
        let inv = &self.invocation;
        put("lambda-runtime-aws-request-id", &self.request_id);
        let mut digits = itoa::Buffer::new();
        match self.deadline {
            EventDeadline::At(ms) => put("lambda-runtime-deadline-ms", digits.format(ms)),
            EventDeadline::After(ms) => put(TIMEOUT_HEADER, digits.format(ms)),
        }
        put("lambda-runtime-invoked-function-arn", &self.function_arn);
        put(
            "lambda-runtime-trace-id",
            inv.trace_id.as_deref().unwrap_or(&self.fallback_trace_id),
        );
        if let Some(cc) = &inv.client_context {
            put("lambda-runtime-client-context", cc);
        }
        if let Some(ci) = &inv.cognito_identity {
            put("lambda-runtime-cognito-identity", ci);
        }
    }
}
