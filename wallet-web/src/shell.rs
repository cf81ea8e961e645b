//! The shop's first module (built with the `shell` feature): what a first
//! visit needs, and nothing else. It shows the catalog with its search,
//! the order being built and where it ships, and the wallet's create or
//! unlock form. The wallet's crypto, its cards, the checkout and the
//! receipts are in the wallet's module, which `static/boot.js` fetches only
//! when the shopper first needs it: on creating or unlocking the wallet,
//! or asking for a quote. The shell then hands over what the page holds
//! (`Handover`) and the wallet's module takes over the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::platform::spawn_local;
use yew::{
    AppHandle, Callback, Html, Properties, component, html, use_effect_with, use_mut_ref,
    use_reducer, use_state,
};

use crate::app::{CATALOG_RENDERED_MARK, mark_once};
use crate::checkout_state::{Cart, CartAction};
use crate::components::cart_view::CartView;
use crate::components::catalog_list::CatalogList;
use crate::components::search_form::SearchForm;
use crate::components::shipping_form::ShippingFormView;
use crate::components::vault_create::VaultCreate;
use crate::components::vault_unlock::VaultUnlock;
use crate::handover::{HandedLine, Handover, HandoverAction};
use crate::hooks::use_catalog::use_catalog;
use crate::hooks::use_shell_wallet::{ShellWallet, WalletEvent, use_shell_wallet};
use crate::state::CatalogView;

thread_local! {
    /// The shell's app, unmounted when the wallet's module takes over.
    static SHELL: RefCell<Option<AppHandle<Shell>>> = const { RefCell::new(None) };
}

/// `static/boot.js`'s loader: a function answering a promise of the
/// wallet's module's `run_with`.
#[derive(Clone)]
pub struct Loader(js_sys::Function);

impl PartialEq for Loader {
    fn eq(&self, other: &Loader) -> bool {
        JsValue::from(&self.0) == JsValue::from(&other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    pub load: Loader,
}

/// Mounts the shell on the page's `<main id="app">`.
pub fn run(load: js_sys::Function) {
    let props = ShellProps { load: Loader(load) };
    let handle = match gloo_utils::document().get_element_by_id("app") {
        Some(root) => yew::Renderer::<Shell>::with_root_and_props(root, props).render(),
        None => yew::Renderer::<Shell>::with_props(props).render(),
    };
    SHELL.with_borrow_mut(|shell| *shell = Some(handle));
}

/// Fetches the wallet's module, unmounts the shell and starts the wallet
/// with `handover`.
async fn hand_over(load: Loader, handover: Handover) -> Result<(), JsValue> {
    let promise: js_sys::Promise = load.0.call0(&JsValue::NULL)?.dyn_into()?;
    let run_with: js_sys::Function = JsFuture::from(promise).await?.dyn_into()?;
    let json = serde_json::to_string(&handover).map_err(|_| JsValue::NULL)?;
    if let Some(shell) = SHELL.with_borrow_mut(Option::take) {
        shell.destroy();
    }
    // What the shell left in its root goes (`textContent`, which the
    // page's Trusted Types policy allows; `innerHTML` it would refuse).
    if let Some(root) = gloo_utils::document().get_element_by_id("app") {
        root.set_text_content(None);
    }
    run_with.call1(&JsValue::NULL, &JsValue::from_str(&json))?;
    Ok(())
}

#[component]
pub fn Shell(props: &ShellProps) -> Html {
    let search = use_state(|| None::<String>);
    let catalog = use_catalog((*search).clone());
    let cart = use_reducer(Cart::default);
    let wallet = use_shell_wallet();
    let handing_over = use_mut_ref(|| Rc::new(Cell::new(false))).borrow().clone();
    use_effect_with(matches!(catalog.view, CatalogView::Ready(_)), |ready| {
        if *ready {
            mark_once(CATALOG_RENDERED_MARK);
        }
    });
    let ask = {
        let (load, search, cart, wallet) = (
            props.load.clone(),
            search.clone(),
            cart.clone(),
            wallet.clone(),
        );
        Callback::from(move |action: HandoverAction| {
            // Once: a second click while the module loads does nothing.
            if handing_over.replace(true) {
                return;
            }
            wallet.dispatch(WalletEvent::Loading);
            let handover = Handover {
                search: (*search).clone(),
                cart: cart.lines.iter().map(HandedLine::from).collect(),
                action: Some(action),
            };
            let (load, wallet) = (load.clone(), wallet.clone());
            spawn_local(async move {
                if hand_over(load, handover).await.is_err() {
                    wallet.dispatch(WalletEvent::Failed);
                }
            });
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
    let loading = *wallet == ShellWallet::Loading;
    let items = cart.item_count();
    let order_link = match items {
        0 => "Your order".to_owned(),
        1 => "Your order: 1 item".to_owned(),
        many => format!("Your order: {many} items"),
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
            html! { <CatalogList products={products.clone()} {on_add} adding_disabled={loading} {in_order} /> }
        }
        CatalogView::Failed(message) => html! { <p class="error" role="alert">{ message }</p> },
    };
    let wallet_body = match &*wallet {
        ShellWallet::Opening => html! { <p class="loading">{ "Opening your wallet…" }</p> },
        ShellWallet::Unavailable(reason) => {
            html! { <p class="error" role="alert">{ format!("The wallet cannot work here: {reason}.") }</p> }
        }
        ShellWallet::Empty => {
            let ask = ask.clone();
            let on_create =
                Callback::from(move |password| ask.emit(HandoverAction::Create(password)));
            html! { <VaultCreate {on_create} /> }
        }
        ShellWallet::Locked { passkeys } => {
            let (on_unlock, on_passkey) = {
                let (unlock, passkey) = (ask.clone(), ask.clone());
                (
                    Callback::from(move |password| unlock.emit(HandoverAction::Unlock(password))),
                    passkeys.then(|| {
                        Callback::from(move |()| passkey.emit(HandoverAction::UnlockWithPasskey))
                    }),
                )
            };
            html! { <VaultUnlock {on_unlock} {on_passkey} /> }
        }
        ShellWallet::Loading => html! {
            <p class="working"><span class="spinner" aria-hidden="true"></span>{ "Opening your wallet…" }</p>
        },
        ShellWallet::Failed => html! {
            <p class="error" role="alert">{ "The wallet could not be loaded. Check the connection and reload the page." }</p>
        },
    };
    let on_quote = {
        let ask = ask.clone();
        Callback::from(move |form| ask.emit(HandoverAction::Quote(form)))
    };
    html! {
        <>
            <header class="masthead">
                <h1>{ "Wallet" }</h1>
                <p class="tagline">{ "Shop the store; your cards stay in this browser." }</p>
            </header>
            <a class="to-order" href="#checkout-heading">{ order_link }</a>
            <div class="shop">
                <section class="panel catalog-panel" aria-labelledby="catalog-heading">
                    <h2 id="catalog-heading">{ "Catalog" }</h2>
                    <SearchForm {on_search} />
                    <div aria-live="polite" aria-busy={matches!(catalog.view, CatalogView::Loading).to_string()}>
                        { body }
                    </div>
                </section>
                <aside class="side" aria-label="Your wallet and your order">
                    <section class="panel wallet" aria-labelledby="wallet-heading">
                        <h2 id="wallet-heading">{ "Your wallet" }</h2>
                        <p class="status" role="status" aria-live="polite"></p>
                        { wallet_body }
                    </section>
                    <section class="panel checkout" aria-labelledby="checkout-heading">
                        <h2 id="checkout-heading">{ "Your order" }</h2>
                        <p class="status" role="status" aria-live="polite"></p>
                        <CartView cart={(*cart).clone()} on_change={on_cart} locked={loading} />
                        if !cart.lines.is_empty() {
                            <ShippingFormView on_submit={on_quote} disabled={loading} />
                        }
                    </section>
                </aside>
            </div>
        </>
    }
}
