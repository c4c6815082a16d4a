//! Template text (YAML or JSON) through the loader, as served and as `validate` checks it.
#![no_main]

use std::path::Path;

use lambdagate_template::{LoadOptions, load_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A folder that does not exist: relative CodeUris and includes resolve to nothing.
    let path = Path::new("/nonexistent/lambdagate-fuzz/template.yaml");
    let _ = load_str(text, path, &LoadOptions::default());
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    let _ = load_str(text, path, &strict);
});
