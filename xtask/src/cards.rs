//! `cargo xtask cards`: the demo issuer's card printer. It prints each demo
//! card with the CVC the local issuer key gives it (the issuer derives CVCs
//! from its secret key and stores none, so they differ per installation).

use shared::card::{CardNumber, Expiry};
use shared::demo_cards::DEMO_CARDS;
use shared::issuer::derive_cvc;

use crate::command::{Failure, workspace_root};
use crate::secrets;

pub fn print() -> Result<(), Failure> {
    secrets::ensure_dev_vars()?;
    let vars = std::fs::read_to_string(workspace_root().join(".dev.vars"))?;
    let hex = vars
        .lines()
        .find_map(|line| line.strip_prefix("ISSUER_CVC_KEY="))
        .map(str::trim)
        .ok_or_else(|| Failure::new(".dev.vars has no ISSUER_CVC_KEY"))?;
    let key = decode_hex(hex).ok_or_else(|| Failure::new("ISSUER_CVC_KEY is not hex"))?;
    println!(
        "{:<22} {:<20} {:<7} {:<4} {:<8} {:<10} account",
        "card", "number", "expiry", "cvc", "status", "bank"
    );
    for card in &DEMO_CARDS {
        let number =
            CardNumber::parse(card.number).map_err(|error| Failure::new(error.to_string()))?;
        let expiry = Expiry::new(card.expiry_month, card.expiry_year)
            .map_err(|error| Failure::new(error.to_string()))?;
        let cvc = derive_cvc(&key, &number, &expiry);
        println!(
            "{:<22} {:<20} {:<7} {:<4} {:<8} {:<10} {}",
            card.name,
            number.reveal_digits(),
            expiry.display(),
            cvc.reveal_digits(),
            card.status.code(),
            card.bank_id,
            card.account_id
        );
    }
    Ok(())
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(hex.get(index..index + 2)?, 16).ok())
        .collect()
}
