//! Hooks: the bridge from components to `api` and `vault`.

pub mod use_catalog;
pub mod use_checkout;
pub mod use_orders;
#[cfg_attr(not(feature = "shell"), allow(dead_code))]
pub mod use_shell_wallet;
pub mod use_staff;
pub mod use_vault;
