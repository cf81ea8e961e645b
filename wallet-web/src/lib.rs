//! The shopper's wallet: a Yew app compiled to WebAssembly and served by the
//! worker as a static asset, in two modules built from this crate. The
//! shop's first module (`--features shell`, `shell.rs`) is what a first
//! visit fetches: the catalog, the order being built and the wallet's
//! create or unlock form. The wallet's module (the default build) is the
//! whole app, fetched when the shopper first needs the wallet; it takes
//! over the page from the shell (`take_over`), and serves the store's back
//! office at `/staff` (`run`). `static/boot.js` and `static/staff.js` load
//! them.
//!
//! Architecture invariant: components never call `fetch` or IndexedDB
//! themselves; they use hooks, which go through `api` (the only network
//! code) and `vault` (the only storage and key code). Card details leave
//! the vault's hook only sealed (`use_vault::Sealer`).

// The shell's build calls a part of the crate: the rest is compiled, then
// dropped by the linker.
#![cfg_attr(feature = "shell", allow(dead_code, unused_imports))]

mod api;
mod app;
mod checkout_state;
mod components;
mod format;
mod handover;
mod hooks;
// Compiled in every build, so every build checks it; only the shell's
// build calls it.
#[cfg_attr(not(feature = "shell"), allow(dead_code))]
mod shell;
mod staff_state;
mod state;
mod trust;
mod vault;
mod webauthn;
/// The payment seal's X25519 by the browser's WebCrypto; public for the
/// benchmark (`tests/crypto_bench.rs`).
#[cfg(target_arch = "wasm32")]
pub mod webcrypto;

use wasm_bindgen::prelude::wasm_bindgen;

/// The back office's page (`static/staff.html`).
const STAFF_PATHS: [&str; 2] = ["/staff", "/staff.html"];

/// The shell's entry: mounts the shop's first screen; `load` (from
/// `static/boot.js`) fetches the wallet's module when the shopper first
/// needs it, answering a promise of its [`take_over`].
#[cfg(feature = "shell")]
#[wasm_bindgen]
pub fn run_shell(load: js_sys::Function) {
    shell::run(load);
}

/// The wallet's module taking over the page from the shell, with what the
/// shell handed over (JSON of `handover::Handover`). The wallet request
/// (a password among it) is taken out before the rest becomes the app's
/// props. A handover that does not read (the two modules are built
/// together, so never in practice) starts the wallet afresh.
#[cfg(not(feature = "shell"))]
#[wasm_bindgen]
pub fn take_over(handover: String) {
    // The text may hold a password: wiped once read.
    let text = zeroize::Zeroizing::new(handover);
    let mut handover: handover::Handover = serde_json::from_str(&text).unwrap_or_default();
    drop(text);
    if let Some(request) = handover.wallet.take() {
        app::hand_wallet_request(request);
    }
    let props = app::AppProps {
        handover: Some(std::rc::Rc::new(handover)),
    };
    match gloo_utils::document().get_element_by_id("app") {
        Some(root) => yew::Renderer::<app::App>::with_root_and_props(root, props).render(),
        None => yew::Renderer::<app::App>::with_props(props).render(),
    };
}

/// Mounts the wallet, or on `/staff` the store's back office, on the
/// page's `<main id="app">` (or the body).
#[cfg(not(feature = "shell"))]
#[wasm_bindgen]
pub fn run() {
    let root = gloo_utils::document().get_element_by_id("app");
    let path = gloo_utils::window()
        .location()
        .pathname()
        .unwrap_or_default();
    if STAFF_PATHS.contains(&path.as_str()) {
        match root {
            Some(root) => {
                yew::Renderer::<components::staff_app::StaffApp>::with_root(root).render()
            }
            None => yew::Renderer::<components::staff_app::StaffApp>::new().render(),
        };
        return;
    }
    match root {
        Some(root) => yew::Renderer::<app::App>::with_root(root).render(),
        None => yew::Renderer::<app::App>::new().render(),
    };
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod checkout_tests;

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;

#[cfg(all(test, target_arch = "wasm32"))]
mod vault_tests;
