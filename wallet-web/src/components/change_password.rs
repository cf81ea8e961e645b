//! Changing the wallet password: the current one, then the new one twice.

use crate::components::take_input_value;
use web_sys::SubmitEvent;
use yew::{Callback, Html, Properties, component, html, use_node_ref, use_state};

use crate::state::Strength;

#[derive(Properties, PartialEq)]
pub struct ChangePasswordProps {
    pub on_change: Callback<(String, String)>,
}

#[component]
pub fn ChangePassword(props: &ChangePasswordProps) -> Html {
    let (current, new, again) = (use_node_ref(), use_node_ref(), use_node_ref());
    let problem = use_state(|| None::<&'static str>);
    let on_submit = {
        let (current, new, again, problem) =
            (current.clone(), new.clone(), again.clone(), problem.clone());
        let on_change = props.on_change.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            let (current, new, again) = (
                take_input_value(&current),
                take_input_value(&new),
                take_input_value(&again),
            );
            if Strength::of(&new) == Strength::TooShort {
                problem.set(Some("The new password needs at least 10 characters."));
            } else if new != again {
                problem.set(Some("The two new passwords differ."));
            } else {
                problem.set(None);
                on_change.emit((current, new));
            }
        }
    };
    html! {
        <details class="change-password">
            <summary>{ "Change password" }</summary>
            <form class="vault-form" onsubmit={on_submit}>
                <label for="current-password">{ "Current password" }</label>
                <input id="current-password" type="password" autocomplete="current-password" ref={current} />
                <label for="changed-password">{ "New password" }</label>
                <input id="changed-password" type="password" autocomplete="new-password" ref={new} />
                <label for="changed-password-again">{ "New password again" }</label>
                <input id="changed-password-again" type="password" autocomplete="new-password" ref={again} />
                if let Some(problem) = *problem {
                    <p class="error" role="alert">{ problem }</p>
                }
                <button type="submit">{ "Change password" }</button>
            </form>
        </details>
    }
}
