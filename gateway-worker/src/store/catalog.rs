//! `GET /api/catalog?q=`: the store's products, searched by name and
//! description, priced from the store's own database.

use shared::money::{Currency, Money};
use shared::wire::{CATALOG_QUERY_CHARS_MAX, CatalogPage, Product};
use worker::{Env, Response, Url};

use crate::error::ApiError;
use crate::store::db::{self, ProductRow};

pub async fn list(env: &Env, url: &Url) -> Result<Response, ApiError> {
    let query = search_text(url)?;
    let rows = db::search_products(env, query.as_deref()).await?;
    let products = rows
        .into_iter()
        .map(product_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::http::json(&CatalogPage { products }, 200))
}

/// The trimmed `q` parameter, if any, within the length limit.
fn search_text(url: &Url) -> Result<Option<String>, ApiError> {
    let Some((_, text)) = url.query_pairs().find(|(name, _)| name == "q") else {
        return Ok(None);
    };
    let text = text.trim();
    if text.chars().count() > CATALOG_QUERY_CHARS_MAX {
        return Err(ApiError::unprocessable(
            "query_too_long",
            format!("search text is longer than {CATALOG_QUERY_CHARS_MAX} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A stored row becomes a wire product. A row that breaks the money rules is
/// a bug in our data, reported as an internal error rather than served.
fn product_from_row(row: ProductRow) -> Result<Product, ApiError> {
    let currency = Currency::from_code(&row.currency)
        .map_err(|error| ApiError::internal(format!("product {}: {error}", row.sku)))?;
    let unit_price = Money::from_minor(row.unit_price_minor, currency)
        .map_err(|error| ApiError::internal(format!("product {}: {error}", row.sku)))?;
    let stock = u32::try_from(row.stock)
        .map_err(|_| ApiError::internal(format!("product {}: stock out of range", row.sku)))?;
    Ok(Product {
        sku: row.sku,
        name: row.name,
        description: row.description,
        unit_price: unit_price.amount_string(),
        currency,
        stock,
    })
}
