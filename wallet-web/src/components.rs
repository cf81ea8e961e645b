//! Presentational components: they render props and raise callbacks.

pub mod add_card_form;
pub mod card_list;
pub mod catalog_list;
pub mod change_password;
pub mod search_form;
pub mod vault_create;
pub mod vault_unlock;
pub mod wallet_panel;
