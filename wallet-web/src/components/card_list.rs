//! The wallet's cards: brand, last four, expiry (expired marked), nickname,
//! and removal with a confirmation step.

use yew::{Callback, Html, Properties, component, html, use_state};

use crate::state::CardSummary;

#[derive(Properties, PartialEq)]
pub struct CardListProps {
    pub cards: Vec<CardSummary>,
    pub on_remove: Callback<String>,
}

#[component]
pub fn CardList(props: &CardListProps) -> Html {
    let confirming = use_state(|| None::<String>);
    if props.cards.is_empty() {
        return html! { <p class="empty">{ "No cards yet. Add one below." }</p> };
    }
    html! {
        <ul class="cards" aria-label="Your cards">
            { for props.cards.iter().map(|card| {
                let asking = confirming.as_deref() == Some(card.id.as_str());
                let ask = { let (confirming, id) = (confirming.clone(), card.id.clone()); move |_| confirming.set(Some(id.clone())) };
                let cancel = { let confirming = confirming.clone(); move |_| confirming.set(None) };
                let remove = { let (confirming, id, on_remove) = (confirming.clone(), card.id.clone(), props.on_remove.clone()); move |_| { confirming.set(None); on_remove.emit(id.clone()); } };
                html! {
                    <li class={if card.expired { "wallet-card expired" } else { "wallet-card" }} key={card.id.clone()}>
                        <span class="card-brand">{ crate::components::brand_mark(card.brand) }{ card.brand }</span>
                        <span class="card-number">{ format!("•••• {}", card.last_four) }</span>
                        <span class="card-expiry">{ format!("expires {}", card.expiry) }
                            if card.expired { <strong class="expired-tag">{ " expired" }</strong> }
                        </span>
                        <span class="card-nickname">{ &card.nickname }</span>
                        if asking {
                            <span class="confirm">
                                { "Remove this card?" }
                                <button type="button" class="danger" onclick={remove}>{ "Remove" }</button>
                                <button type="button" class="secondary" onclick={cancel}>{ "Keep" }</button>
                            </span>
                        } else {
                            <button type="button" class="secondary" onclick={ask} aria-label={format!("Remove card ending {}", card.last_four)}>{ "Remove…" }</button>
                        }
                    </li>
                }
            }) }
        </ul>
    }
}
