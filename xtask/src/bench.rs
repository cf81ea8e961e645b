//! `cargo xtask bench`: speed figures of the shared crypto, natively and in
//! headless Chromium, in release builds, then the worker's benchmark
//! journeys (`tests/bench.rs`) against `wrangler dev`. It prints medians,
//! percentiles and ratios; no test asserts a time.

use crate::command::{Failure, cmd};
use crate::setup::{self, CHROMEDRIVER};

pub fn bench() -> Result<(), Failure> {
    setup::ensure(setup::Needs::BuildAndBrowser)?;
    cmd("cargo")
        .args([
            "test",
            "--release",
            "--package",
            "shared",
            "--test",
            "crypto_bench",
        ])
        .args(["--", "--nocapture"])
        .run()?;
    cmd("wasm-pack")
        .args([
            "test",
            "--release",
            "--headless",
            "--chrome",
            "--mode",
            "no-install",
        ])
        .args([
            "--chromedriver",
            CHROMEDRIVER,
            "shared",
            "--test",
            "crypto_bench",
        ])
        .args(["--", "--nocapture"])
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
        .run()?;
    // The worker's figures: route latency beside /api/health, where an
    // approved payment's time goes, what each route costs in D1
    // statements and Durable Object requests, and payments per second.
    cmd("cargo")
        .args(["test", "--package", "e2e", "--test", "e2e", "--", "bench::"])
        .run()
}
