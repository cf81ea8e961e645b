-- The gateway's memory across payments, for the pay route's attempt limits
-- and replay rule:
-- - declines: one row per declined attempt, by card fingerprint (an HMAC of
--   the card number under the gateway's fingerprint key, never the number)
--   and by shopper address, counted over a sliding window;
-- - sealed_payments: the SHA-256 of every sealed payment that reached an
--   issuer, so the same ciphertext is refused under any other payment or key.
CREATE TABLE declines (
    subject_kind  TEXT    NOT NULL CHECK (subject_kind IN ('card', 'address')),
    subject       TEXT    NOT NULL,
    payment_id    TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL
) STRICT;

CREATE INDEX declines_by_subject ON declines (subject_kind, subject, at_ms);

CREATE TABLE sealed_payments (
    sealed_hash   TEXT    PRIMARY KEY,
    payment_id    TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL
) STRICT;

-- Where each merchant's payment events (webhooks) go; NULL: none.
ALTER TABLE merchants ADD COLUMN webhook_url TEXT;
UPDATE merchants SET webhook_url = 'https://store.internal/api/store/webhooks/gateway'
    WHERE merchant_id = 'm_teashop';
