//! The wallet panel: create, unlock, the cards, the orders it remembers,
//! and lock, by the vault's
//! state. Every status change is announced through one `aria-live` line.

use yew::{Callback, Html, Properties, component, html};

use crate::components::add_card_form::AddCardForm;
use crate::components::card_list::CardList;
use crate::components::change_password::ChangePassword;
use crate::components::orders_list::OrdersList;
use crate::components::panels::WalletSection;
use crate::components::passkey_list::PasskeyList;
use crate::components::vault_create::VaultCreate;
use crate::components::vault_unlock::VaultUnlock;
use crate::hooks::use_vault::VaultHandle;
use crate::state::WalletView;

#[derive(Properties, PartialEq)]
pub struct WalletPanelProps {
    pub vault: VaultHandle,
    /// Opens a remembered order (by id) in the order panel.
    pub on_open_order: Callback<String>,
}

#[component]
pub fn WalletPanel(props: &WalletPanelProps) -> Html {
    let vault = &props.vault;
    let body = match &vault.state.view {
        WalletView::Opening => html! { <p class="loading">{ "Opening your wallet…" }</p> },
        WalletView::Unavailable(reason) => {
            html! { <p class="error" role="alert">{ format!("The wallet cannot work here: {reason}.") }</p> }
        }
        WalletView::Empty => html! { <VaultCreate on_create={vault.create.clone()} /> },
        WalletView::Locked => {
            let on_passkey = (vault.state.passkey_unlock && vault.passkeys_unavailable.is_none())
                .then(|| vault.unlock_with_passkey.clone());
            html! { <VaultUnlock on_unlock={vault.unlock.clone()} {on_passkey} /> }
        }
        WalletView::Working(doing) => html! {
            <p class="working"><span class="spinner" aria-hidden="true"></span>{ *doing }</p>
        },
        WalletView::Unlocked {
            cards,
            orders,
            passkeys,
            ..
        } => {
            let lock = vault.lock.clone();
            html! {
                <>
                    <div class="wallet-actions">
                        <button type="button" class="secondary" onclick={move |_| lock.emit(())}>{ "Lock wallet" }</button>
                    </div>
                    <CardList cards={cards.clone()} on_remove={vault.remove_card.clone()} />
                    <AddCardForm on_add={vault.add_card.clone()} card_count={cards.len()} />
                    <OrdersList orders={orders.clone()} on_open={props.on_open_order.clone()} />
                    <PasskeyList passkeys={passkeys.clone()} unavailable={vault.passkeys_unavailable}
                        can_add={passkeys.len() < shared::vault::VAULT_PASSKEYS_MAX}
                        on_add={vault.add_passkey.clone()} on_remove={vault.remove_passkeys.clone()} />
                    <ChangePassword on_change={vault.change_password.clone()} />
                </>
            }
        }
    };
    html! {
        <WalletSection status={vault.state.message.clone()}>{ body }</WalletSection>
    }
}
