//! The root component: the wallet (the vault of cards) and the store's
//! catalog with search. Checkout arrives with the payment path.

use yew::{Callback, Html, component, html, use_state};

use crate::components::catalog_list::CatalogList;
use crate::components::search_form::SearchForm;
use crate::components::wallet_panel::WalletPanel;
use crate::hooks::use_catalog::use_catalog;
use crate::state::CatalogView;

#[component]
pub fn App() -> Html {
    let search = use_state(|| None::<String>);
    let catalog = use_catalog((*search).clone());
    let on_search = {
        let search = search.clone();
        Callback::from(move |text: Option<String>| search.set(text))
    };
    let body = match &catalog.view {
        CatalogView::Loading => {
            html! { <p class="loading"><span class="spinner" aria-hidden="true"></span>{ "Loading the catalog…" }</p> }
        }
        CatalogView::Ready(products) => html! { <CatalogList products={products.clone()} /> },
        CatalogView::Failed(message) => html! { <p class="error" role="alert">{ message }</p> },
    };
    html! {
        <>
            <header class="masthead">
                <h1>{ "Wallet" }</h1>
                <p class="tagline">{ "Shop the store; your cards stay in this browser." }</p>
            </header>
            <WalletPanel />
            <section class="panel" aria-labelledby="catalog-heading">
                <h2 id="catalog-heading">{ "Catalog" }</h2>
                <SearchForm {on_search} />
                <div aria-live="polite" aria-busy={matches!(catalog.view, CatalogView::Loading).to_string()}>
                    { body }
                </div>
            </section>
        </>
    }
}
