//! The shell of a confirmation: claim the payment, open the sealed payment,
//! reserve the attempt's budgets, ask the issuer, and apply the rules'
//! decision about its answer. Every rule is in `machine`; this file only
//! sequences I/O and writes what was decided.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;
use shared::money::Money;
use shared::refusal::RefusalCode;
use shared::seal::{PaymentPlaintext, SealedPayment};
use shared::wire::{ConfirmPayment, ErrorBody, Payment};
use worker::{Method, Response, Result};

use super::machine::{self, Billing};
use super::model::IdempotencyRow;
use super::storage::Asking;
use super::{PaymentObject, refusal};
use crate::error::ApiError;
use crate::gateway::connector::{
    BuiltInIssuer, CardConnector, ConnectorAuthorization, ConnectorAuthorize,
};
use crate::gateway::gateway_keyring::OpenedPayment;
use crate::gateway::risk::{self, Fingerprints};
use crate::gateway::{db, idempotency, keys};
use crate::http::now_ms;
use crate::log;

/// A duplicate confirmation (same Idempotency-Key) waits this long for the
/// first one's answer, polling every `DUPLICATE_POLL_MS`.
const DUPLICATE_WAIT_MS: u64 = 15_000;
const DUPLICATE_POLL_MS: u64 = 25;

/// The largest opened plaintext the object decodes.
const PLAINTEXT_BYTES_MAX: usize = 8 * 1024;

fn hash_of(sealed: &SealedPayment) -> String {
    let mut hasher = Sha256::new();
    hasher.update(sealed.enc.0);
    hasher.update(&sealed.ciphertext.0);
    to_base64url(&hasher.finalize())
}

/// Ends a step: a refusal decided before the issuer was asked, or a
/// failure of the gateway's own (nothing decided).
enum Stop {
    Refused(RefusalCode),
    Failed(String),
}

impl From<RefusalCode> for Stop {
    fn from(code: RefusalCode) -> Stop {
        Stop::Refused(code)
    }
}

impl From<ApiError> for Stop {
    fn from(failure: ApiError) -> Stop {
        match failure {
            ApiError::Internal(detail) => Stop::Failed(detail),
            other => Stop::Failed(other.to_string()),
        }
    }
}

impl From<worker::Error> for Stop {
    fn from(failure: worker::Error) -> Stop {
        Stop::Failed(failure.to_string())
    }
}

/// What an attempt about to ask the issuer carries.
struct Ask {
    payment: Payment,
    plaintext: PaymentPlaintext,
    fingerprints: Fingerprints,
    reference: String,
    /// Milliseconds spent so far, by hop, for the attempt's log line.
    hops: Hops,
}

/// Where an attempt's time went (the runtime's clock moves at I/O, so each
/// figure is the I/O of that hop).
#[derive(Clone, Copy, Default, serde::Serialize)]
struct Hops {
    /// The keyring opening the sealed payment.
    open_ms: i64,
    /// The checks and the card's and address's budgets.
    budgets_ms: i64,
    /// The sealed payment's hash claimed in the gateway's database, and the
    /// attempt moved to `authorizing`.
    claim_ms: i64,
    /// The issuer (and the cardholder's bank's hold).
    issuer_ms: i64,
    /// The answer settled: budgets told, rows written, capture for
    /// automatic capture.
    settle_ms: i64,
}

impl PaymentObject {
    /// A duplicate of a request with this key answers what the first
    /// answered, waiting for it if it is still running; `None` when the key
    /// is new. After `None`, the caller claims the key before its next await.
    pub(super) async fn earlier_answer(
        &self,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Response>> {
        let mut waited = 0;
        loop {
            match self.storage()?.idempotency(key)? {
                None => return Ok(None),
                Some(row) if row.fingerprint != fingerprint => {
                    return Ok(Some(refusal(RefusalCode::IdempotencyKeyReused)));
                }
                Some(IdempotencyRow {
                    status: Some(status),
                    answer: Some(answer),
                    ..
                }) => {
                    let status = u16::try_from(status).map_err(|_| {
                        worker::Error::RustError("stored status out of range".into())
                    })?;
                    return Ok(Some(crate::http::raw_json(answer, status)));
                }
                Some(_) if waited >= DUPLICATE_WAIT_MS => {
                    return Ok(Some(refusal(RefusalCode::IdempotencyKeyInUse)));
                }
                Some(_) => {
                    worker::Delay::from(std::time::Duration::from_millis(DUPLICATE_POLL_MS)).await;
                    waited += DUPLICATE_POLL_MS;
                }
            }
        }
    }

    /// A confirmation: the sealed payment with the merchant's billing.
    pub(super) async fn confirm(
        &self,
        key: Option<String>,
        request_id: &str,
        bytes: &[u8],
    ) -> Result<Response> {
        let fingerprint = idempotency::fingerprint(bytes);
        if let Some(key) = key.as_deref()
            && let Some(answer) = self.earlier_answer(key, &fingerprint).await?
        {
            return Ok(answer);
        }
        // From here to the claim, no await: the checks and the claim are
        // one step no other request can interleave with.
        let Ok(body) = serde_json::from_slice::<ConfirmPayment>(bytes) else {
            return Ok(refusal(RefusalCode::InvalidBody));
        };
        let storage = self.storage()?;
        let Some(payment) = storage.payment()? else {
            return Ok(refusal(RefusalCode::PaymentNotFound));
        };
        let attempts = storage.attempts()?;
        let now = now_ms();
        let sealed_hash = hash_of(&body.sealed);
        let billing = Billing {
            amount: &body.amount,
            currency: body.currency,
            quote_digest: &body.quote_digest,
            order_reference: &body.order_reference,
            shopper_address: body.shopper_address.as_deref(),
            sealed_payment_id: &body.sealed.payment_id,
            sealed_hash: &sealed_hash,
        };
        match machine::precheck(&payment, &attempts, &billing, now) {
            Ok(()) => {}
            Err(RefusalCode::PaymentMismatch) => return self.mismatch(&sealed_hash).await,
            Err(code) => return Ok(refusal(code)),
        }
        let sequence = machine::next_sequence(&attempts);
        let claimed_key = key.as_deref().map(|key| (key, fingerprint.as_str()));
        if !storage.claim(sequence, &sealed_hash, claimed_key, now)? {
            return Ok(refusal(RefusalCode::PaymentProcessing));
        }
        if let Err(failure) = self.wake_by(now + machine::CHECKING_ABANDONED_MS).await {
            // No alarm would release the claim: undo it now.
            let stop = Stop::Failed(format!("alarm not set: {failure}"));
            return self.end_refused(sequence, key.as_deref(), stop, request_id);
        }
        // The payment is this attempt's until it ends.
        match self
            .attempt(&body, sequence, &sealed_hash, request_id)
            .await
        {
            Ok(()) => self.answer_attempt(sequence, key.as_deref()),
            Err(stop) => self.end_refused(sequence, key.as_deref(), stop, request_id),
        }
    }

    /// A sealed payment for another payment: a replay if it reached an
    /// issuer before, else a plain mismatch.
    async fn mismatch(&self, sealed_hash: &str) -> Result<Response> {
        Ok(
            match db::sealed_payment_owner(&self.env, sealed_hash).await {
                Ok(Some(_)) => refusal(RefusalCode::PaymentReplayed),
                Ok(None) => refusal(RefusalCode::PaymentMismatch),
                Err(failure) => {
                    worker::console_error!("payment object: {failure}");
                    refusal(RefusalCode::InternalError)
                }
            },
        )
    }

    /// Ends an attempt that never reached the issuer. A refusal is final
    /// (stored under the key); a failure of ours decided nothing (the key
    /// is forgotten, so the same request may be retried). The key is
    /// touched only while this attempt still held it: once the alarm has
    /// released the attempt, the key may belong to a retry.
    fn end_refused(
        &self,
        sequence: i64,
        key: Option<&str>,
        stop: Stop,
        request_id: &str,
    ) -> Result<Response> {
        let code = match stop {
            Stop::Refused(code) => code,
            Stop::Failed(detail) => {
                worker::console_error!("payment object: {detail}");
                RefusalCode::InternalError
            }
        };
        let storage = self.storage()?;
        let held = storage.reject(sequence, code, now_ms())?;
        if let Some(key) = key.filter(|_| held) {
            if !machine::refusal_is_final(code) {
                storage.forget_key(key)?;
            } else {
                let body: ErrorBody = machine::refusal_body(code);
                storage.complete_key(key, code.status(), &serde_json::to_string(&body)?)?;
            }
        }
        let payment_id = storage.payment()?.map(|payment| payment.payment_id);
        log::event(
            "payment.attempt_rejected",
            request_id,
            serde_json::json!({ "payment_id": payment_id, "attempt": sequence, "code": code.code() }),
        );
        Ok(refusal(code))
    }

    /// Opens and checks the sealed payment, reserves the budgets, and asks
    /// the issuer. An `Err` means the issuer was not asked; once it is
    /// asked, the outcome is the attempt's, whatever happens next.
    async fn attempt(
        &self,
        body: &ConfirmPayment,
        sequence: i64,
        sealed_hash: &str,
        request_id: &str,
    ) -> std::result::Result<(), Stop> {
        let started = now_ms();
        let plaintext = open(&self.env, &body.sealed).await?;
        let opened = now_ms();
        let storage = self.storage()?;
        let payment = storage
            .payment()?
            .ok_or_else(|| Stop::Failed("payment missing".into()))?;
        let attempts = storage.attempts()?;
        machine::check_opened(&payment, &attempts, sequence, &plaintext.binding, now_ms())?;
        let fingerprints = risk::fingerprints(
            &self.env,
            &plaintext.card.number,
            body.shopper_address.as_deref(),
        )?;
        let reference = format!("{}.a{sequence}", payment.payment_id);
        if let Some(code) = risk::reserve(&self.env, &fingerprints, &reference).await? {
            return Err(Stop::Refused(code));
        }
        let reserved = now_ms();
        let mut ask = Ask {
            payment,
            plaintext,
            fingerprints,
            reference,
            hops: Hops {
                open_ms: opened - started,
                budgets_ms: reserved - opened,
                ..Hops::default()
            },
        };
        match self.begin(&ask, sequence, sealed_hash).await {
            Ok(()) => {
                ask.hops.claim_ms = now_ms() - reserved;
                self.ask_issuer(&ask, sequence, request_id).await;
                Ok(())
            }
            Err(stop) => {
                // Never sent: the budgets get their slots back.
                if let Err(failure) =
                    risk::release(&self.env, &ask.fingerprints, &ask.reference).await
                {
                    worker::console_error!("payment object: slot not released: {failure}");
                }
                Err(stop)
            }
        }
    }

    /// The last step before the issuer: the sealed payment is claimed for
    /// this payment, then (no await between) the attempt moves from
    /// `checking` to `authorizing`, only if it still holds the payment.
    async fn begin(
        &self,
        ask: &Ask,
        sequence: i64,
        sealed_hash: &str,
    ) -> std::result::Result<(), Stop> {
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let payment_id = &ask.payment.payment_id;
        let first = db::claim_sealed_payment(&self.env, sealed_hash, payment_id, now).await?;
        if first != *payment_id {
            return Err(Stop::Refused(RefusalCode::PaymentReplayed));
        }
        let storage = self.storage()?;
        let payment = storage
            .payment()?
            .ok_or_else(|| Stop::Failed("payment missing".into()))?;
        machine::may_authorize(&payment, &storage.attempts()?, sequence)?;
        let card = &ask.plaintext.card;
        let asking = Asking {
            attempt_id: &ask.plaintext.binding.attempt_id,
            reference: &ask.reference,
            brand: card.number.brand().code(),
            last_four: card.number.last_four(),
            card_fingerprint: &ask.fingerprints.card,
            address_fingerprint: ask.fingerprints.address.as_deref(),
        };
        if !storage.begin_authorizing(sequence, &asking, now_ms())? {
            return Err(Stop::Refused(RefusalCode::AttemptAbandoned));
        }
        Ok(())
    }

    /// Asks the issuer and settles its answer. Failures after this point
    /// leave the attempt `authorizing`: the alarm asks again.
    async fn ask_issuer(&self, ask: &Ask, sequence: i64, request_id: &str) {
        let card = &ask.plaintext.card;
        let mut hops = ask.hops;
        let asked = now_ms();
        let answer = match Money::parse_non_negative(&ask.payment.amount, ask.payment.currency) {
            Ok(amount) => BuiltInIssuer { env: &self.env }
                .authorize(&ConnectorAuthorize {
                    reference: &ask.reference,
                    card,
                    amount,
                    merchant_id: &ask.payment.merchant_id,
                    now_ms: u64::try_from(now_ms()).unwrap_or(0),
                    passkey: ask.plaintext.passkey.as_ref(),
                    challenge: shared::assertion::payment_challenge(&ask.plaintext.binding),
                })
                .await
                .unwrap_or_else(|failure| {
                    worker::console_error!("payment object: connector failed: {failure}");
                    ConnectorAuthorization::Unknown
                }),
            Err(_) => ConnectorAuthorization::Unknown,
        };
        let answered = now_ms();
        hops.issuer_ms = answered - asked;
        let (outcome, decline_code) = match &answer {
            ConnectorAuthorization::Approved { .. } => ("approved", None),
            ConnectorAuthorization::Declined { code } => ("declined", Some(code.code())),
            ConnectorAuthorization::Reversed => ("reversed", None),
            ConnectorAuthorization::Unknown => ("pending", None),
        };
        if let Err(failure) = self.settle_answer(sequence, answer).await {
            worker::console_error!("payment object: settling failed: {failure}");
        }
        hops.settle_ms = now_ms() - answered;
        log::event(
            "payment.attempt",
            request_id,
            serde_json::json!({
                "payment_id": ask.payment.payment_id,
                "attempt": sequence,
                "brand": card.number.brand().code(),
                "last_four": card.number.last_four(),
                "outcome": outcome,
                "decline_code": decline_code,
                "hops_ms": hops,
            }),
        );
    }
}

/// Asks the keyring shard of the payment's key to open it; the plaintext
/// stays in memory.
async fn open(
    env: &worker::Env,
    sealed: &SealedPayment,
) -> std::result::Result<PaymentPlaintext, Stop> {
    // The key's id names the shard that holds its private half.
    let Some(shard) = crate::gateway::gateway_keyring::shard_of(sealed.kid.as_str()) else {
        return Err(Stop::Refused(RefusalCode::UnknownKey));
    };
    let body =
        serde_json::to_string(sealed).map_err(|failure| Stop::Failed(failure.to_string()))?;
    let mut answer = keys::keyring_call(env, shard, Method::Post, "/open", Some(body)).await?;
    if answer.status_code() == 422 {
        let failure: ErrorBody = answer.json().await?;
        let code = match RefusalCode::from_code(&failure.code) {
            Some(
                code @ (RefusalCode::UnknownKey
                | RefusalCode::KeyRetired
                | RefusalCode::InvalidCard
                | RefusalCode::BindingMismatch
                | RefusalCode::MalformedPayment),
            ) => code,
            _ => RefusalCode::PaymentDoesNotOpen,
        };
        return Err(Stop::Refused(code));
    }
    if answer.status_code() != 200 {
        return Err(Stop::Failed(format!(
            "keyring answered {}",
            answer.status_code()
        )));
    }
    let opened: OpenedPayment = answer.json().await?;
    let bytes = zeroize::Zeroizing::new(
        shared::encoding::from_base64url(&opened.plaintext, PLAINTEXT_BYTES_MAX)
            .map_err(|failure| Stop::Failed(failure.to_string()))?,
    );
    PaymentPlaintext::decode(&bytes).map_err(|_| Stop::Refused(RefusalCode::InvalidCard))
}
