//! Installs what a fresh machine of this project's kind lacks, and nothing
//! else: every tool comes from crates.io, npm or Debian, at the version this
//! workspace pins, and an installed tool at the right version is left alone.
//! Running it twice does nothing the second time.

use std::path::Path;

use crate::command::{Failure, cargo_bin_dir, cmd, target_dir, workspace_root};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// wasm-pack drives the browser tests; the version is pinned here because
/// nothing in Cargo.lock names it.
const WASM_PACK_VERSION: &str = "0.15.1";

/// The npm packages whose installed versions must equal `package.json`.
const NPM_PACKAGES: [&str; 4] = ["wrangler", "esbuild", "binaryen", "axe-core"];

/// pyhpke (on pyca/cryptography) from PyPI: the independent RFC 9180
/// implementation the sealed-payment interoperability test checks against.
const PYHPKE_VERSION: &str = "0.6.5";

/// Debian's browser and its driver, for the browser and end-to-end tests.
const BROWSER_PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Enough to build and serve.
    Build,
    /// Also what the tests need: wasm-pack, Chromium and ChromeDriver.
    BuildAndBrowser,
}

pub fn ensure(needs: Needs) -> Result<(), Failure> {
    ensure_wasm_target()?;
    let wasm_bindgen = locked_version("wasm-bindgen")?;
    // npm mostly waits on the disk while cargo compiles: both at once.
    std::thread::scope(|scope| {
        let npm = scope.spawn(ensure_npm_packages);
        let compiled = ensure_cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &wasm_bindgen);
        let installed = npm
            .join()
            .unwrap_or_else(|_| Err(Failure::new("installing the npm packages panicked")));
        compiled.and(installed)
    })?;
    if needs == Needs::BuildAndBrowser {
        ensure_cargo_tool("wasm-pack", "wasm-pack", WASM_PACK_VERSION)?;
        ensure_browser()?;
        ensure_pyhpke()?;
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<(), Failure> {
    let installed = cmd("rustup")
        .args(["target", "list", "--installed"])
        .read()?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    cmd("rustup").args(["target", "add", WASM_TARGET]).run()
}

/// Installs `crate_name` with `cargo install` unless `binary --version`
/// already reports `version`. (`--locked` is not used: the registry mirror
/// here lacks one of wasm-bindgen-cli's locked dependencies.)
pub fn ensure_cargo_tool(binary: &str, crate_name: &str, version: &str) -> Result<(), Failure> {
    let installed = cmd(cargo_bin_dir().join(binary))
        .args(["--version"])
        .probe()
        .unwrap_or_default();
    let installed_version = installed.split_whitespace().last().unwrap_or_default();
    if installed_version == version {
        return Ok(());
    }
    println!(
        "xtask: {binary} {version} is needed (found {installed_version:?}); compiling it from crates.io, unoptimised (about a minute on 2 cores) (crates the tools share are compiled once, in target/{TOOLS_TARGET_DIR}/)"
    );
    let started = std::time::Instant::now();
    cmd("cargo")
        .args(["install", crate_name, "--version", version, "--force"])
        .env("CARGO_TARGET_DIR", target_dir().join(TOOLS_TARGET_DIR))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", TOOLS_OPT_LEVEL)
        .run()?;
    println!(
        "xtask: {binary} {version} installed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where `cargo install` builds the tools: one directory for all of them,
/// so what wasm-bindgen-cli and wasm-pack have in common
/// (wasm-bindgen's CLI support, clap, serde and more, at the same versions
/// and features) is compiled once rather than once per tool.
const TOOLS_TARGET_DIR: &str = "tools";

/// The tools compile unoptimised: wasm-bindgen-cli then compiles in about
/// 50 s rather than 137 s on 2 cores, and writes the same bytes, in 1.3 s
/// rather than 0.3 s for the worker's module and 0.75 s rather than about
/// 0.3 s for the wallet's (measured), once per build that changed.
const TOOLS_OPT_LEVEL: &str = "0";

/// The version of a package as resolved in `Cargo.lock`.
pub fn locked_version(package: &str) -> Result<String, Failure> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock"))?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == name_line {
            let version = lines
                .next()
                .and_then(|line| line.strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'));
            if let Some(version) = version {
                return Ok(version.to_owned());
            }
        }
    }
    Err(Failure::new(format!("Cargo.lock does not name {package}")))
}

fn ensure_npm_packages() -> Result<(), Failure> {
    let root = workspace_root();
    let manifest = read_json(&root.join("package.json"))?;
    let mut up_to_date = true;
    for package in NPM_PACKAGES {
        let wanted = manifest["devDependencies"][package].as_str().unwrap_or("");
        let installed = read_json(&root.join("node_modules").join(package).join("package.json"))
            .ok()
            .and_then(|installed| installed["version"].as_str().map(str::to_owned));
        if installed.as_deref() != Some(wanted) {
            println!("xtask: npm package {package} {wanted} is needed (found {installed:?})");
            up_to_date = false;
        }
    }
    if up_to_date {
        return Ok(());
    }
    cmd("npm").args(["ci", "--no-audit", "--no-fund"]).run()
}

fn ensure_browser() -> Result<(), Failure> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let as_root = cmd("id")
        .args(["-u"])
        .read()
        .is_ok_and(|uid| uid.trim() == "0");
    let apt = |arguments: &[&str]| {
        let command = if as_root {
            cmd("apt-get").args(arguments)
        } else {
            cmd("sudo").args(["apt-get"]).args(arguments)
        };
        command.env("DEBIAN_FRONTEND", "noninteractive").run()
    };
    apt(&["update"])?;
    let mut install = vec!["install", "-y"];
    install.extend(BROWSER_PACKAGES);
    apt(&install)
}

fn ensure_pyhpke() -> Result<(), Failure> {
    let installed = cmd("python3")
        .args(["-c", "import pyhpke; print(pyhpke.__version__)"])
        .probe()
        .unwrap_or_default();
    if installed.trim() == PYHPKE_VERSION {
        return Ok(());
    }
    cmd("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args([format!("pyhpke=={PYHPKE_VERSION}")])
        .run()
}

fn read_json(path: &Path) -> Result<serde_json::Value, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::new(format!("{}: {error}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|error| Failure::new(format!("{}: {error}", path.display())))
}
