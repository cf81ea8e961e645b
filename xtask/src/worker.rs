//! The worker's release build: cargo (wasm32), wasm-bindgen's module glue,
//! wasm-opt, and esbuild bundling our entry module (`worker_entry.js`)
//! into `gateway-worker/build/`, which wrangler.toml names as `main`.

use crate::build::{
    WASM_OPT_FEATURES, Worker, esbuild_bin, node_bin, release_wasm, remove_if_present, up_to_date,
};
use crate::command::{Failure, cargo_bin_dir, cmd, target_dir, workspace_root};
use crate::setup;

/// The sources the worker's build reads, besides the workspace manifest and
/// lock: this file and its entry module among them.
const WORKER_SOURCES: [&str; 8] = [
    "gateway-worker/src",
    "gateway-worker/api",
    "gateway-worker/Cargo.toml",
    "shared",
    "xtask/src/build.rs",
    "xtask/src/worker.rs",
    "xtask/src/worker_entry.js",
    "wrangler.toml",
];

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
