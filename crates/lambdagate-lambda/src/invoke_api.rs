//! The Lambda Invoke API.
