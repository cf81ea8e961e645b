//! `cargo xtask test`: every check and every test layer, in the order that
//! fails fastest. It ends with the end-to-end runner's own summary and
//! exits non-zero on the first failure.

use std::time::Instant;

use crate::build;
use crate::command::{Failure, cmd, target_dir};
use crate::secrets;
use crate::setup::{self, CHROMEDRIVER};

/// The crates compiled to wasm32: the wasm clippy pass lists them, since the
/// host-only test crates do not build for wasm32.
const WASM_PACKAGES: [&str; 3] = ["shared", "wallet-web", "gateway-worker"];

/// Crates `shared` must never depend on: it stays pure and platform-free.
const SHARED_FORBIDDEN_DEPENDENCIES: [&str; 6] = [
    "worker",
    "worker-sys",
    "web-sys",
    "yew",
    "gloo-net",
    "gloo-utils",
];

/// Seconds a browser test file may run (Argon2 in debug builds is slow).
const BROWSER_TEST_TIMEOUT_SECONDS: &str = "180";

pub fn test() -> Result<(), Failure> {
    step("setup", || setup::ensure(setup::Needs::BuildAndBrowser))?;
    step("format", || {
        cmd("cargo").args(["fmt", "--all", "--check"]).run()
    })?;
    step("clippy (host)", || {
        cmd("cargo")
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .run()
    })?;
    step("clippy (wasm32)", || {
        let mut arguments = vec![
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
        ];
        for package in WASM_PACKAGES {
            arguments.extend(["--package", package]);
        }
        arguments.extend(["--", "-D", "warnings"]);
        cmd("cargo").args(arguments).run()
    })?;
    step("shared stays pure", check_shared_dependencies)?;
    step("unit tests (native)", || {
        cmd("cargo")
            .args(["test", "--package", "shared", "--package", "wallet-web"])
            .run()?;
        // The worker's rules (the payment's decision machine) compile and
        // run natively too: its library's own tests.
        cmd("cargo")
            .args(["test", "--package", "gateway-worker", "--lib"])
            .run()
    })?;
    for package in ["shared", "wallet-web"] {
        step(
            &format!("browser tests ({package}, headless Chromium)"),
            || {
                cmd("wasm-pack")
                    .args(["test", "--headless", "--chrome", "--mode", "no-install"])
                    .args(["--chromedriver", CHROMEDRIVER, package])
                    .env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_TEST_TIMEOUT_SECONDS)
                    .run()
            },
        )?;
    }
    step("release build", build::build)?;
    step("local secrets", secrets::ensure_dev_vars)?;
    step("deployable bundle (wrangler deploy --dry-run)", || {
        let out_dir = target_dir().join("deploy-dry-run");
        build::wrangler(["deploy", "--dry-run", "--outdir"])
            .args([out_dir])
            .env(crate::PREBUILT_VARIABLE, "1")
            .run()
    })?;
    // Last, and printing nothing after it: the command's output closes with
    // the test runner's own summary.
    println!("\nxtask: == end-to-end and interoperability tests (tests/) ==");
    cmd("cargo")
        .args(["test", "--package", "e2e"])
        .env(crate::PREBUILT_VARIABLE, "1")
        .run()
        .map_err(|failure| Failure::new(format!("tests/: {failure}")))
}

/// Runs one step, printing its name and how long it took.
fn step(name: &str, action: impl FnOnce() -> Result<(), Failure>) -> Result<(), Failure> {
    println!("\nxtask: == {name} ==");
    let started = Instant::now();
    let outcome = action();
    let seconds = started.elapsed().as_secs_f64();
    match &outcome {
        Ok(()) => println!("xtask: == {name}: ok in {seconds:.1} s =="),
        Err(_) => println!("xtask: == {name}: FAILED after {seconds:.1} s =="),
    }
    outcome.map_err(|failure| Failure::new(format!("{name}: {failure}")))
}

/// Architecture invariant: `shared` depends on neither the worker runtime
/// nor the browser's, on any target.
fn check_shared_dependencies() -> Result<(), Failure> {
    let tree = cmd("cargo")
        .args([
            "tree",
            "--package",
            "shared",
            "--edges",
            "normal,build",
            "--target",
            "all",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .read()?;
    let forbidden: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| SHARED_FORBIDDEN_DEPENDENCIES.contains(name))
        .collect();
    if forbidden.is_empty() {
        println!("xtask: shared depends on none of {SHARED_FORBIDDEN_DEPENDENCIES:?}");
        Ok(())
    } else {
        Err(Failure::new(format!("shared depends on {forbidden:?}")))
    }
}
