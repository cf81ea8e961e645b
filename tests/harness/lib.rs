//! The end-to-end harness: the real worker under `wrangler dev` with its own
//! throwaway storage, a headless Chromium driven through ChromeDriver, and
//! small HTTP helpers. Journeys live in the test binary (`main.rs`).
//!
//! Processes are started in their own process groups and the whole group is
//! stopped at the end; groups left behind by a test run that was killed are
//! swept at the next start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod api;
pub mod browser;
pub mod openapi;
pub mod operator;
pub mod process;
pub mod scan;
pub mod server;

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Where this harness writes logs, screenshots and throwaway state.
pub fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("e2e")
}

/// A fresh directory for one run, unique by process id and time. wrangler
/// prints the path, and the log scan flags any run of 12 digits: the
/// seconds and their fraction are written apart.
pub fn run_dir() -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let directory = output_dir().join(format!(
        "run-{}-{}.{:09}",
        std::process::id(),
        now.as_secs(),
        now.subsec_nanos()
    ));
    std::fs::create_dir_all(&directory).expect("create the run directory");
    directory
}

/// A value from the local secrets (`.dev.vars`) the worker runs with.
pub fn dev_var(name: &str) -> String {
    let vars = std::fs::read_to_string(workspace_root().join(".dev.vars")).expect("read .dev.vars");
    vars.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!(".dev.vars has no {name}"))
        .trim()
        .to_owned()
}
