//! What the gateway answers to one request, with what the access log needs.

use bytes::Bytes;

/// The gateway's answer to one request, with what the access log needs.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// The function that served it, if any.
    pub function: Option<String>,
    /// The request id (`x-amzn-RequestId` / `apigw-requestid`).
    pub request_id: String,
    /// Why the gateway answered with an error (for the log), if it did.
    pub detail: Option<String>,
}
