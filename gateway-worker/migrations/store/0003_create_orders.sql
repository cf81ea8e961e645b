-- The store's orders and its own record of every money event and shipment
-- of each order ("the store keeps the financial data of the transaction").
-- Money in integer minor units of `currency`.
CREATE TABLE orders (
    order_id           TEXT    PRIMARY KEY,
    quote_id           TEXT    NOT NULL UNIQUE,
    payment_id         TEXT    NOT NULL UNIQUE,
    client_secret_hash TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'shipped', 'delivered', 'canceled')),
    total_minor        INTEGER NOT NULL CHECK (total_minor > 0 AND total_minor < 9007199254740992),
    currency           TEXT    NOT NULL,
    signed_quote       TEXT    NOT NULL,
    created_at_ms      INTEGER NOT NULL
) STRICT;

CREATE TABLE order_events (
    order_id      TEXT    NOT NULL REFERENCES orders (order_id),
    sequence      INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('intent_created', 'authorized', 'captured', 'voided', 'refunded', 'shipped', 'delivered')),
    amount_minor  INTEGER,
    currency      TEXT,
    detail        TEXT,
    at_ms         INTEGER NOT NULL,
    PRIMARY KEY (order_id, sequence)
) STRICT;
