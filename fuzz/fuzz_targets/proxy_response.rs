//! A function's answer through the payload 1.0 and 2.0 proxy-response parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lambdagate_gateway::fuzzing::proxy_response(data);
});
