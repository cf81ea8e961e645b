//! The store's back office (bearer `STORE_STAFF_TOKEN`): the list of
//! orders, newest first, by status; and after the sale,
//! ship an order (with its tracking reference), mark it delivered, refund
//! part or all of it, or cancel one never paid. Each change is recorded in
//! the store's order events, which the shopper follows. Refunds and
//! cancellations go through the gateway's merchant API like everything else.

use shared::money::{Currency, Money};
use shared::quote::Quote;
use shared::sign::Signed;
use shared::wire::{
    ErrorBody, RefundAnswer, RefundRequest, STAFF_ORDERS_PAGE_DEFAULT, STAFF_ORDERS_PAGE_MAX,
    ShipRequest, StaffOrder, StaffOrderFilter, StaffOrderPage, TRACKING_CHARS_MAX,
};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::db::{self, OrderEvent, OrderRow, StaffOrderQuery, StaffOrderRow};
use crate::store::{gateway_client, orders, records};

/// The largest staff body, in bytes.
const STAFF_BODY_BYTES_MAX: usize = 1024;

/// The longest staff Idempotency-Key, in bytes.
const STAFF_IDEMPOTENCY_KEY_BYTES_MAX: usize = 128;

/// The longest page cursor, in bytes, and the longest order id it may name.
const CURSOR_BYTES_MAX: usize = 90;
const CURSOR_ORDER_ID_BYTES_MAX: usize = 64;

fn authenticate(request: &Request, env: &Env) -> Result<(), ApiError> {
    crate::http::require_bearer(request, env, crate::secrets::STORE_STAFF_TOKEN)
}

fn conflict(code: &'static str, message: &str) -> ApiError {
    ApiError::Conflict {
        code,
        message: message.to_owned(),
    }
}

async fn answer(env: &Env, order: &OrderRow) -> Result<Response, ApiError> {
    let order = db::order(env, &order.order_id)
        .await?
        .ok_or_else(|| ApiError::internal("order vanished"))?;
    Ok(crate::http::json(&orders::view(env, &order).await?, 200))
}

/// The gateway's refusal, passed on as it is (it is meant for the payer of
/// the operation), or a 502 for anything unexpected.
fn gateway_refusal(status: u16, text: &str) -> Result<Response, ApiError> {
    match status {
        409 | 422 => {
            let refusal: ErrorBody = serde_json::from_str(text)
                .map_err(|error| ApiError::BadGateway(error.to_string()))?;
            Ok(crate::http::json(&refusal, status))
        }
        other => Err(ApiError::BadGateway(format!(
            "gateway answered {other} to a back-office operation"
        ))),
    }
}

fn invalid(code: &'static str, message: &str) -> ApiError {
    ApiError::unprocessable(code, message.to_owned())
}

/// `GET /api/store/orders?status=&before=&limit=`: one page of orders,
/// newest first, all or one filter's.
pub async fn list(request: Request, env: &Env) -> Result<Response, ApiError> {
    authenticate(&request, env)?;
    let url = request.url()?;
    let parameter = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let filter = match parameter("status") {
        None => None,
        Some(code) => Some(StaffOrderFilter::from_code(&code).ok_or_else(|| {
            invalid(
                "invalid_filter",
                "status must be awaiting_payment, paid, shipped, delivered, canceled or refunded",
            )
        })?),
    };
    let limit = match parameter("limit") {
        None => STAFF_ORDERS_PAGE_DEFAULT,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=STAFF_ORDERS_PAGE_MAX).contains(limit))
            .ok_or_else(|| {
                invalid(
                    "invalid_page",
                    &format!("limit must be a whole number from 1 to {STAFF_ORDERS_PAGE_MAX}"),
                )
            })?,
    };
    let before = parameter("before");
    let before = before.as_deref().map(parse_cursor).transpose()?;
    let query = StaffOrderQuery {
        status: filter
            .filter(|filter| *filter != StaffOrderFilter::Refunded)
            .map(StaffOrderFilter::code),
        refunded: filter == Some(StaffOrderFilter::Refunded),
        before,
        limit: limit + 1,
    };
    // One row more than the page tells whether another page follows.
    let mut rows = db::staff_orders(env, &query).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_before = rows
        .last()
        .filter(|_| more)
        .map(|last| format!("{}~{}", last.created_at_ms, last.order_id));
    let orders = rows
        .into_iter()
        .map(staff_order)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::http::json(
        &StaffOrderPage {
            orders,
            next_before,
        },
        200,
    ))
}

/// `{created_at_ms}~{order_id}`, as a page's `next_before` gave it.
fn parse_cursor(text: &str) -> Result<(u64, &str), ApiError> {
    let refused = || invalid("invalid_cursor", "before must be a next_before from a page");
    if text.len() > CURSOR_BYTES_MAX {
        return Err(refused());
    }
    let (ms, order_id) = text.split_once('~').ok_or_else(refused)?;
    let ms = ms.parse::<u64>().map_err(|_| refused())?;
    let plausible = !order_id.is_empty()
        && order_id.len() <= CURSOR_ORDER_ID_BYTES_MAX
        && order_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !plausible {
        return Err(refused());
    }
    Ok((ms, order_id))
}

fn staff_order(row: StaffOrderRow) -> Result<StaffOrder, ApiError> {
    let currency = Currency::from_code(&row.currency).map_err(ApiError::internal)?;
    let money = |minor: i64| {
        Money::from_minor(minor, currency)
            .map(|money| money.amount_string())
            .map_err(ApiError::internal)
    };
    let quote: Signed<Quote> =
        serde_json::from_str(&row.signed_quote).map_err(ApiError::internal)?;
    Ok(StaffOrder {
        status: orders::status(&row.status),
        total: money(row.total_minor)?,
        captured: money(row.captured_minor)?,
        refunded: money(row.refunded_minor)?,
        currency,
        created_at_ms: row.created_at_ms,
        lines: quote.body.lines,
        delivery: quote.body.delivery.option,
        consignee: quote.body.consignee,
        tracking: row.tracking,
        order_id: row.order_id,
    })
}

/// `POST /api/store/orders/{id}/{ship|deliver|refund|cancel}`.
pub async fn operate(
    mut request: Request,
    env: &Env,
    order_id: &str,
    operation: &str,
) -> Result<Response, ApiError> {
    authenticate(&request, env)?;
    let key = request.headers().get("idempotency-key")?;
    let bytes = crate::http::read_body(&mut request, STAFF_BODY_BYTES_MAX).await?;
    let order = db::order(env, order_id)
        .await?
        .ok_or_else(|| ApiError::not_found("order_not_found", "no such order"))?;
    let now_ms = worker::Date::now().as_millis();
    match operation {
        "ship" => {
            let body: ShipRequest = serde_json::from_slice(&bytes)
                .map_err(|error| crate::store::quote::body_error(&error))?;
            let tracking = body.tracking.trim();
            let count = tracking.chars().count();
            if count == 0 || count > TRACKING_CHARS_MAX || tracking.chars().any(char::is_control) {
                return Err(ApiError::unprocessable(
                    "invalid_field",
                    "tracking: must be 1 to 64 printable characters",
                ));
            }
            // Status and event in one guarded transaction: an order the
            // shopper canceled meanwhile is never shipped.
            if !db::ship(env, &order, tracking, now_ms).await? {
                return Err(conflict("order_not_paid", "only a paid order can ship"));
            }
            answer(env, &order).await
        }
        "deliver" => {
            if order.status != "shipped" && order.status != "delivered" {
                return Err(conflict(
                    "order_not_shipped",
                    "only a shipped order can be delivered",
                ));
            }
            let delivered = OrderEvent {
                kind: "delivered",
                amount_minor: 0,
                detail: "delivered",
            };
            db::record_events(
                env,
                &order,
                &[delivered],
                Some((&["shipped"], "delivered")),
                now_ms,
            )
            .await?;
            answer(env, &order).await
        }
        "refund" => {
            let key = key
                .filter(|key| {
                    !key.is_empty()
                        && key.len() <= STAFF_IDEMPOTENCY_KEY_BYTES_MAX
                        && key.bytes().all(|b| b.is_ascii_graphic())
                })
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid_idempotency_key",
                        "a refund needs an Idempotency-Key header of 1 to 128 printable characters",
                    )
                })?;
            let body: RefundRequest = serde_json::from_slice(&bytes)
                .map_err(|error| crate::store::quote::body_error(&error))?;
            let forwarded_key = format!("{}.refund.{key}", order.order_id);
            let (status, text) =
                gateway_client::refund(env, &order.payment_id, &body, &forwarded_key).await?;
            match status {
                200 => {
                    let refunded: RefundAnswer = serde_json::from_str(&text)
                        .map_err(|error| ApiError::BadGateway(error.to_string()))?;
                    let refund = &refunded.refund;
                    records::record_refund(env, &order, &refund.refund_id, &refund.amount).await?;
                    answer(env, &order).await
                }
                // Pending at the bank: the gateway's event records it later.
                202 => answer(env, &order).await,
                other => gateway_refusal(other, &text),
            }
        }
        "cancel" => {
            if order.status == "canceled" {
                return answer(env, &order).await;
            }
            if order.status != "awaiting_payment" {
                return Err(conflict(
                    "order_not_cancelable",
                    "a paid order is refunded, not canceled",
                ));
            }
            let (status, text) = gateway_client::cancel(
                env,
                &order.payment_id,
                &format!("{}.cancel", order.order_id),
            )
            .await?;
            if status != 200 {
                return gateway_refusal(status, &text);
            }
            db::record_events(
                env,
                &order,
                &[],
                Some((&["awaiting_payment"], "canceled")),
                now_ms,
            )
            .await?;
            answer(env, &order).await
        }
        _ => Err(ApiError::RouteNotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn a_cursor_is_a_time_and_an_order_id_or_refused() {
        assert_eq!(parse_cursor("1700~ord_aB-9").ok(), Some((1700, "ord_aB-9")));
        for refused in [
            "",
            "1700",
            "~ord_a",
            "soon~ord_a",
            "1700~",
            "1700~ord a",
            "1700~ord_a~b",
            &format!("1~{}", "a".repeat(65)),
            &format!("{}~ord_a", "0".repeat(90)),
        ] {
            assert!(parse_cursor(refused).is_err(), "{refused:?}");
        }
    }
}
