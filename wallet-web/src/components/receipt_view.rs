//! The end of a checkout: the store's signed receipt (with the gateway's
//! signed authorization inside), whether both signatures check out, what
//! was bought and where it ships, and the order as the store records it.
//! The receipt prints on its own (the print stylesheet hides the rest of
//! the page) and downloads as the signed JSON the store sent.

use std::rc::Rc;

use yew::{
    Callback, Html, NodeRef, Properties, component, html, use_effect_with, use_node_ref, use_state,
};

use crate::checkout_state::PaidOrder;
use crate::trust::ReceiptCheck;

#[derive(Properties, PartialEq)]
pub struct ReceiptViewProps {
    pub paid: Rc<PaidOrder>,
    pub on_refresh: Callback<()>,
    /// Cancels the order; offered while it is paid and not shipped.
    pub on_cancel: Callback<()>,
    pub new_order: Callback<()>,
}

#[component]
pub fn ReceiptView(props: &ReceiptViewProps) -> Html {
    let paid = &props.paid;
    let order = &paid.order;
    let refresh = props.on_refresh.clone();
    let cancel = props.on_cancel.clone();
    let new_order = props.new_order.clone();
    let cancelable = order.status == shared::wire::OrderStatus::Paid;
    let owed = crate::checkout_state::refund_owed(order);
    let ask_again = {
        let cancel = props.on_cancel.clone();
        move |_| cancel.emit(())
    };
    // Cancelling asks once more: a stray click does not undo a purchase.
    // The question takes the keyboard's focus when it appears.
    let confirming = use_state(|| false);
    // The result takes the keyboard's focus when it appears, so a screen
    // reader says how the payment ended and the keys go on from there.
    let heading: NodeRef = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with(order.order_id.clone(), move |_| {
            if let Some(heading) = heading.cast::<web_sys::HtmlElement>() {
                let _ = heading.focus();
            }
        });
    }
    let confirm_button: NodeRef = use_node_ref();
    {
        let confirm_button = confirm_button.clone();
        use_effect_with(*confirming, move |asking| {
            if *asking && let Some(button) = confirm_button.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let (ask, keep) = {
        let (ask, keep) = (confirming.clone(), confirming.clone());
        (move |_| ask.set(true), move |_| keep.set(false))
    };
    let confirm = {
        let confirming = confirming.clone();
        move |_| {
            confirming.set(false);
            cancel.emit(());
        }
    };
    let download = paid.receipt.as_ref().and_then(|receipt| {
        let json = serde_json::to_string_pretty(receipt).ok()?;
        Some(format!(
            "data:application/json;charset=utf-8,{}",
            String::from(js_sys::encode_uri_component(&json))
        ))
    });
    let print = |_| {
        let _ = gloo_utils::window().print();
    };
    let receipt = match &paid.receipt {
        Some(receipt) => {
            let body = &receipt.body;
            let authorization = &body.authorization.body;
            let (check_class, check_text) = match paid.check {
                Some(ReceiptCheck::Verified) => (
                    "verified",
                    "The store's and the gateway's signatures check out.",
                ),
                _ => (
                    "error",
                    "The receipt's signatures do not check out: keep this page and contact the store.",
                ),
            };
            html! {
                <dl class="receipt" data-receipt-id={body.receipt_id.clone()}>
                    <dt>{ "Receipt" }</dt><dd>{ &body.receipt_id }</dd>
                    <dt>{ "Paid" }</dt><dd class="amount">{ format!("{} {}", body.currency.code(), body.total) }</dd>
                    <dt>{ "Card" }</dt><dd>{ format!("{} •••• {}", authorization.brand.name(), authorization.last_four) }</dd>
                    <dt>{ "Authorization" }</dt><dd>{ &authorization.authorization_code }</dd>
                    <dt>{ "Verified" }</dt><dd class="customer-verification">{ match authorization.customer_verification {
                        shared::receipt::CustomerVerification::Passkey => "by the card's passkey, on your device",
                        shared::receipt::CustomerVerification::CardCode => "by the card's security code",
                    } }</dd>
                    <dt>{ "Signatures" }</dt><dd class={check_class}>{ check_text }</dd>
                </dl>
            }
        }
        None => html! { <p class="hint">{ "No receipt yet: the bank's answer is pending." }</p> },
    };
    html! {
        <section class="paid" aria-labelledby="paid-heading" data-order-id={order.order_id.clone()}>
            <h3 id="paid-heading" tabindex="-1" ref={heading}>{ format!("Order {}", crate::format::order_status(order.status)) }</h3>
            { receipt }
            { bought(paid) }
            if let Some(download) = download {
                <p class="receipt-actions">
                    <button type="button" class="secondary print-receipt" onclick={print}>{ "Print receipt" }</button>
                    <a class="download-receipt" href={download} download={format!("receipt-{}.json", order.order_id)}>{ "Download the signed receipt (JSON)" }</a>
                </p>
            }
            <h4>{ "What the store recorded" }</h4>
            <ol class="order-events">
                { for order.events.iter().map(|event| html! {
                    <li>{ event.kind.replace('_', " ") }
                        if let Some(amount) = &event.amount { <span class="amount">{ format!(" {} {}", order.currency.code(), amount) }</span> }
                        if let Some(tracking) = &event.tracking { <span class="tracking">{ format!(", tracking {tracking}") }</span> }
                    </li>
                }) }
            </ol>
            <div class="paid-actions">
                <button type="button" class="secondary" onclick={move |_| refresh.emit(())}>{ "Refresh order" }</button>
                if owed {
                    <button type="button" class="secondary refund-again" onclick={ask_again}>{ "Ask for the refund again" }</button>
                }
                if cancelable && !*confirming {
                    <button type="button" class="secondary cancel-order" onclick={ask}>{ "Cancel order…" }</button>
                }
                if cancelable && *confirming {
                    <div role="group" aria-labelledby="cancel-question">
                        <p class="hint" id="cancel-question">{ "Cancel this order? The store refunds the full amount to your card, and nothing ships." }</p>
                        <button type="button" class="confirm-cancel" ref={confirm_button} onclick={confirm}>{ "Yes, cancel and refund" }</button>
                        <button type="button" class="secondary" onclick={keep}>{ "Keep the order" }</button>
                    </div>
                }
                <button type="button" class="new-order" onclick={move |_| new_order.emit(())}>{ "New order" }</button>
            </div>
        </section>
    }
}

/// What was bought and where it ships, from the store's signed quote.
fn bought(paid: &PaidOrder) -> Html {
    let quote = &paid.quote.quote.body;
    let consignee = &quote.consignee;
    let currency = quote.currency.code();
    html! {
        <>
            <h4>{ "Bought" }</h4>
            <ul class="bought">
                { for quote.lines.iter().map(|line| html! {
                    <li key={line.sku.clone()}>{ format!("{} × {}", line.quantity, line.name) }<span class="amount">{ format!(" {currency} {}", line.line_total) }</span></li>
                }) }
                <li>{ format!("Delivery, {}", quote.delivery.option) }<span class="amount">{ format!(" {currency} {}", quote.delivery.cost) }</span></li>
                <li>{ "Tax" }<span class="amount">{ format!(" {currency} {}", quote.tax) }</span></li>
            </ul>
            <h4>{ "Ships to" }</h4>
            <address class="ships-to">
                { &consignee.name }<br />
                { for consignee.address_lines.iter().map(|line| html! { <>{ line }<br /></> }) }
                { format!("{} {}", consignee.postal_code, consignee.city) }<br />
                { &consignee.country }
            </address>
        </>
    }
}
