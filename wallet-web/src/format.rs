//! Formatting for display. Amounts come from the store as exact decimal
//! strings and are shown as they are, never through a float.

use shared::wire::Product;

/// "USD 14.50": the currency code, then the store's exact amount string.
pub fn unit_price(product: &Product) -> String {
    match product.unit_price() {
        Ok(price) => format!("{} {}", price.currency(), price.amount_string()),
        Err(_) => "price unavailable".to_owned(),
    }
}

/// "12 in stock", "1 in stock" or "out of stock".
pub fn stock(stock: u32) -> String {
    match stock {
        0 => "out of stock".to_owned(),
        count => format!("{count} in stock"),
    }
}

/// "2026-11-30 09:15": a time in ms since the epoch, in the browser's time
/// zone.
pub fn date_time(ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// An order's status in words: "awaiting payment", "paid", ...
pub fn order_status(status: shared::wire::OrderStatus) -> &'static str {
    use shared::wire::OrderStatus;
    match status {
        OrderStatus::AwaitingPayment => "awaiting payment",
        OrderStatus::Paid => "paid",
        OrderStatus::Shipped => "shipped",
        OrderStatus::Delivered => "delivered",
        OrderStatus::Canceled => "canceled",
    }
}
