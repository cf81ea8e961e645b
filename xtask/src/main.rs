//! The project's commands, run through cargo so that a fresh clone needs
//! nothing but the Rust toolchain, Node.js and the package registries:
//!
//! - `cargo xtask run`: build, create local secrets, migrate the local D1
//!   database and serve everything with `wrangler dev` on 127.0.0.1:8787.
//! - `cargo xtask test`: every check and every test layer, ending with the
//!   end-to-end runner's summary.
//! - `cargo xtask build`: the release build both use (and wrangler's
//!   `[build] command`); a no-op when `EWALLET_PREBUILT=1`.
//! - `cargo xtask setup [--browser]`: install what is missing.
//! - `cargo xtask secrets`: create missing local secrets in `.dev.vars`.
//! - `cargo xtask provision [--persist-to DIR | --remote]`: register the store's API
//!   key with the local gateway (the demo's merchant onboarding).
//!   With `--remote`: a fresh key, registered in the deployed gateway's
//!   database and printed once (the deployed worker has no operator routes).
//! - `cargo xtask cards`: the demo cards with their CVCs under the local key.
//! - `cargo xtask pay CARD [--order ID]`: pay an order on the running worker
//!   with a demo card, sealed as the wallet seals it.
//! - `cargo xtask bench [--peers]`: speed and size figures, native, in
//!   Chromium (with `--peers`, beside peer libraries in the same page) and
//!   against `wrangler dev`.
//! - `cargo xtask fuzz [SECONDS]`: a bounded run of the decoders' fuzz
//!   targets, growing the corpus the unit tests replay.

mod bench;
mod build;
mod cards;
mod check;
mod command;
mod fuzz;
mod pay;
mod provision;
mod secrets;
mod setup;
mod worker;

use std::process::ExitCode;

use crate::command::{Failure, workspace_root};

/// The address `cargo xtask run` serves on.
const RUN_ADDRESS: &str = "127.0.0.1";
const RUN_PORT: &str = "8787";

/// Set in the environment of wrangler (and of its `[build] command`) once
/// the project has been built, so that wrangler does not build it again.
pub const PREBUILT_VARIABLE: &str = "EWALLET_PREBUILT";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let outcome = match words.as_slice() {
        ["run"] => run(),
        ["test"] => check::test(),
        ["build"] => build::build_unless_prebuilt(),
        ["bench"] => bench::bench(false),
        ["bench", "--peers"] => bench::bench(true),
        ["secrets"] => secrets::ensure_dev_vars(),
        ["cards"] => cards::print(),
        ["pay", card] => pay::pay(card, None),
        ["pay", card, "--order", order_id] => pay::pay(card, Some(order_id)),
        ["provision"] => provision::provision(None),
        ["provision", "--persist-to", directory] => provision::provision(Some(directory)),
        ["provision", "--remote"] => provision::provision_remote(),
        ["fuzz"] => fuzz::fuzz(None),
        ["fuzz", seconds] => fuzz::fuzz(Some(seconds)),
        ["setup"] => setup::ensure(setup::Needs::Build),
        ["setup", "--browser"] => setup::ensure(setup::Needs::BuildAndBrowser),
        _ => Err(Failure::usage(
            "usage: cargo xtask (run | test | build | setup [--browser] | secrets | provision [--persist-to DIR | --remote] | cards | pay CARD [--order ID] | bench [--peers] | fuzz [SECONDS])",
        )),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask run`.
fn run() -> Result<(), Failure> {
    setup::ensure(setup::Needs::Build)?;
    build::build_local()?;
    secrets::ensure_dev_vars()?;
    let root = workspace_root();
    for database in build::D1_DATABASES {
        build::wrangler(["d1", "migrations", "apply", database, "--local"])
            .env("CI", "true")
            .run()?;
    }
    provision::provision(None)?;
    println!("xtask: serving the wallet at http://{RUN_ADDRESS}:{RUN_PORT}/");
    build::wrangler(["dev", "--ip", RUN_ADDRESS, "--port", RUN_PORT])
        .env(PREBUILT_VARIABLE, "1")
        .current_dir(&root)
        .run()
}
