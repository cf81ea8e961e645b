//! `QuoteBudget`: the store's own SQLite-backed Durable Object, one per
//! shopper address, so that orders are not free to mint. Each quote takes a
//! place in its address's budget, checked and written in one synchronous
//! step of the one object that serialises that address, so quotes asked
//! together are counted one after another.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, Result, SqlStorageValue, State,
    durable_object,
};

use crate::error::ApiError;
use crate::http::now_ms;

const QUOTE_BUDGET_BINDING: &str = "QUOTE_BUDGET";

/// Quotes one shopper address may ask for within `QUOTE_WINDOW_MS`: far
/// more than a person shopping needs, far fewer than a card tester wants.
pub const QUOTES_PER_ADDRESS_MAX: i64 = 30;

/// The window quotes are counted in: ten minutes.
pub const QUOTE_WINDOW_MS: i64 = 10 * 60 * 1000;

const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS quotes (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL) STRICT;";

#[derive(Serialize, Deserialize)]
struct Taken {
    taken: bool,
}

#[derive(Deserialize)]
struct Count {
    count: i64,
}

#[durable_object]
pub struct QuoteBudget {
    state: State,
    schema_ready: Cell<bool>,
}

impl QuoteBudget {
    fn sql(&self) -> Result<worker::SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            sql.exec(SCHEMA, None)?;
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    /// Takes a place if the window has one; no await inside.
    fn take(&self, now: i64) -> Result<bool> {
        let sql = self.sql()?;
        let rows: Vec<Count> = sql
            .exec(
                "SELECT COUNT(*) AS count FROM quotes WHERE at_ms > ?",
                Some(vec![SqlStorageValue::Integer(now - QUOTE_WINDOW_MS)]),
            )?
            .to_array()?;
        if rows.first().map_or(0, |row| row.count) >= QUOTES_PER_ADDRESS_MAX {
            return Ok(false);
        }
        sql.exec(
            "INSERT INTO quotes (at_ms) VALUES (?)",
            Some(vec![SqlStorageValue::Integer(now)]),
        )?;
        Ok(true)
    }
}

impl DurableObject for QuoteBudget {
    fn new(state: State, _env: Env) -> Self {
        QuoteBudget {
            state,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, _request: Request) -> Result<Response> {
        let taken = self.take(now_ms())?;
        if self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(QUOTE_WINDOW_MS).await?;
        }
        Ok(crate::http::json(&Taken { taken }, 200))
    }

    /// Forgets quotes older than the window; runs again while any are left.
    async fn alarm(&self) -> Result<Response> {
        let sql = self.sql()?;
        sql.exec(
            "DELETE FROM quotes WHERE at_ms <= ?",
            Some(vec![SqlStorageValue::Integer(now_ms() - QUOTE_WINDOW_MS)]),
        )?;
        let rows: Vec<Count> = sql
            .exec("SELECT COUNT(*) AS count FROM quotes", None)?
            .to_array()?;
        if rows.first().map_or(0, |row| row.count) > 0 {
            self.state.storage().set_alarm(QUOTE_WINDOW_MS).await?;
        }
        Response::ok("pruned")
    }
}

/// Takes a place in the budget of `shopper_address`, or refuses the quote
/// with 429 `too_many_quotes`.
pub async fn take(env: &Env, shopper_address: &str) -> std::result::Result<(), ApiError> {
    crate::meter::count("do.QuoteBudget");
    let stub = env
        .durable_object(QUOTE_BUDGET_BINDING)?
        .id_from_name(shopper_address)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    let request = Request::new_with_init("https://quote-budget.internal/", &init)?;
    let mut answer = stub.fetch_with_request(request).await?;
    let taken: Taken = answer.json().await.map_err(ApiError::internal)?;
    if taken.taken {
        Ok(())
    } else {
        Err(ApiError::TooManyRequests {
            code: "too_many_quotes",
            message: "too many orders from this address; try again in a few minutes".to_owned(),
        })
    }
}
