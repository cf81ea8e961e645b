//! Presentational components: they render props and raise callbacks.

pub mod add_card_form;
pub mod card_list;
pub mod cart_view;
pub mod catalog_list;
pub mod catalog_panel;
pub mod change_password;
pub mod checkout_panel;
pub mod orders_list;
pub mod panels;
pub mod passkey_list;
pub mod pay_form;
pub mod quote_view;
pub mod receipt_view;
pub mod search_form;
pub mod shipping_form;
pub mod shop_page;
pub mod staff_app;
pub mod vault_create;
pub mod vault_unlock;
pub mod wallet_panel;

use web_sys::HtmlInputElement;
use yew::{Html, NodeRef, html};

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

/// A card network's mark: a small badge in the network's colours with its
/// short name, beside the name written out (the mark itself is hidden from
/// screen readers, which read the name).
pub fn brand_mark(brand: &str) -> Html {
    let (class, short) = match brand {
        "Visa" => ("brand-mark brand-visa", "VISA"),
        "Mastercard" => ("brand-mark brand-mastercard", "MC"),
        "American Express" => ("brand-mark brand-amex", "AMEX"),
        "Discover" => ("brand-mark brand-discover", "DISC"),
        "JCB" => ("brand-mark brand-jcb", "JCB"),
        "UnionPay" => ("brand-mark brand-unionpay", "UP"),
        "Diners Club" => ("brand-mark brand-diners", "DC"),
        _ => ("brand-mark", "CARD"),
    };
    html! { <span class={class} aria-hidden="true">{ short }</span> }
}
