//! Adding a card: the number grouped as typed, its network and checksum
//! shown live, expiry, cardholder name and a nickname. The CVC is never
//! asked here: it is asked at payment time and never stored.

use crate::components::input_value;
use web_sys::{HtmlInputElement, InputEvent, SubmitEvent};
use yew::{
    Callback, Html, Properties, TargetCast, component, html, use_effect_with, use_node_ref,
    use_state,
};

use crate::hooks::use_vault::NewCard;
use crate::state::{
    card_number_feedback, expiry_feedback, format_expiry_typing, group_card_number,
};

#[derive(Properties, PartialEq)]
pub struct AddCardFormProps {
    pub on_add: Callback<NewCard>,
    /// How many cards the wallet holds: when it grows, the card was added
    /// and the form is cleared (a refused card keeps what was typed).
    pub card_count: usize,
}

#[component]
pub fn AddCardForm(props: &AddCardFormProps) -> Html {
    let (number, expiry, holder, nickname) = (
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    );
    let feedback = use_state(String::new);
    let expiry_hint = use_state(String::new);
    {
        let fields = [
            number.clone(),
            expiry.clone(),
            holder.clone(),
            nickname.clone(),
        ];
        let feedback = feedback.clone();
        use_effect_with(props.card_count, move |_| {
            for field in &fields {
                if let Some(input) = field.cast::<HtmlInputElement>() {
                    input.set_value("");
                }
            }
            feedback.set(String::new());
        });
    }
    let on_expiry_input = {
        let expiry_hint = expiry_hint.clone();
        move |event: InputEvent| {
            let input = event.target_unchecked_into::<HtmlInputElement>();
            let value = format_expiry_typing(&input.value());
            if value != input.value() {
                input.set_value(&value);
            }
            let today = shared::card::YearMonth::from_unix_ms(js_sys::Date::now() as u64);
            expiry_hint.set(expiry_feedback(&value, today));
        }
    };
    let on_number_input = {
        let feedback = feedback.clone();
        move |event: InputEvent| {
            let input = event.target_unchecked_into::<HtmlInputElement>();
            let grouped = group_card_number(&input.value());
            input.set_value(&grouped);
            feedback.set(card_number_feedback(&grouped));
        }
    };
    let on_submit = {
        let (number, expiry, holder, nickname) = (
            number.clone(),
            expiry.clone(),
            holder.clone(),
            nickname.clone(),
        );
        let on_add = props.on_add.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            on_add.emit(NewCard {
                number: input_value(&number),
                expiry: input_value(&expiry),
                holder_name: input_value(&holder),
                nickname: input_value(&nickname),
            });
        }
    };
    html! {
        <form class="vault-form add-card" onsubmit={on_submit} aria-labelledby="add-card-heading">
            <h3 id="add-card-heading">{ "Add a card" }</h3>
            <label for="card-number">{ "Card number" }</label>
            <input id="card-number" inputmode="numeric" autocomplete="cc-number" maxlength="23"
                aria-describedby="card-number-feedback" ref={number} oninput={on_number_input} />
            <p class="hint" id="card-number-feedback" aria-live="polite">{ (*feedback).clone() }</p>
            <label for="card-expiry">{ "Expiry (MM/YY)" }</label>
            <input id="card-expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM/YY" maxlength="7"
                aria-describedby="card-expiry-feedback" ref={expiry} oninput={on_expiry_input} />
            <p class="hint" id="card-expiry-feedback" aria-live="polite">{ (*expiry_hint).clone() }</p>
            <label for="card-holder">{ "Cardholder name" }</label>
            <input id="card-holder" autocomplete="cc-name" maxlength="64" ref={holder} />
            <label for="card-nickname">{ "Nickname (optional)" }</label>
            <input id="card-nickname" maxlength="40" ref={nickname} />
            <button type="submit">{ "Add card" }</button>
        </form>
    }
}
