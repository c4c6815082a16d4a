//! One module per command.

pub mod generate_event;
pub mod invoke;
pub mod routes;
pub mod start_api;
pub mod start_lambda;
pub mod token;
pub mod validate;
