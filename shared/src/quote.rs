//! The store's quote and its salted digest.
//!
//! The quote digest is what the gateway and the sealed payment see of an
//! order: SHA-256 over the quote's canonical bytes, which include a 32-byte
//! random salt carried in the quote. Without the salt the digest of a small
//! order could be confirmed by guessing its items; with it, only someone who
//! holds the quote can recompute it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::encoding::{Bytes, CanonicalWriter};
use crate::money::Currency;
use crate::sign::{Purpose, SignedContent};

/// Domain label of the quote's canonical encoding.
const QUOTE_LABEL: &str = "ewallet/quote/v1";

/// SHA-256 of a quote's canonical bytes (salt included).
pub type QuoteDigest = Bytes<32>;

/// The random salt a quote carries.
pub type QuoteSalt = Bytes<32>;

/// One priced line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteLine {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    /// Decimal strings in the quote's currency.
    pub unit_price: String,
    pub line_total: String,
}

/// How the goods travel, what it costs and how long it takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub option: String,
    pub cost: String,
    pub estimated_days: u32,
}

/// The person and address the goods are shipped to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consignee {
    pub name: String,
    pub address_lines: Vec<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub phone: String,
}

/// The store's answer to an order. Signed by the store as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    pub quote_id: String,
    pub merchant_id: String,
    pub lines: Vec<QuoteLine>,
    pub delivery: Delivery,
    pub consignee: Consignee,
    pub currency: Currency,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    pub salt: QuoteSalt,
}

impl Quote {
    /// The canonical bytes: every field, in declaration order, lists
    /// prefixed by their length.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut writer = CanonicalWriter::new(QUOTE_LABEL);
        writer
            .bytes(&self.salt.0)
            .text(&self.quote_id)
            .text(&self.merchant_id)
            .u32(u32::try_from(self.lines.len()).unwrap_or(u32::MAX));
        for line in &self.lines {
            writer
                .text(&line.sku)
                .text(&line.name)
                .u32(line.quantity)
                .text(&line.unit_price)
                .text(&line.line_total);
        }
        writer
            .text(&self.delivery.option)
            .text(&self.delivery.cost)
            .u32(self.delivery.estimated_days)
            .text(&self.consignee.name)
            .u32(u32::try_from(self.consignee.address_lines.len()).unwrap_or(u32::MAX));
        for address_line in &self.consignee.address_lines {
            writer.text(address_line);
        }
        writer
            .text(&self.consignee.city)
            .text(&self.consignee.postal_code)
            .text(&self.consignee.country)
            .text(&self.consignee.phone)
            .text(self.currency.code())
            .text(&self.subtotal)
            .text(&self.tax)
            .text(&self.total)
            .u64(self.expires_at_ms);
        writer.finish()
    }

    /// The salted digest that binds a payment to this quote.
    pub fn digest(&self) -> QuoteDigest {
        Bytes(Sha256::digest(self.canonical_bytes()).into())
    }
}

impl SignedContent for Quote {
    const PURPOSE: Purpose = Purpose::Quote;

    fn canonical_bytes(&self) -> Vec<u8> {
        Quote::canonical_bytes(self)
    }
}
