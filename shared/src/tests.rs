//! Unit tests of the pure core. They run natively and, through
//! wasm-bindgen-test, in headless Chromium (`cargo xtask test` runs both);
//! the property tests run natively.

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use core::prelude::v1::test;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod argon2id;
mod assertion;
mod card;
#[cfg(not(target_arch = "wasm32"))]
mod corpus;
mod crypto;
mod money;
#[cfg(not(target_arch = "wasm32"))]
mod props;
mod support;
