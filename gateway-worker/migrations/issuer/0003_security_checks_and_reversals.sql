-- Three changes to the record of authorizations, so that an authorization
-- id means one request and a stolen card number cannot be tested:
-- - request_digest: an HMAC (under the issuer's card key) of everything the
--   request carried; the same id with another request is refused.
-- - security_failure: 1 when the presented expiry or CVC did not match.
--   Three in 24 hours lock the card's security checks: every further
--   authorization is declined `security_checks_locked`, right codes too.
-- - outcome `reversed`: the gateway gave up waiting and reversed the id;
--   a late request under it is declined and a late hold is released.
-- SQLite cannot change a CHECK in place: the table is rebuilt with its rows.
CREATE TABLE authorizations_next (
    authorization_id   TEXT    PRIMARY KEY,
    card_key           TEXT,
    last_four          TEXT,
    merchant_id        TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0 AND amount_minor < 9007199254740992),
    currency           TEXT    NOT NULL,
    outcome            TEXT    NOT NULL CHECK (outcome IN ('pending', 'approved', 'declined', 'reversed')),
    decline_code       TEXT,
    authorization_code TEXT,
    bank_id            TEXT,
    hold_id            TEXT,
    created_at_ms      INTEGER NOT NULL,
    request_digest     TEXT,
    security_failure   INTEGER NOT NULL DEFAULT 0 CHECK (security_failure IN (0, 1))
) STRICT;

INSERT INTO authorizations_next (authorization_id, card_key, last_four, merchant_id, amount_minor,
        currency, outcome, decline_code, authorization_code, bank_id, hold_id, created_at_ms)
    SELECT authorization_id, card_key, last_four, merchant_id, amount_minor,
        currency, outcome, decline_code, authorization_code, bank_id, hold_id, created_at_ms
    FROM authorizations;
DROP TABLE authorizations;
ALTER TABLE authorizations_next RENAME TO authorizations;

CREATE INDEX authorizations_security_failures
    ON authorizations (card_key, created_at_ms) WHERE security_failure = 1;
