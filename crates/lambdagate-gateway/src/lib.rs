//! The data plane: answers HTTP requests as API Gateway would for an application's APIs.
//!
//! Routing ([`router`], compiled per application in [`compile`]), Lambda proxy events 1.0 and 2.0
//! ([`events`]), responses ([`response`]), CORS ([`cors`]), gateway responses ([`error`]), the
//! per-request [`pipeline`], and the HTTP [`server`] behind `lambdagate start-api`, which keeps
//! clients' header-name casing ([`header_case`]).

pub mod backend;
pub mod compile;
pub mod cors;
pub mod error;
pub mod events;
pub mod header_case;
pub mod ids;
pub mod pipeline;
pub mod request;
pub mod response;
pub mod router;
pub mod server;

pub use backend::{Backend, FnBackend};
pub use compile::{Addressing, CompileError, CompiledApp, RouteRow};
pub use error::GatewayError;
pub use pipeline::{Gateway, Reply};
pub use request::IncomingRequest;
