//! Route templates and request paths: the input is `METHOD /template` lines, a `\0`, the
//! request method, a `\0`, the request path.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let templates = parts.next().unwrap_or_default();
    let method = parts.next().unwrap_or("GET");
    let path = parts.next().unwrap_or("/");
    lambdagate_gateway::fuzzing::router(templates, method, path);
});
