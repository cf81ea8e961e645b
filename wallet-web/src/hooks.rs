//! Hooks: the bridge from components to `api` (and later the vault).

pub mod use_catalog;
pub mod use_checkout;
pub mod use_vault;
