//! Counts of the calls that set a payment's ceilings: D1 statements per
//! database and requests per Durable Object class and service binding.
//! The counts are per isolate and only ever grow; the operator route
//! `GET /api/operator/meter` answers them, and the benchmark reads them
//! before and after a run of payments made one at a time to say how many
//! of each one payment costs. Counting is a few integer additions; nothing
//! about a request's content is kept.

use std::cell::RefCell;
use std::collections::BTreeMap;

use worker::{D1Database, D1PreparedStatement, D1Result, Env};

thread_local! {
    static COUNTS: RefCell<BTreeMap<String, u64>> = const { RefCell::new(BTreeMap::new()) };
}

/// Adds one to the count of `what`.
pub fn count(what: &str) {
    COUNTS.with(|counts| {
        *counts.borrow_mut().entry(what.to_owned()).or_default() += 1;
    });
}

/// Every count so far.
#[cfg(feature = "operator")]
pub fn snapshot() -> BTreeMap<String, u64> {
    COUNTS.with(|counts| counts.borrow().clone())
}

/// A D1 database whose statements are counted as `d1.<binding>`.
pub struct MeteredD1 {
    database: D1Database,
    counter: String,
}

/// The D1 database bound as `binding`, counted.
pub fn d1(env: &Env, binding: &str) -> worker::Result<MeteredD1> {
    Ok(MeteredD1 {
        database: env.d1(binding)?,
        counter: format!("d1.{binding}"),
    })
}

impl MeteredD1 {
    /// Prepares one statement; it counts once, when prepared (every
    /// statement prepared here is run exactly once, alone or in a batch).
    pub fn prepare<T: Into<String>>(&self, query: T) -> D1PreparedStatement {
        count(&self.counter);
        self.database.prepare(query)
    }

    /// Runs prepared statements in one round trip, as one transaction.
    pub async fn batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> worker::Result<Vec<D1Result>> {
        self.database.batch(statements).await
    }
}
