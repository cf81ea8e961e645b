//! The issuer confirms each payment with the card's passkey (issue 16):
//! a card enrolled with a passkey pays only with an assertion of it made
//! for that very payment, user verified, with a counter that moved on; any
//! other is declined `authentication_required` before the cardholder's
//! bank is asked. A software authenticator (ES256) stands in for the
//! shopper's device; the page journey shows a browser's passkey passes
//! the same check (`wallet::a_browser_passkey_assertion_passes_the_issuers_check`).

use e2e::api::Answer;
use e2e::operator::{Operator, unique};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};
use shared::assertion::{PaymentAssertion, payment_challenge};
use shared::encoding::to_base64url;
use shared::rand_core::UnwrapErr;
use shared::receipt::CustomerVerification;
use shared::seal::{CardDetails, PasskeyProof, PaymentBinding, PaymentPlaintext, seal_payment};
use shared::wire::{PayAnswer, PayDeclined, QuoteAnswer};

use crate::payment::{Target, gateway_key, new_order, now_ms, pay};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[(
    "passkey::a_card_with_a_passkey_pays_only_with_an_assertion_for_that_payment",
    a_card_with_a_passkey_pays_only_with_an_assertion_for_that_payment,
)];

/// The wallet's origin under `wrangler dev` (the relying party is
/// `localhost`; any port).
const ORIGIN: &str = "http://localhost:8787";

/// A software passkey: its credential id, key and signature counter.
struct Authenticator {
    credential_id: Vec<u8>,
    key: SigningKey,
    count: u32,
}

/// How an assertion is made, to test each refusal.
#[derive(Clone, Copy)]
struct Made {
    user_verified: bool,
    /// Counts up before signing (an authenticator does); a cloned one does
    /// not.
    advance: bool,
}

const HONEST: Made = Made {
    user_verified: true,
    advance: true,
};

impl Authenticator {
    fn new() -> Authenticator {
        let mut seed = [0_u8; 32];
        getrandom::fill(&mut seed).unwrap();
        Authenticator {
            credential_id: unique("cred").into_bytes(),
            key: SigningKey::from_slice(&seed).unwrap(),
            count: 0,
        }
    }

    fn enrollment(&self) -> PasskeyProof {
        PasskeyProof::Enroll {
            credential_id: self.credential_id.clone(),
            public_key: self
                .key
                .verifying_key()
                .to_public_key_der()
                .unwrap()
                .as_bytes()
                .to_vec(),
        }
    }

    /// An assertion of `challenge`, as a browser at `ORIGIN` gives it.
    fn assert(&mut self, challenge: &[u8; 32], made: Made) -> PasskeyProof {
        if made.advance {
            self.count += 1;
        }
        let client_data_json = format!(
            r#"{{"type":"webauthn.get","challenge":"{}","origin":"{ORIGIN}","crossOrigin":false}}"#,
            to_base64url(challenge)
        )
        .into_bytes();
        let mut authenticator_data = Sha256::digest(b"localhost").to_vec();
        authenticator_data.push(if made.user_verified { 0x05 } else { 0x01 });
        authenticator_data.extend_from_slice(&self.count.to_be_bytes());
        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data_json));
        let signature: Signature = self.key.sign(&signed);
        PasskeyProof::Assert(PaymentAssertion {
            credential_id: self.credential_id.clone(),
            authenticator_data,
            client_data_json,
            signature: signature.to_der().as_bytes().to_vec(),
        })
    }
}

/// The binding of a fresh attempt on `order`.
fn binding(order: &QuoteAnswer) -> PaymentBinding {
    let target = Target::of_quote(order);
    PaymentBinding {
        payment_id: target.payment_id,
        merchant_id: target.merchant_id,
        amount: target.amount,
        quote_digest: target.quote_digest,
        attempt_id: unique("att"),
        created_at_ms: now_ms(),
    }
}

/// Pays `order` with `card` and `proof`, sealed for this attempt.
fn pay_with_proof(
    world: &World,
    order: &QuoteAnswer,
    card: &CardDetails,
    binding: PaymentBinding,
    proof: Option<PasskeyProof>,
) -> Answer {
    let plaintext = PaymentPlaintext {
        card: card.clone(),
        binding,
        passkey: proof,
    };
    let sealed = seal_payment(
        &plaintext,
        &gateway_key(world),
        &mut UnwrapErr(getrandom::SysRng),
    )
    .unwrap();
    pay(world, order, &sealed, &unique("pay"))
}

/// How the signed authorization in a paid answer's receipt says the
/// customer was verified.
fn verification(answer: &Answer) -> CustomerVerification {
    let paid: PayAnswer = answer.json();
    paid.receipt
        .expect("a paid answer carries the receipt")
        .body
        .authorization
        .body
        .customer_verification
}

/// Asserts `answer` is the passkey decline, and that the issuer declined
/// every attempt of this payment without asking the bank (no hold).
fn declined_before_the_bank(world: &World, order: &QuoteAnswer, answer: &Answer, case: &str) {
    assert_eq!(answer.status, 402, "{case}: {}", answer.body);
    let declined: PayDeclined = answer.json();
    assert_eq!(
        declined.code,
        shared::decline::ShopperDeclineCode::AuthenticationRequired,
        "{case}"
    );
    let rows = crate::card_testing::issuer_records(world, std::slice::from_ref(order));
    assert!(!rows.is_empty(), "{case}: the issuer recorded nothing");
    for row in rows {
        assert_eq!(
            row["decline_code"], "authentication_required",
            "{case}: {row}"
        );
        assert!(
            row["hold_id"].is_null(),
            "{case}: the bank was asked: {row}"
        );
    }
}

fn a_card_with_a_passkey_pays_only_with_an_assertion_for_that_payment(world: &World) {
    // Goal: issue 16's payment half at the issuer. Method: a card printed
    // for this journey enrolls a software passkey with a payment its codes
    // pay (one sealed with a declined payment is not); then, on new
    // orders: no assertion, one made for another amount,
    // for another attempt (a replay), without user verification, and one
    // whose counter did not move on are each declined before the bank is
    // asked; an honest one pays.
    let _keys = crate::payment::keyring_read();
    let card: CardDetails = crate::issuer::card_details_of(&crate::issuer::print_test_card(
        &Operator::new(&world.server),
    ));
    let mut device = Authenticator::new();

    // A passkey sealed with a payment the issuer declines (a wrong code)
    // is not enrolled: the card still pays by its codes alone.
    let mut wrong = card.clone();
    let right: u32 = card.cvc.reveal_digits().parse().unwrap();
    wrong.cvc =
        shared::card::Cvc::parse(&format!("{:03}", (right + 1) % 1000), card.number.brand())
            .unwrap();
    let declined_first = new_order(world);
    let stranger = Authenticator::new();
    let refused = pay_with_proof(
        world,
        &declined_first,
        &wrong,
        binding(&declined_first),
        Some(stranger.enrollment()),
    );
    assert_eq!(refused.status, 402, "{}", refused.body);
    let by_codes = pay_with_proof(
        world,
        &declined_first,
        &card,
        binding(&declined_first),
        None,
    );
    assert_eq!(by_codes.status, 200, "{}", by_codes.body);
    assert_eq!(verification(&by_codes), CustomerVerification::CardCode);

    // Enrolled with a payment that the card's codes pay.
    let first = new_order(world);
    let enrolled = pay_with_proof(
        world,
        &first,
        &card,
        binding(&first),
        Some(device.enrollment()),
    );
    assert_eq!(enrolled.status, 200, "{}", enrolled.body);
    assert_eq!(verification(&enrolled), CustomerVerification::CardCode);

    // Without an assertion.
    let order = new_order(world);
    let missing = pay_with_proof(world, &order, &card, binding(&order), None);
    declined_before_the_bank(world, &order, &missing, "no assertion");

    // Made for another amount.
    let mut other_amount = binding(&order);
    other_amount.amount =
        shared::money::Money::parse_non_negative("0.01", other_amount.amount.currency()).unwrap();
    let proof = device.assert(&payment_challenge(&other_amount), HONEST);
    let answer = pay_with_proof(world, &order, &card, binding(&order), Some(proof));
    declined_before_the_bank(world, &order, &answer, "another amount");

    // Made for another attempt: a replay of an earlier assertion.
    let earlier = binding(&order);
    let replayed = device.assert(&payment_challenge(&earlier), HONEST);
    let answer = pay_with_proof(world, &order, &card, binding(&order), Some(replayed));
    declined_before_the_bank(world, &order, &answer, "another attempt");

    // Without user verification.
    let attempt = binding(&order);
    let unverified = device.assert(
        &payment_challenge(&attempt),
        Made {
            user_verified: false,
            advance: true,
        },
    );
    let answer = pay_with_proof(world, &order, &card, attempt, Some(unverified));
    declined_before_the_bank(world, &order, &answer, "no user verification");

    // An honest one pays.
    let attempt = binding(&order);
    let honest = device.assert(&payment_challenge(&attempt), HONEST);
    let paid = pay_with_proof(world, &order, &card, attempt, Some(honest));
    assert_eq!(paid.status, 200, "{}", paid.body);
    // The gateway's signed authorization, inside the store's receipt, says
    // the customer was verified by the passkey.
    assert_eq!(verification(&paid), CustomerVerification::Passkey);

    // A counter that did not move on (a cloned authenticator).
    let next = new_order(world);
    let attempt = binding(&next);
    let cloned = device.assert(
        &payment_challenge(&attempt),
        Made {
            user_verified: true,
            advance: false,
        },
    );
    let answer = pay_with_proof(world, &next, &card, attempt, Some(cloned));
    declined_before_the_bank(world, &next, &answer, "counter not moved on");
}
