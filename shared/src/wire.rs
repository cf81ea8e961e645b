//! Wire types: the JSON bodies that cross the network between the wallet,
//! the store and the gateway. Only these types cross it.

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError};
use crate::quote::QuoteDigest;

/// The longest catalog search text, in characters.
pub const CATALOG_QUERY_CHARS_MAX: usize = 100;

/// The most products one catalog answer carries (and the default `limit`).
pub const CATALOG_PAGE_PRODUCTS_MAX: usize = 50;

/// The furthest a catalog page may start (`offset`).
pub const CATALOG_OFFSET_MAX: u32 = 10_000;

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

/// `GET /api/catalog?q=&limit=&offset=`: the products matching the
/// search, by name, one page at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub products: Vec<Product>,
    /// The `offset` of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
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
    /// Captured, then refunded in full.
    Refunded,
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
    /// How much of the captured amount was refunded, once anything was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_refunded: Option<String>,
}

/// `POST /api/gateway/v1/payments/{id}/refunds` (merchant API, with an
/// `Idempotency-Key`), and the store's staff route that makes one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Decimal string in the payment's currency; at most what is left.
    pub amount: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Succeeded,
    /// The bank has not answered yet; the gateway asks again by itself.
    Pending,
}

/// One refund of a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub payment_id: String,
    pub amount: String,
    pub currency: Currency,
    pub status: RefundStatus,
    pub created_at_ms: u64,
}

/// The answer to a refund: the refund and the payment after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAnswer {
    pub refund: Refund,
    pub payment: Payment,
}

/// `POST /api/store/orders/{id}/ship` (store staff): the parcel's tracking
/// reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    pub tracking: String,
}

/// The longest tracking reference, in characters.
pub const TRACKING_CHARS_MAX: usize = 64;

/// The most orders one page of the back office's list holds, and how many
/// it holds when the request does not say.
pub const STAFF_ORDERS_PAGE_MAX: u32 = 50;
pub const STAFF_ORDERS_PAGE_DEFAULT: u32 = 20;

/// Which orders the back office lists (`GET /api/store/orders?status=`):
/// one status, or every order with a refund recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffOrderFilter {
    AwaitingPayment,
    Paid,
    Shipped,
    Delivered,
    Canceled,
    Refunded,
}

impl StaffOrderFilter {
    pub const ALL: [StaffOrderFilter; 6] = [
        StaffOrderFilter::AwaitingPayment,
        StaffOrderFilter::Paid,
        StaffOrderFilter::Shipped,
        StaffOrderFilter::Delivered,
        StaffOrderFilter::Canceled,
        StaffOrderFilter::Refunded,
    ];

    /// The query parameter's value.
    pub fn code(self) -> &'static str {
        match self {
            StaffOrderFilter::AwaitingPayment => "awaiting_payment",
            StaffOrderFilter::Paid => "paid",
            StaffOrderFilter::Shipped => "shipped",
            StaffOrderFilter::Delivered => "delivered",
            StaffOrderFilter::Canceled => "canceled",
            StaffOrderFilter::Refunded => "refunded",
        }
    }

    pub fn from_code(code: &str) -> Option<StaffOrderFilter> {
        StaffOrderFilter::ALL
            .into_iter()
            .find(|filter| filter.code() == code)
    }
}

/// An order as the back office lists it: what to ship, where, and the
/// money the store has recorded for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrder {
    pub order_id: String,
    pub status: OrderStatus,
    pub total: String,
    pub currency: Currency,
    pub created_at_ms: u64,
    pub lines: Vec<crate::quote::QuoteLine>,
    /// The delivery option the shopper chose.
    pub delivery: String,
    pub consignee: crate::quote::Consignee,
    /// What was captured, and what of it refunded, as decimal strings.
    pub captured: String,
    pub refunded: String,
    /// The latest tracking reference, once shipped.
    pub tracking: Option<String>,
}

/// `GET /api/store/orders`: one page of orders, newest first; `next_before`
/// asks for the page after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrderPage {
    pub orders: Vec<StaffOrder>,
    pub next_before: Option<String>,
}

/// Limits on an order, checked by the store at the edge.
pub const CART_LINES_MAX: usize = 20;
pub const LINE_QUANTITY_MAX: u32 = 99;
pub const CONSIGNEE_NAME_CHARS_MAX: usize = 80;
pub const ADDRESS_LINES_MAX: usize = 3;
pub const ADDRESS_LINE_CHARS_MAX: usize = 100;
pub const CITY_CHARS_MAX: usize = 80;
pub const POSTAL_CODE_CHARS_MAX: usize = 16;
pub const PHONE_CHARS_MAX: usize = 20;

/// One line of the shopper's order: what and how many. Prices are never
/// sent; the store prices every line from its own catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub sku: String,
    pub quantity: u32,
}

/// `POST /api/quotes`: the shopper's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub lines: Vec<OrderLine>,
    /// `standard` or `express`.
    pub delivery: String,
    pub consignee: crate::quote::Consignee,
}

/// The store's answer: the signed quote, the order it opened, the payment
/// registered at the gateway, and the secret that lets this shopper (and
/// only this shopper) follow and pay the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteAnswer {
    pub quote: crate::sign::Signed<crate::quote::Quote>,
    pub order_id: String,
    pub payment_id: String,
    pub client_secret: String,
}

/// `GET /api/store/keys`: the store's published signing keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreKeys {
    pub keys: Vec<crate::sign::PublicKey>,
}

/// An order's states, in the order they happen (or `canceled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Paid,
    Shipped,
    Delivered,
    Canceled,
}

/// `GET /api/orders/{id}` (with the order's client secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub order_id: String,
    pub status: OrderStatus,
    pub payment_id: String,
    pub total: String,
    pub currency: Currency,
    pub created_at_ms: u64,
    /// The store's record of the order's money events and shipments.
    pub events: Vec<OrderEventView>,
}

/// One event of an order: `intent_created`, `authorized`, `captured`,
/// `voided`, `refunded`, `shipped`, `delivered`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEventView {
    pub kind: String,
    /// Decimal string in the order's currency, for money events.
    pub amount: Option<String>,
    pub at_ms: u64,
    /// The parcel's tracking reference, on a `shipped` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
}

/// The longest shopper address a merchant forwards, in bytes.
pub const SHOPPER_ADDRESS_BYTES_MAX: usize = 64;

/// What a shopper address is counted as by the budgets: an IPv6 address by
/// its /64 (one subscriber's whole network, which hands out addresses by
/// the billion), an IPv4 address (plain or IPv6-mapped) as itself, anything
/// else as its text.
pub fn shopper_address_subject(address: &str) -> String {
    match address.parse::<core::net::Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        Err(_) => address.to_owned(),
    }
}

/// `POST /api/gateway/v1/payments/{id}/confirm` (merchant API): the
/// shopper's sealed payment with the merchant's billing. The gateway checks
/// the billing against the payment it holds, then the sealed binding
/// against both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPayment {
    pub sealed: crate::seal::SealedPayment,
    /// Decimal string in `currency`: what the merchant bills.
    pub amount: String,
    pub currency: Currency,
    pub quote_digest: QuoteDigest,
    pub order_reference: String,
    /// The shopper's network address as the merchant saw it, for the
    /// gateway's attempt budgets per address.
    #[serde(default)]
    pub shopper_address: Option<String>,
}

/// How one attempt (one card tried) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Approved,
    Declined,
    /// The issuer has not answered yet; the gateway asks again with the same
    /// reference until it does.
    Pending,
}

/// One attempt as the merchant sees it: the card by brand and last four,
/// the exact decline code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt_id: String,
    pub sequence: u32,
    pub outcome: AttemptOutcome,
    pub brand: crate::card::Brand,
    pub last_four: String,
    pub decline_code: Option<crate::decline::DeclineCode>,
}

/// The merchant API's answer to a confirmation that reached the issuer:
/// 200 approved (with the signed authorization), 202 pending, 402 declined
/// (then `code` and `message` are what the shopper may be told, and
/// `attempt.decline_code` is the issuer's exact reason, for the merchant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmAnswer {
    pub code: Option<crate::decline::ShopperDeclineCode>,
    pub message: Option<String>,
    pub payment: Payment,
    pub attempt: AttemptView,
    pub authorization: Option<crate::sign::Signed<crate::receipt::AuthorizationRecord>>,
    /// On a decline: whether another card may help.
    pub another_card_may_help: Option<bool>,
}

/// `POST /api/orders/{id}/pay` (shopper, with the order's client secret and
/// an `Idempotency-Key`): the sealed payment from the wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub sealed: crate::seal::SealedPayment,
}

/// The store's answer to a payment: 200 paid with the signed receipt, or
/// 202 while the bank's answer is pending (follow the order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayAnswer {
    pub order: OrderView,
    pub receipt: Option<crate::sign::Signed<crate::receipt::Receipt>>,
}

/// The store's 402 to the shopper: the shopper's decline code (generic
/// `card_declined` where more would help a thief) and whether another card
/// may help. The order stays open for another attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayDeclined {
    pub code: crate::decline::ShopperDeclineCode,
    pub message: String,
    pub another_card_may_help: bool,
}

#[cfg(test)]
mod tests {
    use super::StaffOrderFilter;

    #[test]
    fn every_back_office_filter_reads_back_from_its_code() {
        for filter in StaffOrderFilter::ALL {
            assert_eq!(StaffOrderFilter::from_code(filter.code()), Some(filter));
            let json = serde_json::to_string(&filter).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", filter.code()));
        }
        assert_eq!(StaffOrderFilter::from_code(""), None);
        assert_eq!(StaffOrderFilter::from_code("Paid"), None);
    }
}
