//! The demo banks' accounts, opened on a bank's first request. Amounts are
//! USD minor units. README.md lists them beside the issuer's test cards.

use crate::bank::wire::{AccountKind, OpenAccount};

/// One account to open: (id, kind, holder, opening balance, credit limit).
/// For a credit account the opening balance is what is already owed.
type DemoAccount = (&'static str, AccountKind, &'static str, i64, i64);

const NORTHBANK: [DemoAccount; 8] = [
    (
        "settlement.cards",
        AccountKind::Internal,
        "card settlement",
        0,
        0,
    ),
    (
        "merchant.m_teashop",
        AccountKind::Merchant,
        "Harbor Tea Co.",
        0,
        0,
    ),
    (
        "merchant.m_bookshop",
        AccountKind::Merchant,
        "Lantern Books",
        0,
        0,
    ),
    (
        "acct.ada.current",
        AccountKind::Debit,
        "Ada Lovelace",
        2_500_00,
        0,
    ),
    (
        "acct.ben.current",
        AccountKind::Debit,
        "Ben Okafor",
        12_00,
        0,
    ),
    (
        "acct.gil.current",
        AccountKind::Debit,
        "Gil Moreau",
        800_00,
        0,
    ),
    (
        "acct.cara.credit",
        AccountKind::Credit,
        "Cara Lindqvist",
        960_00,
        1_000_00,
    ),
    (
        "acct.eve.current",
        AccountKind::Debit,
        "Eve Adeyemi",
        1_000_00,
        0,
    ),
];

const SOUTHBANK: [DemoAccount; 2] = [
    (
        "settlement.cards",
        AccountKind::Internal,
        "card settlement",
        0,
        0,
    ),
    (
        "acct.dev.current",
        AccountKind::Debit,
        "Dev Raman",
        300_00,
        0,
    ),
];

/// The accounts a bank opens on first use.
pub fn accounts(bank_id: &str) -> Vec<OpenAccount> {
    let accounts: &[DemoAccount] = match bank_id {
        "northbank" => &NORTHBANK,
        "southbank" => &SOUTHBANK,
        _ => &[],
    };
    accounts
        .iter()
        .map(
            |&(account_id, kind, holder, opening_balance_minor, credit_limit_minor)| OpenAccount {
                account_id: account_id.to_owned(),
                kind,
                currency: "USD".to_owned(),
                holder: holder.to_owned(),
                opening_balance_minor,
                credit_limit_minor,
            },
        )
        .collect()
}
