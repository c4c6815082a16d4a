//! The stages of a request, one file each, in the order [`crate::pipeline`] runs them.
//!
//! Every stage works over the one [`crate::context::RequestContext`] and either lets the request
//! go on or stops it with a [`crate::GatewayError`] (or, for preflights and cache hits, an early
//! answer). Stages that later work fills in are already here with their signature and place.

pub mod api_key;
pub mod authorize;
pub mod cache;
pub mod cors;
pub mod integrate;
pub mod log;
pub mod respond;
pub mod select;
pub mod throttle;
pub mod validate;
