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
