//! Why the gateway refused a payment operation before (or instead of)
//! asking the issuer: the `code` of its `{code, message}` answers on the
//! payment routes, which the store passes on to the shopper where they are
//! the shopper's to act on. One list for the gateway that answers them, the
//! store and wallet that read them, and the OpenAPI catalogue (a unit test
//! in the worker compares the two).

crate::code_enum! {
    pub enum RefusalCode {
        // The request itself.
        InvalidBody = "invalid_body",
        BodyTooLarge = "body_too_large",
        InvalidIdempotencyKey = "invalid_idempotency_key",
        IdempotencyKeyReused = "idempotency_key_reused",
        IdempotencyKeyInUse = "idempotency_key_in_use",
        PaymentNotFound = "payment_not_found",
        InternalError = "internal_error",
        // The payment's state.
        AlreadyPaid = "already_paid",
        PaymentCanceled = "payment_canceled",
        PaymentProcessing = "payment_processing",
        QuoteExpired = "quote_expired",
        // The merchant's billing against the payment.
        AmountMismatch = "amount_mismatch",
        BillingMismatch = "billing_mismatch",
        PaymentMismatch = "payment_mismatch",
        InvalidShopperAddress = "invalid_shopper_address",
        // The sealed payment.
        UnknownKey = "unknown_key",
        KeyRetired = "key_retired",
        PaymentDoesNotOpen = "payment_does_not_open",
        MalformedPayment = "malformed_payment",
        InvalidCard = "invalid_card",
        BindingMismatch = "binding_mismatch",
        StalePayment = "stale_payment",
        PaymentReplayed = "payment_replayed",
        AttemptReused = "attempt_reused",
        /// The attempt took too long before the issuer was asked and was
        /// released; the issuer was not asked. Pay again.
        AttemptAbandoned = "attempt_abandoned",
        // Budgets.
        TooManyAttempts = "too_many_attempts",
        CardAttemptsExceeded = "card_attempts_exceeded",
        AddressAttemptsExceeded = "address_attempts_exceeded",
        // After the sale.
        PaymentNotCapturable = "payment_not_capturable",
        CaptureRefused = "capture_refused",
        PaymentNotCancelable = "payment_not_cancelable",
        CancelRefused = "cancel_refused",
        PaymentNotCaptured = "payment_not_captured",
        AlreadyRefunded = "already_refunded",
        InvalidAmount = "invalid_amount",
        RefundExceedsPayment = "refund_exceeds_payment",
        RefundRefused = "refund_refused",
    }
}

impl RefusalCode {
    /// The HTTP status the gateway answers this refusal with.
    pub const fn status(self) -> u16 {
        match self {
            RefusalCode::BodyTooLarge => 413,
            RefusalCode::PaymentNotFound => 404,
            RefusalCode::InternalError => 500,
            RefusalCode::TooManyAttempts
            | RefusalCode::CardAttemptsExceeded
            | RefusalCode::AddressAttemptsExceeded => 429,
            RefusalCode::IdempotencyKeyInUse
            | RefusalCode::AlreadyPaid
            | RefusalCode::PaymentCanceled
            | RefusalCode::PaymentProcessing
            | RefusalCode::PaymentReplayed
            | RefusalCode::AttemptReused
            | RefusalCode::AttemptAbandoned
            | RefusalCode::PaymentNotCapturable
            | RefusalCode::CaptureRefused
            | RefusalCode::PaymentNotCancelable
            | RefusalCode::CancelRefused
            | RefusalCode::PaymentNotCaptured
            | RefusalCode::AlreadyRefunded
            | RefusalCode::RefundRefused => 409,
            RefusalCode::InvalidBody
            | RefusalCode::InvalidIdempotencyKey
            | RefusalCode::IdempotencyKeyReused
            | RefusalCode::QuoteExpired
            | RefusalCode::AmountMismatch
            | RefusalCode::BillingMismatch
            | RefusalCode::PaymentMismatch
            | RefusalCode::InvalidShopperAddress
            | RefusalCode::UnknownKey
            | RefusalCode::KeyRetired
            | RefusalCode::PaymentDoesNotOpen
            | RefusalCode::MalformedPayment
            | RefusalCode::InvalidCard
            | RefusalCode::BindingMismatch
            | RefusalCode::StalePayment
            | RefusalCode::InvalidAmount
            | RefusalCode::RefundExceedsPayment => 422,
        }
    }
}
