//! The issuer through the gateway's connector trait, driven by the
//! operator's test routes (which name demo cards, or carry the number of a
//! test card the issuer printed for the journey): each demo card's answer,
//! CVC and expiry checks and the lock after three failures, idempotent
//! references, a reused or reversed id, capture, void and refunds,
//! settlement between two banks, and a scan of the issuer's storage for
//! card data.

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
        "issuer::a_reused_id_and_a_reversed_id_are_refused",
        a_reused_id_and_a_reversed_id_are_refused,
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
        "issuer::a_settlement_the_merchants_bank_refuses_undoes_the_capture",
        a_settlement_the_merchants_bank_refuses_undoes_the_capture,
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

/// Has the issuer print a fresh test card (on Ada's account, which pays),
/// so a journey that locks a card's checks locks no demo card.
pub fn print_test_card(operator: &Operator<'_>) -> Value {
    operator.post("/api/operator/issuer/cards", &json!({}))
}

/// A printed card (the printer's answer) as its holder would type it.
pub fn card_details_of(printed: &Value) -> shared::seal::CardDetails {
    let number = CardNumber::parse(printed["number"].as_str().unwrap()).unwrap();
    let expiry = Expiry::new(
        u8::try_from(printed["expiry_month"].as_u64().unwrap()).unwrap(),
        u16::try_from(printed["expiry_year"].as_u64().unwrap()).unwrap(),
    )
    .unwrap();
    let cvc = shared::card::Cvc::parse(printed["cvc"].as_str().unwrap(), number.brand()).unwrap();
    shared::seal::CardDetails {
        number,
        expiry,
        cvc,
        holder_name: "Test Cardholder".to_owned(),
    }
}

/// A test authorization of a printed card, with these overrides.
fn test_auth(reference: &str, card: &Value, merchant: &str, overrides: &Value) -> Value {
    let mut body = json!({"reference": reference, "test_card_number": card["number"],
        "test_card_expiry": [card["expiry_month"], card["expiry_year"]],
        "amount": "1.00", "currency": "USD", "merchant_id": merchant});
    for (name, value) in overrides.as_object().unwrap() {
        body[name] = value.clone();
    }
    body
}

fn cvc_and_expiry_are_checked(world: &World) {
    // Goal: the issuer derives the CVC from its key and the card; a wrong
    // CVC or expiry is declined and holds nothing; three such failures in a
    // day lock the card's checks, so that even the right code is declined.
    // Method: a printed card, checked against the CVC derived here from the
    // issuer's key, then a sweep of wrong codes.
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
    let card = print_test_card(&operator);
    let number = CardNumber::parse(card["number"].as_str().unwrap()).unwrap();
    let printed = Expiry::new(
        u8::try_from(card["expiry_month"].as_u64().unwrap()).unwrap(),
        u16::try_from(card["expiry_year"].as_u64().unwrap()).unwrap(),
    )
    .unwrap();
    let right = derive_cvc(&key, &number, &printed);
    assert_eq!(card["cvc"].as_str(), Some(right.reveal_digits()));
    let wrong = |step: u32| {
        format!(
            "{:03}",
            (right.reveal_digits().parse::<u32>().unwrap() + step) % 1000
        )
    };
    let before = operator.balance("northbank", "acct.ada.current")["debits_pending_minor"]
        .as_i64()
        .unwrap();
    let with_right_cvc = test_auth(
        &unique("auth"),
        &card,
        &merchant,
        &json!({"cvc": right.reveal_digits()}),
    );
    assert_eq!(
        authorize(&operator, with_right_cvc)["outcome"],
        json!("approved")
    );
    let answer = authorize(
        &operator,
        test_auth(&unique("auth"), &card, &merchant, &json!({"cvc": wrong(1)})),
    );
    assert_eq!(
        (answer["code"].as_str(), answer["shopper_code"].as_str()),
        (Some("incorrect_cvc"), Some("incorrect_card_details"))
    );
    let wrong_expiry = json!({"expiry_month": (printed.month() % 12) + 1});
    assert_eq!(
        authorize(
            &operator,
            test_auth(&unique("auth"), &card, &merchant, &wrong_expiry)
        )["code"],
        json!("incorrect_expiry")
    );
    assert_eq!(
        authorize(
            &operator,
            test_auth(&unique("auth"), &card, &merchant, &json!({"cvc": wrong(2)}))
        )["code"],
        json!("incorrect_cvc")
    );
    // Three failures: locked, the right code included.
    for overrides in [json!({"cvc": wrong(3)}), json!({})] {
        let answer = authorize(
            &operator,
            test_auth(&unique("auth"), &card, &merchant, &overrides),
        );
        assert_eq!(
            (answer["code"].as_str(), answer["shopper_code"].as_str()),
            (Some("security_checks_locked"), Some("card_declined"))
        );
    }
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

fn a_reused_id_and_a_reversed_id_are_refused(world: &World) {
    // Goal: an authorization id means one request: the same request gets
    // the same answer, another request under it is refused; an id the
    // gateway reversed is never approved afterwards. Method: a printed
    // card, authorized twice under one id with a different amount, then a
    // reversal of an id the issuer never saw and an authorization under it.
    let operator = Operator::new(&world.server);
    let merchant = merchant(&operator);
    let card = print_test_card(&operator);
    let reference = unique("auth");
    let first = authorize(
        &operator,
        test_auth(&reference, &card, &merchant, &json!({})),
    );
    assert_eq!(first["outcome"], json!("approved"));
    assert_eq!(
        authorize(
            &operator,
            test_auth(&reference, &card, &merchant, &json!({}))
        ),
        first,
        "the same request, the same answer"
    );
    // Another request under the same id: the issuer refuses it, and the
    // connector turns that into a decline of this request (never the
    // other's answer); the first authorization stands.
    let other = authorize(
        &operator,
        test_auth(&reference, &card, &merchant, &json!({"amount": "2.00"})),
    );
    assert_eq!(
        (other["outcome"].as_str(), other["code"].as_str()),
        (Some("declined"), Some("processing_error"))
    );
    assert_eq!(
        authorize(
            &operator,
            test_auth(&reference, &card, &merchant, &json!({}))
        ),
        first
    );
    let gateway_reference = operator.post_answer(
        "/api/operator/issuer/test-authorizations",
        &test_auth("pay_someone.a1", &card, &merchant, &json!({})),
    );
    assert_eq!(
        (
            gateway_reference.status,
            gateway_reference.error().code.as_str()
        ),
        (422, "invalid_reference"),
        "a test may not take a gateway payment's reference"
    );
    let reversed = unique("auth");
    let reversal = operator.post(
        "/api/operator/issuer/test-reversals",
        &json!({"reference": reversed, "merchant_id": merchant, "amount": "1.00", "currency": "USD"}),
    );
    assert_eq!(reversal["outcome"], json!("reversed"));
    let late = authorize(
        &operator,
        test_auth(&reversed, &card, &merchant, &json!({})),
    );
    assert_eq!(late["outcome"], json!("reversed"), "never approved after");
    // A decided authorization is not reversed: its outcome stands.
    let standing = operator.post(
        "/api/operator/issuer/test-reversals",
        &json!({"reference": reference, "merchant_id": merchant, "amount": "1.00", "currency": "USD"}),
    );
    assert_eq!(standing["outcome"], json!("approved"));
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

fn a_settlement_the_merchants_bank_refuses_undoes_the_capture(world: &World) {
    // Goal: a capture and its settlement both happen or neither does.
    // Method: a southbank card pays a merchant that has no account at the
    // merchants' bank, so the settlement is refused; the capture is
    // refused too, and the cardholder's posted balance is where it was.
    let operator = Operator::new(&world.server);
    let merchant = format!("m_{}", unique("nobank").replace('-', "_"));
    // A card of its own at southbank, on an account of its own.
    let account = operator.open_account("southbank", "acct.nobank", "debit", 100_00, 0);
    let card = operator.post(
        "/api/operator/issuer/cards",
        &json!({"bank_id": "southbank", "account_id": account}),
    );
    let posted = |operator: &Operator<'_>| {
        let balance = operator.balance("southbank", &account);
        balance["debits_posted_minor"].as_i64().unwrap()
            - balance["credits_posted_minor"].as_i64().unwrap()
    };
    let before = posted(&operator);
    let reference = unique("auth");
    let mut authorization = test_auth(&reference, &card, &merchant, &json!({}));
    authorization["amount"] = json!("7.00");
    assert_eq!(
        authorize(&operator, authorization)["outcome"],
        json!("approved")
    );
    let capture = json!({"reference": reference, "transfer_id": unique("capture"),
                         "amount": "7.00", "currency": "USD"});
    for _ in 0..2 {
        let answer = operator.post("/api/operator/issuer/test-captures", &capture);
        assert_eq!(answer["outcome"], json!("refused"), "{answer}");
    }
    assert_eq!(posted(&operator), before, "the cardholder was not charged");
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
