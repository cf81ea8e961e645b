//! The shopper's wallet: a Yew app compiled to WebAssembly and served by the
//! worker as a static asset; the same module serves the store's back
//! office at `/staff`. `static/boot.js` loads it and calls [`run`].
//!
//! Architecture invariant: components never call `fetch` or IndexedDB
//! themselves; they use hooks, which go through `api` (the only network
//! code) and `vault` (the only storage and key code). Card details leave
//! the vault's hook only sealed (`use_vault::Sealer`).

mod api;
mod app;
mod checkout_state;
mod components;
mod format;
mod hooks;
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

/// Mounts the wallet, or on `/staff` the store's back office, on the
/// page's `<main id="app">` (or the body).
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
