//! `cargo xtask fuzz [SECONDS]`: a bounded, repeatable fuzzing run of every
//! decoder target in `shared/fuzz` (cargo fuzz on the nightly toolchain),
//! growing the saved corpus in `shared/fuzz/corpus/`, then minimizing it.
//! The corpus is replayed by an ordinary unit test of `shared` on every
//! `cargo xtask test`.

use crate::command::{Failure, cargo_bin_dir, cmd, workspace_root};

/// Seconds each target runs when no duration is given.
const SECONDS_PER_TARGET_DEFAULT: u32 = 30;

/// The targets, as in `shared::fuzzing::TARGETS`.
const TARGETS: [&str; 4] = [
    "sealed_payment",
    "plaintexts",
    "text_inputs",
    "signed_documents",
];

const CARGO_FUZZ_VERSION: &str = "0.13.2";

pub fn fuzz(seconds: Option<&str>) -> Result<(), Failure> {
    let seconds: u32 = match seconds {
        Some(text) => text
            .parse()
            .map_err(|_| Failure::usage("usage: cargo xtask fuzz [SECONDS per target]"))?,
        None => SECONDS_PER_TARGET_DEFAULT,
    };
    let toolchains = cmd("rustup").args(["toolchain", "list"]).read()?;
    if !toolchains.lines().any(|line| line.starts_with("nightly")) {
        cmd("rustup")
            .args(["toolchain", "install", "nightly", "--profile", "minimal"])
            .run()?;
    }
    let installed = cmd(cargo_bin_dir().join("cargo-fuzz"))
        .args(["--version"])
        .probe()
        .unwrap_or_default();
    if !installed.contains(CARGO_FUZZ_VERSION) {
        cmd("cargo")
            .args(["install", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION])
            .run()?;
    }
    let fuzz_dir = workspace_root().join("shared").join("fuzz");
    for target in TARGETS {
        let corpus = format!("corpus/{target}");
        cmd("cargo")
            .args(["+nightly", "fuzz", "run", "-O", target, &corpus, "--"])
            .args([
                format!("-max_total_time={seconds}"),
                "-max_len=4096".to_owned(),
            ])
            .current_dir(&fuzz_dir)
            .run()?;
        cmd("cargo")
            .args(["+nightly", "fuzz", "cmin", "-O", target, &corpus])
            .current_dir(&fuzz_dir)
            .run()?;
    }
    Ok(())
}
