//! Parses arbitrary text as a template and renders what parses, with variables of every kind
//! and small limits: neither may panic, and a render must stop within its bounds.
#![no_main]

use lambdagate_vtl::{Limits, NoEnv, Options, Template, Undefined, Value, Variables};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(template) = Template::parse(source) else {
        return;
    };
    for undefined in [Undefined::Source, Undefined::Empty] {
        let mut vars = Variables::new();
        vars.insert("s", Value::str("abc,def"));
        vars.insert("n", Value::Int(7));
        vars.insert("f", Value::Float(2.5));
        vars.insert(
            "doc",
            Value::from_json(&serde_json::json!({"a": [1, {"b": "c"}], "d": null})),
        );
        let options = Options {
            limits: Limits {
                steps: 200_000,
                output_bytes: 1 << 20,
                ..Limits::default()
            },
            undefined,
        };
        let _ = template.render(&mut vars, &NoEnv, &options);
    }
});
