//! How a bank's ledger is split: `BANK_SHARDS` Durable Objects per bank
//! (`<bank>/0` … `<bank>/7`), each a complete double-entry ledger of the
//! accounts it keeps. An account lives on exactly one shard, chosen by a
//! hash of its id, so one account's transfers never wait on an unrelated
//! account's. The bank's own accounts (card settlement, equity, transit)
//! exist on every shard, each shard with its own copy, so a hold or a
//! settlement touches one shard only. A capture or refund between two
//! customer accounts on two shards moves through each shard's transit
//! account by the bank's two-phase protocol (`movements.rs`).

/// Ledger shards per bank.
pub const BANK_SHARDS: u32 = 8;

/// The bank's card settlement account (one copy per shard).
pub const SETTLEMENT_ACCOUNT: &str = "settlement.cards";

/// The prefix of the bank's equity accounts, one per currency (the other
/// side of opening balances).
pub const EQUITY_PREFIX: &str = "equity.";

/// The prefix of the transit accounts, one per currency and shard: the
/// shard-local side of every movement between two shards.
pub const TRANSIT_PREFIX: &str = "transit.";

/// Whether `account_id` names one of the bank's own accounts, which every
/// shard keeps a copy of (no customer or merchant account may take such a
/// name).
pub fn is_bank_own(account_id: &str) -> bool {
    account_id == SETTLEMENT_ACCOUNT
        || account_id.starts_with(EQUITY_PREFIX)
        || account_id.starts_with(TRANSIT_PREFIX)
}

/// The transit account of `currency`.
pub fn transit_account(currency: &str) -> String {
    format!("{TRANSIT_PREFIX}{currency}")
}

/// The shard that keeps `account_id`: FNV-1a (64-bit) of its bytes,
/// modulo `BANK_SHARDS`. Stable: changing it would strand every account.
pub fn shard_of(account_id: &str) -> u32 {
    let hash = account_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    u32::try_from(hash % u64::from(BANK_SHARDS)).unwrap_or(0)
}

/// Whether `bank_id` names a bank; the error every bank route answers
/// otherwise.
pub fn is_bank(bank_id: &str) -> Result<(), crate::error::ApiError> {
    if crate::bank::wire::BANK_IDS.contains(&bank_id) {
        Ok(())
    } else {
        Err(crate::error::ApiError::not_found(
            "bank_not_found",
            "no such bank",
        ))
    }
}

/// The Durable Object name of shard `shard` of bank `bank_id`.
pub fn object_name(bank_id: &str, shard: u32) -> String {
    format!("{bank_id}/{shard}")
}

#[cfg(test)]
mod tests {
    use super::{BANK_SHARDS, is_bank_own, shard_of};

    #[test]
    fn accounts_spread_over_every_shard_and_stay_put() {
        let mut seen = [0_u32; BANK_SHARDS as usize];
        for index in 0..800 {
            let shard = shard_of(&format!("acct.customer{index}.current"));
            assert_eq!(shard, shard_of(&format!("acct.customer{index}.current")));
            seen[shard as usize] += 1;
        }
        assert!(seen.iter().all(|count| *count > 50), "{seen:?}");
        // Pinned: a changed hash would strand every existing account.
        assert_eq!(shard_of("acct.ada.current"), 3);
        assert_eq!(shard_of("merchant.m_teashop"), 1);
        assert_eq!(shard_of("acct.dev.current"), 0);
    }

    #[test]
    fn the_banks_own_accounts_are_named_apart() {
        for own in ["settlement.cards", "equity.USD", "transit.USD"] {
            assert!(is_bank_own(own), "{own}");
        }
        for customer in [
            "acct.ada.current",
            "merchant.m_teashop",
            "settlement",
            "transit",
        ] {
            assert!(!is_bank_own(customer), "{customer}");
        }
    }
}
