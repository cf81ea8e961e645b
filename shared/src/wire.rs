//! Wire types: the JSON bodies that cross the network between the wallet,
//! the store and the gateway. Only these types cross it.

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError};

/// The longest catalog search text, in characters.
pub const CATALOG_QUERY_CHARS_MAX: usize = 100;

/// The most products one catalog answer carries.
pub const CATALOG_PAGE_PRODUCTS_MAX: usize = 50;

/// Every error answer: a stable machine-readable `code` and a lowercase
/// human-readable `message` that never repeats secret input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// `GET /api/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// One product of the store's catalog, as the store prices it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Decimal string with exactly the currency's minor-unit digits.
    pub unit_price: String,
    pub currency: Currency,
    pub stock: u32,
}

impl Product {
    /// The unit price as money, checked against the currency's rules.
    pub fn unit_price(&self) -> Result<Money, MoneyError> {
        Money::parse_non_negative(&self.unit_price, self.currency)
    }
}

/// `GET /api/catalog?q=`: the products matching the search, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub products: Vec<Product>,
}
