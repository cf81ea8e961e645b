//! Faults, run alone (they disturb a bank every other journey uses): a
//! bank that stops answering leaves the payment `processing`, never
//! guessed; once the bank answers again, the payment object's alarm asks
//! the issuer again with the same reference, the issuer asks the bank for
//! the same hold, and the order becomes paid through the outbox.

use std::time::{Duration, Instant};

use e2e::api::Answer;
use e2e::operator::{Operator, unique};
use serde_json::{Value, json};
use shared::wire::{AttemptOutcome, OrderStatus, OrderView, PayAnswer};

use crate::payment::{attempts, demo_card, new_order, pay_with};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "fault::a_bank_that_does_not_answer_leaves_the_payment_pending_until_it_does",
        a_bank_that_does_not_answer_leaves_the_payment_pending_until_it_does,
    ),
    (
        "fault::a_movement_between_shards_is_all_or_nothing",
        a_movement_between_shards_is_all_or_nothing,
    ),
];

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

/// The bank whose shards the movement drill uses.
const DRILL_BANK: &str = "southbank";
/// How long the shop's shard refuses second phases in the movement drill.
const COMMITS_OUTAGE_SECONDS: u32 = 6;
/// How long a movement may take to finish once its shard answers again.
const FINISH_WITHIN: Duration = Duration::from_secs(30);

fn a_movement_between_shards_is_all_or_nothing(world: &World) {
    // Goal: a capture between two shards of a bank posts on both or on
    // neither, even when one shard stops answering between the two phases.
    // Method: a shopper and a shop on two shards; the shop's shard first
    // refuses everything (phase one fails: nothing moves; asked again once
    // it answers, the capture posts once), then only phase two (the
    // capture posts on the shopper's shard, and the shop is paid once its
    // shard answers again); the bank-wide check after every step.
    let operator = Operator::new(&world.server);
    let (shopper, shop, shop_shard) = crate::bank::accounts_on_two_shards(&operator, DRILL_BANK);
    let transfer = |body: &Value| -> Answer {
        operator.post_answer(&format!("/api/operator/banks/{DRILL_BANK}/transfers"), body)
    };
    let hold = || {
        let id = unique("hold");
        let held = transfer(
            &json!({"op": "hold", "transfer_id": id, "debit_account": shopper,
            "credit_account": shop, "amount_minor": 10_00, "currency": "USD", "timeout_ms": 600_000}),
        );
        assert_eq!(
            held.json::<Value>()["status"],
            json!("pending"),
            "{}",
            held.body
        );
        id
    };
    let capture = |id: &str, hold_id: &str| {
        transfer(
            &json!({"op": "capture", "transfer_id": id, "hold_id": hold_id,
            "account_id": shopper, "amount_minor": 10_00}),
        )
    };
    let drill = |refuses: &str, seconds: u32| {
        operator.post(
            &format!("/api/operator/banks/{DRILL_BANK}/outage"),
            &json!({"seconds": seconds, "shard": shop_shard, "refuses": refuses}),
        );
    };
    let figure = |account: &str, field: &str| {
        operator.balance(DRILL_BANK, account)[field]
            .as_i64()
            .unwrap()
    };
    let in_flight = || {
        let report = operator.get(&format!("/api/operator/banks/{DRILL_BANK}/invariants"));
        assert_eq!(report["ok"], json!(true), "{report}");
        report["in_flight_minor"]["USD"].as_i64().unwrap_or(0)
    };

    // Nothing moves: the shop's shard does not answer phase one.
    let first = hold();
    drill("all", OUTAGE_SECONDS);
    let first_capture = unique("capture");
    let refused = capture(&first_capture, &first);
    assert_eq!(
        (refused.status, refused.error().code.as_str()),
        (503, "bank_unavailable"),
        "{}",
        refused.body
    );
    assert_eq!(figure(&shopper, "debits_posted_minor"), 0);
    assert_eq!(figure(&shopper, "debits_pending_minor"), 10_00);
    assert_eq!(figure(&shop, "credits_posted_minor"), 0);
    assert_eq!(in_flight(), 0);
    // Asked again once the shard answers, the same capture posts once.
    let deadline = Instant::now() + FINISH_WITHIN;
    loop {
        let again = capture(&first_capture, &first);
        if again.status == 200 {
            assert_eq!(
                again.json::<Value>()["status"],
                json!("posted"),
                "{}",
                again.body
            );
            break;
        }
        assert!(Instant::now() < deadline, "never posted: {}", again.body);
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(figure(&shopper, "debits_posted_minor"), 10_00);
    assert_eq!(figure(&shop, "credits_posted_minor"), 10_00);
    assert_eq!(in_flight(), 0);

    // Everything moves: the shop's shard stops answering between the two
    // phases (long enough that the checks below run while it is silent).
    let second = hold();
    drill("commits", COMMITS_OUTAGE_SECONDS);
    let second_capture = unique("capture");
    let posted = capture(&second_capture, &second);
    assert_eq!(posted.status, 200, "{}", posted.body);
    assert_eq!(posted.json::<Value>()["status"], json!("posted"));
    assert_eq!(figure(&shopper, "debits_posted_minor"), 20_00);
    assert_eq!(
        figure(&shop, "credits_posted_minor"),
        10_00,
        "the shop's leg waits for its shard"
    );
    assert_eq!(in_flight(), 10_00);
    let started = Instant::now();
    while figure(&shop, "credits_posted_minor") != 20_00 {
        assert!(started.elapsed() < FINISH_WITHIN, "the leg never posted");
        std::thread::sleep(Duration::from_millis(250));
    }
    println!(
        "fault drill: a shard silent between the phases for {COMMITS_OUTAGE_SECONDS} s; its leg posted {:.1} s after the capture",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(in_flight(), 0);

    // A refund between the shards: the shop pays back on its shard.
    let refund = transfer(&json!({"op": "refund", "transfer_id": unique("refund"),
        "capture_id": second_capture, "account_id": shopper, "amount_minor": 4_00}));
    assert_eq!(
        refund.json::<Value>()["status"],
        json!("posted"),
        "{}",
        refund.body
    );
    assert_eq!(figure(&shop, "debits_posted_minor"), 4_00);
    assert_eq!(figure(&shopper, "credits_posted_minor"), 100_00 + 4_00);
    assert_eq!(in_flight(), 0);
    operator.assert_invariants();
}
