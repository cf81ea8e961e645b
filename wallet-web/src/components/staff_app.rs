//! The store's back office as a page (`/staff`): the staff token typed
//! once, the orders newest first with a filter, and on each order what can
//! be done next (ship with a tracking reference, mark delivered, refund
//! part or all, cancel one never paid). Same assets and the same strict
//! CSP as the wallet; everything goes through the back-office API.

use shared::wire::{OrderStatus, StaffOrder, StaffOrderFilter};
use web_sys::{HtmlSelectElement, SubmitEvent};
use yew::{Callback, Html, Properties, TargetCast, component, html, use_node_ref};

use crate::api::StaffOperation;
use crate::components::{input_value, take_input_value};
use crate::hooks::use_staff::use_staff;
use crate::staff_state::refundable;

fn filter_label(filter: StaffOrderFilter) -> &'static str {
    match filter {
        StaffOrderFilter::AwaitingPayment => "Awaiting payment",
        StaffOrderFilter::Paid => "Paid, to ship",
        StaffOrderFilter::Shipped => "Shipped",
        StaffOrderFilter::Delivered => "Delivered",
        StaffOrderFilter::Canceled => "Canceled",
        StaffOrderFilter::Refunded => "With a refund",
    }
}

fn standing_class(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::AwaitingPayment => "standing awaiting",
        OrderStatus::Canceled => "standing ended",
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered => "standing paid",
    }
}

#[component]
pub fn StaffApp() -> Html {
    let staff = use_staff();
    let state = &staff.state;
    let token = use_node_ref();
    let sign_in = {
        let (token, sign_in) = (token.clone(), staff.sign_in.clone());
        move |event: SubmitEvent| {
            event.prevent_default();
            sign_in.emit(take_input_value(&token));
        }
    };
    let alert = match &state.alert {
        Some(alert) => html! { <p class="error" role="alert">{ alert }</p> },
        None => html! {},
    };
    let body = if state.signed_in {
        let show = staff.show.clone();
        let on_filter = move |event: yew::Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            show.emit(StaffOrderFilter::from_code(&select.value()));
        };
        let refresh = {
            let (show, filter) = (staff.show.clone(), state.filter);
            move |_| show.emit(filter)
        };
        let sign_out = {
            let sign_out = staff.sign_out.clone();
            move |_| sign_out.emit(())
        };
        let more = {
            let more = staff.more.clone();
            move |_| more.emit(())
        };
        html! {
            <>
                <div class="staff-bar">
                    <label for="staff-filter">{ "Show" }</label>
                    <select id="staff-filter" onchange={on_filter} disabled={state.loading}>
                        <option value="" selected={state.filter.is_none()}>{ "All orders" }</option>
                        { for StaffOrderFilter::ALL.into_iter().map(|filter| html! {
                            <option value={filter.code()} selected={state.filter == Some(filter)}>{ filter_label(filter) }</option>
                        }) }
                    </select>
                    <button type="button" class="secondary" onclick={refresh} disabled={state.loading}>{ "Refresh" }</button>
                    <button type="button" class="secondary" onclick={sign_out}>{ "Sign out" }</button>
                </div>
                if state.loading {
                    <p class="loading"><span class="spinner" aria-hidden="true"></span>{ "Loading orders…" }</p>
                }
                <ul class="staff-orders" aria-busy={state.loading.to_string()}
                    data-filter={state.filter.map_or("", StaffOrderFilter::code)}>
                    { for state.orders.iter().map(|order| html! {
                        <StaffOrderCard key={order.order_id.clone()} order={order.clone()}
                            busy={state.busy.is_some()} on_operate={staff.operate.clone()}
                            on_refund={staff.refund.clone()} />
                    }) }
                </ul>
                if state.next_before.is_some() {
                    <button type="button" class="secondary staff-more" onclick={more} disabled={state.loading}>{ "Show more" }</button>
                }
            </>
        }
    } else {
        html! {
            <form class="vault-form staff-sign-in" onsubmit={sign_in}>
                <label for="staff-token">{ "Staff token" }</label>
                <input id="staff-token" type="password" autocomplete="off" ref={token} />
                <p class="hint">{ "Kept in this page's memory only: a reload asks for it again." }</p>
                <button type="submit" disabled={state.loading}>{ "Show orders" }</button>
            </form>
        }
    };
    html! {
        <>
            <header class="masthead">
                <h1>{ "Back office" }</h1>
                <p class="tagline">{ "The store's orders: ship, deliver, refund, cancel." }</p>
            </header>
            <section class="panel staff-panel" aria-labelledby="staff-heading">
                <h2 id="staff-heading">{ "Orders" }</h2>
                <p class="status" role="status" aria-live="polite">{ state.message.clone().unwrap_or_default() }</p>
                { alert }
                { body }
            </section>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct StaffOrderCardProps {
    order: StaffOrder,
    /// An operation is under way (on any order).
    busy: bool,
    on_operate: Callback<(String, StaffOperation)>,
    /// A refund of this amount on the order with this id.
    on_refund: Callback<(String, String)>,
}

#[derive(Properties, PartialEq)]
struct FieldFormProps {
    class: &'static str,
    field_id: String,
    label: String,
    /// What the field holds at first.
    value: String,
    button: &'static str,
    busy: bool,
    /// Sends the field's value, trimmed.
    on_send: Callback<String>,
}

/// A form that sends one field's value as an operation.
#[component]
fn FieldForm(props: &FieldFormProps) -> Html {
    let node = use_node_ref();
    let on_submit = {
        let (node, on_send) = (node.clone(), props.on_send.clone());
        move |event: SubmitEvent| {
            event.prevent_default();
            on_send.emit(input_value(&node).trim().to_owned());
        }
    };
    html! {
        <form class={props.class} onsubmit={on_submit}>
            <label for={props.field_id.clone()}>{ &props.label }</label>
            <input id={props.field_id.clone()} type="text" value={props.value.clone()} ref={node} disabled={props.busy} />
            <button type="submit" disabled={props.busy}>{ props.button }</button>
        </form>
    }
}

#[component]
fn StaffOrderCard(props: &StaffOrderCardProps) -> Html {
    let order = &props.order;
    let id = order.order_id.clone();
    let operate = {
        let (on_operate, id) = (props.on_operate.clone(), id.clone());
        move |operation: StaffOperation| on_operate.emit((id.clone(), operation))
    };
    let currency = order.currency.code();
    let consignee = &order.consignee;
    let ship = matches!(order.status, OrderStatus::Paid).then(|| {
        let operate = operate.clone();
        let on_send = Callback::from(move |tracking| operate(StaffOperation::Ship { tracking }));
        html! {
            <FieldForm class="staff-ship" field_id={format!("tracking-{id}")}
                label="Tracking reference" value="" button="Ship" busy={props.busy} {on_send} />
        }
    });
    let refund_form = match order.status {
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered => {
            refundable(order).map(|left| {
                let (on_refund, order_id) = (props.on_refund.clone(), id.clone());
                let on_send =
                    Callback::from(move |amount| on_refund.emit((order_id.clone(), amount)));
                html! {
                    <FieldForm class="staff-refund" field_id={format!("refund-{id}")}
                        label={format!("Refund amount ({currency})")} value={left.amount_string()}
                        button="Refund" busy={props.busy} {on_send} />
                }
            })
        }
        _ => None,
    };
    let deliver = {
        let operate = operate.clone();
        move |_| operate(StaffOperation::Deliver)
    };
    let cancel = move |_| operate(StaffOperation::Cancel);
    html! {
        <li class="staff-order" data-order-id={id.clone()}>
            <h3>{ format!("Order {id}") }</h3>
            <p class="staff-order-line">
                <span class={standing_class(order.status)}>{ crate::format::order_status(order.status) }</span>
                { format!(" · {currency} {} · placed {}", order.total, crate::format::date_time(order.created_at_ms)) }
            </p>
            <p class="hint">{ format!("Captured {currency} {} · refunded {currency} {}", order.captured, order.refunded) }</p>
            <ul class="bought">
                { for order.lines.iter().map(|line| html! {
                    <li key={line.sku.clone()}>{ format!("{} × {}", line.quantity, line.name) }<span class="amount">{ &line.sku }</span></li>
                }) }
            </ul>
            <p>{ format!("Delivery: {}.", order.delivery) }</p>
            <address class="ships-to">
                { &consignee.name }<br />
                { for consignee.address_lines.iter().map(|line| html! { <>{ line }<br /></> }) }
                { format!("{} {}", consignee.postal_code, consignee.city) }<br />
                { &consignee.country }<br />
                { &consignee.phone }
            </address>
            if let Some(tracking) = &order.tracking {
                <p class="order-tracking">{ format!("Tracking {tracking}") }</p>
            }
            <div class="staff-actions">
                { ship.unwrap_or_default() }
                if order.status == OrderStatus::Shipped {
                    <button type="button" class="staff-deliver" onclick={deliver} disabled={props.busy}>{ "Mark delivered" }</button>
                }
                { refund_form.unwrap_or_default() }
                if order.status == OrderStatus::AwaitingPayment {
                    <button type="button" class="danger staff-cancel" onclick={cancel} disabled={props.busy}>{ "Cancel order" }</button>
                }
            </div>
        </li>
    }
}
