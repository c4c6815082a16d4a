//! Who is calling: the checks behind JWT, Cognito user pool and IAM authorizers.
//!
//! - [`jwt`]: bearer tokens verified against an OIDC issuer's published keys (discovery document
//!   and JWKS fetched over HTTP, cached), and against the local signing key of [`local`].
//! - [`local`]: the key `lambdagate token` signs with, kept in lambdagate's state folder.
//! - [`sigv4`]: AWS Signature Version 4 on incoming requests, verified by signing again.
//!
//! The gateway's `authorize` stage decides what each answer means for the request; this crate
//! only says whether a credential is genuine and what it claims.

mod b64;
pub mod jwt;
pub mod local;
pub mod sigv4;
