//! The passkeys that unlock the wallet: one more can be added (the
//! authenticator asks for a fingerprint, a face or a PIN), and all can be
//! removed with the wallet's password (a lost device), which replaces the
//! wallet's key.

use web_sys::SubmitEvent;
use yew::{Callback, Html, Properties, component, html, use_node_ref, use_state};

use crate::components::take_input_value;
use crate::state::PasskeySummary;

#[derive(Properties, PartialEq)]
pub struct PasskeyListProps {
    pub passkeys: Vec<PasskeySummary>,
    /// Why passkeys cannot be used on this page, if they cannot.
    pub unavailable: Option<&'static str>,
    /// Whether one more passkey may be added.
    pub can_add: bool,
    pub on_add: Callback<()>,
    /// Removes every passkey, with the password.
    pub on_remove: Callback<String>,
}

#[component]
pub fn PasskeyList(props: &PasskeyListProps) -> Html {
    let removing = use_state(|| false);
    let password = use_node_ref();
    let add = {
        let on_add = props.on_add.clone();
        move |_| on_add.emit(())
    };
    let ask = {
        let removing = removing.clone();
        move |_| removing.set(true)
    };
    let keep = {
        let removing = removing.clone();
        move |_| removing.set(false)
    };
    let confirm = {
        let (removing, on_remove, password) =
            (removing.clone(), props.on_remove.clone(), password.clone());
        move |event: SubmitEvent| {
            event.prevent_default();
            removing.set(false);
            on_remove.emit(take_input_value(&password));
        }
    };
    let adding = match props.unavailable {
        Some(reason) => html! { <p class="hint passkeys-unavailable">{ reason }</p> },
        None if props.can_add => html! {
            <button type="button" class="secondary add-passkey" onclick={add}>{ "Add a passkey" }</button>
        },
        None => html! { <p class="hint">{ "This wallet has the most passkeys it can hold." }</p> },
    };
    html! {
        <section class="passkeys" aria-labelledby="passkeys-heading">
            <h3 id="passkeys-heading">{ "Passkeys" }</h3>
            <p class="hint">{ "A passkey unlocks this wallet with your device's fingerprint, face or PIN. Your password still works, and is how you get in if the device is lost." }</p>
            if !props.passkeys.is_empty() {
                <ul class="passkey-list">
                    { for props.passkeys.iter().map(|passkey| html! {
                        <li class="passkey">{ &passkey.label }</li>
                    }) }
                </ul>
                if *removing {
                    <form class="vault-form remove-passkeys-form" onsubmit={confirm}>
                        <p class="hint">{ "Removing replaces the wallet's key and stops every passkey, so a lost device opens nothing from now on. Add back the passkeys you still have." }</p>
                        <label for="remove-passkeys-password">{ "Wallet password" }</label>
                        <input id="remove-passkeys-password" type="password" autocomplete="current-password" ref={password} />
                        <button type="submit" class="danger confirm-remove-passkeys">{ "Remove all passkeys" }</button>
                        <button type="button" class="secondary" onclick={keep}>{ "Keep them" }</button>
                    </form>
                } else {
                    <button type="button" class="secondary remove-passkeys" onclick={ask}>{ "Remove passkeys…" }</button>
                }
            }
            { adding }
        </section>
    }
}
