//! `POST /api/quotes`: the shopper's order in, the store's signed quote out.
//! The store validates every field, prices every line from its own catalog
//! (never from the request), adds delivery and tax, signs the quote,
//! registers the payment at the gateway through the merchant API, and opens
//! the order with a client secret only this shopper receives.

use sha2::{Digest, Sha256};
use shared::encoding::{Bytes, to_base64url};
use shared::money::{Currency, Money};
use shared::quote::{Consignee, Delivery, Quote, QuoteLine};
use shared::wire::{
    ADDRESS_LINE_CHARS_MAX, ADDRESS_LINES_MAX, CART_LINES_MAX, CITY_CHARS_MAX,
    CONSIGNEE_NAME_CHARS_MAX, CreatePayment, LINE_QUANTITY_MAX, PHONE_CHARS_MAX,
    POSTAL_CODE_CHARS_MAX, QuoteAnswer, QuoteRequest, SHOPPER_ADDRESS_BYTES_MAX,
    shopper_address_subject,
};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::db::{self, NewOrder};
use crate::store::{gateway_client, keys, quote_budget};

/// The store's merchant id at the gateway.
pub const STORE_MERCHANT_ID: &str = "m_teashop";

/// How long a quote (and its payment) stays valid: 15 minutes.
pub const QUOTE_TTL_MS: u64 = 15 * 60 * 1000;

/// The largest order body, in bytes.
const QUOTE_BODY_BYTES_MAX: usize = 16 * 1024;

/// Sales tax in basis points (8.25 %), on goods and delivery, rounded
/// half-to-even to the cent.
const SALES_TAX_BASIS_POINTS: u32 = 825;

/// The store's currency: every product is priced in it.
const STORE_CURRENCY: Currency = Currency::Usd;

/// The budget requests without a shopper address share (Cloudflare always
/// sets `cf-connecting-ip`; a request without it is not a shopper's).
pub const UNKNOWN_SHOPPER_ADDRESS: &str = "unknown";

/// Delivery options: (name, cost in minor units, estimated days).
const DELIVERY_OPTIONS: [(&str, i64, u32); 2] = [("standard", 4_90, 5), ("express", 14_90, 2)];

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::unprocessable("invalid_field", format!("{field}: {message}"))
}

/// Checks a text field: trimmed length within 1..=max, no control characters.
fn check_text(field: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    let count = value.trim().chars().count();
    if count == 0 {
        return Err(invalid(field, "is required"));
    }
    if count > max_chars {
        return Err(invalid(
            field,
            &format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Every consignee field, with a message naming the field that is wrong.
pub fn check_consignee(consignee: &Consignee) -> Result<(), ApiError> {
    check_text("consignee.name", &consignee.name, CONSIGNEE_NAME_CHARS_MAX)?;
    if consignee.address_lines.is_empty() || consignee.address_lines.len() > ADDRESS_LINES_MAX {
        return Err(invalid("consignee.address_lines", "must have 1 to 3 lines"));
    }
    for (index, line) in consignee.address_lines.iter().enumerate() {
        check_text(
            &format!("consignee.address_lines[{index}]"),
            line,
            ADDRESS_LINE_CHARS_MAX,
        )?;
    }
    check_text("consignee.city", &consignee.city, CITY_CHARS_MAX)?;
    check_text(
        "consignee.postal_code",
        &consignee.postal_code,
        POSTAL_CODE_CHARS_MAX,
    )?;
    if !consignee
        .postal_code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(invalid(
            "consignee.postal_code",
            "may hold only letters, digits, spaces and dashes",
        ));
    }
    let country_ok =
        consignee.country.len() == 2 && consignee.country.bytes().all(|b| b.is_ascii_uppercase());
    if !country_ok {
        return Err(invalid(
            "consignee.country",
            "must be an ISO 3166 two-letter code, like GB",
        ));
    }
    let phone = consignee.phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let phone_ok = phone.chars().count() <= PHONE_CHARS_MAX
        && (7..=15).contains(&digits)
        && phone.chars().enumerate().all(|(index, c)| {
            c.is_ascii_digit() || c == ' ' || c == '-' || (index == 0 && c == '+')
        });
    if !phone_ok {
        return Err(invalid(
            "consignee.phone",
            "must be 7 to 15 digits, optionally with + and spaces",
        ));
    }
    Ok(())
}

/// A malformed order's error. Messages about unknown or missing fields name
/// only the field; any other message could quote a value, so it is not used.
pub fn body_error(error: &serde_json::Error) -> ApiError {
    let message = error.to_string();
    // A missing field is one of ours, named; an unknown one is the
    // sender's text, never repeated.
    let detail = if message.starts_with("missing field") {
        message
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_owned()
    } else if message.starts_with("unknown field") {
        "the body has a field this route does not take".to_owned()
    } else {
        format!(
            "not the expected JSON at line {} column {}",
            error.line(),
            error.column()
        )
    };
    ApiError::unprocessable("invalid_body", detail)
}

fn random_id(prefix: &str, bytes: usize) -> Result<String, ApiError> {
    let mut buffer = vec![0_u8; bytes];
    getrandom::fill(&mut buffer).map_err(|_| ApiError::internal("no randomness"))?;
    Ok(format!("{prefix}{}", to_base64url(&buffer)))
}

fn money_error(error: shared::money::MoneyError) -> ApiError {
    ApiError::internal(format!("pricing: {error}"))
}

pub async fn create(mut request: Request, env: &Env) -> Result<Response, ApiError> {
    let bytes = crate::http::read_body(&mut request, QUOTE_BODY_BYTES_MAX).await?;
    let order: QuoteRequest = serde_json::from_slice(&bytes).map_err(|error| body_error(&error))?;
    if order.lines.is_empty() || order.lines.len() > CART_LINES_MAX {
        return Err(invalid(
            "lines",
            &format!("must have 1 to {CART_LINES_MAX} lines"),
        ));
    }
    let mut skus: Vec<String> = Vec::with_capacity(order.lines.len());
    for (index, line) in order.lines.iter().enumerate() {
        if !(1..=LINE_QUANTITY_MAX).contains(&line.quantity) {
            return Err(invalid(
                &format!("lines[{index}].quantity"),
                &format!("must be 1 to {LINE_QUANTITY_MAX}"),
            ));
        }
        check_text(&format!("lines[{index}].sku"), &line.sku, 32)?;
        if skus.contains(&line.sku) {
            return Err(invalid(
                &format!("lines[{index}].sku"),
                "appears twice; change the quantity instead",
            ));
        }
        skus.push(line.sku.clone());
    }
    let (delivery_option, delivery_cost_minor, estimated_days) = DELIVERY_OPTIONS
        .into_iter()
        .find(|(name, _, _)| *name == order.delivery)
        .ok_or_else(|| invalid("delivery", "must be standard or express"))?;
    check_consignee(&order.consignee)?;
    // Only a well-formed order costs the shopper a place in the budget.
    let shopper_address = request
        .headers()
        .get("cf-connecting-ip")?
        .filter(|address| !address.is_empty() && address.len() <= SHOPPER_ADDRESS_BYTES_MAX)
        .unwrap_or_else(|| UNKNOWN_SHOPPER_ADDRESS.to_owned());
    // The budget first: a shopper past it costs the store's database
    // nothing.
    quote_budget::take(env, &shopper_address_subject(&shopper_address)).await?;

    // Price every line from the catalog, never from the request.
    let products = db::products_by_sku(env, &skus).await?;
    let mut lines = Vec::with_capacity(order.lines.len());
    let mut subtotal = Money::zero(STORE_CURRENCY);
    for (index, line) in order.lines.iter().enumerate() {
        // Errors name the line by its place, never by the sender's text.
        let Some(product) = products.iter().find(|product| product.sku == line.sku) else {
            return Err(ApiError::unprocessable(
                "unknown_sku",
                format!("lines[{index}].sku names no product of the catalog"),
            ));
        };
        if i64::from(line.quantity) > product.stock {
            return Err(ApiError::unprocessable(
                "out_of_stock",
                format!("lines[{index}]: only {} in stock", product.stock.max(0)),
            ));
        }
        let currency = Currency::from_code(&product.currency).map_err(money_error)?;
        let unit_price =
            Money::from_minor(product.unit_price_minor, currency).map_err(money_error)?;
        let line_total = unit_price
            .checked_mul_quantity(line.quantity)
            .map_err(money_error)?;
        subtotal = subtotal.checked_add(&line_total).map_err(money_error)?;
        lines.push(QuoteLine {
            sku: product.sku.clone(),
            name: product.name.clone(),
            quantity: line.quantity,
            unit_price: unit_price.amount_string(),
            line_total: line_total.amount_string(),
        });
    }
    let delivery_cost =
        Money::from_minor(delivery_cost_minor, STORE_CURRENCY).map_err(money_error)?;
    let taxable = subtotal.checked_add(&delivery_cost).map_err(money_error)?;
    let tax = taxable
        .rate_in_basis_points_half_even(SALES_TAX_BASIS_POINTS)
        .map_err(money_error)?;
    let total = taxable.checked_add(&tax).map_err(money_error)?;

    let now_ms = worker::Date::now().as_millis();
    let mut salt = [0_u8; 32];
    getrandom::fill(&mut salt).map_err(|_| ApiError::internal("no randomness"))?;
    let order_id = random_id("ord_", 16)?;
    let quote = Quote {
        quote_id: random_id("q_", 16)?,
        merchant_id: STORE_MERCHANT_ID.to_owned(),
        lines,
        delivery: Delivery {
            option: delivery_option.to_owned(),
            cost: delivery_cost.amount_string(),
            estimated_days,
        },
        consignee: order.consignee,
        currency: STORE_CURRENCY,
        subtotal: subtotal.amount_string(),
        tax: tax.amount_string(),
        total: total.amount_string(),
        expires_at_ms: now_ms + QUOTE_TTL_MS,
        salt: Bytes(salt),
    };
    let payment = gateway_client::create_payment(
        env,
        &CreatePayment {
            amount: total.amount_string(),
            currency: total.currency(),
            quote_digest: quote.digest(),
            expires_at_ms: quote.expires_at_ms,
            order_reference: order_id.clone(),
        },
    )
    .await?;
    let signed = keys::signing_key(env)?.sign(quote);
    let client_secret = random_id("cs_", 32)?;
    let signed_json = serde_json::to_string(&signed).map_err(ApiError::internal)?;
    db::insert_order(
        env,
        &NewOrder {
            order_id: &order_id,
            quote_id: &signed.body.quote_id,
            payment_id: &payment.payment_id,
            client_secret_hash: &to_base64url(&Sha256::digest(client_secret.as_bytes())),
            total_minor: total.to_minor(),
            currency: total.currency().code(),
            signed_quote: &signed_json,
            now_ms,
        },
    )
    .await?;
    let answer = QuoteAnswer {
        quote: signed,
        order_id,
        payment_id: payment.payment_id,
        client_secret,
    };
    Ok(crate::http::json(&answer, 201))
}
