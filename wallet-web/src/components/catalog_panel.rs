//! The catalog's column: the search box and the products, or what is
//! happening. Once the products first show, the `catalog-rendered`
//! performance mark says when (the page benchmark reads it).

use shared::wire::Product;
use yew::{Callback, Html, Properties, component, html, use_effect_with};

use crate::components::catalog_list::CatalogList;
use crate::components::search_form::SearchForm;
use crate::state::CatalogView;

#[derive(Properties, PartialEq)]
pub struct CatalogPanelProps {
    pub view: CatalogView,
    pub on_search: Callback<Option<String>>,
    /// The text already searched for.
    #[prop_or_default]
    pub search: Option<String>,
    pub on_add: Callback<Product>,
    pub adding_disabled: bool,
    /// Each product's quantity in the order, by sku.
    pub in_order: Vec<(String, u32)>,
}

#[component]
pub fn CatalogPanel(props: &CatalogPanelProps) -> Html {
    use_effect_with(matches!(props.view, CatalogView::Ready(_)), |ready| {
        if *ready {
            mark_once(CATALOG_RENDERED_MARK);
        }
    });
    let body = match &props.view {
        CatalogView::Loading => {
            html! { <p class="loading"><span class="spinner" aria-hidden="true"></span>{ "Loading the catalog…" }</p> }
        }
        CatalogView::Ready(products) => html! {
            <CatalogList products={products.clone()} on_add={props.on_add.clone()}
                adding_disabled={props.adding_disabled} in_order={props.in_order.clone()} />
        },
        CatalogView::Failed(message) => html! { <p class="error" role="alert">{ message }</p> },
    };
    html! {
        <section class="panel catalog-panel" aria-labelledby="catalog-heading">
            <h2 id="catalog-heading">{ "Catalog" }</h2>
            <SearchForm on_search={props.on_search.clone()} initial={props.search.clone()} />
            <div aria-live="polite" aria-busy={matches!(props.view, CatalogView::Loading).to_string()}>
                { body }
            </div>
        </section>
    }
}

/// The performance mark set when the catalog first shows its products.
pub const CATALOG_RENDERED_MARK: &str = "catalog-rendered";

/// `performance.mark(name)`, unless the page has that mark already.
fn mark_once(name: &str) {
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
