//! Wire types: the JSON bodies that cross the network between the wallet,
//! the store and the gateway. Only these types cross it.

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError};
use crate::quote::QuoteDigest;

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

/// The longest merchant order reference on a payment, in bytes.
pub const ORDER_REFERENCE_BYTES_MAX: usize = 64;

/// `POST /api/gateway/v1/payments` (merchant API): the merchant registers a
/// payment for a quote before any card is seen. The merchant comes from the
/// API key, never from the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePayment {
    /// Decimal string in `currency`.
    pub amount: String,
    pub currency: Currency,
    pub quote_digest: QuoteDigest,
    /// When the quote (and so the payment) expires, ms since the epoch.
    pub expires_at_ms: u64,
    /// The merchant's own reference (its order id).
    pub order_reference: String,
}

/// A payment's life, after Stripe's and Hyperswitch's payment intents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    RequiresPaymentMethod,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    Automatic,
    Manual,
}

/// A payment as the gateway holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub payment_id: String,
    pub merchant_id: String,
    pub order_reference: String,
    pub amount: String,
    pub currency: Currency,
    pub quote_digest: QuoteDigest,
    pub status: PaymentStatus,
    pub capture_method: CaptureMethod,
    pub expires_at_ms: u64,
    pub created_at_ms: u64,
}
