//! The data plane: answers HTTP requests as API Gateway would for an application's APIs.
//!
//! A request goes through [`Gateway::handle`] ([`pipeline`]): the stages in `stages/`, one file
//! each, over one `RequestContext`, against the [`Snapshot`] of the application compiled at load
//! time ([`compile`]). Integrations sit behind one trait ([`integration`]); every answer the
//! gateway gives itself is a [`GatewayError`] rendered in one place ([`responses`]). The HTTP
//! [`server`] behind `lambdagate start-api` keeps clients' header-name casing.

mod authorization;
mod backend;
pub use lambdagate_state::clock;
pub mod compile;
mod conn_guard;
mod context;
mod cors;
#[doc(hidden)]
pub mod fuzzing;
mod header_case;
mod ids;
pub mod integration;
mod pipeline;
mod reply;
mod request;
pub mod responses;
mod router;
pub mod server;
mod snapshot;
mod stages;
mod state;
mod static_files;
mod validation;

pub use authorization::{AuthSettings, Authorization};
pub use backend::{Backend, BoxFuture, FnBackend, FunctionHandle};
pub use clock::{Clock, ManualClock, SystemClock};
pub use compile::{Addressing, CompileError, CompiledApp, RouteRow};
pub use context::RequestContext;
pub use pipeline::Gateway;
pub use reply::Reply;
pub use request::IncomingRequest;
pub use responses::{GatewayError, ResponseType};
pub use snapshot::Snapshot;
