//! `cargo xtask bench [--peers]`: speed figures of the shared crypto,
//! natively and in headless Chromium, in release builds, with the ratio of
//! each browser figure to its native one; with `--peers`, the same page
//! also runs pinned peer libraries (hash-wasm's Argon2id, @hpke/core's
//! HPKE) interleaved with ours. Then the worker's benchmark journeys
//! (`tests/bench.rs`) against `wrangler dev`. It prints medians,
//! percentiles and ratios; no test asserts a time.

use crate::command::{Failure, cmd, workspace_root};
use crate::setup::{self, CHROMEDRIVER};

/// The peers' npm project (pinned in its own lock file, installed only
/// for this benchmark) and the bundle the browser benchmark imports.
const PEERS_DIR: &str = "shared/tests/peers";
const PEERS_ENTRY: &str = "entry.js";
const PEERS_BUNDLE: &str = "peers.js";

pub fn bench(peers: bool) -> Result<(), Failure> {
    setup::ensure(setup::Needs::BuildAndBrowser)?;
    let native = cmd("cargo")
        .args([
            "test",
            "--release",
            "--package",
            "shared",
            "--test",
            "crypto_bench",
        ])
        .args(["--", "--nocapture"])
        .run_and_keep()?;
    if peers {
        bundle_peers()?;
    }
    let mut browser = cmd("wasm-pack")
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
        ]);
    if peers {
        browser = browser.args(["--features", "peers"]);
    }
    let browser = browser
        .args(["--", "--nocapture"])
        .env("WASM_BINDGEN_TEST_TIMEOUT", "600")
        .run_and_keep()?;
    print_wasm_over_native(&native, &browser);
    // The worker's figures: route latency beside /api/health, where an
    // approved payment's time goes, what each route costs in D1
    // statements and Durable Object requests, and payments per second.
    cmd("cargo")
        .args(["test", "--package", "e2e", "--test", "e2e", "--", "bench::"])
        .run()
}

/// Installs the peers at their pinned versions and bundles them into one
/// module for the browser benchmark.
fn bundle_peers() -> Result<(), Failure> {
    let directory = workspace_root().join(PEERS_DIR);
    cmd("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(&directory)
        .run()?;
    let esbuild = workspace_root().join("node_modules/.bin/esbuild");
    cmd(esbuild)
        .args([
            PEERS_ENTRY,
            "--bundle",
            "--format=esm",
            "--platform=browser",
            &format!("--outfile={PEERS_BUNDLE}"),
        ])
        .current_dir(&directory)
        .run()
}

/// The figure of `name` in a benchmark's output: the number before `ms`
/// on the line `bench [<platform>] <name>: <n> ms ...`.
fn figure(output: &str, platform: &str, name: &str) -> Option<f64> {
    let prefix = format!("bench [{platform}] {name}: ");
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

/// Each browser figure over its native one, both measured in this run.
fn print_wasm_over_native(native: &str, browser: &str) {
    for name in ["seal payment", "open payment", "verify key-set signature"] {
        if let (Some(native_ms), Some(wasm_ms)) = (
            figure(native, "native", name),
            figure(browser, "headless Chromium (wasm32)", name),
        ) {
            println!(
                "bench ratio: {name}: wasm {wasm_ms:.3} ms / native {native_ms:.3} ms = {:.2}",
                wasm_ms / native_ms
            );
        }
    }
    let unlock = |output: &str, platform: &str| {
        output
            .lines()
            .find(|line| line.contains(&format!("bench [{platform}] unlock vault")))
            .and_then(|line| line.split(": ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse::<f64>().ok())
    };
    if let (Some(native_ms), Some(wasm_ms)) = (
        unlock(native, "native"),
        unlock(browser, "headless Chromium (wasm32)"),
    ) {
        println!(
            "bench ratio: vault unlock (Argon2id): wasm {wasm_ms:.1} ms / native {native_ms:.1} ms = {:.2}",
            wasm_ms / native_ms
        );
    }
}
