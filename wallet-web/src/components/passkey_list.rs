//! The passkeys that unlock the wallet: each can be removed, and one more
//! added (the authenticator asks for a fingerprint, a face or a PIN).

use yew::{Callback, Html, Properties, component, html};

use crate::state::PasskeySummary;

#[derive(Properties, PartialEq)]
pub struct PasskeyListProps {
    pub passkeys: Vec<PasskeySummary>,
    pub on_add: Callback<()>,
    pub on_remove: Callback<Vec<u8>>,
}

#[component]
pub fn PasskeyList(props: &PasskeyListProps) -> Html {
    let add = {
        let on_add = props.on_add.clone();
        move |_| on_add.emit(())
    };
    html! {
        <section class="passkeys" aria-labelledby="passkeys-heading">
            <h3 id="passkeys-heading">{ "Passkeys" }</h3>
            <p class="hint">{ "A passkey unlocks this wallet with your device's fingerprint, face or PIN. Your password still works, and is how you get in if the device is lost." }</p>
            if !props.passkeys.is_empty() {
                <ul class="passkey-list">
                    { for props.passkeys.iter().map(|passkey| {
                        let remove = {
                            let (on_remove, id) = (props.on_remove.clone(), passkey.credential_id.clone());
                            move |_| on_remove.emit(id.clone())
                        };
                        html! {
                            <li class="passkey">
                                <span>{ &passkey.label }</span>
                                <button type="button" class="secondary remove-passkey" onclick={remove}
                                    aria-label={format!("Remove {}", passkey.label)}>{ "Remove" }</button>
                            </li>
                        }
                    }) }
                </ul>
            }
            <button type="button" class="secondary add-passkey" onclick={add}>{ "Add a passkey" }</button>
        </section>
    }
}
