//! The passkeys that unlock the wallet: one more can be added (the
//! authenticator asks for a fingerprint, a face or a PIN), and each can be
//! removed with the wallet's password, since removing one replaces the
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
    /// Removes (credential id, password).
    pub on_remove: Callback<(Vec<u8>, String)>,
}

#[component]
pub fn PasskeyList(props: &PasskeyListProps) -> Html {
    let removing = use_state(|| None::<Vec<u8>>);
    let password = use_node_ref();
    let add = {
        let on_add = props.on_add.clone();
        move |_| on_add.emit(())
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
                    { for props.passkeys.iter().map(|passkey| {
                        let asking = removing.as_deref() == Some(passkey.credential_id.as_slice());
                        let ask = {
                            let (removing, id) = (removing.clone(), passkey.credential_id.clone());
                            move |_| removing.set(Some(id.clone()))
                        };
                        let keep = {
                            let removing = removing.clone();
                            move |_| removing.set(None)
                        };
                        let confirm = {
                            let (removing, on_remove, id, password) = (
                                removing.clone(),
                                props.on_remove.clone(),
                                passkey.credential_id.clone(),
                                password.clone(),
                            );
                            move |event: SubmitEvent| {
                                event.prevent_default();
                                removing.set(None);
                                on_remove.emit((id.clone(), take_input_value(&password)));
                            }
                        };
                        html! {
                            <li class="passkey">
                                <span>{ &passkey.label }</span>
                                if asking {
                                    <form class="vault-form remove-passkey-form" onsubmit={confirm}>
                                        <label for="remove-passkey-password">{ "Wallet password, to remove this passkey" }</label>
                                        <input id="remove-passkey-password" type="password" autocomplete="current-password" ref={password.clone()} />
                                        <button type="submit" class="danger confirm-remove-passkey">{ "Remove" }</button>
                                        <button type="button" class="secondary" onclick={keep}>{ "Keep" }</button>
                                    </form>
                                } else {
                                    <button type="button" class="secondary remove-passkey" onclick={ask}
                                        aria-label={format!("Remove {}", passkey.label)}>{ "Remove…" }</button>
                                }
                            </li>
                        }
                    }) }
                </ul>
            }
            { adding }
        </section>
    }
}
