//! The store's signed quote: what the shopper pays, line by line, and until
//! when the quote holds.

use shared::wire::QuoteAnswer;
use yew::{Html, Properties, component, html};

#[derive(Properties, PartialEq)]
pub struct QuoteViewProps {
    pub quote: std::rc::Rc<QuoteAnswer>,
}

/// "HH:MM" of a time in ms since the epoch, in the browser's time zone.
fn clock(ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

#[component]
pub fn QuoteView(props: &QuoteViewProps) -> Html {
    let quote = &props.quote.quote.body;
    let currency = quote.currency.code();
    html! {
        <section class="quote" aria-labelledby="quote-heading" data-order-id={props.quote.order_id.clone()}>
            <h3 id="quote-heading">{ "The store's quote" }<span class="signed">{ " · signed by the store ✓" }</span></h3>
            <table>
                <thead><tr><th scope="col">{ "Item" }</th><th scope="col">{ "Qty" }</th><th scope="col" class="amount">{ "Price" }</th><th scope="col" class="amount">{ "Total" }</th></tr></thead>
                <tbody>
                    { for quote.lines.iter().map(|line| html! {
                        <tr key={line.sku.clone()}>
                            <td>{ &line.name }</td>
                            <td>{ line.quantity }</td>
                            <td class="amount">{ &line.unit_price }</td>
                            <td class="amount">{ &line.line_total }</td>
                        </tr>
                    }) }
                    <tr><td colspan="3">{ format!("Delivery, {} (about {} days)", quote.delivery.option, quote.delivery.estimated_days) }</td><td class="amount">{ &quote.delivery.cost }</td></tr>
                    <tr><td colspan="3">{ "Tax" }</td><td class="amount">{ &quote.tax }</td></tr>
                </tbody>
                <tfoot><tr><th scope="row" colspan="3">{ format!("Total ({currency})") }</th><td class="amount quote-total">{ &quote.total }</td></tr></tfoot>
            </table>
            <p class="hint">{ format!("Ships to {}, {}. This quote holds until {}.", quote.consignee.name, quote.consignee.city, clock(quote.expires_at_ms)) }</p>
        </section>
    }
}
