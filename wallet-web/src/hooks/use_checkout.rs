//! `use_checkout`: the calls of a checkout, in order. Ask the store for a
//! quote and check its signature and lines; fetch the gateway's key set and
//! check it against the compiled-in key; seal the chosen card (in the
//! vault's hook) and pay; check the receipt's two signatures. Every step
//! dispatches to the pure `CheckoutState`.

use shared::assertion::payment_challenge;
use shared::decline::ShopperDeclineCode;
use shared::keyset::{AUTHORIZATION_KEY_PURPOSE, certified_keys, current_key};
use shared::money::Money;
use shared::quote::Consignee;
use shared::refusal::RefusalCode;
use shared::seal::{PasskeyProof, PaymentBinding};
use shared::wire::{OrderLine, OrderStatus, PayRequest, QuoteAnswer, QuoteRequest};
use yew::platform::spawn_local;
use yew::{Callback, UseReducerHandle, hook, use_reducer};

use crate::api::{self, PayOutcome};
use crate::checkout_state::{CheckoutAction, CheckoutState, PaidOrder, Stage};
use crate::hooks::use_vault::Sealer;
use crate::trust::{self, ReceiptCheck};
use crate::vault::OrderRecord;

/// The consignee and delivery as the shopper typed them.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ShippingForm {
    pub name: String,
    pub address_lines: Vec<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub phone: String,
    pub delivery: String,
}

impl ShippingForm {
    pub fn consignee(&self) -> Consignee {
        Consignee {
            name: self.name.trim().to_owned(),
            address_lines: self
                .address_lines
                .iter()
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .collect(),
            city: self.city.trim().to_owned(),
            postal_code: self.postal_code.trim().to_owned(),
            country: self.country.trim().to_uppercase(),
            phone: self.phone.trim().to_owned(),
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct CheckoutHandle {
    pub state: UseReducerHandle<CheckoutState>,
    pub request_quote: Callback<(Vec<OrderLine>, ShippingForm)>,
    /// Pays as the shopper chose on the pay form.
    pub pay: Callback<PayChoice>,
    pub refresh: Callback<()>,
    /// Cancels the paid order (before it ships); the store refunds it.
    pub cancel: Callback<()>,
    /// Opens an order the wallet remembers: one awaiting payment goes back
    /// to its quote, a paid one to its receipt, its signatures checked
    /// again.
    pub resume: Callback<OrderRecord>,
    pub start_over: Callback<()>,
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn random_id(prefix: &str) -> Result<String, String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| "This browser has no random source.".to_owned())?;
    Ok(format!(
        "{prefix}{}",
        shared::encoding::to_base64url(&bytes)
    ))
}

async fn quote(lines: Vec<OrderLine>, form: ShippingForm) -> Result<QuoteAnswer, String> {
    let request = QuoteRequest {
        lines: lines.clone(),
        delivery: form.delivery.clone(),
        consignee: form.consignee(),
    };
    let answer = api::create_quote(&request)
        .await
        .map_err(|failure| failure.sentence())?;
    let keys = api::fetch_store_keys()
        .await
        .map_err(|failure| failure.sentence())?;
    if !trust::quote_is_the_stores(&answer.quote, &keys.keys) {
        return Err("The quote is not signed by the store; not going on.".to_owned());
    }
    let quoted: Vec<(&str, u32)> = answer
        .quote
        .body
        .lines
        .iter()
        .map(|line| (line.sku.as_str(), line.quantity))
        .collect();
    let asked: Vec<(&str, u32)> = lines
        .iter()
        .map(|line| (line.sku.as_str(), line.quantity))
        .collect();
    if quoted != asked {
        return Err("The store's quote differs from your order; not going on.".to_owned());
    }
    Ok(answer)
}

/// The passkey proof an attempt carries.
enum Proof {
    None,
    /// Create a passkey for the card and enroll it with the issuer.
    Enroll,
    /// Confirm the payment with the card's passkey (this credential, or
    /// whichever the authenticator offers).
    Assert(Option<Vec<u8>>),
}

/// What the shopper chose on the pay form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayChoice {
    pub card_id: String,
    /// The security code as typed.
    pub cvc: String,
    /// Enroll a passkey for this card with its issuer.
    pub enroll_passkey: bool,
}

/// Seals and pays; answers the action that ends the attempt. A card with a
/// passkey confirms the payment with it; when the issuer asks for a passkey
/// (`authentication_required`) the wallet did not know of, or not the one
/// it knew, the payment is sent once more, in a new attempt, with an
/// assertion of whichever passkey the device offers; the card's record then
/// names the passkey that was used.
async fn pay(
    sealer: Sealer,
    on_enrolled: Callback<(String, Vec<u8>)>,
    answer: QuoteAnswer,
    choice: PayChoice,
) -> CheckoutAction {
    let failed = |message: String| CheckoutAction::PayFailed {
        message,
        expired: false,
    };
    let Some(root) = trust::gateway_root() else {
        return failed(
            "This wallet was built without the gateway's key, so it cannot pay.".to_owned(),
        );
    };
    let key_set = match api::fetch_gateway_keys().await {
        Ok(key_set) => key_set,
        Err(failure) => return failed(failure.sentence()),
    };
    let Ok(key) = current_key(&key_set, &root, now_ms(), answer.payment_id.as_bytes()) else {
        return failed("The gateway's keys could not be verified; nothing was sent.".to_owned());
    };
    let quote = &answer.quote.body;
    let Ok(amount) = Money::parse_non_negative(&quote.total, quote.currency) else {
        return failed("The quote's total is not an amount.".to_owned());
    };
    let PayChoice {
        card_id,
        cvc,
        enroll_passkey,
    } = choice;
    let mut proof = match sealer.card_passkey(&card_id) {
        Some(credential) => Proof::Assert(Some(credential)),
        None if enroll_passkey => Proof::Enroll,
        None => Proof::None,
    };
    // The credential this attempt used (created, or asserted): the card's
    // record names it once the payment goes through.
    let mut used = None;
    let outcome = loop {
        let (attempt_id, idempotency_key) = match (random_id("att_"), random_id("pay_")) {
            (Ok(attempt), Ok(key)) => (attempt, key),
            (Err(message), _) | (_, Err(message)) => return failed(message),
        };
        let binding = PaymentBinding {
            payment_id: answer.payment_id.clone(),
            merchant_id: quote.merchant_id.clone(),
            amount,
            quote_digest: quote.digest(),
            attempt_id,
            created_at_ms: now_ms(),
        };
        // One more attempt at most, with whichever passkey the device
        // offers: never after that one.
        let offered = matches!(proof, Proof::Assert(None));
        let passkey = match &proof {
            Proof::None => None,
            Proof::Enroll => {
                match crate::webauthn::create_payment_passkey(&sealer.card_label(&card_id)).await {
                    Ok(created) => {
                        used = Some(created.credential_id.clone());
                        Some(PasskeyProof::Enroll {
                            credential_id: created.credential_id,
                            public_key: created.public_key,
                        })
                    }
                    Err(message) => return failed(message),
                }
            }
            Proof::Assert(credential) => {
                let challenge = payment_challenge(&binding);
                match crate::webauthn::assert_payment(&challenge, credential.as_deref()).await {
                    Ok(assertion) => {
                        used = Some(assertion.credential_id.clone());
                        Some(PasskeyProof::Assert(assertion))
                    }
                    Err(message) => return failed(message),
                }
            }
        };
        let sealed = match sealer.seal(&card_id, &cvc, binding, passkey, &key).await {
            Ok(sealed) => sealed,
            Err(message) => return failed(message),
        };
        let outcome = api::pay(
            &answer.order_id,
            &answer.client_secret,
            &idempotency_key,
            &PayRequest { sealed },
        )
        .await;
        match &outcome {
            Ok(PayOutcome::Declined(decline))
                if decline.code == ShopperDeclineCode::AuthenticationRequired && !offered =>
            {
                proof = Proof::Assert(None);
            }
            _ => break outcome,
        }
    };
    drop(cvc);
    if let (Some(credential), Ok(PayOutcome::Paid(_) | PayOutcome::Pending(_))) = (used, &outcome)
        && sealer.card_passkey(&card_id).as_ref() != Some(&credential)
    {
        on_enrolled.emit((card_id.clone(), credential));
    }
    match outcome {
        Ok(PayOutcome::Paid(paid)) => {
            let check = check(&answer, &paid.receipt, &root).await;
            CheckoutAction::Done(Box::new(PaidOrder {
                quote: answer,
                receipt: paid.receipt,
                check,
                order: paid.order,
            }))
        }
        Ok(PayOutcome::Pending(pending)) => CheckoutAction::Done(Box::new(PaidOrder {
            quote: answer,
            receipt: None,
            check: None,
            order: pending.order,
        })),
        Ok(PayOutcome::Declined(decline)) => CheckoutAction::Declined(decline),
        // Paid already (an earlier attempt went through): show its receipt.
        Err(failure) if failure.code == RefusalCode::AlreadyPaid.code() => {
            let receipt = api::fetch_receipt(&answer.order_id, &answer.client_secret)
                .await
                .ok();
            match api::fetch_order(&answer.order_id, &answer.client_secret).await {
                Ok(order) => {
                    let check = check(&answer, &receipt, &root).await;
                    CheckoutAction::Done(Box::new(PaidOrder {
                        quote: answer,
                        receipt,
                        check,
                        order,
                    }))
                }
                Err(failure) => failed(failure.sentence()),
            }
        }
        Err(failure) if failure.code == RefusalCode::QuoteExpired.code() => {
            CheckoutAction::PayFailed {
                message: "The quote has expired; ask the store for a new one.".to_owned(),
                expired: true,
            }
        }
        Err(failure) => failed(failure.sentence()),
    }
}

/// Checks a receipt's two signatures with the store's published keys and
/// the authorization keys a fresh gateway key set certifies; `None` when
/// there is no receipt.
pub(crate) async fn check(
    answer: &QuoteAnswer,
    receipt: &Option<shared::sign::Signed<shared::receipt::Receipt>>,
    root: &shared::sign::PublicKey,
) -> Option<ReceiptCheck> {
    let receipt = receipt.as_ref()?;
    let (Ok(keys), Ok(key_set)) = (
        api::fetch_store_keys().await,
        api::fetch_gateway_keys().await,
    ) else {
        return Some(ReceiptCheck::Failed);
    };
    let Ok(authorization_keys) =
        certified_keys(&key_set, root, AUTHORIZATION_KEY_PURPOSE, now_ms())
    else {
        return Some(ReceiptCheck::Failed);
    };
    Some(trust::check_receipt(
        receipt,
        &answer.order_id,
        &answer.quote.body,
        &keys.keys,
        &authorization_keys,
    ))
}

#[hook]
pub fn use_checkout(sealer: Sealer, on_enrolled: Callback<(String, Vec<u8>)>) -> CheckoutHandle {
    let state = use_reducer(CheckoutState::default);

    let request_quote = {
        let state = state.clone();
        Callback::from(move |(lines, form): (Vec<OrderLine>, ShippingForm)| {
            if matches!(state.stage, Stage::Quoting | Stage::Paying(_)) {
                return;
            }
            state.dispatch(CheckoutAction::QuoteRequested);
            let state = state.clone();
            spawn_local(async move {
                match quote(lines, form).await {
                    Ok(answer) => state.dispatch(CheckoutAction::Quoted(Box::new(answer))),
                    Err(message) => state.dispatch(CheckoutAction::QuoteFailed(message)),
                }
            });
        })
    };

    let pay_callback = {
        let state = state.clone();
        Callback::from(move |choice: PayChoice| {
            // One attempt at a time: a second press while paying is ignored.
            let Stage::Quoted(answer) = &state.stage else {
                return;
            };
            let answer = (**answer).clone();
            state.dispatch(CheckoutAction::PayStarted);
            let (state, sealer, on_enrolled) = (state.clone(), sealer.clone(), on_enrolled.clone());
            spawn_local(async move {
                let action = pay(sealer, on_enrolled, answer, choice).await;
                state.dispatch(action);
            });
        })
    };

    let refresh = {
        let state = state.clone();
        Callback::from(move |()| {
            let Stage::Done(paid) = &state.stage else {
                return;
            };
            let paid = (**paid).clone();
            let state = state.clone();
            spawn_local(async move {
                let (order_id, secret) = (&paid.quote.order_id, &paid.quote.client_secret);
                let Ok(order) = api::fetch_order(order_id, secret).await else {
                    return;
                };
                // A payment that was pending has its receipt once it is paid.
                if paid.receipt.is_none()
                    && order.status != OrderStatus::AwaitingPayment
                    && let (Ok(receipt), Some(root)) = (
                        api::fetch_receipt(order_id, secret).await,
                        trust::gateway_root(),
                    )
                {
                    let receipt = Some(receipt);
                    let check = check(&paid.quote, &receipt, &root).await;
                    state.dispatch(CheckoutAction::Done(Box::new(PaidOrder {
                        receipt,
                        check,
                        order,
                        ..paid
                    })));
                    return;
                }
                state.dispatch(CheckoutAction::OrderRefreshed(order));
            });
        })
    };

    let cancel = {
        let state = state.clone();
        Callback::from(move |()| {
            let Stage::Done(paid) = &state.stage else {
                return;
            };
            let (order_id, secret) = (
                paid.quote.order_id.clone(),
                paid.quote.client_secret.clone(),
            );
            let state = state.clone();
            spawn_local(async move {
                let action = match api::cancel_order(&order_id, &secret).await {
                    Ok(order) => CheckoutAction::OrderCanceled(order),
                    Err(failure) => CheckoutAction::AfterSaleFailed(failure.sentence()),
                };
                state.dispatch(action);
            });
        })
    };

    let start_over = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(CheckoutAction::StartOver))
    };

    let resume = {
        let state = state.clone();
        Callback::from(move |record: OrderRecord| {
            // A quote or a payment under way is never interrupted.
            if matches!(state.stage, Stage::Quoting | Stage::Paying(_)) {
                return;
            }
            let state = state.clone();
            spawn_local(async move {
                state.dispatch(CheckoutAction::Reopened(Box::new(reopen(record).await)));
            });
        })
    };

    CheckoutHandle {
        state,
        request_quote,
        pay: pay_callback,
        refresh,
        cancel,
        resume,
        start_over,
    }
}

/// Where a remembered order stands now, as the store answers: one awaiting
/// payment goes back to its quote (unless the quote has expired), any other
/// to its receipt, checked again. Nothing is shown from the record alone: a
/// store that does not answer is said so.
async fn reopen(record: OrderRecord) -> CheckoutAction {
    let OrderRecord {
        quote: answer,
        receipt,
        ..
    } = record;
    let (order_id, secret) = (&answer.order_id, &answer.client_secret);
    let order = match api::fetch_order(order_id, secret).await {
        Ok(order) if order.order_id == *order_id => order,
        Ok(_) | Err(_) => {
            return CheckoutAction::AfterSaleFailed(
                "The store could not be reached to show this order; try again.".to_owned(),
            );
        }
    };
    let status = order.status;
    if status == OrderStatus::AwaitingPayment && receipt.is_none() {
        if now_ms() >= answer.quote.body.expires_at_ms {
            return CheckoutAction::AfterSaleFailed(format!(
                "Order {order_id} was not paid and its quote has expired; ask the store for a new one."
            ));
        }
        return CheckoutAction::Resumed(Box::new(answer));
    }
    let receipt = match receipt {
        Some(receipt) => Some(receipt),
        None if status != OrderStatus::Canceled => api::fetch_receipt(order_id, secret).await.ok(),
        None => None,
    };
    let check = match trust::gateway_root() {
        Some(root) => check(&answer, &receipt, &root).await,
        None => receipt.as_ref().map(|_| ReceiptCheck::Failed),
    };
    CheckoutAction::Done(Box::new(PaidOrder {
        quote: answer,
        receipt,
        check,
        order,
    }))
}
