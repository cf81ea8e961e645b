-- The store's catalog. Prices are integer minor units of `currency`
-- (cents for USD); they stay below 2^53 so JavaScript numbers carry them exactly.
CREATE TABLE products (
    sku              TEXT    PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 32),
    name             TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description      TEXT    NOT NULL CHECK (length(description) <= 1000),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0 AND unit_price_minor < 9007199254740992),
    currency         TEXT    NOT NULL CHECK (length(currency) = 3),
    stock            INTEGER NOT NULL CHECK (stock >= 0)
) STRICT;

CREATE INDEX products_by_name ON products (name, sku);
