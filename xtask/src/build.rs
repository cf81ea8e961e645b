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
/// This file is one of them: it holds each build's steps and flags.
const WALLET_SOURCES: [&str; 4] = [
    "wallet-web/src",
    "wallet-web/Cargo.toml",
    "shared",
    "xtask/src/build.rs",
];
const WORKER_SOURCES: [&str; 7] = [
    "gateway-worker/src",
    "gateway-worker/api",
    "gateway-worker/Cargo.toml",
    "shared",
    "xtask/src/build.rs",
    "xtask/src/worker_entry.js",
    "wrangler.toml",
];

/// The WebAssembly features wasm-opt may use: what rustc's
/// wasm32-unknown-unknown emits by default.
const WASM_OPT_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
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
    let gateway_root = gateway_root_public_key()?;
    let stamp = target_dir().join("wallet-gateway-root.txt");
    let same_key = std::fs::read_to_string(&stamp).is_ok_and(|built| built == gateway_root);
    let built = WALLET_MODULES
        .iter()
        .all(|module| up_to_date(&package_dir.join(module.wasm()), &WALLET_SOURCES));
    if same_key && built {
        println!("xtask: the wallet is up to date; assembling dist/ only");
        return assemble_dist(&root, &package_dir);
    }
    // The stamp goes first: a build stopped half-way must not pass for
    // one made with this key.
    remove_if_present(&stamp)?;
    if package_dir.exists() {
        std::fs::remove_dir_all(&package_dir)?;
    }
    for module in WALLET_MODULES {
        let mut build = cmd("cargo")
            .args(["build", "--release", "--target", setup::WASM_TARGET])
            .args(["--package", "wallet-web"]);
        if let Some(feature) = module.feature {
            build = build.args(["--features", feature]);
        }
        build.env(GATEWAY_ROOT_VARIABLE, &gateway_root).run()?;
        // Each build of the crate leaves its module at the same path: a
        // copy under the module's name (which the size profile reads).
        let linked = wallet_module_wasm(module.name);
        std::fs::create_dir_all(target_dir().join(WALLET_MODULES_DIR))?;
        std::fs::copy(release_wasm("wallet_web.wasm"), &linked)?;
        cmd(cargo_bin_dir().join("wasm-bindgen"))
            .args(["--target", "web", "--no-typescript"])
            .args(["--out-name", module.name, "--out-dir"])
            .args([&package_dir, &linked])
            .run()?;
        let wasm = package_dir.join(module.wasm());
        cmd(node_bin("wasm-opt"))
            .args(["-Oz"])
            .args(WASM_OPT_FEATURES)
            .args(["-o"])
            .args([&wasm, &wasm])
            .run()?;
    }
    // The shell holds no key or card code: neither the crypto crates (by
    // the names its linked module keeps) nor the payment seal's labels
    // (in what ships) may be in it.
    let linked = std::fs::read(wallet_module_wasm(WALLET_MODULES[0].name))?;
    let shipped = std::fs::read(package_dir.join(WALLET_MODULES[0].wasm()))?;
    let found = SHELL_FORBIDDEN_CRATES
        .iter()
        .map(|name| (&linked, name))
        .chain(SHELL_FORBIDDEN_LABELS.iter().map(|label| (&shipped, label)))
        .find(|(bytes, text)| {
            bytes
                .windows(text.len())
                .any(|window| window == text.as_bytes())
        });
    if let Some((_, text)) = found {
        return Err(Failure::new(format!(
            "the shell's module holds {text:?}: key or card code is in the first visit's download"
        )));
    }
    std::fs::write(stamp, gateway_root)?;
    assemble_dist(&root, &package_dir)
}

/// Where each wallet module's linked wasm (before wasm-bindgen) is kept.
const WALLET_MODULES_DIR: &str = "wallet-modules";

/// The linked wasm of the wallet's module `name`.
pub fn wallet_module_wasm(name: &str) -> PathBuf {
    target_dir()
        .join(WALLET_MODULES_DIR)
        .join(format!("{name}.wasm"))
}

/// The crypto crates, which only the wallet's module may link.
const SHELL_FORBIDDEN_CRATES: [&str; 6] = [
    "argon2",
    "aes_gcm",
    "hpke",
    "curve25519_dalek",
    "ed25519_dalek",
    "p256",
];

/// Labels of the payment seal (HPKE's and the sealed payment's), which
/// only the wallet's module may hold.
const SHELL_FORBIDDEN_LABELS: [&str; 2] = ["HPKE-v1", "ewallet sealed payment v1"];

/// One of the wallet's modules: the crate built with `feature`, its files
/// named `name`.
pub struct WalletModule {
    pub name: &'static str,
    feature: Option<&'static str>,
}

impl WalletModule {
    fn wasm(&self) -> String {
        format!("{}_bg.wasm", self.name)
    }

    fn glue(&self) -> String {
        format!("{}.js", self.name)
    }
}

/// The shop's first module (what a first visit fetches), and the
/// wallet's (the whole app, fetched when the shopper needs the wallet).
pub const WALLET_MODULES: [WalletModule; 2] = [
    WalletModule {
        name: "shell",
        feature: Some("shell"),
    },
    WalletModule {
        name: "wallet_web",
        feature: None,
    },
];

/// Where wasm-bindgen's output for the wallet is kept before `dist/`.
const WALLET_PACKAGE_DIR: &str = "wallet-pkg";

/// Where the content-addressed assets go inside `dist/`; `static/_headers`
/// lets browsers keep everything under it for a year.
const ASSETS_DIR: &str = "assets";

/// The static files that are named by their content in `dist/`, as the
/// pages in `static/` refer to them.
const HASHED_STATIC: [&str; 4] = ["app.css", "boot.js", "staff.js", "favicon.svg"];

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
    let mut expected: Vec<String> = WALLET_MODULES
        .iter()
        .flat_map(|module| [module.glue(), module.wasm()])
        .collect();
    expected.sort();
    if built != expected {
        return Err(Failure::new(format!(
            "wasm-bindgen wrote {built:?}; dist/ assembles only {expected:?}"
        )));
    }
    let mut renamed: Vec<(String, String)> = Vec::new();
    // The boot modules name each wasm (they pass its path to the glue,
    // whose own default name is never used) and each glue.
    for file in &built {
        let bytes = std::fs::read(package_dir.join(file))?;
        let served = place(&assets, file, &bytes)?;
        renamed.push((format!("/pkg/{file}"), served));
    }
    let static_dir = root.join("static");
    for file in HASHED_STATIC {
        let text = rewrite(&std::fs::read_to_string(static_dir.join(file))?, &renamed);
        if text.contains("/pkg/") {
            return Err(Failure::new(format!(
                "static/{file} names a /pkg/ file the build does not make"
            )));
        }
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

/// `target/wasm32-unknown-unknown/release/<file>`.
fn release_wasm(file: &str) -> PathBuf {
    target_dir()
        .join(setup::WASM_TARGET)
        .join("release")
        .join(file)
}

fn remove_if_present(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
        _ => Ok(()),
    }
}

/// The worker's entry module: Cloudflare's entrypoint and Durable Object
/// classes around wasm-bindgen's module; `__EVENTS__` and `__CLASSES__`
/// are filled in from that module's exports.
const WORKER_ENTRY: &str = include_str!("worker_entry.js");

/// Where the worker is staged (wasm-bindgen's output, the entry module)
/// before `gateway-worker/build/`, which wrangler.toml names as `main`.
const WORKER_STAGING_DIR: &str = "worker-pkg";
const WORKER_BUILD_DIR: &str = "gateway-worker/build";

/// The events the worker's Rust code may handle (`#[event(...)]`); each is
/// called with its argument, the environment and the context. Any other
/// exported function fails the build rather than becoming callable.
const WORKER_EVENTS: [&str; 2] = ["fetch", "scheduled"];

/// wasm-bindgen's exported functions that are not events: the `worker`
/// crate's shared state, which the entry module reads, and wasm-bindgen's
/// reset, which its glue calls itself after a trap.
const WORKER_SYSTEM_EXPORTS: [&str; 2] = ["__wbg_reset_state", "__worker_init_state"];

/// The worker: cargo (release, wasm32), wasm-bindgen's module glue (which,
/// with these flags and the `worker` crate's abort handler, makes a fresh
/// instance after a trap), wasm-opt, and esbuild bundling the entry module
/// with the glue into `gateway-worker/build/index.js` beside
/// `index_bg.wasm`.
pub fn build_worker(worker: Worker) -> Result<(), Failure> {
    let root = workspace_root();
    let output = root.join(WORKER_BUILD_DIR);
    let stamp = target_dir().join("worker-kind.txt");
    let same_kind = std::fs::read_to_string(&stamp).is_ok_and(|built| built == worker.stamp());
    if same_kind && up_to_date(&output.join("index.js"), &WORKER_SOURCES) {
        println!("xtask: the {} worker is up to date", worker.stamp());
        return Ok(());
    }
    // The stamp goes first: a build stopped half-way must never pass for
    // the other kind (a deploy shipping the operator routes).
    remove_if_present(&stamp)?;
    let mut build = cmd("cargo")
        .args(["build", "--release", "--target", setup::WASM_TARGET])
        .args(["--package", "gateway-worker"]);
    if worker == Worker::Local {
        build = build.args(["--features", "operator"]);
    }
    build.run()?;
    let staging = target_dir().join(WORKER_STAGING_DIR);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
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
        .args([&staging, &release_wasm("gateway_worker.wasm")])
        .run()?;
    let staged_wasm = staging.join("index_bg.wasm");
    cmd(node_bin("wasm-opt"))
        .args(["-O"])
        .args(WASM_OPT_FEATURES)
        // wasm-bindgen's catch wrappers use exception handling; the names
        // section stays, so a trap names its Rust functions.
        .args(["--enable-exception-handling", "--debuginfo", "-o"])
        .args([&staged_wasm, &staged_wasm])
        .run()?;
    let glue = std::fs::read_to_string(staging.join("index.js"))?;
    let wrangler = std::fs::read_to_string(root.join("wrangler.toml"))?;
    std::fs::write(
        staging.join("entry.js"),
        worker_entry(&glue, &durable_object_classes(&wrangler))?,
    )?;
    cmd(esbuild_bin())
        .args(["entry.js", "--bundle", "--format=esm", "--minify"])
        .args(["--external:./index_bg.wasm", "--external:cloudflare:*"])
        .args(["--outfile=worker.js"])
        .current_dir(&staging)
        .run()?;
    let bundled = plain_wasm_import(&std::fs::read_to_string(staging.join("worker.js"))?)?;
    if output.exists() {
        std::fs::remove_dir_all(&output)?;
    }
    std::fs::create_dir_all(&output)?;
    std::fs::write(output.join("index.js"), bundled)?;
    std::fs::copy(&staged_wasm, output.join("index_bg.wasm"))?;
    std::fs::write(stamp, worker.stamp())?;
    Ok(())
}

/// The bundle with wasm-bindgen's source phase import of the module
/// (`import source wasm from "./index_bg.wasm"`), which wrangler's bundler
/// does not take, made a plain import: the same `WebAssembly.Module` on
/// Workers. Exactly one such import, and nothing else, is rewritten.
fn plain_wasm_import(bundle: &str) -> Result<String, Failure> {
    const SOURCE_IMPORT: &str = "import source ";
    let imports: Vec<usize> = bundle
        .match_indices(SOURCE_IMPORT)
        .map(|(at, _)| at)
        .filter(|at| {
            let rest = &bundle[at + SOURCE_IMPORT.len()..];
            let Some((name, from)) = rest.split_once(" from") else {
                return false;
            };
            is_identifier(name) && from.trim_start().starts_with("\"./index_bg.wasm\"")
        })
        .collect();
    let [at] = imports[..] else {
        return Err(Failure::new(format!(
            "the worker bundle has {} source imports of ./index_bg.wasm; expected one",
            imports.len()
        )));
    };
    Ok(format!(
        "{}import {}",
        &bundle[..at],
        &bundle[at + SOURCE_IMPORT.len()..]
    ))
}

/// A JavaScript identifier of the plain kind wasm-bindgen exports.
fn is_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && characters.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The Durable Object classes `wrangler.toml` binds (`class_name = "..."`).
fn durable_object_classes(wrangler: &str) -> Vec<String> {
    wrangler
        .lines()
        .filter_map(|line| line.trim().strip_prefix("class_name"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"').to_owned())
        .collect()
}

/// The entry module for wasm-bindgen's module text `glue`: its exported
/// functions are the events (each one of [`WORKER_EVENTS`]), and each class
/// of `classes` (which the glue must export) is wrapped as a Durable
/// Object. Other exported classes (the `worker` crate's option types) stay
/// inside the bundle.
fn worker_entry(glue: &str, classes: &[String]) -> Result<String, Failure> {
    let mut events = Vec::new();
    let mut exported_classes = Vec::new();
    for line in glue.lines() {
        let declaration = line
            .strip_prefix("export function ")
            .or_else(|| line.strip_prefix("export async function "));
        if let Some(rest) = declaration {
            let name = rest.split('(').next().unwrap_or_default().trim();
            if WORKER_SYSTEM_EXPORTS.contains(&name) {
                continue;
            }
            if !WORKER_EVENTS.contains(&name) {
                return Err(Failure::new(format!(
                    "the worker exports {name:?}, which is not one of the events {WORKER_EVENTS:?}: add it to WORKER_EVENTS if it is one"
                )));
            }
            events.push(name);
        } else if let Some(rest) = line.strip_prefix("export class ") {
            exported_classes.push(rest.split('{').next().unwrap_or_default().trim());
        } else if line.starts_with("export ") {
            return Err(Failure::new(format!(
                "wasm-bindgen's worker module has an export of a form this build does not read: {line:?}"
            )));
        }
    }
    if !events.contains(&"fetch") {
        return Err(Failure::new("the worker exports no fetch handler"));
    }
    if let Some(missing) = classes
        .iter()
        .find(|class| !exported_classes.contains(&class.as_str()) || !is_identifier(class))
    {
        return Err(Failure::new(format!(
            "wrangler.toml binds the Durable Object class {missing:?}, which the worker does not export"
        )));
    }
    let events: Vec<String> = events.iter().map(|event| format!("\"{event}\"")).collect();
    let classes: Vec<String> = classes
        .iter()
        .map(|class| format!("export const {class} = durableObject(wasm.{class});"))
        .collect();
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{durable_object_classes, plain_wasm_import, worker_entry};

    /// The shape of wasm-bindgen's module glue for the worker, cut short.
    const GLUE: &str = "import { state } from './snippets/worker-1/inline0.js';
import source wasmModule from \"./index_bg.wasm\";
export class BankLedger {
    fetch(request) {}
}
export class MinifyConfig {
}
export function __wbg_reset_state () {
}
export function __worker_init_state() {
}
export function fetch(req, env, ctx) {
}
export function scheduled(event, env, ctx) {
}
";

    fn classes(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn the_entry_hands_on_the_events_and_wraps_the_bound_classes_only() {
        let entry = worker_entry(GLUE, &classes(&["BankLedger"])).unwrap();
        assert!(entry.contains(r#"for (const event of ["fetch", "scheduled"])"#));
        assert!(entry.contains("export const BankLedger = durableObject(wasm.BankLedger);"));
        assert!(!entry.contains("MinifyConfig"));
        assert!(!entry.contains("__EVENTS__") && !entry.contains("__CLASSES__"));
    }

    #[test]
    fn an_unknown_export_or_a_missing_class_fails_the_build() {
        let extra = GLUE.replace("export function scheduled", "export function debug_dump");
        assert!(worker_entry(&extra, &classes(&["BankLedger"])).is_err());
        let reexport = format!("{GLUE}export {{ fetch as handle }};\n");
        assert!(worker_entry(&reexport, &classes(&["BankLedger"])).is_err());
        assert!(worker_entry(GLUE, &classes(&["Ledger"])).is_err());
        let no_fetch = GLUE.replace("export function fetch", "function fetch");
        assert!(worker_entry(&no_fetch, &classes(&[])).is_err());
    }

    #[test]
    fn only_the_modules_source_import_is_rewritten() {
        let bundle = r#"import source a from"./index_bg.wasm";var s="import source b from";"#;
        assert_eq!(
            plain_wasm_import(bundle).unwrap(),
            r#"import a from"./index_bg.wasm";var s="import source b from";"#
        );
        assert!(plain_wasm_import("import a from\"./index_bg.wasm\";").is_err());
    }

    #[test]
    fn the_bound_classes_are_read_from_wrangler_toml() {
        let wrangler = "[[durable_objects.bindings]]\nname = \"LEDGER\"\nclass_name = \"BankLedger\"\n  class_name=\"QuoteBudget\"\n";
        assert_eq!(
            durable_object_classes(wrangler),
            classes(&["BankLedger", "QuoteBudget"])
        );
    }
}
