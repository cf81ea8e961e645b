//! The list of products, or an empty-state line when nothing matches.

use shared::wire::Product;
use yew::{Callback, Html, Properties, TargetCast, component, html};

use crate::format;

#[derive(Properties, PartialEq)]
pub struct CatalogListProps {
    pub products: Vec<Product>,
    /// Adds one of a product to the order.
    pub on_add: Callback<Product>,
    /// While the order is quoted or paid, nothing can be added.
    pub adding_disabled: bool,
    /// How many of each sku the order holds.
    pub in_order: Vec<(String, u32)>,
}

#[component]
pub fn CatalogList(props: &CatalogListProps) -> Html {
    if props.products.is_empty() {
        return html! { <p class="empty">{ "No products match your search." }</p> };
    }
    html! {
        <ul class="catalog" aria-label="Products">
            { for props.products.iter().map(|product| {
                let in_order = props.in_order.iter().find(|(sku, _)| *sku == product.sku).map_or(0, |(_, count)| *count);
                product_item(product, &props.on_add, props.adding_disabled, in_order)
            }) }
        </ul>
    }
}

fn product_item(
    product: &Product,
    on_add: &Callback<Product>,
    adding_disabled: bool,
    in_order: u32,
) -> Html {
    let add = {
        let (on_add, product) = (on_add.clone(), product.clone());
        move |_| on_add.emit(product.clone())
    };
    let stock_class = if product.stock == 0 {
        "stock out"
    } else {
        "stock"
    };
    // A drawn picture from this origin, if the store has one for the sku;
    // one it lacks hides itself rather than show a broken image.
    let picture = format!("/products/{}.svg", product.sku.to_ascii_lowercase());
    let hide = |event: web_sys::Event| {
        event
            .target_unchecked_into::<web_sys::HtmlElement>()
            .set_hidden(true);
    };
    html! {
        <li class="product" key={product.sku.clone()} data-sku={product.sku.clone()}>
            <img class="product-picture" src={picture} alt="" width="64" height="64" onerror={hide} />
            <h3 class="product-name">{ &product.name }</h3>
            <p class="product-description">{ &product.description }</p>
            <p class="product-meta">
                <span class="price">{ format::unit_price(product) }</span>
                <span class={stock_class}>{ format::stock(product.stock) }</span>
            </p>
            <button type="button" class="add-to-order" onclick={add}
                disabled={adding_disabled || product.stock == 0}
                aria-label={format!("Add to order: {}", product.name)}>{ "Add to order" }</button>
            if in_order > 0 {
                <span class="in-order">{ format!("{in_order} in your order") }</span>
            }
        </li>
    }
}
