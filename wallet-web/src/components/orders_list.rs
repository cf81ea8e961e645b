//! "Your orders": the orders this wallet remembers, newest first, each with
//! where it stands (and its tracking reference once shipped); opening one
//! resumes its payment or shows its receipt.

use yew::{Callback, Html, Properties, component, html};

use crate::state::{OrderStanding, OrderSummary};

#[derive(Properties, PartialEq)]
pub struct OrdersListProps {
    pub orders: Vec<OrderSummary>,
    /// Opens the order with this id.
    pub on_open: Callback<String>,
}

fn standing_class(standing: OrderStanding) -> &'static str {
    match standing {
        OrderStanding::AwaitingPayment => "standing awaiting",
        OrderStanding::QuoteExpired | OrderStanding::Canceled => "standing ended",
        OrderStanding::CanceledRefunded => "standing refunded",
        OrderStanding::Refunded | OrderStanding::PartlyRefunded => "standing refunded",
        OrderStanding::Paid | OrderStanding::Shipped | OrderStanding::Delivered => "standing paid",
    }
}

#[component]
pub fn OrdersList(props: &OrdersListProps) -> Html {
    let list = if props.orders.is_empty() {
        html! { <p class="empty">{ "Orders you place are kept here, encrypted like your cards." }</p> }
    } else {
        html! {
            <ul class="orders">
                { for props.orders.iter().map(|order| {
                    let open = {
                        let (on_open, id) = (props.on_open.clone(), order.order_id.clone());
                        move |_| on_open.emit(id.clone())
                    };
                    let (action, label) = if order.payable() {
                        ("Pay…", format!("Pay order {}", order.order_id))
                    } else {
                        ("Open", format!("Open order {}", order.order_id))
                    };
                    let items = match order.items {
                        1 => "1 item".to_owned(),
                        many => format!("{many} items"),
                    };
                    html! {
                        <li class="order-summary" key={order.order_id.clone()} data-order-id={order.order_id.clone()}>
                            <span class="order-when">{ crate::format::date_time(order.placed_at_ms) }</span>
                            <span class="order-what">{ format!("{} · {items}", order.total) }</span>
                            <span class={standing_class(order.standing)}>{ order.standing.label() }</span>
                            if let Some(tracking) = &order.tracking {
                                <span class="order-tracking">{ format!("tracking {tracking}") }</span>
                            }
                            <button type="button" class="secondary" onclick={open} aria-label={label}>{ action }</button>
                        </li>
                    }
                }) }
            </ul>
        }
    };
    html! {
        <section class="orders-panel" aria-labelledby="orders-heading">
            <h3 id="orders-heading">{ "Your orders" }</h3>
            { list }
        </section>
    }
}
