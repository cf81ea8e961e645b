-- An authorization is recorded as `pending` before the issuer asks the
-- cardholder's bank for the hold, so that if the bank's answer is lost the
-- same hold (same transfer id) can be asked for again and the outcome
-- recorded, rather than guessed. SQLite cannot change a CHECK in place: the
-- table is rebuilt with its rows.
CREATE TABLE authorizations_next (
    authorization_id   TEXT    PRIMARY KEY,
    card_key           TEXT,
    last_four          TEXT,
    merchant_id        TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0 AND amount_minor < 9007199254740992),
    currency           TEXT    NOT NULL,
    outcome            TEXT    NOT NULL CHECK (outcome IN ('pending', 'approved', 'declined')),
    decline_code       TEXT,
    authorization_code TEXT,
    bank_id            TEXT,
    hold_id            TEXT,
    created_at_ms      INTEGER NOT NULL
) STRICT;

INSERT INTO authorizations_next SELECT * FROM authorizations;
DROP TABLE authorizations;
ALTER TABLE authorizations_next RENAME TO authorizations;
