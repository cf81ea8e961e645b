//! Faults, run alone (they disturb a bank every other journey uses): a
//! bank that stops answering leaves the payment `processing`, never
//! guessed; once the bank answers again, the payment object's alarm asks
//! the issuer again with the same reference, the issuer asks the bank for
//! the same hold, and the order becomes paid through the outbox.

use std::time::{Duration, Instant};

use e2e::operator::Operator;
use serde_json::json;
use shared::wire::{AttemptOutcome, OrderStatus, OrderView, PayAnswer};

use crate::payment::{attempts, demo_card, new_order, pay_with};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[(
    "fault::a_bank_that_does_not_answer_leaves_the_payment_pending_until_it_does",
    a_bank_that_does_not_answer_leaves_the_payment_pending_until_it_does,
)];

/// How long the drill keeps the bank silent.
const OUTAGE_SECONDS: u32 = 3;
/// How long the payment may take to heal after the bank is back.
const HEAL_WITHIN: Duration = Duration::from_secs(60);

fn a_bank_that_does_not_answer_leaves_the_payment_pending_until_it_does(world: &World) {
    let _keys = crate::payment::keyring_read();
    let operator = Operator::new(&world.server);
    let order = new_order(world);
    operator.post(
        "/api/operator/banks/southbank/outage",
        &json!({"seconds": OUTAGE_SECONDS}),
    );
    let started = Instant::now();
    let pending = pay_with(world, &order, &demo_card("amex-southbank"));
    assert_eq!(pending.status, 202, "{}", pending.body);
    let pending: PayAnswer = pending.json();
    assert_eq!(pending.order.status, OrderStatus::AwaitingPayment);
    assert!(pending.receipt.is_none());
    let tried = attempts(world, &order.payment_id);
    assert_eq!(tried.len(), 1);
    assert_eq!(tried[0].outcome, AttemptOutcome::Pending);
    // Nothing else may be tried while the outcome is unknown.
    let another = pay_with(world, &order, &demo_card("visa-pays"));
    assert_eq!(another.status, 409, "{}", another.body);
    assert_eq!(another.error().code, "payment_processing");

    let deadline = Instant::now() + HEAL_WITHIN;
    let view = loop {
        let answer = e2e::api::read(
            e2e::api::agent()
                .get(&world.server.url(&format!("/api/orders/{}", order.order_id)))
                .header("x-client-secret", &order.client_secret)
                .call(),
        );
        let view: OrderView = answer.json();
        if view.status == OrderStatus::Paid || Instant::now() > deadline {
            break view;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(
        view.status,
        OrderStatus::Paid,
        "healed within {HEAL_WITHIN:?}"
    );
    println!(
        "fault drill: bank silent {OUTAGE_SECONDS} s; order paid {:.1} s after the pay request",
        started.elapsed().as_secs_f64()
    );
    let tried = attempts(world, &order.payment_id);
    assert_eq!(tried.len(), 1, "asked again, never anew");
    assert_eq!(tried[0].outcome, AttemptOutcome::Approved);
    // One hold at the bank, under the attempt's reference.
    let bank = operator.get("/api/operator/banks/southbank/dump");
    let holds = bank["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| {
            row["kind"] == "hold" && row["transfer_id"] == format!("{}.a1", order.payment_id)
        })
        .count();
    assert_eq!(holds, 1);
    operator.assert_invariants();
}
