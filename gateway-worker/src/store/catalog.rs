//! `GET /api/catalog?q=`: the store's products, searched by name and
//! description, priced from the store's own database.

use shared::money::{Currency, Money};
use shared::wire::{
    CATALOG_OFFSET_MAX, CATALOG_PAGE_PRODUCTS_MAX, CATALOG_QUERY_CHARS_MAX, CatalogPage, Product,
};
use worker::{Env, Response, Url};

use crate::error::ApiError;
use crate::store::db::{self, ProductRow};

pub async fn list(env: &Env, url: &Url) -> Result<Response, ApiError> {
    let query = search_text(url)?;
    let limit = number_parameter(
        url,
        "limit",
        CATALOG_PAGE_PRODUCTS_MAX as u32,
        1,
        CATALOG_PAGE_PRODUCTS_MAX as u32,
    )?;
    let offset = number_parameter(url, "offset", 0, 0, CATALOG_OFFSET_MAX)?;
    // One row more than the page tells whether another page follows.
    let mut rows = db::search_products(env, query.as_deref(), limit + 1, offset).await?;
    let next_offset = (rows.len() > limit as usize).then_some(offset + limit);
    rows.truncate(limit as usize);
    let products = rows
        .into_iter()
        .map(product_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::http::json(
        &CatalogPage {
            products,
            next_offset,
        },
        200,
    ))
}

/// A whole-number query parameter within `min..=max`, or its default.
fn number_parameter(
    url: &Url,
    name: &str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ApiError> {
    let Some((_, text)) = url.query_pairs().find(|(key, _)| key == name) else {
        return Ok(default);
    };
    match text.parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(ApiError::unprocessable(
            "invalid_page",
            format!("{name} must be a whole number from {min} to {max}"),
        )),
    }
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
