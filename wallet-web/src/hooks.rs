//! Hooks: the bridge from components to `api` and `vault`.

pub mod use_catalog;
pub mod use_checkout;
pub mod use_orders;
pub mod use_staff;
pub mod use_vault;
