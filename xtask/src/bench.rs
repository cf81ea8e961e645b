//! `cargo xtask bench [--peers]`: speed figures of the shared crypto,
//! natively and in headless Chromium, in release builds, with the ratio of
//! each browser figure to its native one; the wallet's own payment seal in
//! the page (its X25519 by WebCrypto), and with `--peers`, in the same
//! page, pinned peer libraries (hash-wasm's Argon2id, @hpke/core's HPKE)
//! interleaved with ours. Then the worker's benchmark journeys
//! (`tests/bench.rs`) against `wrangler dev`. It prints medians,
//! percentiles and ratios; no test asserts a time.

use crate::command::{Failure, cargo_bin_dir, cmd, workspace_root};
use crate::setup::{self, CHROMEDRIVER};

/// The peers' npm project (pinned in its own lock file, installed only
/// for this benchmark) and the bundle the browser benchmark imports.
const PEERS_DIR: &str = "wallet-web/tests/peers";
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
    let browser = browser_bench("shared", None)?;
    // The wallet's own seal, and with --peers its peers, in the page.
    browser_bench("wallet-web", peers.then_some("peers"))?;
    print_wasm_over_native(&native, &browser);
    print_wallet_sizes()?;
    // The worker's figures: route latency beside /api/health, where an
    // approved payment's time goes, what each route costs in D1
    // statements and Durable Object requests, and payments per second.
    cmd("cargo")
        .args(["test", "--package", "e2e", "--test", "e2e", "--", "bench::"])
        .run()
}

/// `crypto_bench` of `package` in headless Chromium, release build, with
/// `feature`; its output.
fn browser_bench(package: &str, feature: Option<&str>) -> Result<String, Failure> {
    let mut bench = cmd("wasm-pack")
        .args(["test", "--release", "--headless", "--chrome", "--mode"])
        .args(["no-install", "--chromedriver", CHROMEDRIVER, package])
        .args(["--test", "crypto_bench"]);
    if let Some(feature) = feature {
        bench = bench.args(["--features", feature]);
    }
    bench
        .args(["--", "--nocapture"])
        .env("WASM_BINDGEN_TEST_TIMEOUT", "600")
        .run_and_keep()
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
        match (
            figure(native, "native", name),
            figure(browser, "headless Chromium (wasm32)", name),
        ) {
            (Some(native_ms), Some(wasm_ms)) if native_ms > 0.0 => println!(
                "bench ratio: {name}: wasm {wasm_ms:.3} ms / native {native_ms:.3} ms = {:.2}",
                wasm_ms / native_ms
            ),
            _ => println!("bench ratio: {name}: a figure is missing from the runs above"),
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
            "bench ratio: vault unlock (Argon2id): wasm {wasm_ms:.1} ms / native {native_ms:.1} ms = {:.2} (natively ours runs its portable compression, size-optimised)",
            wasm_ms / native_ms
        );
    }
    let crate_native = figure(
        native,
        "native",
        "Argon2id by the argon2 crate, same cost, single-threaded",
    );
    match (crate_native, unlock(browser, "headless Chromium (wasm32)")) {
        (Some(crate_ms), Some(wasm_ms)) if crate_ms > 0.0 => println!(
            "bench ratio: vault unlock (Argon2id): wasm {wasm_ms:.1} ms / native argon2 crate (one thread) {crate_ms:.1} ms = {:.2}",
            wasm_ms / crate_ms
        ),
        _ => println!(
            "bench ratio: vault unlock beside the argon2 crate: a figure is missing from the runs above"
        ),
    }
}

/// The size profiler, pinned; installed for the benchmark only.
const TWIGGY_VERSION: &str = "0.8.0";

/// How many crates the size profile names; the rest are summed.
const SIZE_PROFILE_CRATES: usize = 16;

/// What each crate costs in each of the wallet's modules (the shell, the
/// wallet's): twiggy's shallow sizes of the release build's functions and
/// data (before wasm-bindgen and
/// wasm-opt, which keep the names), summed by the crate each item's name
/// starts with. Shares, not the shipped bytes: `bench::page_weight…`
/// prints those.
fn print_wallet_sizes() -> Result<(), Failure> {
    crate::build::build_wallet()?;
    crate::setup::ensure_cargo_tool("twiggy", "twiggy", TWIGGY_VERSION)?;
    for module in crate::build::WALLET_MODULES {
        print_module_sizes(module.name)?;
    }
    Ok(())
}

fn print_module_sizes(name: &str) -> Result<(), Failure> {
    let wasm = crate::build::wallet_module_wasm(name);
    let table = cmd(cargo_bin_dir().join("twiggy"))
        .args(["top", "-n", "1000000", "--format", "csv"])
        .args([&wasm])
        .read()?;
    let mut by_crate: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for line in table.lines().skip(1) {
        // name,shallow size,shallow %,retained size,retained %: the name
        // may hold commas, the four numbers after it do not.
        let mut fields = line.rsplitn(5, ',');
        let (Some(_), Some(_), Some(_), Some(size), Some(name)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        let Ok(size) = size.parse::<u64>() else {
            continue;
        };
        // Custom sections (names, wasm-bindgen's descriptors) never ship.
        if name.contains("custom section")
            || name.contains("subsection")
            || name.contains("__wbindgen_describe")
        {
            continue;
        }
        *by_crate.entry(crate_of(name)).or_default() += size;
    }
    let total: u64 = by_crate.values().sum();
    let unnamed = by_crate.get("(other)").copied().unwrap_or(0);
    if total == 0 || unnamed * 2 > total {
        return Err(Failure::new(format!(
            "twiggy's table did not parse into crates ({total} bytes, {unnamed} unnamed): has its format or the build's name section changed?"
        )));
    }
    let mut ranked: Vec<(String, u64)> = by_crate.into_iter().collect();
    ranked.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    println!(
        "bench size: the {name} module's wasm by crate, {total} bytes of code and data before wasm-bindgen and wasm-opt (twiggy {TWIGGY_VERSION}):"
    );
    let rest: u64 = ranked
        .iter()
        .skip(SIZE_PROFILE_CRATES)
        .map(|(_, size)| size)
        .sum();
    for (name, size) in ranked.iter().take(SIZE_PROFILE_CRATES) {
        println!(
            "bench size:   {name:<24} {size:>8} bytes {:>5.1} %",
            *size as f64 * 100.0 / total as f64
        );
    }
    println!(
        "bench size:   {:<24} {rest:>8} bytes {:>5.1} %",
        "(the rest)",
        rest as f64 * 100.0 / total as f64
    );
    Ok(())
}

/// The crate an item's name starts with: the first path segment, past a
/// leading `<` or `&` of a trait impl; data segments and unnamed items
/// are grouped as they are.
fn crate_of(name: &str) -> String {
    let name = name.trim_matches('"');
    if name.starts_with("data[") || name.starts_with("data segment") {
        return "(data)".to_owned();
    }
    let trimmed = name
        .trim_start_matches(['<', '&'])
        .trim_start_matches("mut ");
    match trimmed.split_once("::") {
        Some((first, _)) if first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            first.to_owned()
        }
        _ => "(other)".to_owned(),
    }
}
