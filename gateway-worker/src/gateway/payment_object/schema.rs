//! The payment object's tables, and how an object created by an earlier
//! build is brought up to date: tables are created if missing, and columns
//! added since the first schema are added to a table that lacks them, so
//! its rows are kept.

use serde::Deserialize;
use worker::{Result, SqlStorage};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS payment (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS attempts (
    sequence INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('checking', 'authorizing', 'approved', 'declined', 'rejected')),
    sealed_hash TEXT NOT NULL,
    idempotency_key TEXT,
    attempt_id TEXT,
    reference TEXT,
    brand TEXT,
    last_four TEXT,
    card_fingerprint TEXT,
    address_fingerprint TEXT,
    code TEXT,
    authorization_code TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS authorization (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    attempt_sequence INTEGER NOT NULL,
    signed TEXT NOT NULL,
    capture TEXT NOT NULL CHECK (capture IN ('manual', 'pending', 'done', 'refused', 'voiding', 'voided')),
    capture_tries INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    answer TEXT,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS refunds (
    refund_id TEXT PRIMARY KEY,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'refused')),
    idempotency_key TEXT NOT NULL,
    code TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    next_at_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;
";

/// Columns added after the first schema: added to an object's table when
/// it lacks them (`ALTER TABLE … ADD COLUMN`), so objects created by an
/// earlier build keep their rows.
const ADDED_COLUMNS: [(&str, &str, &str); 3] = [
    ("attempts", "shopper_code", "TEXT"),
    ("attempts", "authorizing_since_ms", "INTEGER"),
    ("attempts", "release_pending", "INTEGER NOT NULL DEFAULT 0"),
];

/// Every table, for the operator's storage scan.
pub const TABLES: [&str; 6] = [
    "payment",
    "attempts",
    "authorization",
    "refunds",
    "idempotency",
    "outbox",
];

/// Creates the tables that are missing and adds the columns that are.
pub fn prepare(sql: &SqlStorage) -> Result<()> {
    sql.exec(SCHEMA, None)?;
    for (table, column, declaration) in ADDED_COLUMNS {
        #[derive(Deserialize)]
        struct Column {
            name: String,
        }
        let columns: Vec<Column> = sql
            .exec(&format!("PRAGMA table_info({table})"), None)?
            .to_array()?;
        if !columns.iter().any(|existing| existing.name == column) {
            sql.exec(
                &format!("ALTER TABLE {table} ADD COLUMN {column} {declaration}"),
                None,
            )?;
        }
    }
    Ok(())
}
