//! After the sale, through the worker under `wrangler dev`: the store's
//! back office ships, delivers and refunds in parts (each once per
//! Idempotency-Key, never above what was captured), and cancels an unpaid
//! order; a merchant with manual capture captures or cancels (the hold is
//! voided at the bank); the shopper cancels a paid order before it ships
//! and is refunded in full. The shopper follows each step in the order's
//! events.

use e2e::api::{self, Answer};
use e2e::operator::{Operator, unique};
use serde_json::{Value, json};
use shared::wire::{OrderStatus, OrderView, Payment, PaymentStatus};

use crate::payment::{Target, demo_card, merchant_get, merchant_post, new_order, pay_with, seal};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "aftersale::ship_deliver_and_refund_in_parts",
        ship_deliver_and_refund_in_parts,
    ),
    (
        "aftersale::an_unpaid_order_is_canceled_and_stays_unpaid",
        an_unpaid_order_is_canceled_and_stays_unpaid,
    ),
    (
        "aftersale::manual_capture_captures_or_voids_the_hold",
        manual_capture_captures_or_voids_the_hold,
    ),
    (
        "aftersale::the_shopper_cancels_a_paid_order_before_it_ships",
        the_shopper_cancels_a_paid_order_before_it_ships,
    ),
];

/// Cancels sent at once by one shopper (a double-click, many times over).
const CANCELS_AT_ONCE: usize = 10;

fn staff_token() -> String {
    e2e::dev_var("STORE_STAFF_TOKEN")
}

pub fn staff(
    world: &World,
    order_id: &str,
    operation: &str,
    key: Option<&str>,
    body: &Value,
) -> Answer {
    let mut request = api::agent()
        .post(
            &world
                .server
                .url(&format!("/api/store/orders/{order_id}/{operation}")),
        )
        .header("authorization", &format!("Bearer {}", staff_token()));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    api::read(request.send_json(body))
}

/// The payment as the gateway has it, read with the store's key.
pub fn payment(world: &World, payment_id: &str) -> Payment {
    let answer = merchant_get(
        world,
        &crate::store::store_key(),
        &format!("/api/gateway/v1/payments/{payment_id}"),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn kinds(view: &OrderView) -> Vec<&str> {
    view.events
        .iter()
        .map(|event| event.kind.as_str())
        .collect()
}

fn ship_deliver_and_refund_in_parts(world: &World) {
    // Goal: the seed's last step and what follows it. Method: pay an
    // order, ship and deliver it, refund 5.00 twice with one key (one
    // refund), try to refund more than is left, refund the rest.
    let _keys = crate::payment::keyring_read();
    let order = new_order(world);
    assert_eq!(pay_with(world, &order, &demo_card("visa-pays")).status, 200);
    let total = order.quote.body.total.clone();

    let unauthorized = api::read(
        api::agent()
            .post(
                &world
                    .server
                    .url(&format!("/api/store/orders/{}/ship", order.order_id)),
            )
            .send_json(json!({"tracking": "TRK1"})),
    );
    assert_eq!(unauthorized.status, 401);
    let shipped = staff(
        world,
        &order.order_id,
        "ship",
        None,
        &json!({"tracking": "TRK-1234"}),
    );
    assert_eq!(shipped.status, 200, "{}", shipped.body);
    assert_eq!(shipped.json::<OrderView>().status, OrderStatus::Shipped);
    let delivered = staff(world, &order.order_id, "deliver", None, &json!({}));
    assert_eq!(delivered.status, 200, "{}", delivered.body);
    let delivered: OrderView = delivered.json();
    assert_eq!(delivered.status, OrderStatus::Delivered);
    assert_eq!(
        kinds(&delivered),
        [
            "intent_created",
            "authorized",
            "captured",
            "shipped",
            "delivered"
        ]
    );

    let key = unique("refund");
    for _ in 0..2 {
        let refunded = staff(
            world,
            &order.order_id,
            "refund",
            Some(&key),
            &json!({"amount": "5.00"}),
        );
        assert_eq!(refunded.status, 200, "{}", refunded.body);
    }
    let after_first = payment(world, &order.payment_id);
    assert_eq!(
        after_first.amount_refunded.as_deref(),
        Some("5.00"),
        "one refund per key"
    );
    assert_eq!(after_first.status, PaymentStatus::Succeeded);
    let too_much = staff(
        world,
        &order.order_id,
        "refund",
        Some(&unique("refund")),
        &json!({"amount": total}),
    );
    assert_eq!(too_much.status, 422, "{}", too_much.body);
    assert_eq!(too_much.error().code, "refund_exceeds_payment");
    let rest = {
        let total =
            shared::money::Money::parse_non_negative(&total, shared::money::Currency::Usd).unwrap();
        let five =
            shared::money::Money::parse_non_negative("5.00", shared::money::Currency::Usd).unwrap();
        shared::money::Money::from_minor(
            total.to_minor() - five.to_minor(),
            shared::money::Currency::Usd,
        )
        .unwrap()
        .amount_string()
    };
    let refunded = staff(
        world,
        &order.order_id,
        "refund",
        Some(&unique("refund")),
        &json!({"amount": rest}),
    );
    assert_eq!(refunded.status, 200, "{}", refunded.body);
    let view: OrderView = refunded.json();
    let refunds: Vec<Option<&str>> = view
        .events
        .iter()
        .filter(|event| event.kind == "refunded")
        .map(|event| event.amount.as_deref())
        .collect();
    assert_eq!(refunds, [Some("5.00"), Some(rest.as_str())]);
    let settled = payment(world, &order.payment_id);
    assert_eq!(settled.status, PaymentStatus::Refunded);
    assert_eq!(settled.amount_refunded.as_deref(), Some(total.as_str()));
    let again = staff(
        world,
        &order.order_id,
        "refund",
        Some(&unique("refund")),
        &json!({"amount": "0.01"}),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.error().code, "already_refunded");
    // Each refund reached the cardholder's bank once, under its own id.
    let bank = Operator::new(&world.server).get("/api/operator/banks/northbank/dump");
    let refund_transfers = bank["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| {
            row["kind"] == "refund"
                && row["transfer_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with(&format!("{}.r", order.payment_id)))
        })
        .count();
    assert_eq!(refund_transfers, 2);
    Operator::new(&world.server).assert_invariants();
}

fn an_unpaid_order_is_canceled_and_stays_unpaid(world: &World) {
    // Goal: an order the store cancels can no longer be paid. Method:
    // cancel before paying; ship an unpaid order (refused); pay (refused).
    let _keys = crate::payment::keyring_read();
    let order = new_order(world);
    let ship = staff(
        world,
        &order.order_id,
        "ship",
        None,
        &json!({"tracking": "TRK"}),
    );
    assert_eq!(ship.status, 409, "{}", ship.body);
    assert_eq!(ship.error().code, "order_not_paid");
    let canceled = staff(world, &order.order_id, "cancel", None, &json!({}));
    assert_eq!(canceled.status, 200, "{}", canceled.body);
    assert_eq!(canceled.json::<OrderView>().status, OrderStatus::Canceled);
    assert_eq!(
        payment(world, &order.payment_id).status,
        PaymentStatus::Canceled
    );
    let sealed = seal(world, &demo_card("visa-pays"), &Target::of_quote(&order));
    let paid = crate::payment::pay(world, &order, &sealed, &unique("late"));
    assert_eq!(paid.status, 409, "{}", paid.body);
    assert_eq!(paid.error().code, "order_canceled");
}

fn manual_capture_captures_or_voids_the_hold(world: &World) {
    // Goal: a merchant that captures by hand (the bookshop) gets the funds
    // held until it captures, or released when it cancels. Method: two
    // payments through the merchant API, one captured, one canceled.
    let _keys = crate::payment::keyring_read();
    let _bookshop = crate::gateway::bookshop_keys();
    let operator = Operator::new(&world.server);
    let (key, prefix) = crate::gateway::issue_key(&operator, "m_bookshop");
    let authorized = |reference: &str| -> Payment {
        let created = merchant_post(
            world,
            &key,
            "/api/gateway/v1/payments",
            None,
            &json!({"amount": "12.50", "currency": "USD", "quote_digest": shared::encoding::Bytes([5_u8; 32]),
                    "expires_at_ms": crate::payment::now_ms() + 15 * 60 * 1000, "order_reference": reference}),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let payment: Payment = created.json();
        let target = Target {
            payment_id: payment.payment_id.clone(),
            merchant_id: payment.merchant_id.clone(),
            amount: shared::money::Money::parse_non_negative("12.50", payment.currency).unwrap(),
            quote_digest: payment.quote_digest,
        };
        let confirmed = merchant_post(
            world,
            &key,
            &format!("/api/gateway/v1/payments/{}/confirm", payment.payment_id),
            Some(&unique("conf")),
            &json!({"sealed": seal(world, &demo_card("visa-pays"), &target), "amount": "12.50", "currency": "USD",
                    "quote_digest": payment.quote_digest, "order_reference": reference}),
        );
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);
        let confirmed: Value = confirmed.json();
        assert_eq!(confirmed["payment"]["status"], "requires_capture");
        payment
    };
    let operate = |payment: &Payment, operation: &str, body: &Value| {
        merchant_post(
            world,
            &key,
            &format!(
                "/api/gateway/v1/payments/{}/{operation}",
                payment.payment_id
            ),
            Some(&unique("op")),
            body,
        )
    };

    let captured = authorized(&unique("book"));
    let refund_early = operate(&captured, "refunds", &json!({"amount": "1.00"}));
    assert_eq!(refund_early.status, 409, "{}", refund_early.body);
    assert_eq!(refund_early.error().code, "payment_not_captured");
    for _ in 0..2 {
        let answer = operate(&captured, "capture", &json!({}));
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.json::<Payment>().status, PaymentStatus::Succeeded);
    }
    let cancel_late = operate(&captured, "cancel", &json!({}));
    assert_eq!(cancel_late.status, 409, "{}", cancel_late.body);
    assert_eq!(cancel_late.error().code, "payment_not_cancelable");

    let voided = authorized(&unique("book"));
    let answer = operate(&voided, "cancel", &json!({}));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json::<Payment>().status, PaymentStatus::Canceled);
    let capture_after = operate(&voided, "capture", &json!({}));
    assert_eq!(capture_after.status, 409, "{}", capture_after.body);
    // At the bank: the first hold was captured, the second voided.
    let bank = operator.get("/api/operator/banks/northbank/dump");
    let transfers = bank["transfers"].as_array().unwrap();
    let kind_of = |id: String| {
        transfers
            .iter()
            .find(|row| row["transfer_id"] == id.as_str())
            .map(|row| row["kind"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        kind_of(format!("{}.a1.capture", captured.payment_id)).as_deref(),
        Some("capture")
    );
    assert_eq!(
        kind_of(format!("{}.a1.void", voided.payment_id)).as_deref(),
        Some("void")
    );
    operator.post(
        &format!("/api/operator/merchants/m_bookshop/keys/{prefix}/revoke"),
        &json!({}),
    );
    operator.assert_invariants();
}

/// `POST /api/orders/{id}/cancel` with the order's client secret.
/// (The cancel is idempotent by its order: one shed by the local proxy is
/// sent again.)
fn shopper_cancel(world: &World, order: &shared::wire::QuoteAnswer, secret: &str) -> Answer {
    api::sent_again_if_shed(|| {
        api::read(
            api::agent()
                .post(
                    &world
                        .server
                        .url(&format!("/api/orders/{}/cancel", order.order_id)),
                )
                .header("x-client-secret", secret)
                .send_json(json!({})),
        )
    })
}

fn the_shopper_cancels_a_paid_order_before_it_ships(world: &World) {
    // Goal: a shopper who changes their mind before the goods ship gets
    // the money back once, however often they click, and an order that
    // ships is no longer canceled (nor one that is canceled shipped).
    // Method: ten cancels at once on a paid order; then the back office
    // tries to ship it; an order that shipped, one not paid and a wrong
    // secret are refused; a cancel and a shipment at once on another
    // order: exactly one of them happens.
    let _keys = crate::payment::keyring_read();
    let order = new_order(world);
    assert_eq!(pay_with(world, &order, &demo_card("visa-pays")).status, 200);
    let total = order.quote.body.total.clone();
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CANCELS_AT_ONCE)
            .map(|_| scope.spawn(|| shopper_cancel(world, &order, &order.client_secret)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.json::<OrderView>().status, OrderStatus::Canceled);
    }
    let settled = payment(world, &order.payment_id);
    assert_eq!(settled.status, PaymentStatus::Refunded);
    assert_eq!(settled.amount_refunded.as_deref(), Some(total.as_str()));
    let view = crate::payment::shopper_get(world, &order, "").json::<OrderView>();
    let refunds: Vec<_> = view
        .events
        .iter()
        .filter(|event| event.kind == "refunded")
        .collect();
    assert_eq!(refunds.len(), 1, "refunded once: {:?}", kinds(&view));
    assert_eq!(refunds[0].amount.as_deref(), Some(total.as_str()));
    // Canceled is final: the back office cannot ship it, and cancelling
    // again changes nothing.
    let ship = staff(
        world,
        &order.order_id,
        "ship",
        None,
        &json!({"tracking": "TRK-1"}),
    );
    assert_eq!(
        (ship.status, ship.error().code.as_str()),
        (409, "order_not_paid")
    );
    let again = shopper_cancel(world, &order, &order.client_secret);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(kinds(&again.json::<OrderView>()), kinds(&view));

    // Not this way: a shipped order, an unpaid one, a wrong secret.
    let shipped = new_order(world);
    assert_eq!(
        pay_with(world, &shipped, &demo_card("visa-pays")).status,
        200
    );
    let ship = staff(
        world,
        &shipped.order_id,
        "ship",
        None,
        &json!({"tracking": "TRK-2"}),
    );
    assert_eq!(ship.status, 200, "{}", ship.body);
    let refused = shopper_cancel(world, &shipped, &shipped.client_secret);
    assert_eq!(
        (refused.status, refused.error().code.as_str()),
        (409, "order_not_cancelable")
    );
    let unpaid = new_order(world);
    let refused = shopper_cancel(world, &unpaid, &unpaid.client_secret);
    assert_eq!(
        (refused.status, refused.error().code.as_str()),
        (409, "order_not_cancelable")
    );
    let stranger = shopper_cancel(world, &unpaid, "not-the-secret");
    assert_eq!(
        (stranger.status, stranger.error().code.as_str()),
        (404, "order_not_found")
    );

    // A cancel and a shipment at once: one of them, never both.
    let raced = new_order(world);
    assert_eq!(pay_with(world, &raced, &demo_card("visa-pays")).status, 200);
    let (cancel, ship) = std::thread::scope(|scope| {
        let cancel = scope.spawn(|| shopper_cancel(world, &raced, &raced.client_secret));
        let ship = scope.spawn(|| {
            staff(
                world,
                &raced.order_id,
                "ship",
                None,
                &json!({"tracking": "TRK-3"}),
            )
        });
        (cancel.join().unwrap(), ship.join().unwrap())
    });
    let final_view = crate::payment::shopper_get(world, &raced, "").json::<OrderView>();
    let refunded = final_view
        .events
        .iter()
        .any(|event| event.kind == "refunded");
    match (cancel.status, ship.status) {
        (200, 409) => {
            assert_eq!(final_view.status, OrderStatus::Canceled);
            assert!(refunded, "{:?}", kinds(&final_view));
        }
        (409, 200) => {
            assert_eq!(final_view.status, OrderStatus::Shipped);
            assert!(!refunded, "{:?}", kinds(&final_view));
        }
        other => panic!(
            "cancel and ship both or neither: {other:?} {} {}",
            cancel.body, ship.body
        ),
    }
    Operator::new(&world.server).assert_invariants();
}
