//! The bank's ledger through the worker under `wrangler dev`, by the
//! operator routes: concurrent holds, idempotent transfer ids, capture,
//! partial capture, void, expiry, refunds, credit limits, invariants after
//! every journey, and a scan of the ledger's storage for card data.

use std::time::{Duration, Instant};

use e2e::api::{self, Answer};
use e2e::operator::{BANKS, Operator, unique};
use serde_json::{Value, json};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "bank::fifty_simultaneous_holds_allow_exactly_ten",
        fifty_simultaneous_holds_allow_exactly_ten,
    ),
    (
        "bank::a_transfer_id_has_exactly_one_outcome",
        a_transfer_id_has_exactly_one_outcome,
    ),
    (
        "bank::capture_partial_capture_void_and_refunds",
        capture_partial_capture_void_and_refunds,
    ),
    (
        "bank::holds_expire_by_the_objects_alarm",
        holds_expire_by_the_objects_alarm,
    ),
    (
        "bank::credit_limits_hold_and_refusals_are_typed",
        credit_limits_hold_and_refusals_are_typed,
    ),
    (
        "bank::operator_routes_need_the_token",
        operator_routes_need_the_token,
    ),
    (
        "bank::ledger_storage_holds_no_card_data",
        ledger_storage_holds_no_card_data,
    ),
    (
        "bank::refunds_between_shards_at_once_never_pass_the_capture",
        refunds_between_shards_at_once_never_pass_the_capture,
    ),
];

const BANK: &str = "northbank";
/// Concurrent holds in the race journey, and how many the balance allows.
const RACE_HOLDS: usize = 50;
const RACE_BALANCE_MINOR: i64 = 100_00;
const RACE_HOLD_MINOR: i64 = 10_00;

/// The operator's helpers, on northbank.
pub struct Bank<'a> {
    operator: Operator<'a>,
}

impl<'a> Bank<'a> {
    pub fn new(world: &'a World) -> Bank<'a> {
        Bank {
            operator: Operator::new(&world.server),
        }
    }

    pub fn open(&self, kind: &str, opening_minor: i64, limit_minor: i64) -> String {
        self.operator.open_account(
            BANK,
            &format!("test.{kind}"),
            kind,
            opening_minor,
            limit_minor,
        )
    }

    fn transfer(&self, body: &Value) -> Value {
        self.operator
            .post(&format!("/api/operator/banks/{BANK}/transfers"), body)
    }

    pub fn hold(
        &self,
        id: &str,
        from: &str,
        to: &str,
        amount_minor: i64,
        timeout_ms: u64,
    ) -> Value {
        self.transfer(&json!({"op": "hold", "transfer_id": id, "debit_account": from, "credit_account": to,
                              "amount_minor": amount_minor, "currency": "USD", "timeout_ms": timeout_ms}))
    }

    pub fn balance(&self, account_id: &str) -> Value {
        self.operator.balance(BANK, account_id)
    }

    pub fn assert_invariants(&self) {
        self.operator.assert_invariants();
    }
}

pub const MINUTE_MS: u64 = 60_000;

/// Merchant accounts opened, at most, to find one on another shard than
/// the shopper's (each try misses with odds 1 in 8).
const SHARD_TRIES_MAX: usize = 64;

/// A fresh shopper's debit account (100.00) and a fresh merchant account
/// at `bank`, kept by two different ledger shards; the merchant's shard.
pub fn accounts_on_two_shards(operator: &Operator<'_>, bank: &str) -> (String, String, u64) {
    let shopper = operator.open_account(bank, "acct.shard", "debit", 100_00, 0);
    let shopper_shard = operator.balance(bank, &shopper)["shard"].as_u64().unwrap();
    for _ in 0..SHARD_TRIES_MAX {
        let shop = operator.open_account(bank, "merchant.shard", "merchant", 0, 0);
        let shop_shard = operator.balance(bank, &shop)["shard"].as_u64().unwrap();
        if shop_shard != shopper_shard {
            return (shopper, shop, shop_shard);
        }
    }
    panic!("{SHARD_TRIES_MAX} merchant accounts all on the shopper's shard");
}

fn status_and_failure(outcome: &Value) -> (String, String) {
    (
        outcome["status"].as_str().unwrap_or_default().to_owned(),
        outcome["failure"].as_str().unwrap_or_default().to_owned(),
    )
}

fn fifty_simultaneous_holds_allow_exactly_ten(world: &World) {
    // Goal: a Durable Object serializes the checks and writes of a hold, so
    // concurrent holds can never overdraw. Method: 50 threads each hold 10
    // against 100 at once; count outcomes; read the balance.
    let bank = Bank::new(world);
    let shopper = bank.open("debit", RACE_BALANCE_MINOR, 0);
    let shop = bank.open("merchant", 0, 0);
    let outcomes: Vec<(String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..RACE_HOLDS)
            .map(|_| {
                let (bank, shopper, shop) = (&bank, &shopper, &shop);
                scope.spawn(move || {
                    status_and_failure(&bank.hold(
                        &unique("race"),
                        shopper,
                        shop,
                        RACE_HOLD_MINOR,
                        10 * MINUTE_MS,
                    ))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let held = outcomes
        .iter()
        .filter(|(status, _)| status == "pending")
        .count();
    let refused = outcomes
        .iter()
        .filter(|outcome| *outcome == &("failed".to_owned(), "insufficient_funds".to_owned()))
        .count();
    assert_eq!((held, refused), (10, 40), "{outcomes:?}");
    let balance = bank.balance(&shopper);
    assert_eq!(balance["available_minor"], json!(0));
    assert_eq!(balance["debits_pending_minor"], json!(RACE_BALANCE_MINOR));
    bank.assert_invariants();
}

fn a_transfer_id_has_exactly_one_outcome(world: &World) {
    // Goal: TigerBeetle's rule. The same id, sent many times at once, holds
    // once; an id that failed stays failed even when it would now succeed;
    // an id reused for another request is refused.
    let bank = Bank::new(world);
    let shopper = bank.open("debit", 10_00, 0);
    let shop = bank.open("merchant", 0, 0);
    let id = unique("same");
    let outcomes: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let (bank, shopper, shop, id) = (&bank, &shopper, &shop, &id);
                scope.spawn(move || bank.hold(id, shopper, shop, 8_00, 10 * MINUTE_MS))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(
        outcomes.iter().all(|outcome| outcome == &outcomes[0]),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[0]["status"], json!("pending"));
    assert_eq!(bank.balance(&shopper)["debits_pending_minor"], json!(8_00));

    let failing = unique("fails");
    let first = bank.hold(&failing, &shopper, &shop, 5_00, 10 * MINUTE_MS);
    assert_eq!(
        status_and_failure(&first),
        ("failed".into(), "insufficient_funds".into())
    );
    let void = bank.transfer(
        &json!({"op": "void", "transfer_id": unique("void"), "hold_id": id, "account_id": shopper}),
    );
    assert_eq!(void["status"], json!("posted"));
    // The funds are free now, but the id that failed stays failed.
    let retry = bank.hold(&failing, &shopper, &shop, 5_00, 10 * MINUTE_MS);
    assert_eq!(retry, first);
    let fresh = bank.hold(&unique("fresh"), &shopper, &shop, 5_00, 10 * MINUTE_MS);
    assert_eq!(fresh["status"], json!("pending"));
    // The same id for a different request is refused, and changes nothing.
    let reused = bank.hold(&id, &shopper, &shop, 1_00, 10 * MINUTE_MS);
    assert_eq!(
        status_and_failure(&reused),
        ("failed".into(), "transfer_id_reused".into())
    );
    assert_eq!(bank.balance(&shopper)["debits_pending_minor"], json!(5_00));
    bank.assert_invariants();
}

fn capture_partial_capture_void_and_refunds(world: &World) {
    // Goal: the two-phase rules. Method: walk one account through each
    // operation and check the derived balances after each step.
    let bank = Bank::new(world);
    let shopper = bank.open("debit", 500_00, 0);
    let shop = bank.open("merchant", 0, 0);
    let available = |account: &str| bank.balance(account)["available_minor"].as_i64().unwrap();

    let first = unique("hold");
    bank.hold(&first, &shopper, &shop, 200_00, 10 * MINUTE_MS);
    let capture = unique("capture");
    let captured = bank.transfer(
        &json!({"op": "capture", "transfer_id": capture, "hold_id": first, "account_id": shopper, "amount_minor": 200_00}),
    );
    assert_eq!(captured["status"], json!("posted"));
    assert_eq!(available(&shopper), 300_00);
    assert_eq!(bank.balance(&shop)["credits_posted_minor"], json!(200_00));

    // Partial capture posts 60 and releases the other 40 of the hold.
    let second = unique("hold");
    bank.hold(&second, &shopper, &shop, 100_00, 10 * MINUTE_MS);
    assert_eq!(available(&shopper), 200_00);
    let partial = bank.transfer(&json!({"op": "capture", "transfer_id": unique("capture"), "hold_id": second, "account_id": shopper, "amount_minor": 60_00}));
    assert_eq!(partial["status"], json!("posted"));
    assert_eq!(available(&shopper), 240_00);
    assert_eq!(bank.balance(&shopper)["debits_pending_minor"], json!(0));

    // Void releases without moving money; the hold cannot be used again.
    let third = unique("hold");
    bank.hold(&third, &shopper, &shop, 50_00, 10 * MINUTE_MS);
    let void =
        bank.transfer(&json!({"op": "void", "transfer_id": unique("void"), "hold_id": third, "account_id": shopper}));
    assert_eq!(void["status"], json!("posted"));
    assert_eq!(available(&shopper), 240_00);
    let late = bank.transfer(&json!({"op": "capture", "transfer_id": unique("capture"), "hold_id": third, "account_id": shopper, "amount_minor": 50_00}));
    assert_eq!(
        status_and_failure(&late),
        ("failed".into(), "hold_not_open".into())
    );

    // More than the hold cannot be captured.
    let fourth = unique("hold");
    bank.hold(&fourth, &shopper, &shop, 10_00, 10 * MINUTE_MS);
    let over = bank.transfer(&json!({"op": "capture", "transfer_id": unique("capture"), "hold_id": fourth, "account_id": shopper, "amount_minor": 10_01}));
    assert_eq!(
        status_and_failure(&over),
        ("failed".into(), "amount_exceeds_hold".into())
    );

    // Refunds are new reverse transfers, never beyond what was captured.
    let refund = |amount: i64| {
        bank.transfer(&json!({"op": "refund", "transfer_id": unique("refund"), "capture_id": capture, "account_id": shopper, "amount_minor": amount}))
    };
    assert_eq!(refund(150_00)["status"], json!("posted"));
    assert_eq!(
        status_and_failure(&refund(60_00)),
        ("failed".into(), "refund_exceeds_capture".into())
    );
    assert_eq!(refund(50_00)["status"], json!("posted"));
    assert_eq!(
        status_and_failure(&refund(1)),
        ("failed".into(), "refund_exceeds_capture".into())
    );
    assert_eq!(available(&shopper), 430_00);
    assert_eq!(bank.balance(&shop)["credits_posted_minor"], json!(260_00));
    let missing = bank.transfer(&json!({"op": "refund", "transfer_id": unique("refund"), "capture_id": "no-such", "account_id": shopper, "amount_minor": 1}));
    assert_eq!(
        status_and_failure(&missing),
        ("failed".into(), "capture_not_found".into())
    );
    bank.assert_invariants();
}

fn holds_expire_by_the_objects_alarm(world: &World) {
    // Goal: a hold nobody captures is released by itself. Method: a one
    // second hold; poll the balance until the alarm has released it.
    let bank = Bank::new(world);
    let shopper = bank.open("debit", 30_00, 0);
    let shop = bank.open("merchant", 0, 0);
    let hold = unique("short");
    assert_eq!(
        bank.hold(&hold, &shopper, &shop, 30_00, 1_000)["status"],
        json!("pending")
    );
    assert_eq!(bank.balance(&shopper)["available_minor"], json!(0));
    let deadline = Instant::now() + Duration::from_secs(20);
    while bank.balance(&shopper)["debits_pending_minor"] != json!(0) {
        assert!(
            Instant::now() < deadline,
            "the hold was not released by the alarm"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(bank.balance(&shopper)["available_minor"], json!(30_00));
    let late = bank.transfer(&json!({"op": "capture", "transfer_id": unique("capture"), "hold_id": hold, "account_id": shopper, "amount_minor": 30_00}));
    assert_eq!(
        status_and_failure(&late),
        ("failed".into(), "hold_expired".into())
    );
    bank.assert_invariants();
}

fn credit_limits_hold_and_refusals_are_typed(world: &World) {
    let bank = Bank::new(world);
    let card = bank.open("credit", 950_00, 1_000_00);
    let shop = bank.open("merchant", 0, 0);
    assert_eq!(bank.balance(&card)["available_minor"], json!(50_00));
    let over = bank.hold(&unique("over"), &card, &shop, 50_01, MINUTE_MS);
    assert_eq!(
        status_and_failure(&over),
        ("failed".into(), "credit_limit_exceeded".into())
    );
    assert_eq!(
        bank.hold(&unique("fits"), &card, &shop, 50_00, MINUTE_MS)["status"],
        json!("pending")
    );
    for (body, failure) in [
        (
            json!({"op": "hold", "transfer_id": unique("h"), "debit_account": "nobody", "credit_account": shop, "amount_minor": 1, "currency": "USD", "timeout_ms": MINUTE_MS}),
            "account_not_found",
        ),
        (
            json!({"op": "hold", "transfer_id": unique("h"), "debit_account": card, "credit_account": shop, "amount_minor": 1, "currency": "EUR", "timeout_ms": MINUTE_MS}),
            "currency_mismatch",
        ),
        (
            json!({"op": "hold", "transfer_id": unique("h"), "debit_account": card, "credit_account": shop, "amount_minor": 0, "currency": "USD", "timeout_ms": MINUTE_MS}),
            "invalid_amount",
        ),
        (
            json!({"op": "hold", "transfer_id": unique("h"), "debit_account": card, "credit_account": shop, "amount_minor": 9_007_199_254_740_992_i64, "currency": "USD", "timeout_ms": MINUTE_MS}),
            "invalid_amount",
        ),
        (
            json!({"op": "capture", "transfer_id": unique("c"), "hold_id": "nope", "account_id": card, "amount_minor": 1}),
            "hold_not_found",
        ),
    ] {
        assert_eq!(
            status_and_failure(&bank.transfer(&body)).1,
            failure,
            "{body}"
        );
    }
    let malformed = bank.operator.post_answer(
        &format!("/api/operator/banks/{BANK}/transfers"),
        &json!({"op": "teleport"}),
    );
    assert_eq!(
        (malformed.status, malformed.error().code.as_str()),
        (422, "invalid_body")
    );
    let unknown_bank = bank
        .operator
        .get_answer("/api/operator/banks/atlantis/invariants");
    assert_eq!(
        (unknown_bank.status, unknown_bank.error().code.as_str()),
        (404, "bank_not_found")
    );
    bank.assert_invariants();
}

fn operator_routes_need_the_token(world: &World) {
    let url = world.server.url("/api/operator/banks/northbank/invariants");
    let none: Answer = api::get(&url);
    assert_eq!(
        (none.status, none.error().code.as_str()),
        (401, "unauthorized")
    );
    let wrong = api::operator_get(&url, "not-the-token");
    assert_eq!(
        (wrong.status, wrong.error().code.as_str()),
        (401, "unauthorized")
    );
    let right = api::operator_get(&url, &world.server.operator_token());
    assert_eq!(right.status, 200);
}

fn ledger_storage_holds_no_card_data(world: &World) {
    // Goal: the bank never stores a card number or a CVC. Method: dump
    // every table of both ledgers and scan the text.
    let bank = Bank::new(world);
    for name in BANKS {
        let dump = bank
            .operator
            .get_answer(&format!("/api/operator/banks/{name}/dump"));
        assert_eq!(dump.status, 200);
        assert!(
            dump.body.contains("acct."),
            "the dump holds the demo accounts"
        );
        let findings = e2e::scan::card_data_in(&dump.json());
        assert!(findings.is_empty(), "{name} stores card data: {findings:?}");
    }
}

fn refunds_between_shards_at_once_never_pass_the_capture(world: &World) {
    // Goal: the reservation a refund between two shards makes while it is
    // decided counts against the capture, so refunds sent together never
    // pass it. Method: a 10.00 capture from a shopper to a shop on another
    // shard; twelve refunds of 1.00 at once.
    let operator = Operator::new(&world.server);
    let (shopper, shop, _) = accounts_on_two_shards(&operator, BANK);
    let bank = Bank::new(world);
    let hold = unique("hold");
    assert_eq!(
        bank.hold(&hold, &shopper, &shop, 10_00, 10 * MINUTE_MS)["status"],
        json!("pending")
    );
    let capture = unique("capture");
    let captured = bank.transfer(
        &json!({"op": "capture", "transfer_id": capture, "hold_id": hold,
        "account_id": shopper, "amount_minor": 10_00}),
    );
    assert_eq!(captured["status"], json!("posted"), "{captured}");
    let outcomes: Vec<(String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..REFUNDS_AT_ONCE)
            .map(|_| {
                let (bank, shopper, capture) = (&bank, &shopper, &capture);
                scope.spawn(move || {
                    status_and_failure(&bank.transfer(&json!({"op": "refund",
                        "transfer_id": unique("refund"), "capture_id": capture,
                        "account_id": shopper, "amount_minor": 1_00})))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let posted = outcomes
        .iter()
        .filter(|(status, _)| status == "posted")
        .count();
    let refused = outcomes
        .iter()
        .filter(|outcome| *outcome == &("failed".to_owned(), "refund_exceeds_capture".to_owned()))
        .count();
    assert_eq!(
        (posted, refused),
        (10, REFUNDS_AT_ONCE - 10),
        "{outcomes:?}"
    );
    assert_eq!(bank.balance(&shop)["debits_posted_minor"], json!(10_00));
    assert_eq!(
        operator.balance(BANK, &shopper)["credits_posted_minor"],
        json!(100_00 + 10_00)
    );
    bank.assert_invariants();
}

/// Refunds sent at once in the refund race.
const REFUNDS_AT_ONCE: usize = 12;
