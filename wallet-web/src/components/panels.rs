//! The two panels beside the catalog, their heading and the one
//! `aria-live` status line each announces changes through; the shell and
//! the wallet's module fill them in.

use yew::{Children, Html, Properties, component, html};

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    /// The last status message.
    #[prop_or_default]
    pub status: Option<String>,
    pub children: Children,
}

#[component]
pub fn WalletSection(props: &PanelProps) -> Html {
    html! {
        <section class="panel wallet" aria-labelledby="wallet-heading">
            <h2 id="wallet-heading">{ "Your wallet" }</h2>
            <p class="status" role="status" aria-live="polite">{ props.status.clone().unwrap_or_default() }</p>
            { for props.children.iter() }
        </section>
    }
}

#[component]
pub fn OrderSection(props: &PanelProps) -> Html {
    html! {
        <section class="panel checkout" aria-labelledby="checkout-heading">
            <h2 id="checkout-heading">{ "Your order" }</h2>
            <p class="status" role="status" aria-live="polite">{ props.status.clone().unwrap_or_default() }</p>
            { for props.children.iter() }
        </section>
    }
}
