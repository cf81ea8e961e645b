//! The shop's first module (built with the `shell` feature): what a first
//! visit needs, and nothing else. It shows the catalog with its search,
//! the order being built and where it ships, and the wallet's create or
//! unlock form. The wallet's crypto, its cards, the checkout and the
//! receipts are in the wallet's module, which `static/boot.js` fetches only
//! when the shopper first needs it: on creating or unlocking the wallet,
//! or asking for a quote. The shell then hands over what the page holds
//! (`Handover`) and the wallet's module takes over the page.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::platform::spawn_local;
use yew::{
    AppHandle, Callback, Html, Properties, component, html, use_effect_with, use_mut_ref,
    use_reducer, use_state,
};
use zeroize::Zeroize;

use crate::checkout_state::Cart;
use crate::components::cart_view::CartView;
use crate::components::catalog_panel::CatalogPanel;
use crate::components::panels::{OrderSection, WalletSection};
use crate::components::shipping_form::ShippingFormView;
use crate::components::shop_page::{ShopCallbacks, ShopPage};
use crate::components::vault_create::VaultCreate;
use crate::components::vault_unlock::VaultUnlock;
use crate::handover::{HandedLine, Handover, WalletRequest};
use crate::hooks::use_catalog::use_catalog;
use crate::hooks::use_checkout::ShippingForm;
use crate::hooks::use_shell_wallet::{NO_SIMD, ShellWallet, WalletEvent, use_shell_wallet};
use crate::state::CatalogView;

thread_local! {
    /// The shell's app, unmounted when the wallet's module takes over.
    static SHELL: RefCell<Option<AppHandle<Shell>>> = const { RefCell::new(None) };
}

/// `static/boot.js`'s loader: a function answering a promise of the
/// wallet's module's `take_over` (the module fetched once, however often
/// it is asked).
#[derive(Clone)]
pub struct Loader(js_sys::Function);

impl PartialEq for Loader {
    fn eq(&self, other: &Loader) -> bool {
        JsValue::from(&self.0) == JsValue::from(&other.0)
    }
}

impl Loader {
    async fn load(&self) -> Result<js_sys::Function, JsValue> {
        let promise: js_sys::Promise = self.0.call0(&JsValue::NULL)?.dyn_into()?;
        JsFuture::from(promise).await?.dyn_into()
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

/// What the shopper asked for that needs the wallet's module.
enum Ask {
    Wallet(WalletRequest),
    Quote(ShippingForm),
}

/// Fetches the wallet's module, unmounts the shell and starts the wallet
/// with `handover`. Once the shell is gone, a failure can only be told in
/// the page's root.
async fn hand_over(load: Loader, handover: Handover) -> Result<(), JsValue> {
    let take_over = load.load().await?;
    let mut json = serde_json::to_string(&handover).map_err(|_| JsValue::NULL)?;
    drop(handover);
    if let Some(shell) = SHELL.with_borrow_mut(Option::take) {
        shell.destroy();
    }
    // What the shell left in its root goes (`textContent`, which the
    // page's Trusted Types policy allows; `innerHTML` it would refuse).
    let root = gloo_utils::document().get_element_by_id("app");
    if let Some(root) = &root {
        root.set_text_content(None);
    }
    let started = take_over.call1(&JsValue::NULL, &JsValue::from_str(&json));
    json.zeroize();
    if started.is_err()
        && let Some(root) = root
    {
        root.set_text_content(Some(
            "The wallet could not start. Reload the page to try again.",
        ));
    }
    Ok(())
}

#[component]
pub fn Shell(props: &ShellProps) -> Html {
    let search = use_state(|| None::<String>);
    let catalog = use_catalog((*search).clone(), None);
    let cart = use_reducer(Cart::default);
    let wallet = use_shell_wallet();
    let handing_over = use_mut_ref(|| false);
    // A wallet that unlocks with a passkey: its module is fetched now, so
    // the passkey's prompt follows the shopper's click closely (some
    // browsers allow a prompt only then).
    {
        let load = props.load.clone();
        let passkeys = matches!(*wallet, ShellWallet::Locked { passkeys: true });
        use_effect_with(passkeys, move |passkeys| {
            if *passkeys {
                spawn_local(async move {
                    let _ = load.load().await;
                });
            }
        });
    }
    let ask = {
        let (load, search, catalog, cart, wallet) = (
            props.load.clone(),
            search.clone(),
            catalog.clone(),
            cart.clone(),
            wallet.clone(),
        );
        Callback::from(move |ask: Ask| {
            // A browser that cannot run the wallet's module never asks.
            if *wallet == ShellWallet::Unsupported {
                return;
            }
            // Once: a second click while the module loads does nothing.
            if std::mem::replace(&mut *handing_over.borrow_mut(), true) {
                return;
            }
            wallet.dispatch(WalletEvent::ModuleLoading);
            let (wallet_request, quote) = match ask {
                Ask::Wallet(request) => (Some(request), None),
                Ask::Quote(form) => (None, Some(form)),
            };
            let handover = Handover {
                search: (*search).clone(),
                products: match &catalog.view {
                    CatalogView::Ready(products) => Some(products.clone()),
                    _ => None,
                },
                cart: cart.lines.iter().map(HandedLine::from).collect(),
                quote,
                wallet: wallet_request,
            };
            let (load, wallet) = (load.clone(), wallet.clone());
            spawn_local(async move {
                if hand_over(load, handover).await.is_err() {
                    wallet.dispatch(WalletEvent::ModuleFailed);
                }
            });
        })
    };
    let ShopCallbacks {
        on_search,
        on_cart,
        on_add,
    } = ShopCallbacks::new(&search, &cart);
    let loading = *wallet == ShellWallet::ModuleLoading;
    let wallet_body = match &*wallet {
        ShellWallet::Opening => html! { <p class="loading">{ "Opening your wallet…" }</p> },
        ShellWallet::Unavailable(reason) => {
            html! { <p class="error" role="alert">{ format!("The wallet cannot work here: {reason}.") }</p> }
        }
        ShellWallet::Unsupported => html! { <p class="error" role="alert">{ NO_SIMD }</p> },
        ShellWallet::Empty => {
            let ask = ask.clone();
            let on_create = Callback::from(move |password| {
                ask.emit(Ask::Wallet(WalletRequest::Create(password)))
            });
            html! { <VaultCreate {on_create} /> }
        }
        ShellWallet::Locked { passkeys } => {
            let (unlock, passkey) = (ask.clone(), ask.clone());
            let on_unlock = Callback::from(move |password| {
                unlock.emit(Ask::Wallet(WalletRequest::Unlock(password)))
            });
            let on_passkey = passkeys.then(|| {
                Callback::from(move |()| {
                    passkey.emit(Ask::Wallet(WalletRequest::UnlockWithPasskey))
                })
            });
            html! { <VaultUnlock {on_unlock} {on_passkey} /> }
        }
        ShellWallet::ModuleLoading => html! {
            <p class="working"><span class="spinner" aria-hidden="true"></span>{ "Opening your wallet…" }</p>
        },
        ShellWallet::ModuleFailed => html! {
            <p class="error" role="alert">{ "The wallet could not be loaded. Check the connection and reload the page." }</p>
        },
    };
    let on_quote = {
        let ask = ask.clone();
        Callback::from(move |form| ask.emit(Ask::Quote(form)))
    };
    let catalog_panel = html! {
        <CatalogPanel view={catalog.view.clone()} {on_search} search={(*search).clone()}
            {on_add} adding_disabled={loading} in_order={cart.quantities()} />
    };
    html! {
        <ShopPage items={cart.item_count()} catalog={catalog_panel}>
            <WalletSection>{ wallet_body }</WalletSection>
            <OrderSection>
                <CartView cart={(*cart).clone()} on_change={on_cart} locked={loading} />
                if cart.lines.is_empty() {
                } else if *wallet == ShellWallet::Unsupported {
                    <p class="hint">{ "Quotes and checkout need the wallet, which cannot work in this browser." }</p>
                } else {
                    <ShippingFormView on_submit={on_quote} disabled={loading} />
                }
            </OrderSection>
        </ShopPage>
    }
}
