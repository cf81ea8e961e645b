//! The order: the cart and where it ships, then the store's signed quote
//! and the wallet's cards to pay with, then the receipt. Every status
//! change is announced through one `aria-live` line; failures as alerts.

use yew::{Callback, Html, Properties, component, html, use_effect_with};

use crate::checkout_state::{Cart, CartAction, Stage};
use crate::components::cart_view::CartView;
use crate::components::panels::OrderSection;
use crate::components::pay_form::PayForm;
use crate::components::quote_view::QuoteView;
use crate::components::receipt_view::ReceiptView;
use crate::components::shipping_form::ShippingFormView;
use crate::hooks::use_checkout::{CheckoutHandle, ShippingForm};
use crate::state::CardSummary;

#[derive(Properties, PartialEq)]
pub struct CheckoutPanelProps {
    pub cart: Cart,
    pub on_cart: Callback<CartAction>,
    pub checkout: CheckoutHandle,
    /// The wallet's cards, or `None` while it is locked.
    pub cards: Option<Vec<CardSummary>>,
    /// Whether passkeys can be used on this page.
    pub passkeys: bool,
    /// Where the order ships, as typed in the shell before the wallet's
    /// module took over.
    #[prop_or_default]
    pub shipping: Option<ShippingForm>,
}

#[component]
pub fn CheckoutPanel(props: &CheckoutPanelProps) -> Html {
    let checkout = &props.checkout;
    let state = &checkout.state;
    // A new stage (the quote, the receipt) brings the order into view.
    let stage_name = match &state.stage {
        Stage::Shopping | Stage::Quoting => "shopping",
        Stage::Quoted(_) | Stage::Paying(_) => "quoted",
        Stage::Done(_) => "done",
    };
    use_effect_with(stage_name, |stage| {
        if *stage != "shopping"
            && let Some(heading) = gloo_utils::document().get_element_by_id("checkout-heading")
        {
            heading.scroll_into_view();
        }
    });
    let alert = match &state.alert {
        Some(alert) => html! { <p class="error checkout-alert" role="alert">{ alert }</p> },
        None => html! {},
    };
    let body = match &state.stage {
        Stage::Shopping | Stage::Quoting => {
            let quoting = matches!(state.stage, Stage::Quoting);
            let on_submit = {
                let (request_quote, lines) =
                    (checkout.request_quote.clone(), props.cart.order_lines());
                Callback::from(move |form| request_quote.emit((lines.clone(), form)))
            };
            html! {
                <>
                    { alert }
                    <CartView cart={props.cart.clone()} on_change={props.on_cart.clone()} locked={quoting} />
                    if !props.cart.lines.is_empty() {
                        <ShippingFormView {on_submit} disabled={quoting} initial={props.shipping.clone()} />
                    }
                </>
            }
        }
        Stage::Quoted(quote) | Stage::Paying(quote) => {
            let paying = matches!(state.stage, Stage::Paying(_));
            let body = &quote.quote.body;
            let total = format!("{} {}", body.currency.code(), body.total);
            let change = checkout.start_over.clone();
            html! {
                <>
                    <QuoteView quote={quote.clone()} />
                    { alert }
                    <PayForm cards={props.cards.clone()} {total} {paying} passkeys={props.passkeys} on_pay={checkout.pay.clone()} />
                    if !paying {
                        <button type="button" class="secondary change-order" onclick={move |_| change.emit(())}>{ "Change the order" }</button>
                    }
                </>
            }
        }
        Stage::Done(paid) => {
            let new_order = {
                let (start_over, on_cart) = (checkout.start_over.clone(), props.on_cart.clone());
                Callback::from(move |()| {
                    on_cart.emit(CartAction::Clear);
                    start_over.emit(());
                })
            };
            html! {
                <>
                    { alert }
                    <ReceiptView paid={paid.clone()} on_refresh={checkout.refresh.clone()} on_cancel={checkout.cancel.clone()} {new_order} />
                </>
            }
        }
    };
    html! {
        <OrderSection status={state.message.clone()}>{ body }</OrderSection>
    }
}
