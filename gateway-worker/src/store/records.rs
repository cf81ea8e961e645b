//! The store's records of a payment: when the gateway's signed
//! authorization arrives (in the answer to the pay route, or later as the
//! gateway's payment event), the store checks it against its own order,
//! records the money events once, marks the order paid and signs the
//! receipt. Both paths call `record`, which is idempotent, so whichever
//! comes first writes and the other changes nothing.

use std::cell::RefCell;

use shared::encoding::{Bytes, to_base64url};
use shared::keyset::{AUTHORIZATION_KEY_PURPOSE, GatewayKeySet, certified_keys};
use shared::money::{Currency, Money};
use shared::quote::Quote;
use shared::receipt::{AuthorizationRecord, PaymentEvent, PaymentEventKind, Receipt};
use shared::sign::{KeyId, PublicKey, Signed};
use worker::Env;

use crate::error::ApiError;
use crate::secrets;
use crate::store::db::{self, OrderEvent, OrderRow};
use crate::store::quote::STORE_MERCHANT_ID;
use crate::store::{gateway_client, keys};

/// The gateway's long-term public key, as configured for the store: it
/// certifies the keys the gateway signs with.
fn gateway_root(env: &Env) -> Result<PublicKey, ApiError> {
    let key = secrets::bytes32(env, secrets::GATEWAY_ROOT_PUBLIC_KEY)?;
    Ok(PublicKey {
        kid: KeyId::new(shared::keyset::GATEWAY_ROOT_KEY_ID).map_err(ApiError::internal)?,
        key: Bytes(key),
    })
}

thread_local! {
    /// The gateway's last key set this isolate fetched (checked on use).
    static GATEWAY_KEY_SET: RefCell<Option<Signed<GatewayKeySet>>> = const { RefCell::new(None) };
}

/// The gateway's signing keys for `purpose`, as a fresh key set signed by
/// its long-term key certifies them: the cached set while it is fresh,
/// else (or with `refresh`) one fetched over the merchant API.
async fn certified(env: &Env, purpose: &str, refresh: bool) -> Result<Vec<PublicKey>, ApiError> {
    let root = gateway_root(env)?;
    let now = worker::Date::now().as_millis();
    if !refresh {
        let cached = GATEWAY_KEY_SET.with(|cache| cache.borrow().clone());
        if let Some(keys) = cached.and_then(|set| certified_keys(&set, &root, purpose, now).ok()) {
            return Ok(keys);
        }
    }
    let fetched = gateway_client::key_set(env).await?;
    let keys = certified_keys(&fetched, &root, purpose, now)
        .map_err(|error| ApiError::BadGateway(format!("the gateway's key set: {error}")))?;
    GATEWAY_KEY_SET.with(|cache| cache.replace(Some(fetched)));
    Ok(keys)
}

/// Verifies something the gateway signed with its key for `purpose`. Only
/// a signature by a key id the cached set does not name, and that names a
/// key of this purpose, sends for the set again (the gateway may have
/// rotated); a bad signature by a known key, or a stranger's id, is refused
/// at once, so forged requests cost the gateway nothing.
pub async fn verify_gateway<T: shared::sign::SignedContent>(
    env: &Env,
    signed: &Signed<T>,
    purpose: &str,
) -> Result<(), ApiError> {
    let keys = certified(env, purpose, false).await?;
    let known = keys.iter().any(|key| key.kid == signed.signature.kid);
    let rotated = !known
        && signed
            .signature
            .kid
            .as_str()
            .starts_with(&format!("gw-{purpose}-"));
    let keys = if rotated {
        certified(env, purpose, true).await?
    } else {
        keys
    };
    signed
        .verify_with_any(&keys)
        .map(|_| ())
        .map_err(|_| ApiError::Unauthorized)
}

/// The quote an order was opened with.
pub fn quote_of(order: &OrderRow) -> Result<Signed<Quote>, ApiError> {
    serde_json::from_str(&order.signed_quote).map_err(ApiError::internal)
}

/// Records what the gateway reports about an order's payment; answers the
/// order as it now stands.
pub async fn record(
    env: &Env,
    kind: PaymentEventKind,
    authorization: &Signed<AuthorizationRecord>,
    captured_amount: Option<&str>,
    known_order: Option<OrderRow>,
) -> Result<OrderRow, ApiError> {
    verify_gateway(env, authorization, AUTHORIZATION_KEY_PURPOSE).await?;
    let record = &authorization.body;
    let mismatch = |what: &str| {
        ApiError::unprocessable(
            "authorization_mismatch",
            format!("the authorization's {what} differs from the order"),
        )
    };
    // The caller's copy of the order if it has one (read in this request,
    // before the gateway was asked), rather than reading it again.
    let order = match known_order {
        Some(order) if order.payment_id == record.payment_id => order,
        Some(_) => return Err(mismatch("payment")),
        None => db::order_by_payment(env, &record.payment_id)
            .await?
            .ok_or_else(|| ApiError::not_found("order_not_found", "no order has this payment"))?,
    };
    let currency = Currency::from_code(&order.currency).map_err(ApiError::internal)?;
    let total = Money::from_minor(order.total_minor, currency).map_err(ApiError::internal)?;
    let authorized = Money::parse_non_negative(&record.amount, record.currency)
        .map_err(|_| mismatch("amount"))?;
    if authorized != total {
        return Err(mismatch("amount"));
    }
    if record.merchant_id != STORE_MERCHANT_ID {
        return Err(mismatch("merchant"));
    }
    let quote = quote_of(&order)?;
    if record.quote_digest != quote.body.digest() {
        return Err(mismatch("quote"));
    }
    // A receipt is written in the same transaction as the authorization
    // and capture events: a success already recorded writes nothing more
    // (the gateway's event repeating the answer the store got, say).
    if kind == PaymentEventKind::Succeeded && order.receipt.is_some() {
        return Ok(order);
    }
    let mut events = vec![OrderEvent {
        kind: "authorized",
        amount_minor: total.to_minor(),
        detail: &record.authorization_code,
    }];
    let captured = match (kind, captured_amount) {
        (PaymentEventKind::Succeeded, Some(amount)) => Some(
            Money::parse_non_negative(amount, currency).map_err(|_| mismatch("captured amount"))?,
        ),
        _ => None,
    };
    let capture_detail = format!("{}.capture", record.authorization_code);
    if let Some(captured) = &captured {
        events.push(OrderEvent {
            kind: "captured",
            amount_minor: captured.to_minor(),
            detail: &capture_detail,
        });
    }
    let now_ms = worker::Date::now().as_millis();
    let receipt = if captured.is_some() && order.receipt.is_none() {
        let mut id = [0_u8; 16];
        getrandom::fill(&mut id).map_err(|_| ApiError::internal("no randomness"))?;
        let receipt = Receipt {
            receipt_id: format!("rcpt_{}", to_base64url(&id)),
            order_id: order.order_id.clone(),
            merchant_id: STORE_MERCHANT_ID.to_owned(),
            quote_digest: record.quote_digest,
            total: total.amount_string(),
            currency,
            issued_at_ms: now_ms,
            authorization: authorization.clone(),
        };
        let signed = keys::signing_key(env)?.sign(receipt);
        Some(serde_json::to_string(&signed).map_err(ApiError::internal)?)
    } else {
        None
    };
    let paid = db::record_payment(env, &order, &events, receipt.as_deref(), now_ms).await?;
    match receipt {
        // This request paid the order: the row is what it wrote.
        Some(receipt) if paid => Ok(OrderRow {
            status: "paid".to_owned(),
            receipt: Some(receipt),
            ..order
        }),
        // Events only: the row itself did not change.
        None => Ok(order),
        // Another request recorded the payment first.
        Some(_) => reread(env, &order).await,
    }
}

/// Records a signed payment event from the gateway (its webhook).
pub async fn record_event(env: &Env, event: &PaymentEvent) -> Result<OrderRow, ApiError> {
    match event.kind {
        PaymentEventKind::Succeeded | PaymentEventKind::Authorized => {
            record(
                env,
                event.kind,
                &event.authorization,
                event.amount.as_deref(),
                None,
            )
            .await
        }
        PaymentEventKind::Canceled => {
            let (order, record) = order_of(env, &event.authorization).await?;
            let detail = format!("{}.void", record.authorization_code);
            let voided = OrderEvent {
                kind: "voided",
                amount_minor: order.total_minor,
                detail: &detail,
            };
            let now_ms = worker::Date::now().as_millis();
            db::record_events(
                env,
                &order,
                &[voided],
                Some((&["awaiting_payment"], "canceled")),
                now_ms,
            )
            .await?;
            reread(env, &order).await
        }
        PaymentEventKind::Refunded => {
            let (order, _) = order_of(env, &event.authorization).await?;
            let (Some(amount), Some(refund_id)) = (&event.amount, &event.refund_id) else {
                return Err(ApiError::unprocessable(
                    "invalid_body",
                    "a refund event names its amount and refund",
                ));
            };
            record_refund(env, &order, refund_id, amount).await
        }
    }
}

/// Records a refund of an order once (by its refund id), from the
/// gateway's answer or its event.
pub async fn record_refund(
    env: &Env,
    order: &OrderRow,
    refund_id: &str,
    amount: &str,
) -> Result<OrderRow, ApiError> {
    let currency = Currency::from_code(&order.currency).map_err(ApiError::internal)?;
    let amount = Money::parse_non_negative(amount, currency).map_err(|_| {
        ApiError::unprocessable("invalid_amount", "the refund's amount is not money")
    })?;
    let refunded = OrderEvent {
        kind: "refunded",
        amount_minor: amount.to_minor(),
        detail: refund_id,
    };
    db::record_events(
        env,
        order,
        &[refunded],
        None,
        worker::Date::now().as_millis(),
    )
    .await?;
    reread(env, order).await
}

/// The order a signed authorization is for, checked to be the store's.
async fn order_of<'a>(
    env: &Env,
    authorization: &'a Signed<AuthorizationRecord>,
) -> Result<(OrderRow, &'a AuthorizationRecord), ApiError> {
    verify_gateway(env, authorization, AUTHORIZATION_KEY_PURPOSE).await?;
    let record = &authorization.body;
    if record.merchant_id != STORE_MERCHANT_ID {
        return Err(ApiError::unprocessable(
            "authorization_mismatch",
            "the authorization is for another merchant",
        ));
    }
    let order = db::order_by_payment(env, &record.payment_id)
        .await?
        .ok_or_else(|| ApiError::not_found("order_not_found", "no order has this payment"))?;
    Ok((order, record))
}

async fn reread(env: &Env, order: &OrderRow) -> Result<OrderRow, ApiError> {
    db::order(env, &order.order_id)
        .await?
        .ok_or_else(|| ApiError::internal("order vanished"))
}
