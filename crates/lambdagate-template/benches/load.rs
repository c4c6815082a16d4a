//! Load-time benchmark: loads the largest fixture template N times and prints mean and p50.
//! Run with `cargo bench -p lambdagate-template` (or `cargo bench ... -- 500` for N=500).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lambdagate_template::{LoadOptions, load};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let largest = ["seed-000", "seed-001", "seed-004"]
        .iter()
        .map(|name| fixtures.join(name).join("template.yaml"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("fixtures");
    let options = LoadOptions::default();
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let loaded = load(&largest, &options);
        times.push(start.elapsed());
        assert!(loaded.is_ok(), "{:?}", loaded.err());
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / n as u32;
    println!(
        "load {}: n={n} mean={:.3} ms p50={:.3} ms max={:.3} ms",
        largest.display(),
        mean.as_secs_f64() * 1e3,
        times[n / 2].as_secs_f64() * 1e3,
        times[n - 1].as_secs_f64() * 1e3
    );
}
