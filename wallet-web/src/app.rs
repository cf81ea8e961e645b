//! The root component: the wallet (the vault of cards), the order (cart,
//! quote, payment, receipt) and the store's catalog with search. The
//! wallet's and the checkout's hooks live here so that the order can pay
//! with the wallet's cards.

use std::rc::Rc;

use yew::{
    Callback, Html, Properties, component, html, use_effect_with, use_mut_ref, use_reducer,
    use_state,
};

use crate::checkout_state::{Cart, CartAction, Stage};
use crate::components::catalog_list::CatalogList;
use crate::components::checkout_panel::CheckoutPanel;
use crate::components::search_form::SearchForm;
use crate::components::wallet_panel::WalletPanel;
use crate::handover::{HandedLine, Handover, HandoverAction};
use crate::hooks::use_catalog::use_catalog;
use crate::hooks::use_checkout::use_checkout;
use crate::hooks::use_orders::use_orders;
use crate::hooks::use_vault::use_vault;
use crate::state::{CatalogView, WalletView};

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
    let catalog = use_catalog((*search).clone());
    let vault = use_vault();
    let checkout = use_checkout(vault.sealer.clone(), vault.card_passkey_enrolled.clone());
    let cart =
        use_reducer(|| Cart::of(handover.cart.iter().filter_map(HandedLine::line).collect()));
    let unlocked = matches!(vault.state.view, WalletView::Unlocked { .. });
    // What the shopper asked the shell for, carried out once: a quote at
    // once, the wallet's create or unlock once the vault says which it is
    // (if it says otherwise, another tab changed it, and the form shows).
    let pending = use_mut_ref(|| handover.action.clone());
    {
        let (pending, vault, request_quote, lines) = (
            pending.clone(),
            vault.clone(),
            checkout.request_quote.clone(),
            cart.order_lines(),
        );
        let view = match vault.state.view {
            WalletView::Empty => "empty",
            WalletView::Locked => "locked",
            _ => "other",
        };
        use_effect_with(view, move |view| {
            let action = pending.borrow_mut().take();
            match (action, *view) {
                (Some(HandoverAction::Quote(form)), _) => request_quote.emit((lines, form)),
                (Some(HandoverAction::Create(password)), "empty") => vault.create.emit(password),
                (Some(HandoverAction::Unlock(password)), "locked") => vault.unlock.emit(password),
                (Some(HandoverAction::UnlockWithPasskey), "locked") => {
                    vault.unlock_with_passkey.emit(())
                }
                (Some(action), "other") => *pending.borrow_mut() = Some(action),
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
    let on_search = {
        let search = search.clone();
        Callback::from(move |text: Option<String>| search.set(text))
    };
    let on_cart = {
        let cart = cart.clone();
        Callback::from(move |action: CartAction| cart.dispatch(action))
    };
    let on_add = {
        let on_cart = on_cart.clone();
        Callback::from(move |product| on_cart.emit(CartAction::Add(product)))
    };
    // Once the catalog is on screen, a performance mark says when: the
    // benchmark reads it to time navigation to a rendered catalog.
    use_effect_with(matches!(catalog.view, CatalogView::Ready(_)), |ready| {
        if *ready {
            mark_once(CATALOG_RENDERED_MARK);
        }
    });
    let adding_disabled = !matches!(checkout.state.stage, Stage::Shopping);
    let items: u32 = cart.lines.iter().map(|line| line.quantity).sum();
    let order_link = match items {
        0 => "Your order".to_owned(),
        1 => "Your order: 1 item".to_owned(),
        many => format!("Your order: {many} items"),
    };
    let cards = match &vault.state.view {
        WalletView::Unlocked { cards, .. } => Some(cards.clone()),
        _ => None,
    };
    let body = match &catalog.view {
        CatalogView::Loading => {
            html! { <p class="loading"><span class="spinner" aria-hidden="true"></span>{ "Loading the catalog…" }</p> }
        }
        CatalogView::Ready(products) => {
            let in_order: Vec<(String, u32)> = cart
                .lines
                .iter()
                .map(|line| (line.sku.clone(), line.quantity))
                .collect();
            html! { <CatalogList products={products.clone()} {on_add} {adding_disabled} {in_order} /> }
        }
        CatalogView::Failed(message) => html! { <p class="error" role="alert">{ message }</p> },
    };
    html! {
        <>
            <header class="masthead">
                <h1>{ "Wallet" }</h1>
                <p class="tagline">{ "Shop the store; your cards stay in this browser." }</p>
            </header>
            // The catalog is the main column; the wallet and the order sit
            // beside it on a wide screen, below it on a phone, where a
            // link that stays at the top keeps the order one tap away.
            <a class="to-order" href="#checkout-heading">{ order_link }</a>
            <div class="shop">
                <section class="panel catalog-panel" aria-labelledby="catalog-heading">
                    <h2 id="catalog-heading">{ "Catalog" }</h2>
                    <SearchForm {on_search} initial={handover.search.clone()} />
                    <div aria-live="polite" aria-busy={matches!(catalog.view, CatalogView::Loading).to_string()}>
                        { body }
                    </div>
                </section>
                <aside class="side" aria-label="Your wallet and your order">
                    <WalletPanel vault={vault.clone()} {on_open_order} />
                    <CheckoutPanel cart={(*cart).clone()} {on_cart} {checkout} {cards} passkeys={vault.passkeys_unavailable.is_none()} />
                </aside>
            </div>
        </>
    }
}

/// The performance mark set when the catalog first shows its products.
pub const CATALOG_RENDERED_MARK: &str = "catalog-rendered";

/// `performance.mark(name)`, unless the page has that mark already.
pub fn mark_once(name: &str) {
    use wasm_bindgen::JsCast;
    let Ok(performance) = js_sys::Reflect::get(&js_sys::global(), &"performance".into()) else {
        return;
    };
    let call = |method: &str| -> Option<wasm_bindgen::JsValue> {
        let function = js_sys::Reflect::get(&performance, &method.into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        function.call1(&performance, &name.into()).ok()
    };
    let marked = call("getEntriesByName")
        .and_then(|entries| entries.dyn_into::<js_sys::Array>().ok())
        .is_some_and(|entries| entries.length() > 0);
    if !marked {
        let _ = call("mark");
    }
}
