//! The operator's view of the running worker: its token, and helpers for
//! the operator routes that journeys share (accounts, balances, the ledger
//! invariants).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::api::{self, Answer};
use crate::server::Server;

/// The banks of the demo.
pub const BANKS: [&str; 2] = ["northbank", "southbank"];

/// A name unique within this test run, so journeys never share accounts,
/// transfers or references.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub struct Operator<'a> {
    server: &'a Server,
    pub token: String,
}

impl<'a> Operator<'a> {
    pub fn new(server: &'a Server) -> Operator<'a> {
        Operator {
            server,
            token: server.operator_token(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// `POST` with the token, answer as it is.
    pub fn post_answer(&self, path: &str, body: &Value) -> Answer {
        api::operator_post(&self.url(path), &self.token, body)
    }

    /// `GET` with the token, answer as it is.
    pub fn get_answer(&self, path: &str) -> Answer {
        api::operator_get(&self.url(path), &self.token)
    }

    /// `POST` that must succeed (200 or 201); its JSON.
    pub fn post(&self, path: &str, body: &Value) -> Value {
        let answer = self.post_answer(path, body);
        assert!(
            matches!(answer.status, 200 | 201),
            "{path}: {} {}",
            answer.status,
            answer.body
        );
        answer.json()
    }

    /// `GET` that must answer 200; its JSON.
    pub fn get(&self, path: &str) -> Value {
        let answer = self.get_answer(path);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.json()
    }

    /// Opens a fresh account at `bank`; answers its id.
    pub fn open_account(
        &self,
        bank: &str,
        id_prefix: &str,
        kind: &str,
        opening_minor: i64,
        limit_minor: i64,
    ) -> String {
        let account_id = unique(id_prefix);
        self.post(
            &format!("/api/operator/banks/{bank}/accounts"),
            &json!({"account_id": account_id, "kind": kind, "currency": "USD", "holder": "Test Holder",
                    "opening_balance_minor": opening_minor, "credit_limit_minor": limit_minor}),
        );
        account_id
    }

    pub fn balance(&self, bank: &str, account: &str) -> Value {
        self.get(&format!("/api/operator/banks/{bank}/accounts/{account}"))
    }

    /// Every journey that moves money ends here: both ledgers check out.
    pub fn assert_invariants(&self) {
        for bank in BANKS {
            let report = self.get(&format!("/api/operator/banks/{bank}/invariants"));
            assert_eq!(report["ok"], json!(true), "{bank}: {report}");
        }
    }
}
