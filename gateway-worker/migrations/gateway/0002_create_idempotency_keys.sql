-- Idempotency keys of the merchant API, scoped to merchant and route. A
-- row is written before the work starts (answer NULL while in progress),
-- then completed with the answer; kept for 24 hours.
CREATE TABLE idempotency_keys (
    merchant_id   TEXT    NOT NULL,
    route         TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    status        INTEGER,
    answer        TEXT,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, route, key)
) STRICT;

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at_ms);
