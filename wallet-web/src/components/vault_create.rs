//! Creating the wallet: a password typed twice, a strength hint, and the
//! plain fact that a lost password cannot be recovered.

use crate::components::input_value;
use web_sys::{HtmlInputElement, InputEvent, SubmitEvent};
use yew::{Callback, Html, Properties, TargetCast, component, html, use_node_ref, use_state};

use crate::state::Strength;

#[derive(Properties, PartialEq)]
pub struct VaultCreateProps {
    pub on_create: Callback<String>,
}

#[component]
pub fn VaultCreate(props: &VaultCreateProps) -> Html {
    let password = use_node_ref();
    let confirmation = use_node_ref();
    let strength = use_state(|| Strength::TooShort);
    let problem = use_state(|| None::<&'static str>);
    let on_input = {
        let strength = strength.clone();
        move |event: InputEvent| {
            let value = event.target_unchecked_into::<HtmlInputElement>().value();
            strength.set(Strength::of(&value));
        }
    };
    let on_submit = {
        let (password, confirmation, problem) =
            (password.clone(), confirmation.clone(), problem.clone());
        let on_create = props.on_create.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            let (first, second) = (input_value(&password), input_value(&confirmation));
            if Strength::of(&first) == Strength::TooShort {
                problem.set(Some("The password needs at least 10 characters."));
            } else if first != second {
                problem.set(Some("The two passwords differ."));
            } else {
                problem.set(None);
                on_create.emit(first);
            }
        }
    };
    html! {
        <form class="vault-form" onsubmit={on_submit}>
            <p>{ "Your cards are kept only in this browser, encrypted under a password you choose." }</p>
            <p class="warning">{ "If you forget this password, nobody can recover it or your cards: you would add them again." }</p>
            <label for="new-password">{ "Password" }</label>
            <input id="new-password" type="password" autocomplete="new-password" ref={password} oninput={on_input} />
            <p class="hint" id="strength">{ format!("Strength: {}", strength.label()) }</p>
            <label for="confirm-password">{ "Password again" }</label>
            <input id="confirm-password" type="password" autocomplete="new-password" ref={confirmation} />
            if let Some(problem) = *problem {
                <p class="error" role="alert">{ problem }</p>
            }
            <button type="submit">{ "Create wallet" }</button>
        </form>
    }
}
