-- The gateway's merchants and their API keys. A key is stored only as its
-- SHA-256 (base64url) with a readable prefix; the key itself is shown once.
CREATE TABLE merchants (
    merchant_id    TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL,
    capture_method TEXT    NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
    created_at_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    key_hash      TEXT    PRIMARY KEY,
    key_prefix    TEXT    NOT NULL,
    merchant_id   TEXT    NOT NULL REFERENCES merchants (merchant_id),
    status        TEXT    NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;

CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, status);

-- Which merchant owns which payment (each payment's state lives in its own
-- Durable Object).
CREATE TABLE payments (
    payment_id    TEXT    PRIMARY KEY,
    merchant_id   TEXT    NOT NULL REFERENCES merchants (merchant_id),
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX payments_by_merchant ON payments (merchant_id, created_at_ms);

INSERT INTO merchants (merchant_id, name, capture_method, created_at_ms) VALUES
    ('m_teashop', 'Harbor Tea Co.', 'automatic', 0),
    ('m_bookshop', 'Lantern Books', 'manual', 0);
