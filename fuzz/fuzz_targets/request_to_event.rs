//! A request (method, path, query, headers, body, `\0`-separated) and the function's answer
//! through the whole pipeline: routing, the proxy event, the answer's parsing. Every event the
//! function receives must be JSON.
#![no_main]

use lambdagate_gateway::fuzzing::{self, FuzzRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let request = FuzzRequest::from_bytes(data);
    let seen = fuzzing::request_to_event(&request);
    assert!(
        seen.events_were_json,
        "an event that is not JSON for {request:?}"
    );
});
