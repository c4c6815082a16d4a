//! The data plane: answers HTTP requests as API Gateway would for an application's APIs.
//!
//! Routing, Lambda proxy events (1.0 and 2.0), responses, CORS, and the HTTP server behind
//! `lambdagate start-api`.

pub mod router;
