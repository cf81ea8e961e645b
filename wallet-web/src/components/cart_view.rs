//! The cart: each line with its quantity (changeable until the store
//! quotes), the catalog's price, and removal. Prices are the catalog's; the
//! quote the store signs is what the shopper pays.

use web_sys::{Event, HtmlInputElement};
use yew::{Callback, Html, Properties, TargetCast, component, html};

use crate::checkout_state::{Cart, CartAction};

#[derive(Properties, PartialEq)]
pub struct CartViewProps {
    pub cart: Cart,
    pub on_change: Callback<CartAction>,
    /// While a quote is asked for or shown, the cart is read-only.
    pub locked: bool,
}

#[component]
pub fn CartView(props: &CartViewProps) -> Html {
    if props.cart.lines.is_empty() {
        return html! { <p class="empty">{ "Your order is empty. Add products from the catalog." }</p> };
    }
    let subtotal = props
        .cart
        .subtotal()
        .map(|money| format!("{} {}", money.currency(), money.amount_string()))
        .unwrap_or_default();
    html! {
        <>
            <ul class="cart" aria-label="Your order">
                { for props.cart.lines.iter().map(|line| {
                    let sku = line.sku.clone();
                    let on_quantity = {
                        let (sku, on_change) = (sku.clone(), props.on_change.clone());
                        move |event: Event| {
                            let input = event.target_unchecked_into::<HtmlInputElement>();
                            if let Ok(quantity) = input.value().trim().parse::<u32>() {
                                on_change.emit(CartAction::SetQuantity { sku: sku.clone(), quantity });
                            }
                        }
                    };
                    // Steppers beside the field: one fewer, one more (the
                    // cart keeps the quantity between 1 and what may be had).
                    let step = |by: i64| {
                        let (sku, on_change) = (sku.clone(), props.on_change.clone());
                        let quantity = u32::try_from((i64::from(line.quantity) + by).max(1)).unwrap_or(1);
                        move |_| on_change.emit(CartAction::SetQuantity { sku: sku.clone(), quantity })
                    };
                    let (fewer, more) = (step(-1), step(1));
                    let on_remove = {
                        let (sku, on_change) = (sku.clone(), props.on_change.clone());
                        move |_| on_change.emit(CartAction::Remove(sku.clone()))
                    };
                    let field = format!("quantity-{}", line.sku);
                    html! {
                        <li class="cart-line" key={line.sku.clone()} data-sku={line.sku.clone()}>
                            <label class="cart-name" for={field.clone()}>{ &line.name }</label>
                            <span class="stepper">
                                <button type="button" class="secondary step fewer" onclick={fewer}
                                    disabled={props.locked || line.quantity <= 1}
                                    aria-label={format!("One fewer {}", line.name)}>{ "−" }</button>
                                <input id={field} class="quantity" type="number" min="1"
                                    max={line.stock.min(shared::wire::LINE_QUANTITY_MAX).to_string()}
                                    value={line.quantity.to_string()} disabled={props.locked}
                                    onchange={on_quantity} />
                                <button type="button" class="secondary step more" onclick={more}
                                    disabled={props.locked}
                                    aria-label={format!("One more {}", line.name)}>{ "+" }</button>
                            </span>
                            <span class="price">{ format!("× {} {}", line.unit_price.currency(), line.unit_price.amount_string()) }</span>
                            if !props.locked {
                                <button type="button" class="secondary" onclick={on_remove}
                                    aria-label={format!("Remove {} from the order", line.name)}>{ "Remove" }</button>
                            }
                        </li>
                    }
                }) }
            </ul>
            <p class="cart-subtotal">{ format!("Items: {} · subtotal {subtotal} before delivery and tax", props.cart.item_count()) }</p>
        </>
    }
}
