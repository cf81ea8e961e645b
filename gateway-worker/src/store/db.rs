//! The store's SQL, all of it: the only code that talks to `STORE_DB`.

use serde::Deserialize;
use shared::wire::CATALOG_PAGE_PRODUCTS_MAX;
use worker::{Env, wasm_bindgen::JsValue};

use crate::error::ApiError;

const STORE_DB: &str = "STORE_DB";

/// A product as stored: money in integer minor units.
#[derive(Debug, Deserialize)]
pub struct ProductRow {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub stock: i64,
}

/// Products whose name or description contains `text` (case-insensitive for
/// ASCII, LIKE wildcards in `text` taken literally), ordered by name.
pub async fn search_products(env: &Env, text: Option<&str>) -> Result<Vec<ProductRow>, ApiError> {
    let db = env.d1(STORE_DB)?;
    let pattern = match text {
        Some(text) => JsValue::from_str(&format!("%{}%", escape_like(text))),
        None => JsValue::null(),
    };
    let limit = JsValue::from_f64(CATALOG_PAGE_PRODUCTS_MAX as f64);
    let statement = db
        .prepare(
            "SELECT sku, name, description, unit_price_minor, currency, stock \
             FROM products \
             WHERE ?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR description LIKE ?1 ESCAPE '\\' \
             ORDER BY name, sku \
             LIMIT ?2",
        )
        .bind(&[pattern, limit])?;
    Ok(statement.all().await?.results::<ProductRow>()?)
}

/// Escapes LIKE's wildcards so that search text matches literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("tea"), "tea");
        assert_eq!(escape_like("100%_\\"), "100\\%\\_\\\\");
    }
}
