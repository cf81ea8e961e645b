//! Unlocking the wallet with its password, or with a passkey when it has
//! one.

use crate::components::take_input_value;
use web_sys::SubmitEvent;
use yew::{Callback, Html, Properties, component, html, use_node_ref};

#[derive(Properties, PartialEq)]
pub struct VaultUnlockProps {
    pub on_unlock: Callback<String>,
    /// Unlocks with a passkey, when the wallet has one.
    #[prop_or_default]
    pub on_passkey: Option<Callback<()>>,
}

#[component]
pub fn VaultUnlock(props: &VaultUnlockProps) -> Html {
    let password = use_node_ref();
    let on_submit = {
        let password = password.clone();
        let on_unlock = props.on_unlock.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            on_unlock.emit(take_input_value(&password));
        }
    };
    let passkey = props.on_passkey.clone().map(|on_passkey| {
        html! {
            <p class="passkey-unlock">
                <button type="button" class="unlock-passkey" onclick={move |_| on_passkey.emit(())}>{ "Unlock with a passkey" }</button>
            </p>
        }
    });
    html! {
        <>
            { passkey.unwrap_or_default() }
            <form class="vault-form" onsubmit={on_submit}>
                <label for="unlock-password">{ "Wallet password" }</label>
                <input id="unlock-password" type="password" autocomplete="current-password" ref={password} />
                <button type="submit">{ "Unlock" }</button>
            </form>
        </>
    }
}
