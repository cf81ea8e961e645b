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
                "--features",
                "gateway-worker/operator",
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
        // Not `wallet-web/peers`: its module (`tests/peers/peers.js`) is made
        // by `cargo xtask bench --peers`, and wasm-bindgen reads it while
        // compiling.
        arguments.extend(["--features", "gateway-worker/operator"]);
        arguments.extend(["--", "-D", "warnings"]);
        cmd("cargo").args(arguments).run()?;
        // The shop's first module, as `cargo xtask build` makes it.
        cmd("cargo")
            .args(["clippy", "--target", "wasm32-unknown-unknown"])
            .args(["--package", "wallet-web", "--features", "shell"])
            .args(["--", "-D", "warnings"])
            .run()?;
        // And the deployable worker as it ships: without the operator
        // routes, nothing left over unused.
        cmd("cargo")
            .args([
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "--package",
                "gateway-worker",
                "--",
                "-D",
                "warnings",
            ])
            .run()
    })?;
    step("shared stays pure", check_shared_dependencies)?;
    step("unit tests (native)", || {
        cmd("cargo")
            .args(["test", "--package", "shared", "--package", "wallet-web"])
            .args(["--package", "xtask"])
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
    step("local secrets", secrets::ensure_dev_vars)?;
    step(
        "deployable bundle (wrangler deploy --dry-run), without operator routes",
        deployable_bundle,
    )?;
    step("release build (local, with operator routes)", || {
        build::build_local()?;
        // The deployable check above would pass vacuously if the markers
        // were never compiled at all: the local bundle must carry them.
        let built = bundle_bytes(&crate::command::workspace_root().join("gateway-worker/build"))?;
        if !built
            .windows(OPERATOR_MARKERS[0].len())
            .any(|window| window == OPERATOR_MARKERS[0].as_bytes())
        {
            return Err(Failure::new("the local bundle lacks the operator routes"));
        }
        Ok(())
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

/// Text only the operator routes carry: present in the local bundle, and
/// never in the deployable one.
const OPERATOR_MARKERS: [&str; 3] = [
    "test-authorizations",
    "only a test card the operator had printed",
    "a test reference may not be empty or name a gateway payment",
];

/// Every file of a bundle directory (not its subdirectories), concatenated.
fn bundle_bytes(directory: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        if path.is_file() {
            bytes.extend(std::fs::read(&path)?);
        }
    }
    Ok(bytes)
}

/// Builds the deployable worker, bundles it as `wrangler deploy` would
/// (`--dry-run`), and checks that no operator route made it in.
fn deployable_bundle() -> Result<(), Failure> {
    build::build(build::Worker::Deployable)?;
    let out_dir = target_dir().join("deploy-dry-run");
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir)?;
    }
    build::wrangler(["deploy", "--dry-run", "--outdir"])
        .args([&out_dir])
        .env(crate::PREBUILT_VARIABLE, "1")
        .run()?;
    let bundled = bundle_bytes(&out_dir)?;
    if bundled.is_empty() {
        return Err(Failure::new("the dry run bundled nothing"));
    }
    let found: Vec<&str> = OPERATOR_MARKERS
        .into_iter()
        .filter(|marker| {
            bundled
                .windows(marker.len())
                .any(|window| window == marker.as_bytes())
        })
        .collect();
    if !found.is_empty() {
        return Err(Failure::new(format!(
            "the deployable bundle carries operator routes: {found:?}"
        )));
    }
    println!(
        "xtask: the deployable bundle ({} bytes) carries no operator route",
        bundled.len()
    );
    Ok(())
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
