//! The shop's page, the same in the shell and in the wallet's module: the
//! masthead, the "Your order" link that stays at the top on a phone, the
//! catalog as the main column, and the wallet and the order beside it
//! (below it on a phone).

use shared::wire::Product;
use yew::{
    Callback, Children, Html, Properties, UseReducerHandle, UseStateHandle, component, html,
};

use crate::checkout_state::{Cart, CartAction};

#[derive(Properties, PartialEq)]
pub struct ShopPageProps {
    /// Items in the order, for the link to it.
    pub items: u32,
    /// The catalog's column.
    pub catalog: Html,
    /// The wallet's and the order's panels.
    pub children: Children,
}

#[component]
pub fn ShopPage(props: &ShopPageProps) -> Html {
    html! {
        <>
            <header class="masthead">
                <h1>{ "Wallet" }</h1>
                <p class="tagline">{ "Shop the store; your cards stay in this browser." }</p>
            </header>
            <a class="to-order" href="#checkout-heading">{ order_link_text(props.items) }</a>
            <div class="shop">
                { props.catalog.clone() }
                <aside class="side" aria-label="Your wallet and your order">
                    { for props.children.iter() }
                </aside>
            </div>
        </>
    }
}

/// The link to the order, with its count of items.
pub fn order_link_text(items: u32) -> String {
    match items {
        0 => "Your order".to_owned(),
        1 => "Your order: 1 item".to_owned(),
        many => format!("Your order: {many} items"),
    }
}

/// The page's callbacks for the search and the cart, the same in the shell
/// and in the wallet's module.
pub struct ShopCallbacks {
    pub on_search: Callback<Option<String>>,
    pub on_cart: Callback<CartAction>,
    pub on_add: Callback<Product>,
}

impl ShopCallbacks {
    pub fn new(search: &UseStateHandle<Option<String>>, cart: &UseReducerHandle<Cart>) -> Self {
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
        ShopCallbacks {
            on_search,
            on_cart,
            on_add,
        }
    }
}
