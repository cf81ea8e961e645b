//! The issuer's demo cards (the list is `shared::demo_cards`) and where
//! the demo merchants bank.

#[cfg(feature = "operator")]
pub use shared::demo_cards::by_name;

/// Where every demo merchant banks: the bank that receives captures.
pub const MERCHANT_BANK: &str = "northbank";
