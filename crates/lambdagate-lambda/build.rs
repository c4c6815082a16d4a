//! Copies the language bootstraps from `runtimes/` into OUT_DIR so `include_str!` always has a
//! file to read. A checkout without them still builds; such a binary reports at run time that it
//! carries no bootstrap for that language instead of failing to compile.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let runtimes = Path::new(&manifest).join("../../runtimes");
    println!("cargo:rerun-if-changed={}", runtimes.display());
    for (source, name) in [
        ("python/bootstrap.py", "bootstrap.py"),
        ("node/bootstrap.mjs", "bootstrap.mjs"),
    ] {
        let path = runtimes.join(source);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(Path::new(&out).join(name), text).expect("write OUT_DIR");
    }
}
