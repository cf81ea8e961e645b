-- The issuer's card registry. A card is found by the HMAC of its number
-- under the issuer's card key; the number itself is never stored, and
-- neither is any CVC (the issuer derives the expected one from its key).
CREATE TABLE cards (
    card_key     TEXT    PRIMARY KEY,
    first_six    TEXT    NOT NULL CHECK (length(first_six) = 6),
    last_four    TEXT    NOT NULL CHECK (length(last_four) = 4),
    brand        TEXT    NOT NULL,
    expiry_month INTEGER NOT NULL CHECK (expiry_month BETWEEN 1 AND 12),
    expiry_year  INTEGER NOT NULL CHECK (expiry_year BETWEEN 2000 AND 2099),
    status       TEXT    NOT NULL CHECK (status IN ('active', 'lost', 'stolen', 'blocked')),
    bank_id      TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    cardholder   TEXT    NOT NULL
) STRICT;

-- Every authorization the issuer answered, by its id (idempotent).
CREATE TABLE authorizations (
    authorization_id   TEXT    PRIMARY KEY,
    card_key           TEXT,
    last_four          TEXT,
    merchant_id        TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0 AND amount_minor < 9007199254740992),
    currency           TEXT    NOT NULL,
    outcome            TEXT    NOT NULL CHECK (outcome IN ('approved', 'declined')),
    decline_code       TEXT,
    authorization_code TEXT,
    bank_id            TEXT,
    hold_id            TEXT,
    created_at_ms      INTEGER NOT NULL
) STRICT;
