//! Presentational components: they render props and raise callbacks.

pub mod add_card_form;
pub mod card_list;
pub mod cart_view;
pub mod catalog_list;
pub mod change_password;
pub mod checkout_panel;
pub mod pay_form;
pub mod quote_view;
pub mod receipt_view;
pub mod search_form;
pub mod shipping_form;
pub mod vault_create;
pub mod vault_unlock;
pub mod wallet_panel;

use web_sys::HtmlInputElement;
use yew::NodeRef;

/// The current value of the input behind `node` ("" if it is not mounted).
pub fn input_value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|input| input.value())
        .unwrap_or_default()
}

/// The value of the input behind `node`, clearing the field: passwords stay
/// in the page no longer than they must.
pub fn take_input_value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|input| {
            let value = input.value();
            input.set_value("");
            value
        })
        .unwrap_or_default()
}
