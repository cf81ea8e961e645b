//! The root component: the wallet (the vault of cards), the order (cart,
//! quote, payment, receipt) and the store's catalog with search. The
//! wallet's and the checkout's hooks live here so that the order can pay
//! with the wallet's cards.

use std::cell::RefCell;
use std::rc::Rc;

use yew::{
    Callback, Html, Properties, component, html, use_effect_with, use_mut_ref, use_reducer,
    use_state,
};

use crate::checkout_state::{Cart, Stage};
use crate::components::catalog_panel::CatalogPanel;
use crate::components::checkout_panel::CheckoutPanel;
use crate::components::shop_page::{ShopCallbacks, ShopPage};
use crate::components::wallet_panel::WalletPanel;
use crate::handover::{HandedLine, Handover, RequestStep, WalletRequest, request_step};
use crate::hooks::use_catalog::use_catalog;
use crate::hooks::use_checkout::use_checkout;
use crate::hooks::use_orders::use_orders;
use crate::hooks::use_vault::use_vault;
use crate::state::WalletView;

thread_local! {
    /// The shell's request of the wallet (a password among it), from
    /// `take_over` until `App` takes it; kept out of the props, which live
    /// as long as the page.
    static WALLET_REQUEST: RefCell<Option<WalletRequest>> = const { RefCell::new(None) };
}

/// Leaves the shell's request of the wallet for `App` to take.
pub fn hand_wallet_request(request: WalletRequest) {
    WALLET_REQUEST.with_borrow_mut(|slot| *slot = Some(request));
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// What the shop's first module held when it handed the page over.
    #[prop_or_default]
    pub handover: Option<Rc<Handover>>,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let handover = props.handover.clone().unwrap_or_default();
    let search = use_state(|| handover.search.clone());
    let catalog = use_catalog((*search).clone(), handover.products.as_deref());
    let vault = use_vault();
    let checkout = use_checkout(vault.sealer.clone(), vault.card_passkey_enrolled.clone());
    let cart =
        use_reducer(|| Cart::of(handover.cart.iter().filter_map(HandedLine::line).collect()));
    let unlocked = matches!(vault.state.view, WalletView::Unlocked { .. });
    // What the shopper asked the shell for, carried out once: a quote at
    // once; the wallet's create or unlock once the vault says it applies.
    {
        let (request_quote, lines, quote) = (
            checkout.request_quote.clone(),
            cart.order_lines(),
            handover.quote.clone(),
        );
        use_effect_with((), move |()| {
            if let Some(form) = quote {
                request_quote.emit((lines, form));
            }
        });
    }
    let pending = use_mut_ref(|| WALLET_REQUEST.with_borrow_mut(Option::take));
    {
        let (pending, vault) = (pending.clone(), vault.clone());
        use_effect_with(std::mem::discriminant(&vault.state.view), move |_| {
            let mut slot = pending.borrow_mut();
            let step = slot
                .as_ref()
                .map(|request| request_step(request, &vault.state.view));
            match (step, slot.as_mut()) {
                (Some(RequestStep::Act), Some(request)) => {
                    match request {
                        WalletRequest::Create(password) => {
                            vault.create.emit(std::mem::take(password))
                        }
                        WalletRequest::Unlock(password) => {
                            vault.unlock.emit(std::mem::take(password))
                        }
                        WalletRequest::UnlockWithPasskey => vault.unlock_with_passkey.emit(()),
                    }
                    *slot = None;
                }
                (Some(RequestStep::Forget), _) => *slot = None,
                _ => {}
            }
        });
    }
    use_orders(vault.orders.clone(), unlocked, checkout.state.stage.clone());
    let on_open_order = {
        let (keeper, resume) = (vault.orders.clone(), checkout.resume.clone());
        Callback::from(move |order_id: String| {
            if let Some(record) = keeper.get(&order_id) {
                resume.emit(record);
            }
        })
    };
    let ShopCallbacks {
        on_search,
        on_cart,
        on_add,
    } = ShopCallbacks::new(&search, &cart);
    let adding_disabled = !matches!(checkout.state.stage, Stage::Shopping);
    let cards = match &vault.state.view {
        WalletView::Unlocked { cards, .. } => Some(cards.clone()),
        _ => None,
    };
    let catalog_panel = html! {
        <CatalogPanel view={catalog.view.clone()} {on_search} search={(*search).clone()}
            {on_add} {adding_disabled} in_order={cart.quantities()} />
    };
    html! {
        <ShopPage items={cart.item_count()} catalog={catalog_panel}>
            <WalletPanel vault={vault.clone()} {on_open_order} />
            <CheckoutPanel cart={(*cart).clone()} {on_cart} {checkout} {cards} passkeys={vault.passkeys_unavailable.is_none()} shipping={handover.quote.clone()} />
        </ShopPage>
    }
}
