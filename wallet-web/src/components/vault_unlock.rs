//! Unlocking the wallet with its password.

use web_sys::{HtmlInputElement, SubmitEvent};
use yew::{Callback, Html, Properties, component, html, use_node_ref};

#[derive(Properties, PartialEq)]
pub struct VaultUnlockProps {
    pub on_unlock: Callback<String>,
}

#[component]
pub fn VaultUnlock(props: &VaultUnlockProps) -> Html {
    let password = use_node_ref();
    let on_submit = {
        let password = password.clone();
        let on_unlock = props.on_unlock.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            if let Some(input) = password.cast::<HtmlInputElement>() {
                let value = input.value();
                // The field is cleared at once: the password stays in the DOM no longer than needed.
                input.set_value("");
                on_unlock.emit(value);
            }
        }
    };
    html! {
        <form class="vault-form" onsubmit={on_submit}>
            <label for="unlock-password">{ "Wallet password" }</label>
            <input id="unlock-password" type="password" autocomplete="current-password" ref={password} />
            <button type="submit">{ "Unlock" }</button>
        </form>
    }
}
