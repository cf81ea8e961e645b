//! Paying: pick one of the wallet's cards, type its security code (asked
//! for every payment, never stored), pay. A decline keeps the order: the
//! shopper picks another card and pays again.

use web_sys::SubmitEvent;
use yew::{Callback, Html, Properties, component, html, use_node_ref, use_state};

use crate::components::take_input_value;
use crate::hooks::use_checkout::PayChoice;
use crate::state::CardSummary;

#[derive(Properties, PartialEq)]
pub struct PayFormProps {
    /// The wallet's cards, or `None` while it is locked.
    pub cards: Option<Vec<CardSummary>>,
    /// "USD 14.94".
    pub total: String,
    pub paying: bool,
    /// Whether passkeys can be used on this page.
    pub passkeys: bool,
    pub on_pay: Callback<PayChoice>,
}

#[component]
pub fn PayForm(props: &PayFormProps) -> Html {
    let chosen = use_state(|| None::<String>);
    let cvc = use_node_ref();
    let enroll = use_node_ref();
    let Some(cards) = &props.cards else {
        return html! { <p class="hint pay-locked">{ "Unlock your wallet above to pay with one of your cards." }</p> };
    };
    let usable: Vec<&CardSummary> = cards.iter().filter(|card| !card.expired).collect();
    if usable.is_empty() {
        return html! { <p class="hint">{ "Add a card to your wallet above to pay." }</p> };
    }
    let selected = chosen
        .as_ref()
        .filter(|id| usable.iter().any(|card| &card.id == *id))
        .cloned()
        .or_else(|| usable.first().map(|card| card.id.clone()));
    let on_submit = {
        let (cvc, enroll, on_pay, selected) = (
            cvc.clone(),
            enroll.clone(),
            props.on_pay.clone(),
            selected.clone(),
        );
        move |event: SubmitEvent| {
            event.prevent_default();
            if let Some(card_id) = &selected {
                let enroll_passkey = enroll
                    .cast::<web_sys::HtmlInputElement>()
                    .is_some_and(|input| input.checked());
                on_pay.emit(PayChoice {
                    card_id: card_id.clone(),
                    cvc: take_input_value(&cvc),
                    enroll_passkey,
                });
            }
        }
    };
    let selected_has_passkey = usable
        .iter()
        .any(|card| Some(&card.id) == selected.as_ref() && card.passkey);
    html! {
        <form class="vault-form pay" onsubmit={on_submit} aria-labelledby="pay-heading">
            <h3 id="pay-heading">{ "Pay with" }</h3>
            <fieldset class="pay-cards">
                <legend>{ "Card" }</legend>
                { for cards.iter().map(|card| {
                    let id = card.id.clone();
                    let on_choose = { let chosen = chosen.clone(); let id = id.clone(); move |_| chosen.set(Some(id.clone())) };
                    html! {
                        <label class="pay-card" key={card.id.clone()}>
                            <input type="radio" name="pay-card" value={card.id.clone()}
                                checked={selected.as_deref() == Some(card.id.as_str())}
                                disabled={card.expired || props.paying} onchange={on_choose} />
                            { crate::components::brand_mark(card.brand) }
                            { format!("{} •••• {} (expires {}){}{}", card.brand, card.last_four, card.expiry,
                                if card.nickname.is_empty() { String::new() } else { format!(" · {}", card.nickname) },
                                if card.expired { " · expired" } else if card.passkey { " · confirmed with a passkey" } else { "" }) }
                        </label>
                    }
                }) }
            </fieldset>
            <label for="pay-cvc">{ "Security code (3 or 4 digits on the card)" }</label>
            <input id="pay-cvc" type="password" inputmode="numeric" autocomplete="off" maxlength="4"
                required=true ref={cvc} disabled={props.paying} />
            <p class="hint">{ "Sealed in this browser for the payment gateway: the store never sees your card. The code is not stored." }</p>
            if props.passkeys && !selected_has_passkey {
                <label class="pay-enroll">
                    <input id="pay-enroll-passkey" type="checkbox" ref={enroll} disabled={props.paying} />
                    { " Confirm this card's payments with a passkey from now on (your device asks for your fingerprint, face or PIN)" }
                </label>
            }
            if selected_has_passkey {
                <p class="hint pay-passkey">{ "Your device will ask you to confirm this payment with the card's passkey." }</p>
            }
            <button type="submit" disabled={props.paying}>
                if props.paying { <span class="spinner" aria-hidden="true"></span>{ "Paying…" } } else { { format!("Pay {}", props.total) } }
            </button>
        </form>
    }
}
