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
    pub(crate) fn stamp(self) -> &'static str {
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
    crate::worker::build_worker(worker)
}

/// The local build: `cargo xtask run` and `cargo xtask test` serve it.
pub fn build_local() -> Result<(), Failure> {
    build(Worker::Local)
}

/// The sources the wallet's build reads, besides the workspace manifest
/// and lock; this file, with its steps and flags, is one of them (the
/// worker's are in `worker.rs`).
const WALLET_SOURCES: [&str; 4] = [
    "wallet-web/src",
    "wallet-web/Cargo.toml",
    "shared",
    "xtask/src/build.rs",
];

/// The WebAssembly features wasm-opt may use: what rustc's
/// wasm32-unknown-unknown emits by default, and SIMD, which `shared`'s
/// Argon2id enables for its compression alone (the same list serves the
/// worker's module, which holds none).
pub(crate) const WASM_OPT_FEATURES: [&str; 7] = [
    "--enable-bulk-memory",
    // The vault's Argon2id compresses on 128-bit vectors.
    "--enable-simd",
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
pub(crate) fn up_to_date(output: &Path, sources: &[&str]) -> bool {
    std::fs::metadata(output)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|built| built > newest_source(sources))
}

pub(crate) fn node_bin(name: &str) -> PathBuf {
    workspace_root()
        .join("node_modules")
        .join(".bin")
        .join(name)
}

pub(crate) fn esbuild_bin() -> PathBuf {
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
const SHELL_FORBIDDEN_CRATES: [&str; 7] = [
    // The `argon2` crate is a dev-dependency only now; the name still
    // matches, in the mangled names the linked module keeps, shared's own
    // `argon2id`.
    "argon2",
    "blake2",
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
pub(crate) fn release_wasm(file: &str) -> PathBuf {
    target_dir()
        .join(setup::WASM_TARGET)
        .join("release")
        .join(file)
}

pub(crate) fn remove_if_present(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
        _ => Ok(()),
    }
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
