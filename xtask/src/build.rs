//! The release build: the wallet into `dist/` (served as wrangler assets)
//! and the worker into `gateway-worker/build/`, with the locally installed
//! tools given by path so that nothing tries to download its own.

use std::path::{Path, PathBuf};

use crate::command::{Cmd, Failure, cargo_bin_dir, cmd, target_dir, workspace_root};
use crate::setup;

/// The D1 bindings whose migrations are applied before `wrangler dev`: each
/// party's own database.
pub const D1_DATABASES: [&str; 3] = ["STORE_DB", "ISSUER_DB", "GATEWAY_DB"];

/// Where the built wallet goes; `wrangler.toml` serves it as `[assets]`.
pub const DIST_DIR: &str = "dist";

/// Which worker a build makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Worker {
    /// What deploys: no operator routes.
    Deployable,
    /// What runs locally and is tested: the operator routes compiled in
    /// (the `operator` feature), for the demo's operator and the tests.
    Local,
}

impl Worker {
    fn stamp(self) -> &'static str {
        match self {
            Worker::Deployable => "deployable",
            Worker::Local => "local",
        }
    }
}

/// Set to 1, `cargo xtask build` makes the local worker (with the operator
/// routes) instead of the deployable one.
pub const OPERATOR_VARIABLE: &str = "EWALLET_OPERATOR";

/// `cargo xtask build`: what wrangler's `[build] command` runs, and so what
/// `wrangler deploy` ships: the deployable worker, without operator routes
/// (unless `EWALLET_OPERATOR=1`).
pub fn build_unless_prebuilt() -> Result<(), Failure> {
    if std::env::var_os(crate::PREBUILT_VARIABLE).is_some_and(|value| value == "1") {
        println!("xtask: already built ({}=1)", crate::PREBUILT_VARIABLE);
        return Ok(());
    }
    setup::ensure(setup::Needs::Build)?;
    let worker = if std::env::var_os(OPERATOR_VARIABLE).is_some_and(|value| value == "1") {
        Worker::Local
    } else {
        Worker::Deployable
    };
    build(worker)
}

pub fn build(worker: Worker) -> Result<(), Failure> {
    build_wallet()?;
    build_worker(worker)
}

/// The local build: `cargo xtask run` and `cargo xtask test` serve it.
pub fn build_local() -> Result<(), Failure> {
    build(Worker::Local)
}

/// The sources each build reads, besides the workspace manifest and lock.
const WALLET_SOURCES: [&str; 3] = ["wallet-web/src", "wallet-web/Cargo.toml", "shared"];
const WORKER_SOURCES: [&str; 4] = [
    "gateway-worker/src",
    "gateway-worker/api",
    "gateway-worker/Cargo.toml",
    "shared",
];

/// The newest modification time of any file under `paths` (and of the
/// workspace manifest, lock file and toolchain file).
fn newest_source(paths: &[&str]) -> std::time::SystemTime {
    fn walk(path: &Path, newest: &mut std::time::SystemTime) {
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        if metadata.is_dir() {
            if path
                .file_name()
                .is_some_and(|name| name == "target" || name == "fuzz")
            {
                return;
            }
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(modified) = metadata.modified() {
            *newest = (*newest).max(modified);
        }
    }
    let root = workspace_root();
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    for path in paths
        .iter()
        .chain(&["Cargo.toml", "Cargo.lock", "rust-toolchain.toml"])
    {
        walk(&root.join(path), &mut newest);
    }
    newest
}

/// True when `output` exists and is newer than every source: nothing to do.
fn up_to_date(output: &Path, sources: &[&str]) -> bool {
    std::fs::metadata(output)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|built| built > newest_source(sources))
}

fn node_bin(name: &str) -> PathBuf {
    workspace_root()
        .join("node_modules")
        .join(".bin")
        .join(name)
}

fn esbuild_bin() -> PathBuf {
    workspace_root().join("node_modules/@esbuild/linux-x64/bin/esbuild")
}

/// `wrangler` from the pinned npm package, with its telemetry and its
/// start-up fetch of Cloudflare's location data turned off (offline here).
pub fn wrangler<I, S>(arguments: I) -> Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    cmd(node_bin("wrangler"))
        .args(arguments)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
}

/// The wallet: cargo (release, wasm32), wasm-bindgen's web glue and
/// wasm-opt for size into `target/wallet-pkg/`, then `dist/` assembled
/// from it and `static/` (`assemble_dist`).
pub fn build_wallet() -> Result<(), Failure> {
    let root = workspace_root();
    let package_dir = target_dir().join(WALLET_PACKAGE_DIR);
    let built_wasm = package_dir.join(WALLET_WASM);
    let gateway_root = gateway_root_public_key()?;
    let stamp = target_dir().join("wallet-gateway-root.txt");
    let same_key = std::fs::read_to_string(&stamp).is_ok_and(|built| built == gateway_root);
    if same_key && up_to_date(&built_wasm, &WALLET_SOURCES) {
        println!("xtask: the wallet is up to date; assembling dist/ only");
        return assemble_dist(&root, &package_dir);
    }
    cmd("cargo")
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--package",
            "wallet-web",
        ])
        .env(GATEWAY_ROOT_VARIABLE, &gateway_root)
        .run()?;
    if package_dir.exists() {
        std::fs::remove_dir_all(&package_dir)?;
    }
    let wasm = target_dir().join("wasm32-unknown-unknown/release/wallet_web.wasm");
    cmd(cargo_bin_dir().join("wasm-bindgen"))
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .args([&package_dir, &wasm])
        .run()?;
    cmd(node_bin("wasm-opt"))
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            "-o",
        ])
        .args([&built_wasm, &built_wasm])
        .run()?;
    std::fs::write(stamp, gateway_root)?;
    assemble_dist(&root, &package_dir)
}

/// Where wasm-bindgen's output for the wallet is kept before `dist/`.
const WALLET_PACKAGE_DIR: &str = "wallet-pkg";
const WALLET_WASM: &str = "wallet_web_bg.wasm";
const WALLET_GLUE: &str = "wallet_web.js";

/// Where the content-addressed assets go inside `dist/`; `static/_headers`
/// lets browsers keep everything under it for a year.
const ASSETS_DIR: &str = "assets";

/// The static files that are named by their content in `dist/`, as the
/// pages in `static/` refer to them.
const HASHED_STATIC: [&str; 3] = ["app.css", "boot.js", "favicon.svg"];

/// `dist/`, afresh: the wallet's wasm and glue, the stylesheet and the
/// boot module under `assets/`, each named by the first 16 hex digits of
/// the SHA-256 of its content (so a changed file is a new name, and an
/// unchanged one is never fetched again), and every other file of
/// `static/` as it is, with each reference to a renamed file (in the pages
/// and the boot module) rewritten to its new name.
fn assemble_dist(root: &Path, package_dir: &Path) -> Result<(), Failure> {
    let dist = root.join(DIST_DIR);
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    let assets = dist.join(ASSETS_DIR);
    std::fs::create_dir_all(&assets)?;
    // Exactly the wasm and its glue: a snippet module wasm-bindgen wrote
    // beside them would be a file the assembly does not know to serve.
    let mut built: Vec<String> = std::fs::read_dir(package_dir)?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    built.sort();
    if built != [WALLET_GLUE, WALLET_WASM] {
        return Err(Failure::new(format!(
            "wasm-bindgen wrote {built:?}; dist/ assembles only {WALLET_GLUE} and {WALLET_WASM}"
        )));
    }
    let mut renamed: Vec<(String, String)> = Vec::new();
    // The wasm first: the boot module names it (it passes the wasm's path
    // to the glue, whose own default name is never used).
    for (from, file) in [(WALLET_WASM, WALLET_WASM), (WALLET_GLUE, WALLET_GLUE)] {
        let bytes = std::fs::read(package_dir.join(file))?;
        let served = place(&assets, from, &bytes)?;
        renamed.push((format!("/pkg/{from}"), served));
    }
    let static_dir = root.join("static");
    for file in HASHED_STATIC {
        let text = rewrite(&std::fs::read_to_string(static_dir.join(file))?, &renamed);
        let served = place(&assets, file, text.as_bytes())?;
        renamed.push((format!("/{file}"), served));
    }
    copy_dir_except(&static_dir, &dist, &HASHED_STATIC)?;
    for page in ["index.html", "staff.html", "404.html"] {
        let path = dist.join(page);
        let text = rewrite(&std::fs::read_to_string(&path)?, &renamed);
        // A name left unrewritten would be a page that loads nothing.
        if let Some((from, _)) = renamed
            .iter()
            .find(|(from, _)| text.contains(from.as_str()))
        {
            return Err(Failure::new(format!("{page} still names {from}")));
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// Writes `bytes` under `assets` as `<stem>.<hash>.<extension>` of `name`;
/// answers the path it is served at.
fn place(assets: &Path, name: &str, bytes: &[u8]) -> Result<String, Failure> {
    let (stem, extension) = name.split_once('.').unwrap_or((name, ""));
    let hashed = format!("{stem}.{}.{extension}", content_hash(bytes));
    std::fs::write(assets.join(&hashed), bytes)?;
    Ok(format!("/{ASSETS_DIR}/{hashed}"))
}

/// `text` with each old name replaced by its new one.
fn rewrite(text: &str, renamed: &[(String, String)]) -> String {
    renamed.iter().fold(text.to_owned(), |text, (from, to)| {
        text.replace(from.as_str(), to)
    })
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The variable the wallet reads its compiled-in gateway key from.
const GATEWAY_ROOT_VARIABLE: &str = "EWALLET_GATEWAY_ROOT_PUBLIC_KEY";

/// The gateway's long-term public key the wallet is built with: from the
/// environment (a deploy sets the production key), else from `.dev.vars`
/// (created first if need be).
fn gateway_root_public_key() -> Result<String, Failure> {
    if let Ok(key) = std::env::var(GATEWAY_ROOT_VARIABLE) {
        let key = key.trim().to_owned();
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Failure::new(format!(
                "{GATEWAY_ROOT_VARIABLE} must be 64 hex digits"
            )));
        }
        return Ok(key);
    }
    crate::secrets::ensure_dev_vars()?;
    crate::secrets::dev_var("GATEWAY_ROOT_PUBLIC_KEY")
}

/// The worker's entry module: Cloudflare's entrypoint and Durable Object
/// classes around wasm-bindgen's module; `__EVENTS__` and `__CLASSES__`
/// are filled in from that module's exports.
const WORKER_ENTRY: &str = include_str!("worker_entry.js");

/// Where the worker is staged (wasm-bindgen's output, the entry module)
/// before `gateway-worker/build/`, which wrangler.toml names as `main`.
const WORKER_STAGING_DIR: &str = "worker-pkg";
const WORKER_BUILD_DIR: &str = "gateway-worker/build";

/// wasm-bindgen's exports that are not events: the `worker` crate's and
/// wasm-bindgen's own, which the entry module calls itself.
const WORKER_SYSTEM_EXPORTS: [&str; 2] = ["__wbg_reset_state", "__worker_init_state"];

/// The worker: cargo (release, wasm32), wasm-bindgen's module glue (with
/// the reset-after-trap support the entry module uses), wasm-opt, and
/// esbuild bundling the entry module with the glue into
/// `gateway-worker/build/index.js` beside `index_bg.wasm`.
pub fn build_worker(worker: Worker) -> Result<(), Failure> {
    let root = workspace_root();
    let output = root.join(WORKER_BUILD_DIR);
    let stamp = target_dir().join("worker-build-kind.txt");
    let same_kind = std::fs::read_to_string(&stamp).is_ok_and(|built| built == worker.stamp());
    if same_kind && up_to_date(&output.join("index.js"), &WORKER_SOURCES) {
        println!("xtask: the {} worker is up to date", worker.stamp());
        return Ok(());
    }
    let mut build = cmd("cargo").args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "--package",
        "gateway-worker",
    ]);
    if worker == Worker::Local {
        build = build.args(["--features", "operator"]);
    }
    build.run()?;
    let staging = target_dir().join(WORKER_STAGING_DIR);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    let wasm = target_dir().join("wasm32-unknown-unknown/release/gateway_worker.wasm");
    cmd(cargo_bin_dir().join("wasm-bindgen"))
        .args([
            "--target",
            "module",
            "--out-name",
            "index",
            "--no-typescript",
        ])
        .args([
            "--experimental-reset-state-function",
            "--force-enable-abort-handler",
        ])
        .args(["--out-dir"])
        .args([&staging, &wasm])
        .run()?;
    let staged_wasm = staging.join("index_bg.wasm");
    cmd(node_bin("wasm-opt"))
        .args([
            "-O",
            "--enable-mutable-globals",
            "--enable-sign-ext",
            "--enable-nontrapping-float-to-int",
            "--enable-bulk-memory",
            "--enable-multivalue",
            "--enable-reference-types",
            "--enable-exception-handling",
            // Keeps the names section: traps name their Rust functions.
            "--debuginfo",
            "-o",
        ])
        .args([&staged_wasm, &staged_wasm])
        .run()?;
    let glue = std::fs::read_to_string(staging.join("index.js"))?;
    std::fs::write(staging.join("entry.js"), worker_entry(&glue)?)?;
    cmd(esbuild_bin())
        .args([
            "entry.js",
            "--bundle",
            "--format=esm",
            "--minify",
            "--external:./index_bg.wasm",
            "--external:cloudflare:*",
            "--outfile=worker.js",
        ])
        .current_dir(&staging)
        .run()?;
    // wasm-bindgen imports the module as a source phase import, which
    // wrangler's bundler does not take; a plain import gives the same
    // `WebAssembly.Module` on Workers.
    let bundled =
        std::fs::read_to_string(staging.join("worker.js"))?.replace("import source ", "import ");
    if output.exists() {
        std::fs::remove_dir_all(&output)?;
    }
    std::fs::create_dir_all(&output)?;
    std::fs::write(output.join("index.js"), bundled)?;
    std::fs::copy(&staged_wasm, output.join("index_bg.wasm"))?;
    std::fs::write(stamp, worker.stamp())?;
    Ok(())
}

/// The entry module for wasm-bindgen's module text `glue`: its exported
/// functions are the events, its exported classes the Durable Objects.
fn worker_entry(glue: &str) -> Result<String, Failure> {
    let mut events = Vec::new();
    let mut classes = Vec::new();
    for line in glue.lines() {
        if let Some(rest) = line.strip_prefix("export function ") {
            let name = rest.split('(').next().unwrap_or_default().trim();
            if !WORKER_SYSTEM_EXPORTS.contains(&name) {
                events.push(format!("\"{name}\""));
            }
        } else if let Some(rest) = line.strip_prefix("export class ") {
            let name = rest.split('{').next().unwrap_or_default().trim();
            classes.push(format!("export const {name} = durableObject(wasm.{name});"));
        }
    }
    let identifier = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"')
    };
    if !events.iter().any(|event| event == "\"fetch\"")
        || !events.iter().all(|event| identifier(event))
    {
        return Err(Failure::new(format!(
            "wasm-bindgen's worker module exports the events {events:?}: expected identifiers, among them fetch"
        )));
    }
    Ok(WORKER_ENTRY
        .replace("__EVENTS__", &format!("[{}]", events.join(", ")))
        .replace("__CLASSES__", &classes.join("\n")))
}

/// Copies `from` into `to`, leaving out the top-level files `except`.
fn copy_dir_except(from: &Path, to: &Path, except: &[&str]) -> Result<(), Failure> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let destination = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir_except(&entry.path(), &destination, &[])?;
        } else if !except.iter().any(|name| entry.file_name() == *name) {
            std::fs::copy(entry.path(), destination)?;
        }
    }
    Ok(())
}
