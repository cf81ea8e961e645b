//! `cargo xtask bench`: speed figures of the shared crypto, natively and in
//! headless Chromium, in release builds. It prints medians and ratios; no
//! test asserts a time.

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
        .run()
}
