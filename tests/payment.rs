//! The payment path through the worker under `wrangler dev`, with payments
//! sealed natively by `shared` exactly as the wallet seals them: the seed's
//! flow (a decline, then another card on the same order, then a signed
//! receipt), each decline as the shopper and the merchant see it, every
//! refusal before the issuer (expired, stale, altered, replayed, wrong key),
//! idempotency under 100 simultaneous duplicates, 20 simultaneous attempts,
//! and the attempt budgets that keep the pay route from being a card-testing
//! oracle. Refusals are checked to have asked no issuer (so no ledger moved).

use std::time::{SystemTime, UNIX_EPOCH};

use e2e::api::{self, Answer};
use e2e::operator::{Operator, unique};
use serde_json::{Value, json};
use shared::card::{CardNumber, Expiry};
use shared::decline::DeclineCode;
use shared::encoding::Bytes;
use shared::issuer::derive_cvc;
use shared::keyset::{GatewayKey, GatewayKeySet, current_key};
use shared::money::{Currency, Money};
use shared::quote::QuoteDigest;
use shared::rand_core::UnwrapErr;
use shared::receipt::Receipt;
use shared::seal::{CardDetails, PaymentBinding, PaymentPlaintext, SealedPayment, seal_payment};
use shared::sign::{KeyId, PublicKey, Signed};
use shared::wire::{
    AttemptOutcome, AttemptView, ConfirmAnswer, OrderStatus, OrderView, PayAnswer, PayDeclined,
    Payment, PaymentStatus, QuoteAnswer, StoreKeys,
};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "payment::a_decline_then_another_card_pays_with_a_signed_receipt",
        a_decline_then_another_card_pays_with_a_signed_receipt,
    ),
    (
        "payment::each_decline_reaches_shopper_and_merchant_as_it_should",
        each_decline_reaches_shopper_and_merchant_as_it_should,
    ),
    (
        "payment::altered_or_stale_payments_are_refused_before_the_issuer",
        altered_or_stale_payments_are_refused_before_the_issuer,
    ),
    (
        "payment::expired_quotes_and_replays_are_refused",
        expired_quotes_and_replays_are_refused,
    ),
    (
        "payment::one_idempotency_key_is_one_authorization",
        one_idempotency_key_is_one_authorization,
    ),
    (
        "payment::simultaneous_attempts_pay_at_most_once",
        simultaneous_attempts_pay_at_most_once,
    ),
    (
        "payment::attempt_limits_stop_card_testing",
        attempt_limits_stop_card_testing,
    ),
    (
        "payment::a_retired_key_no_longer_opens",
        a_retired_key_no_longer_opens,
    ),
    (
        "payment::the_store_learns_of_a_payment_whose_answer_it_lost",
        the_store_learns_of_a_payment_whose_answer_it_lost,
    ),
];

/// Journeys that seal to the current key hold this for reading; journeys
/// that rotate or retire keys hold it for writing.
pub static KEYRING: std::sync::RwLock<()> = std::sync::RwLock::new(());

pub fn keyring_read() -> std::sync::RwLockReadGuard<'static, ()> {
    KEYRING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn keyring_write() -> std::sync::RwLockWriteGuard<'static, ()> {
    KEYRING
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn hex32(name: &str) -> [u8; 32] {
    let hex = e2e::dev_var(name);
    (0..32)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
        .collect::<Vec<u8>>()
        .try_into()
        .unwrap()
}

/// The gateway's long-term public key, as the wallet and the store know it.
pub fn gateway_root() -> PublicKey {
    PublicKey {
        kid: KeyId::new(shared::keyset::GATEWAY_ROOT_KEY_ID).unwrap(),
        key: Bytes(hex32("GATEWAY_ROOT_PUBLIC_KEY")),
    }
}

/// A demo card as its holder would type it (CVC from the issuer's key).
pub fn demo_card(name: &str) -> CardDetails {
    let demo = shared::demo_cards::by_name(name).unwrap();
    let number = CardNumber::parse(demo.number).unwrap();
    let expiry = Expiry::new(demo.expiry_month, demo.expiry_year).unwrap();
    let cvc = derive_cvc(&hex32("ISSUER_CVC_KEY"), &number, &expiry);
    CardDetails {
        number,
        expiry,
        cvc,
        holder_name: demo.cardholder.to_owned(),
    }
}

/// A valid Visa number no issuer knows: declined `incorrect_number`.
pub fn unknown_card() -> CardDetails {
    let mut random = [0_u8; 8];
    getrandom::fill(&mut random).unwrap();
    let mut digits = String::from("400000");
    for byte in random.iter().chain(&random[..1]) {
        digits.push(char::from(b'0' + byte % 10));
    }
    // The Luhn check digit.
    let sum: u32 = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(index, c)| {
            let d = c.to_digit(10).unwrap();
            if index % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    digits.push(char::from_digit((10 - sum % 10) % 10, 10).unwrap());
    let number = CardNumber::parse(&digits).unwrap();
    CardDetails {
        cvc: shared::card::Cvc::parse("123", number.brand()).unwrap(),
        number,
        expiry: Expiry::new(12, 2030).unwrap(),
        holder_name: "Test Shopper".to_owned(),
    }
}

/// The key the wallet seals to now, from the signed key set.
pub fn gateway_key(world: &World) -> GatewayKey {
    let answer = api::get(&world.server.url("/api/gateway/v1/keys"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let signed: Signed<GatewayKeySet> = answer.json();
    current_key(&signed, &gateway_root(), now_ms(), b"").unwrap()
}

/// What a sealed payment is for.
pub struct Target {
    pub payment_id: String,
    pub merchant_id: String,
    pub amount: Money,
    pub quote_digest: QuoteDigest,
}

impl Target {
    pub fn of_quote(quote: &QuoteAnswer) -> Target {
        let body = &quote.quote.body;
        Target {
            payment_id: quote.payment_id.clone(),
            merchant_id: body.merchant_id.clone(),
            amount: Money::parse_non_negative(&body.total, body.currency).unwrap(),
            quote_digest: body.digest(),
        }
    }
}

/// Seals `card` for `target` as the wallet does, at `created_at_ms`.
pub fn seal_at(
    key: &GatewayKey,
    card: &CardDetails,
    target: &Target,
    created_at_ms: u64,
) -> SealedPayment {
    let plaintext = PaymentPlaintext {
        card: card.clone(),
        binding: PaymentBinding {
            payment_id: target.payment_id.clone(),
            merchant_id: target.merchant_id.clone(),
            amount: target.amount,
            quote_digest: target.quote_digest,
            attempt_id: unique("att"),
            created_at_ms,
        },
        passkey: None,
    };
    seal_payment(&plaintext, key, &mut UnwrapErr(getrandom::SysRng)).unwrap()
}

pub fn seal(world: &World, card: &CardDetails, target: &Target) -> SealedPayment {
    seal_at(&gateway_key(world), card, target, now_ms())
}

/// A fresh order of one rooibos (about 15 USD), quoted by the store.
pub fn new_order(world: &World) -> QuoteAnswer {
    new_order_of(world, json!([{"sku": "TEA-ROOIBOS-100", "quantity": 1}]))
}

pub fn new_order_of(world: &World, lines: Value) -> QuoteAnswer {
    let answer = crate::store::quote(world, &crate::store::order(lines));
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()
}

/// The shopper's pay route, with the order's client secret.
pub fn pay(world: &World, order: &QuoteAnswer, sealed: &SealedPayment, key: &str) -> Answer {
    api::read(
        api::agent()
            .post(
                &world
                    .server
                    .url(&format!("/api/orders/{}/pay", order.order_id)),
            )
            .header("x-client-secret", &order.client_secret)
            .header("idempotency-key", key)
            .header("cf-connecting-ip", &api::shopper_address())
            .send_json(json!({ "sealed": sealed })),
    )
}

pub fn pay_with(world: &World, order: &QuoteAnswer, card: &CardDetails) -> Answer {
    let sealed = seal(world, card, &Target::of_quote(order));
    pay(world, order, &sealed, &unique("pay"))
}

/// A shopper route of an order (`suffix` after its path), with its secret.
pub fn shopper_get(world: &World, order: &QuoteAnswer, suffix: &str) -> Answer {
    api::read(
        api::agent()
            .get(
                &world
                    .server
                    .url(&format!("/api/orders/{}{suffix}", order.order_id)),
            )
            .header("x-client-secret", &order.client_secret)
            .call(),
    )
}

fn order_view(world: &World, order: &QuoteAnswer) -> OrderView {
    let answer = shopper_get(world, order, "");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn receipt_answer(world: &World, order: &QuoteAnswer) -> Answer {
    shopper_get(world, order, "/receipt")
}

/// The merchant API with a key (the store's own key unless told).
pub fn merchant_get(world: &World, key: &str, path: &str) -> Answer {
    api::read(
        api::agent()
            .get(&world.server.url(path))
            .header("authorization", &format!("Bearer {key}"))
            .call(),
    )
}

pub fn merchant_post(
    world: &World,
    key: &str,
    path: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> Answer {
    let mut request = api::agent()
        .post(&world.server.url(path))
        .header("authorization", &format!("Bearer {key}"));
    if let Some(idempotency_key) = idempotency_key {
        request = request.header("idempotency-key", idempotency_key);
    }
    api::read(request.send_json(body))
}

pub fn attempts(world: &World, payment_id: &str) -> Vec<AttemptView> {
    let answer = merchant_get(
        world,
        &crate::store::store_key(),
        &format!("/api/gateway/v1/payments/{payment_id}/attempts"),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// Whether the issuer was ever asked about this payment (its references
/// are `{payment_id}.a{n}`, which are also the bank's transfer ids).
pub fn issuer_was_asked(world: &World, payment_id: &str) -> bool {
    let dump = Operator::new(&world.server).get("/api/operator/issuer/dump");
    dump["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|row| {
            row["authorization_id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{payment_id}.")))
        })
}

pub fn assert_refused(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.error().code, code, "{}", answer.body);
}

fn a_decline_then_another_card_pays_with_a_signed_receipt(world: &World) {
    // Goal: the seed's steps 4-7. Method: pay with the card that is short
    // of funds, then with one that pays, on the same order; check both
    // signatures, the store's records and the gateway's view.
    let _keys = keyring_read();
    let order = new_order(world);
    let declined = pay_with(world, &order, &demo_card("visa-short-of-funds"));
    assert_eq!(declined.status, 402, "{}", declined.body);
    let declined: PayDeclined = declined.json();
    assert_eq!(declined.code.code(), "insufficient_funds");
    assert!(declined.another_card_may_help);
    assert_eq!(
        order_view(world, &order).status,
        OrderStatus::AwaitingPayment
    );

    let paid = pay_with(world, &order, &demo_card("visa-pays"));
    assert_eq!(paid.status, 200, "{}", paid.body);
    let paid: PayAnswer = paid.json();
    assert_eq!(paid.order.status, OrderStatus::Paid);
    let receipt = paid.receipt.expect("a paid order has a receipt");
    let store_keys: StoreKeys = api::get(&world.server.url("/api/store/keys")).json();
    let body: &Receipt = receipt.verify_with_any(&store_keys.keys).unwrap();
    // The gateway's authorization key, as its long-term key certifies it.
    let key_set: Signed<shared::keyset::GatewayKeySet> =
        api::get(&world.server.url("/api/gateway/v1/keys")).json();
    let authorization_keys = shared::keyset::certified_keys(
        &key_set,
        &gateway_root(),
        shared::keyset::AUTHORIZATION_KEY_PURPOSE,
        now_ms(),
    )
    .unwrap();
    let authorization = body
        .authorization
        .verify_with_any(&authorization_keys)
        .unwrap();
    // Signed by that key, not by the long-term one.
    assert!(body.authorization.verify(&gateway_root()).is_err());
    let quote = &order.quote.body;
    assert_eq!(body.order_id, order.order_id);
    assert_eq!(body.total, quote.total);
    assert_eq!(body.quote_digest, quote.digest());
    assert_eq!(authorization.payment_id, order.payment_id);
    assert_eq!(authorization.amount, quote.total);
    assert_eq!(authorization.quote_digest, quote.digest());
    assert_eq!(authorization.last_four, "4242");
    assert_eq!(authorization.merchant_id, "m_teashop");
    // A signature over anything else fails.
    let mut forged = receipt.clone();
    forged.body.total = "0.01".to_owned();
    assert!(forged.verify_with_any(&store_keys.keys).is_err());

    // The store's records, as the shopper follows them.
    let view = order_view(world, &order);
    let kinds: Vec<&str> = view
        .events
        .iter()
        .map(|event| event.kind.as_str())
        .collect();
    assert_eq!(kinds, ["intent_created", "authorized", "captured"]);
    assert_eq!(view.events[2].amount.as_deref(), Some(quote.total.as_str()));
    let stored = receipt_answer(world, &order);
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(stored.json::<Signed<Receipt>>(), receipt);

    // The gateway's view: succeeded, two attempts with the exact codes.
    let payment: Payment = merchant_get(
        world,
        &crate::store::store_key(),
        &format!("/api/gateway/v1/payments/{}", order.payment_id),
    )
    .json();
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    let tried = attempts(world, &order.payment_id);
    assert_eq!(tried.len(), 2);
    assert_eq!(tried[0].outcome, AttemptOutcome::Declined);
    assert_eq!(tried[0].decline_code, Some(DeclineCode::InsufficientFunds));
    assert_eq!(tried[1].outcome, AttemptOutcome::Approved);

    // Paid is final: another card now is refused without asking anyone.
    let again = pay_with(world, &order, &demo_card("mastercard-pays"));
    assert_refused(&again, 409, "already_paid");
    assert_eq!(attempts(world, &order.payment_id).len(), 2);
    Operator::new(&world.server).assert_invariants();
}

fn each_decline_reaches_shopper_and_merchant_as_it_should(world: &World) {
    // Goal: the shopper learns what helps them pay and nothing that helps a
    // thief; the merchant sees the exact code. Method: one order per card.
    let _keys = keyring_read();
    let cases: [(CardDetails, &str, DeclineCode, bool); 5] = [
        (
            demo_card("visa-expired"),
            "expired_card",
            DeclineCode::ExpiredCard,
            true,
        ),
        (
            demo_card("visa-lost"),
            "card_declined",
            DeclineCode::LostCard,
            true,
        ),
        (
            demo_card("visa-stolen"),
            "card_declined",
            DeclineCode::StolenCard,
            true,
        ),
        (
            demo_card("discover-blocked"),
            "card_declined",
            DeclineCode::DoNotHonor,
            true,
        ),
        // A wrong number answers like any first mismatch of card details
        // (whether a number exists is never told); the rest of card
        // testing: `card_testing.rs`.
        (
            unknown_card(),
            "incorrect_card_details",
            DeclineCode::IncorrectNumber,
            false,
        ),
    ];
    for (card, shopper_code, merchant_code, another_card_may_help) in cases {
        let order = new_order(world);
        let answer = pay_with(world, &order, &card);
        assert_eq!(answer.status, 402, "{}", answer.body);
        let declined: PayDeclined = answer.json();
        assert_eq!(declined.code.code(), shopper_code);
        assert_eq!(declined.another_card_may_help, another_card_may_help);
        let tried = attempts(world, &order.payment_id);
        assert_eq!(tried.len(), 1);
        assert_eq!(tried[0].decline_code, Some(merchant_code));
        assert_eq!(tried[0].last_four, card.number.last_four());
        assert_eq!(
            order_view(world, &order).status,
            OrderStatus::AwaitingPayment
        );
    }
    // A credit card near its limit: declined for funds on a larger order.
    let order = new_order_of(world, json!([{"sku": "POT-CAST-IRON", "quantity": 1}]));
    let answer = pay_with(world, &order, &demo_card("mastercard-near-limit"));
    assert_eq!(answer.status, 402, "{}", answer.body);
    assert_eq!(
        answer.json::<PayDeclined>().code.code(),
        "insufficient_funds"
    );
    Operator::new(&world.server).assert_invariants();
}

fn altered_or_stale_payments_are_refused_before_the_issuer(world: &World) {
    // Goal: nothing reaches the issuer that is not exactly the shopper's
    // payment for this order. Method: alter one thing at a time, check the
    // answer, then pay the same order with an intact payment (the refusals
    // used up nothing) and check only that attempt reached the issuer.
    let _keys = keyring_read();
    let order = new_order(world);
    let target = Target::of_quote(&order);
    let key = gateway_key(world);
    let card = demo_card("visa-pays");
    let fresh = || seal_at(&key, &card, &target, now_ms());

    // A bit flipped in every byte of the ephemeral key, and in every
    // eighth byte of the ciphertext (its tag included), each on its own.
    let intact = fresh();
    let length = intact.ciphertext.0.len();
    let mut flips: Vec<(&str, usize)> = (0..32).map(|index| ("enc", index)).collect();
    flips.extend((0..length).step_by(8).map(|index| ("ciphertext", index)));
    flips.push(("ciphertext", length - 1));
    for (round, (field, index)) in flips.into_iter().enumerate() {
        let mut flipped = intact.clone();
        let bit = 1_u8 << (round % 8);
        match field {
            "enc" => flipped.enc.0[index] ^= bit,
            _ => flipped.ciphertext.0[index] ^= bit,
        }
        let answer = pay(world, &order, &flipped, &unique("flip"));
        assert_refused(&answer, 422, "payment_does_not_open");
    }
    let mut other_version = fresh();
    other_version.version = 2;
    assert_refused(
        &pay(world, &order, &other_version, &unique("ver")),
        422,
        "payment_does_not_open",
    );
    // The envelope's visible fields are bound too.
    let mut other_kid = fresh();
    other_kid.kid = KeyId::new("gw-nosuchkey").unwrap();
    assert_refused(
        &pay(world, &order, &other_kid, &unique("kid")),
        422,
        "unknown_key",
    );
    let mut other_payment = fresh();
    other_payment.payment_id = "pay_someoneelses".to_owned();
    assert_refused(
        &pay(world, &order, &other_payment, &unique("pid")),
        422,
        "payment_mismatch",
    );
    let mut other_quote = fresh();
    other_quote.quote_digest.0[0] ^= 0x01;
    assert_refused(
        &pay(world, &order, &other_quote, &unique("qd")),
        422,
        "quote_mismatch",
    );
    // Sealed for another amount (the shopper agreed to the quote's total).
    let cheaper = Target {
        amount: Money::parse_non_negative("1.00", Currency::Usd).unwrap(),
        ..Target::of_quote(&order)
    };
    assert_refused(
        &pay(
            world,
            &order,
            &seal_at(&key, &card, &cheaper, now_ms()),
            &unique("amt"),
        ),
        422,
        "binding_mismatch",
    );
    // Sealed too long ago, or in the future.
    let stale = seal_at(&key, &card, &target, now_ms() - 11 * 60 * 1000);
    assert_refused(
        &pay(world, &order, &stale, &unique("old")),
        422,
        "stale_payment",
    );
    let early = seal_at(&key, &card, &target, now_ms() + 5 * 60 * 1000);
    assert_refused(
        &pay(world, &order, &early, &unique("new")),
        422,
        "stale_payment",
    );
    assert!(!issuer_was_asked(world, &order.payment_id));

    // The store altering the amount it bills, through the merchant API.
    let altered = merchant_post(
        world,
        &crate::store::store_key(),
        &format!("/api/gateway/v1/payments/{}/confirm", order.payment_id),
        Some(&unique("alt")),
        &json!({"sealed": fresh(), "amount": "1.00", "currency": "USD",
                "quote_digest": order.quote.body.digest(), "order_reference": order.order_id}),
    );
    assert_refused(&altered, 422, "amount_mismatch");
    assert!(!issuer_was_asked(world, &order.payment_id));

    // Intact, it pays: one attempt reached the issuer, the approved one.
    let paid = pay(world, &order, &fresh(), &unique("ok"));
    assert_eq!(paid.status, 200, "{}", paid.body);
    let tried = attempts(world, &order.payment_id);
    assert_eq!(tried.len(), 1, "{tried:?}");
    assert_eq!(tried[0].outcome, AttemptOutcome::Approved);
}

fn expired_quotes_and_replays_are_refused(world: &World) {
    // Goal: a payment lives as long as its quote, and a sealed payment is
    // used once. Method: a payment registered through the merchant API to
    // expire in two seconds; a declined sealed payment sent again under
    // another key, and to another payment.
    let _keys = keyring_read();
    let store_key = crate::store::store_key();
    let key = gateway_key(world);
    let register = |expires_in_ms: u64| -> Payment {
        let answer = merchant_post(
            world,
            &store_key,
            "/api/gateway/v1/payments",
            None,
            &json!({"amount": "20.00", "currency": "USD", "quote_digest": Bytes([7_u8; 32]),
                    "expires_at_ms": now_ms() + expires_in_ms, "order_reference": unique("ref")}),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.json()
    };
    let target_of = |payment: &Payment| Target {
        payment_id: payment.payment_id.clone(),
        merchant_id: payment.merchant_id.clone(),
        amount: Money::parse_non_negative(&payment.amount, payment.currency).unwrap(),
        quote_digest: payment.quote_digest,
    };
    let confirm = |payment: &Payment, sealed: &SealedPayment, idempotency_key: &str| {
        merchant_post(
            world,
            &store_key,
            &format!("/api/gateway/v1/payments/{}/confirm", payment.payment_id),
            Some(idempotency_key),
            &json!({"sealed": sealed, "amount": payment.amount, "currency": payment.currency,
                    "quote_digest": payment.quote_digest, "order_reference": payment.order_reference}),
        )
    };

    let short_lived = register(2_000);
    let sealed = seal_at(
        &key,
        &demo_card("visa-pays"),
        &target_of(&short_lived),
        now_ms(),
    );
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    assert_refused(
        &confirm(&short_lived, &sealed, &unique("exp")),
        422,
        "quote_expired",
    );
    assert!(!issuer_was_asked(world, &short_lived.payment_id));

    let payment = register(15 * 60 * 1000);
    let declined = seal_at(
        &key,
        &demo_card("visa-short-of-funds"),
        &target_of(&payment),
        now_ms(),
    );
    let first_key = unique("first");
    let first = confirm(&payment, &declined, &first_key);
    assert_eq!(first.status, 402, "{}", first.body);
    let answer: ConfirmAnswer = first.json();
    // `code`: what the shopper may be told; the exact reason is the attempt's.
    assert_eq!(
        answer.code,
        Some(shared::decline::ShopperDeclineCode::InsufficientFunds)
    );
    assert_eq!(
        answer.attempt.decline_code,
        Some(DeclineCode::InsufficientFunds)
    );
    assert_eq!(answer.another_card_may_help, Some(true));
    // The same request again: the stored answer, byte for byte.
    let again = confirm(&payment, &declined, &first_key);
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    // The key is bound to its request: another body under it is refused.
    let fresh = seal_at(
        &key,
        &demo_card("visa-pays"),
        &target_of(&payment),
        now_ms(),
    );
    assert_refused(
        &confirm(&payment, &fresh, &first_key),
        422,
        "idempotency_key_reused",
    );
    // The same sealed payment under another key, or another payment.
    assert_refused(
        &confirm(&payment, &declined, &unique("other")),
        409,
        "payment_replayed",
    );
    let other = register(15 * 60 * 1000);
    assert_refused(
        &confirm(&other, &declined, &unique("other")),
        409,
        "payment_replayed",
    );
    assert!(!issuer_was_asked(world, &other.payment_id));
    assert_eq!(attempts(world, &payment.payment_id).len(), 1);
}

fn one_idempotency_key_is_one_authorization(world: &World) {
    // Goal: a shopper's double (or hundredfold) submit pays once. Method:
    // 100 simultaneous pays with one key and body; every answer is the same
    // 200 with the same receipt, and one attempt reached the issuer.
    let _keys = keyring_read();
    const DUPLICATES: usize = 100;
    let order = new_order(world);
    let sealed = seal(world, &demo_card("visa-pays"), &Target::of_quote(&order));
    let key = unique("dup");
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..DUPLICATES)
            .map(|_| {
                scope.spawn(|| {
                    let answer = api::sent_again_if_shed(|| pay(world, &order, &sealed, &key));
                    (answer.status, answer.body)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert_eq!(answers.len(), DUPLICATES);
    assert_eq!(answers[0].0, 200, "{}", answers[0].1);
    for answer in &answers {
        assert_eq!(answer, &answers[0]);
    }
    let tried = attempts(world, &order.payment_id);
    assert_eq!(tried.len(), 1, "{tried:?}");
    assert_eq!(tried[0].outcome, AttemptOutcome::Approved);
    Operator::new(&world.server).assert_invariants();
}

fn simultaneous_attempts_pay_at_most_once(world: &World) {
    // Goal: twenty different attempts at once never double-charge. Method:
    // twenty sealed payments with their own keys and attempt ids, sent
    // together; one succeeds, the rest are told it is in progress or paid.
    let _keys = keyring_read();
    const ATTEMPTS: usize = 20;
    let order = new_order(world);
    let target = Target::of_quote(&order);
    let key = gateway_key(world);
    let card = demo_card("visa-pays");
    let sealed: Vec<SealedPayment> = (0..ATTEMPTS)
        .map(|_| seal_at(&key, &card, &target, now_ms()))
        .collect();
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = sealed
            .iter()
            .map(|sealed| scope.spawn(|| pay(world, &order, sealed, &unique("race"))))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let paid = answers.iter().filter(|answer| answer.status == 200).count();
    assert_eq!(paid, 1, "exactly one attempt pays");
    for answer in answers.iter().filter(|answer| answer.status != 200) {
        assert_eq!(answer.status, 409, "{}", answer.body);
        let code = answer.error().code;
        assert!(
            code == "payment_processing" || code == "already_paid",
            "{code}"
        );
    }
    let approved = attempts(world, &order.payment_id)
        .iter()
        .filter(|attempt| attempt.outcome == AttemptOutcome::Approved)
        .count();
    assert_eq!(approved, 1);
    Operator::new(&world.server).assert_invariants();
}

fn attempt_limits_stop_card_testing(world: &World) {
    // Goal: the pay route is no oracle for testing card numbers. Method:
    // unknown cards (declined `incorrect_number`) until each limit bites:
    // per payment, per card across payments, per shopper address.
    let _keys = keyring_read();
    let store_key = crate::store::store_key();
    let key = gateway_key(world);
    let register = || -> Payment {
        let answer = merchant_post(
            world,
            &store_key,
            "/api/gateway/v1/payments",
            None,
            &json!({"amount": "5.00", "currency": "USD", "quote_digest": Bytes([9_u8; 32]),
                    "expires_at_ms": now_ms() + 15 * 60 * 1000, "order_reference": unique("lim")}),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.json()
    };
    let confirm = |payment: &Payment, card: &CardDetails, address: &str| {
        let target = Target {
            payment_id: payment.payment_id.clone(),
            merchant_id: payment.merchant_id.clone(),
            amount: Money::parse_non_negative(&payment.amount, payment.currency).unwrap(),
            quote_digest: payment.quote_digest,
        };
        merchant_post(
            world,
            &store_key,
            &format!("/api/gateway/v1/payments/{}/confirm", payment.payment_id),
            Some(&unique("lim")),
            &json!({"sealed": seal_at(&key, card, &target, now_ms()), "amount": payment.amount,
                    "currency": payment.currency, "quote_digest": payment.quote_digest,
                    "order_reference": payment.order_reference, "shopper_address": address}),
        )
    };
    let address = || format!("198.51.100.{}", unique("a").replace('-', "."));

    // Per payment: six attempts may reach the issuer, the seventh may not.
    let payment = register();
    let here = address();
    for _ in 0..6 {
        assert_eq!(confirm(&payment, &unknown_card(), &here).status, 402);
    }
    assert_refused(
        &confirm(&payment, &unknown_card(), &here),
        429,
        "too_many_attempts",
    );

    // Per card: eight declines across payments, then refused.
    let card = unknown_card();
    let here = address();
    for _ in 0..8 {
        assert_eq!(confirm(&register(), &card, &here).status, 402);
    }
    let last = register();
    assert_refused(&confirm(&last, &card, &here), 429, "card_attempts_exceeded");
    assert!(!issuer_was_asked(world, &last.payment_id));

    // Per address: twenty declines from one address, then refused.
    let here = address();
    let mut payments = vec![register()];
    for count in 0..20 {
        if count % 5 == 4 {
            payments.push(register());
        }
        let payment = payments.last().unwrap();
        assert_eq!(confirm(payment, &unknown_card(), &here).status, 402);
    }
    let fresh = register();
    assert_refused(
        &confirm(&fresh, &unknown_card(), &here),
        429,
        "address_attempts_exceeded",
    );
    // Another address is not held back by it.
    assert_eq!(confirm(&fresh, &unknown_card(), &address()).status, 402);
}

fn a_retired_key_no_longer_opens(world: &World) {
    // Goal: after rotation a payment sealed to the old key still opens in
    // its grace; once retired (its private half deleted) it never opens.
    let _keys = keyring_write();
    let operator = Operator::new(&world.server);
    let old_key = gateway_key(world);
    let card = demo_card("visa-pays");
    let in_grace = new_order(world);
    let retired = new_order(world);
    let sealed_in_grace = seal_at(&old_key, &card, &Target::of_quote(&in_grace), now_ms());
    let sealed_retired = seal_at(&old_key, &card, &Target::of_quote(&retired), now_ms());
    operator.post("/api/operator/gateway/keys/rotate", &json!({}));
    assert_ne!(gateway_key(world).kid, old_key.kid);
    let paid = pay(world, &in_grace, &sealed_in_grace, &unique("grace"));
    assert_eq!(paid.status, 200, "{}", paid.body);
    operator.post("/api/operator/gateway/keys/retire", &json!({}));
    assert_refused(
        &pay(world, &retired, &sealed_retired, &unique("ret")),
        422,
        "key_retired",
    );
    assert!(!issuer_was_asked(world, &retired.payment_id));
    // Sealed again to the current key, the same order pays.
    let paid = pay_with(world, &retired, &card);
    assert_eq!(paid.status, 200, "{}", paid.body);
}

fn the_store_learns_of_a_payment_whose_answer_it_lost(world: &World) {
    // Goal: a crash between the money moving and the order becoming paid
    // heals itself. Method: confirm an order's payment through the merchant
    // API directly, as if the store had forwarded it and died before the
    // answer; the gateway's outbox then tells the store, whose order
    // becomes paid with a receipt. A forged event is refused.
    let _keys = keyring_read();
    let order = new_order(world);
    let quote = &order.quote.body;
    let sealed = seal(
        world,
        &demo_card("mastercard-pays"),
        &Target::of_quote(&order),
    );
    let answer = merchant_post(
        world,
        &crate::store::store_key(),
        &format!("/api/gateway/v1/payments/{}/confirm", order.payment_id),
        Some(&unique("lost")),
        &json!({"sealed": sealed, "amount": quote.total, "currency": quote.currency,
                "quote_digest": quote.digest(), "order_reference": order.order_id}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let confirmed: ConfirmAnswer = answer.json();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let view = loop {
        let view = order_view(world, &order);
        if view.status == OrderStatus::Paid || std::time::Instant::now() > deadline {
            break view;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        view.status,
        OrderStatus::Paid,
        "the outbox delivered the event"
    );
    let kinds: Vec<&str> = view
        .events
        .iter()
        .map(|event| event.kind.as_str())
        .collect();
    assert_eq!(kinds, ["intent_created", "authorized", "captured"]);
    let receipt = receipt_answer(world, &order);
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    let receipt: Signed<Receipt> = receipt.json();
    assert_eq!(Some(receipt.body.authorization), confirmed.authorization);

    // An event signed by anyone but the gateway's event key changes
    // nothing: a stranger's key, or the gateway's own long-term key, which
    // signs key sets only.
    let stranger = shared::sign::SigningKeyPair::from_seed(
        KeyId::new(shared::keyset::GATEWAY_ROOT_KEY_ID).unwrap(),
        &[3; 32],
    );
    let root = shared::sign::SigningKeyPair::from_seed(
        KeyId::new(shared::keyset::GATEWAY_ROOT_KEY_ID).unwrap(),
        &hex32("GATEWAY_ROOT_SIGNING_SEED"),
    );
    for forger in [stranger, root] {
        forged_event_changes_nothing(world, &forger);
    }
}

/// Posts an event about a fresh order, signed by `forger`, to the store's
/// webhook: refused, and the order stays unpaid.
fn forged_event_changes_nothing(world: &World, forger: &shared::sign::SigningKeyPair) {
    let other = new_order(world);
    let forged = forger.sign(shared::receipt::PaymentEvent {
        event_id: unique("evt"),
        kind: shared::receipt::PaymentEventKind::Succeeded,
        order_reference: other.order_id.clone(),
        amount: Some(other.quote.body.total.clone()),
        refund_id: None,
        authorization: forger.sign(shared::receipt::AuthorizationRecord {
            payment_id: other.payment_id.clone(),
            merchant_id: "m_teashop".to_owned(),
            quote_digest: other.quote.body.digest(),
            amount: other.quote.body.total.clone(),
            currency: Currency::Usd,
            brand: shared::card::Brand::Visa,
            last_four: "4242".to_owned(),
            authorization_code: "FORGED".to_owned(),
            attempt_id: unique("att"),
            authorized_at_ms: now_ms(),
            customer_verification: shared::receipt::CustomerVerification::CardCode,
        }),
        created_at_ms: now_ms(),
    });
    let refused = api::post_json(
        &world.server.url("/api/store/webhooks/gateway"),
        &serde_json::to_value(&forged).unwrap(),
    );
    assert_refused(&refused, 401, "unauthorized");
    assert_eq!(
        order_view(world, &other).status,
        OrderStatus::AwaitingPayment
    );
}
