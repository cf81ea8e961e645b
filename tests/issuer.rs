//! The issuer through the gateway's connector trait, driven by the
//! operator's test routes (which name demo cards instead of carrying card
//! numbers): each demo card's answer, CVC and expiry checks, idempotent
//! references, capture, void and refunds, settlement between two banks, and
//! a scan of the issuer's storage for card data.

use e2e::operator::{Operator, unique};
use serde_json::{Value, json};
use shared::card::{CardNumber, Expiry};
use shared::issuer::derive_cvc;

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "issuer::each_demo_card_gets_its_answer",
        each_demo_card_gets_its_answer,
    ),
    (
        "issuer::cvc_and_expiry_are_checked",
        cvc_and_expiry_are_checked,
    ),
    (
        "issuer::a_reference_has_exactly_one_answer",
        a_reference_has_exactly_one_answer,
    ),
    (
        "issuer::capture_void_and_refund_through_the_connector",
        capture_void_and_refund_through_the_connector,
    ),
    (
        "issuer::a_second_bank_settles_to_the_merchant",
        a_second_bank_settles_to_the_merchant,
    ),
    (
        "issuer::issuer_storage_holds_no_card_data",
        issuer_storage_holds_no_card_data,
    ),
];

/// A merchant of its own at the merchants' bank, so journeys running at
/// the same time never share balances. Answers the merchant id.
fn merchant(operator: &Operator<'_>) -> String {
    let account = operator.open_account("northbank", "merchant.m_test", "merchant", 0, 0);
    account.trim_start_matches("merchant.").to_owned()
}

fn authorize(operator: &Operator<'_>, body: Value) -> Value {
    operator.post("/api/operator/issuer/test-authorizations", &body)
}

fn auth(reference: &str, card: &str, amount: &str, merchant: &str) -> Value {
    json!({"reference": reference, "demo_card": card, "amount": amount, "currency": "USD", "merchant_id": merchant})
}

fn each_demo_card_gets_its_answer(world: &World) {
    // Goal: the seed's outcomes, card by card: one pays, one is short of
    // funds, one expired, one lost, one stolen, one blocked, one credit card
    // near its limit, and a card of the second bank.
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    for (card, amount, outcome, code, shopper_code) in [
        ("visa-pays", "5.00", "approved", None, None),
        ("mastercard-pays", "5.00", "approved", None, None),
        ("amex-southbank", "5.00", "approved", None, None),
        (
            "visa-short-of-funds",
            "20.00",
            "declined",
            Some("insufficient_funds"),
            Some("insufficient_funds"),
        ),
        (
            "mastercard-near-limit",
            "50.00",
            "declined",
            Some("insufficient_funds"),
            Some("insufficient_funds"),
        ),
        (
            "visa-expired",
            "5.00",
            "declined",
            Some("expired_card"),
            Some("expired_card"),
        ),
        (
            "visa-lost",
            "5.00",
            "declined",
            Some("lost_card"),
            Some("card_declined"),
        ),
        (
            "visa-stolen",
            "5.00",
            "declined",
            Some("stolen_card"),
            Some("card_declined"),
        ),
        (
            "discover-blocked",
            "5.00",
            "declined",
            Some("do_not_honor"),
            Some("card_declined"),
        ),
    ] {
        let answer = authorize(&operator, auth(&unique("auth"), card, amount, &merchant));
        assert_eq!(answer["outcome"], json!(outcome), "{card}: {answer}");
        assert_eq!(answer["code"].as_str(), code, "{card}: {answer}");
        assert_eq!(
            answer["shopper_code"].as_str(),
            shopper_code,
            "{card}: {answer}"
        );
        if outcome == "approved" {
            let code = answer["authorization_code"].as_str().unwrap();
            assert_eq!(code.len(), 6, "{answer}");
        }
    }
    operator.assert_invariants();
}

fn cvc_and_expiry_are_checked(world: &World) {
    // Goal: the issuer derives the CVC from its key and the card; a wrong
    // CVC or expiry is declined, and nothing is held.
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    let vars = std::fs::read_to_string(e2e::workspace_root().join(".dev.vars")).unwrap();
    let hex = vars
        .lines()
        .find_map(|line| line.strip_prefix("ISSUER_CVC_KEY="))
        .unwrap()
        .trim();
    let key: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
        .collect();
    let number = CardNumber::parse("4242424242424242").unwrap();
    let right = derive_cvc(&key, &number, &Expiry::new(12, 2030).unwrap());
    let wrong = format!(
        "{:03}",
        (right.reveal_digits().parse::<u32>().unwrap() + 1) % 1000
    );
    let before = operator.balance("northbank", "acct.ada.current")["debits_pending_minor"]
        .as_i64()
        .unwrap();

    let mut with_right_cvc = auth(&unique("auth"), "visa-pays", "1.00", &merchant);
    with_right_cvc["cvc"] = json!(right.reveal_digits());
    assert_eq!(
        authorize(&operator, with_right_cvc)["outcome"],
        json!("approved")
    );
    let mut with_wrong_cvc = auth(&unique("auth"), "visa-pays", "1.00", &merchant);
    with_wrong_cvc["cvc"] = json!(wrong);
    let answer = authorize(&operator, with_wrong_cvc);
    assert_eq!(
        (answer["code"].as_str(), answer["shopper_code"].as_str()),
        (Some("incorrect_cvc"), Some("incorrect_cvc"))
    );
    let mut with_wrong_expiry = auth(&unique("auth"), "visa-pays", "1.00", &merchant);
    with_wrong_expiry["expiry_month"] = json!(11);
    assert_eq!(
        authorize(&operator, with_wrong_expiry)["code"],
        json!("incorrect_expiry")
    );

    let after = operator.balance("northbank", "acct.ada.current")["debits_pending_minor"]
        .as_i64()
        .unwrap();
    assert!(after - before >= 1_00, "the approved one holds");
    let unknown = operator.post_answer(
        "/api/operator/issuer/test-authorizations",
        &auth(&unique("auth"), "no-such-card", "1.00", &merchant),
    );
    assert_eq!(
        (unknown.status, unknown.error().code.as_str()),
        (422, "unknown_demo_card")
    );
    operator.assert_invariants();
}

fn a_reference_has_exactly_one_answer(world: &World) {
    // Goal: a retried authorization never holds twice. Method: the same
    // reference three times; the cardholder's pending debits move once.
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    let pending = || {
        operator.balance("northbank", "acct.eve.current")["debits_pending_minor"]
            .as_i64()
            .unwrap()
    };
    let before = pending();
    let reference = unique("auth");
    let answers: Vec<Value> = (0..3)
        .map(|_| {
            authorize(
                &operator,
                auth(&reference, "mastercard-pays", "7.00", &merchant),
            )
        })
        .collect();
    assert!(
        answers.iter().all(|answer| answer == &answers[0]),
        "{answers:?}"
    );
    assert_eq!(answers[0]["outcome"], json!("approved"));
    assert_eq!(pending() - before, 7_00);
    operator.assert_invariants();
}

fn capture_void_and_refund_through_the_connector(world: &World) {
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    let merchant_account = format!("merchant.{merchant}");
    let reference = unique("auth");
    assert_eq!(
        authorize(&operator, auth(&reference, "visa-pays", "30.00", &merchant))["outcome"],
        json!("approved")
    );
    let capture_id = unique("capture");
    let captured = operator.post(
        "/api/operator/issuer/test-captures",
        &json!({"reference": reference, "transfer_id": capture_id, "amount": "30.00", "currency": "USD"}),
    );
    assert_eq!(captured["outcome"], json!("done"), "{captured}");
    assert_eq!(
        operator.balance("northbank", &merchant_account)["credits_posted_minor"],
        json!(30_00)
    );

    let refund = |amount: &str| {
        operator.post(
            "/api/operator/issuer/test-refunds",
            &json!({"reference": reference, "capture_id": capture_id, "transfer_id": unique("refund"),
                    "amount": amount, "currency": "USD"}),
        )
    };
    assert_eq!(refund("10.00")["outcome"], json!("done"));
    let over = refund("25.00");
    assert_eq!(
        (over["outcome"].as_str(), over["code"].as_str()),
        (Some("refused"), Some("refund_exceeds_capture"))
    );
    assert_eq!(
        operator.balance("northbank", &merchant_account)["debits_posted_minor"],
        json!(10_00)
    );

    let second = unique("auth");
    assert_eq!(
        authorize(&operator, auth(&second, "visa-pays", "2.00", &merchant))["outcome"],
        json!("approved")
    );
    let voided = operator.post(
        "/api/operator/issuer/test-voids",
        &json!({"reference": second, "transfer_id": unique("void")}),
    );
    assert_eq!(voided["outcome"], json!("done"));
    let late = operator.post(
        "/api/operator/issuer/test-captures",
        &json!({"reference": second, "transfer_id": unique("capture"), "amount": "2.00", "currency": "USD"}),
    );
    assert_eq!(late["code"], json!("hold_not_open"));
    let declined = unique("auth");
    authorize(&operator, auth(&declined, "visa-lost", "2.00", &merchant));
    let nothing = operator.post(
        "/api/operator/issuer/test-captures",
        &json!({"reference": declined, "transfer_id": unique("capture"), "amount": "2.00", "currency": "USD"}),
    );
    assert_eq!(nothing["code"], json!("authorization_not_found"));
    operator.assert_invariants();
}

fn a_second_bank_settles_to_the_merchant(world: &World) {
    // Goal: a card of southbank pays a merchant of northbank. Method: the
    // hold and capture happen at southbank, the settlement at northbank;
    // a refund runs both ways back.
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    let merchant_account = format!("merchant.{merchant}");
    let shopper_before = operator.balance("southbank", "acct.dev.current")["debits_posted_minor"]
        .as_i64()
        .unwrap();
    let reference = unique("auth");
    assert_eq!(
        authorize(
            &operator,
            auth(&reference, "amex-southbank", "40.00", &merchant)
        )["outcome"],
        json!("approved")
    );
    let capture_id = unique("capture");
    let captured = operator.post(
        "/api/operator/issuer/test-captures",
        &json!({"reference": reference, "transfer_id": capture_id, "amount": "40.00", "currency": "USD"}),
    );
    assert_eq!(captured["outcome"], json!("done"), "{captured}");
    let shopper_after = operator.balance("southbank", "acct.dev.current")["debits_posted_minor"]
        .as_i64()
        .unwrap();
    assert_eq!(shopper_after - shopper_before, 40_00);
    assert_eq!(
        operator.balance("northbank", &merchant_account)["credits_posted_minor"],
        json!(40_00)
    );
    let refunded = operator.post(
        "/api/operator/issuer/test-refunds",
        &json!({"reference": reference, "capture_id": capture_id, "transfer_id": unique("refund"),
                "amount": "15.00", "currency": "USD"}),
    );
    assert_eq!(refunded["outcome"], json!("done"), "{refunded}");
    assert_eq!(
        operator.balance("northbank", &merchant_account)["debits_posted_minor"],
        json!(15_00)
    );
    let credited = operator.balance("southbank", "acct.dev.current")["credits_posted_minor"]
        .as_i64()
        .unwrap();
    assert!(
        credited >= 300_00 + 15_00,
        "the refund reached the cardholder: {credited}"
    );
    operator.assert_invariants();
}

fn issuer_storage_holds_no_card_data(world: &World) {
    // Goal: the issuer finds cards without storing their numbers, and
    // stores no CVC. Method: authorize once (so both tables have rows),
    // dump every table and scan it.
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    authorize(
        &operator,
        auth(&unique("auth"), "visa-pays", "1.00", &merchant),
    );
    let dump = operator.get("/api/operator/issuer/dump");
    assert!(
        dump["cards"]
            .as_array()
            .is_some_and(|cards| cards.len() >= 9),
        "{dump}"
    );
    assert!(
        dump["authorizations"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
    );
    let findings = e2e::scan::card_data_in(&dump);
    assert!(
        findings.is_empty(),
        "the issuer stores card data: {findings:?}"
    );
}
