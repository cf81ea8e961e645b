//! The list of products, or an empty-state line when nothing matches.

use shared::wire::Product;
use yew::{Html, Properties, component, html};

use crate::format;

#[derive(Properties, PartialEq)]
pub struct CatalogListProps {
    pub products: Vec<Product>,
}

#[component]
pub fn CatalogList(props: &CatalogListProps) -> Html {
    if props.products.is_empty() {
        return html! { <p class="empty">{ "No products match your search." }</p> };
    }
    html! {
        <ul class="catalog" aria-label="Products">
            { for props.products.iter().map(product_item) }
        </ul>
    }
}

fn product_item(product: &Product) -> Html {
    let stock_class = if product.stock == 0 {
        "stock out"
    } else {
        "stock"
    };
    html! {
        <li class="product" key={product.sku.clone()} data-sku={product.sku.clone()}>
            <h3 class="product-name">{ &product.name }</h3>
            <p class="product-description">{ &product.description }</p>
            <p class="product-meta">
                <span class="price">{ format::unit_price(product) }</span>
                <span class={stock_class}>{ format::stock(product.stock) }</span>
            </p>
        </li>
    }
}
