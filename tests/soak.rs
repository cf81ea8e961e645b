//! The fault soak: a seeded, bounded random mix of payments, declines,
//! retries with another card, refunds in parts, cancels, shipments, bank
//! outages (the issuer's answer lost, asked again) and lost webhooks (the
//! store down while the gateway's outbox delivers), through the store and
//! the gateway as shoppers and staff use them. After every step both ledgers check out (balanced, no account
//! below its floor); at the end every order's record at the store agrees
//! with its payment at the gateway and with the banks: each paid order has
//! one receipt whose authorization is its payment's, refunds never pass
//! the capture, captures never pass their hold, and each attempt has one
//! outcome. `SOAK_SEED=<n>` replays a run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::api::{self, Answer};
use e2e::operator::{Operator, unique};
use serde_json::{Value, json};
use shared::money::{Currency, Money};
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::wire::{OrderStatus, OrderView, PaymentStatus, QuoteAnswer};

use crate::hostile::Dice;
use crate::payment::{demo_card, new_order, pay_with, unknown_card};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[(
    "fault::a_seeded_soak_keeps_every_party_in_agreement",
    a_seeded_soak_keeps_every_party_in_agreement,
)];

/// Steps of one run.
const SOAK_STEPS: usize = 40;

/// The seed when `SOAK_SEED` gives none: fixed, so a run is the same run
/// on every machine.
const DEFAULT_SEED: u64 = 0x50a1_c0de_0000_0011;

/// How long pending payments (a bank outage) may take to settle.
const SETTLE_WAIT: Duration = Duration::from_secs(30);

/// The cards a shopper pays with: three that pay (two banks), and a number
/// the issuer does not know (declined, on a fresh card each time).
const PAYING_CARDS: [&str; 3] = ["visa-pays", "mastercard-pays", "amex-southbank"];

fn staff(world: &World, order_id: &str, operation: &str, body: &Value) -> Answer {
    crate::aftersale::staff(world, order_id, operation, Some(&unique("soak")), body)
}

fn view(world: &World, order: &QuoteAnswer) -> OrderView {
    let answer = crate::payment::shopper_get(world, order, "");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// The sum of an order's refunded events, in minor units.
fn refunded_minor(view: &OrderView) -> i64 {
    view.events
        .iter()
        .filter(|event| event.kind == "refunded")
        .filter_map(|event| event.amount.as_deref())
        .map(|amount| {
            Money::parse_non_negative(amount, view.currency)
                .unwrap()
                .to_minor()
        })
        .sum()
}

/// A card of its own at the second bank, on an account of its own with
/// money on it: an outage step's pending attempt spends no shared card's
/// budget.
fn southbank_card(operator: &Operator<'_>) -> shared::seal::CardDetails {
    let account = operator.open_account("southbank", "acct.soak", "debit", 500_00, 0);
    crate::issuer::card_details_of(&operator.post(
        "/api/operator/issuer/cards",
        &json!({"bank_id": "southbank", "account_id": account}),
    ))
}

/// One step of the soak; answers what it did, for the log.
fn step(world: &World, dice: &mut Dice, orders: &mut Vec<QuoteAnswer>) -> String {
    let operator = Operator::new(&world.server);
    match dice.below(11) {
        // A new order, paid with a card that pays or one that is declined.
        0..=3 => {
            api::be_shopper(&unique("soak-shopper"));
            let order = new_order(world);
            let card = if dice.chance(25) {
                unknown_card()
            } else {
                demo_card(dice.pick::<&str>(&PAYING_CARDS))
            };
            let answer = pay_with(world, &order, &card);
            orders.push(order);
            format!("pay → {}", answer.status)
        }
        // An order still awaiting payment: another card.
        4 => match orders
            .iter()
            .find(|order| view(world, order).status == OrderStatus::AwaitingPayment)
        {
            Some(order) => {
                let answer = pay_with(world, order, &demo_card(dice.pick::<&str>(&PAYING_CARDS)));
                format!("retry → {}", answer.status)
            }
            None => "retry: nothing awaits payment".to_owned(),
        },
        // A refund of part (or the rest) of a paid order.
        5 | 6 => {
            let paid: Vec<&QuoteAnswer> = orders
                .iter()
                .filter(|order| {
                    matches!(
                        view(world, order).status,
                        OrderStatus::Paid | OrderStatus::Shipped
                    )
                })
                .collect();
            if paid.is_empty() {
                return "refund: nothing paid".to_owned();
            }
            let order = *dice.pick(&paid);
            let seen = view(world, order);
            let total = Money::parse_non_negative(&seen.total, seen.currency).unwrap();
            let left = total.to_minor() - refunded_minor(&seen);
            let amount_minor = if left <= 0 {
                1
            } else {
                1 + i64::try_from(dice.below(usize::try_from(left).unwrap())).unwrap()
            };
            let amount = Money::from_minor(amount_minor, Currency::Usd).unwrap();
            let answer = staff(
                world,
                &order.order_id,
                "refund",
                &json!({"amount": amount.amount_string()}),
            );
            format!("refund {} → {}", amount.amount_string(), answer.status)
        }
        // Ship a paid order, or cancel one never paid.
        7 => match orders.iter().find(|order| {
            matches!(
                view(world, order).status,
                OrderStatus::Paid | OrderStatus::AwaitingPayment
            )
        }) {
            Some(order) if view(world, order).status == OrderStatus::Paid => {
                let answer = staff(
                    world,
                    &order.order_id,
                    "ship",
                    &json!({"tracking": unique("TRK")}),
                );
                format!("ship → {}", answer.status)
            }
            Some(order) => {
                let answer = staff(world, &order.order_id, "cancel", &json!({}));
                format!("cancel → {}", answer.status)
            }
            None => "ship or cancel: nothing to do".to_owned(),
        },
        // The second bank falls silent while a card of it pays; one time
        // in two the store also stops answering the gateway's webhooks, so
        // it hears of the payment only from the outbox, once it answers.
        roll => {
            let lose_webhooks = roll == 8;
            if lose_webhooks {
                operator.post("/api/operator/store/webhook-outage", &json!({"seconds": 3}));
            }
            operator.post(
                "/api/operator/banks/southbank/outage",
                &json!({"seconds": 2}),
            );
            api::be_shopper(&unique("soak-shopper"));
            let order = new_order(world);
            let answer = pay_with(world, &order, &southbank_card(&operator));
            orders.push(order);
            let lost = if lose_webhooks { "webhooks lost, " } else { "" };
            format!("{lost}outage, pay → {}", answer.status)
        }
    }
}

/// Whether every payment has left `processing` and the store's record of
/// each agrees with the gateway on whether it is paid.
fn settled(world: &World, orders: &[QuoteAnswer]) -> bool {
    orders.iter().all(|order| {
        let payment = crate::aftersale::payment(world, &order.payment_id);
        let paid_at_gateway = matches!(
            payment.status,
            PaymentStatus::Succeeded | PaymentStatus::Refunded
        );
        let paid_at_store = matches!(
            view(world, order).status,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
        );
        payment.status != PaymentStatus::Processing && paid_at_gateway == paid_at_store
    })
}

/// Captures never pass their hold; refunds never pass their capture.
fn check_the_banks(operator: &Operator<'_>) {
    for bank in ["northbank", "southbank"] {
        let dump = operator.get(&format!("/api/operator/banks/{bank}/dump"));
        let transfers = dump["transfers"].as_array().unwrap();
        let amount_of: BTreeMap<&str, i64> = transfers
            .iter()
            .filter(|row| row["status"] != "failed")
            .map(|row| {
                (
                    row["transfer_id"].as_str().unwrap(),
                    row["amount_minor"].as_i64().unwrap(),
                )
            })
            .collect();
        let mut refunded: BTreeMap<&str, i64> = BTreeMap::new();
        for row in transfers.iter().filter(|row| row["status"] != "failed") {
            let reference = row["reference_id"].as_str().unwrap_or_default();
            let amount = row["amount_minor"].as_i64().unwrap();
            match row["kind"].as_str().unwrap() {
                "capture" => assert!(
                    amount <= amount_of.get(reference).copied().unwrap_or(0),
                    "{bank}: a capture passes its hold: {row}"
                ),
                "refund" => *refunded.entry(reference).or_default() += amount,
                _ => {}
            }
        }
        for (capture, refunded) in refunded {
            assert!(
                refunded <= amount_of.get(capture).copied().unwrap_or(0),
                "{bank}: refunds of {capture} pass it"
            );
        }
    }
}

/// The store's record of each order agrees with its payment at the
/// gateway, and each paid order has its one receipt.
fn check_the_records(world: &World, orders: &[QuoteAnswer]) {
    for order in orders {
        let seen = view(world, order);
        let payment = crate::aftersale::payment(world, &order.payment_id);
        let paid_at_store = matches!(
            seen.status,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
        );
        let paid_at_gateway = matches!(
            payment.status,
            PaymentStatus::Succeeded | PaymentStatus::Refunded
        );
        assert_eq!(
            paid_at_store, paid_at_gateway,
            "{}: the store says {:?}, the gateway {:?}",
            order.order_id, seen.status, payment.status
        );
        let refunded_at_gateway = payment.amount_refunded.as_deref().map_or(0, |amount| {
            Money::parse_non_negative(amount, payment.currency)
                .unwrap()
                .to_minor()
        });
        assert_eq!(
            refunded_minor(&seen),
            refunded_at_gateway,
            "{}: refunds differ",
            order.order_id
        );
        let total = Money::parse_non_negative(&seen.total, seen.currency).unwrap();
        assert!(refunded_at_gateway <= total.to_minor());
        let receipt = crate::payment::shopper_get(world, order, "/receipt");
        if paid_at_store {
            assert_eq!(receipt.status, 200, "{}", receipt.body);
            let receipt: Signed<Receipt> = receipt.json();
            assert_eq!(receipt.body.authorization.body.payment_id, order.payment_id);
            let captured = seen
                .events
                .iter()
                .filter(|event| event.kind == "captured")
                .count();
            assert_eq!(captured, 1, "{}: captured once", order.order_id);
        } else {
            assert_eq!(receipt.status, 404, "{}", receipt.body);
        }
    }
}

/// Each attempt has one outcome: the gateway's view of it and the
/// issuer's record agree.
fn check_the_attempts(world: &World, orders: &[QuoteAnswer]) {
    let dump = Operator::new(&world.server).get("/api/operator/issuer/dump");
    let issuer: BTreeMap<&str, &Value> = dump["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["authorization_id"].as_str().unwrap(), row))
        .collect();
    for order in orders {
        for attempt in crate::payment::attempts(world, &order.payment_id) {
            let reference = format!("{}.a{}", order.payment_id, attempt.sequence);
            let Some(record) = issuer.get(reference.as_str()) else {
                panic!("{reference}: the gateway saw an outcome the issuer never recorded");
            };
            let outcome = serde_json::to_value(attempt.outcome).unwrap();
            match outcome.as_str().unwrap() {
                "approved" => assert_eq!(record["outcome"], "approved", "{reference}"),
                "declined" => assert_ne!(record["outcome"], "approved", "{reference}"),
                _ => {}
            }
        }
    }
}

fn a_seeded_soak_keeps_every_party_in_agreement(world: &World) {
    let seed = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let started = Instant::now();
    let operator = Operator::new(&world.server);
    let mut dice = Dice(seed);
    let mut orders = Vec::new();
    let mut log = Vec::new();
    for _ in 0..SOAK_STEPS {
        let did = step(world, &mut dice, &mut orders);
        log.push(did);
        // After every step: both ledgers balanced, no account below its floor.
        operator.assert_invariants();
    }
    // Pending payments (an outage) settle once the bank answers again, and
    // the store hears of them from the outbox once it answers again.
    let deadline = Instant::now() + SETTLE_WAIT;
    while !settled(world, &orders) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    check_the_banks(&operator);
    check_the_records(world, &orders);
    check_the_attempts(world, &orders);
    operator.assert_invariants();
    println!(
        "soak: seed {seed}, {} steps, {} orders, {:.1} s: {log:?}",
        SOAK_STEPS,
        orders.len(),
        started.elapsed().as_secs_f64()
    );
}
