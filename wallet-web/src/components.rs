//! Presentational components: they render props and raise callbacks.

pub mod catalog_list;
pub mod search_form;
