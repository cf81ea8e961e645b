//! What the shop's first module (the shell, `shell.rs`) hands to the
//! wallet's module when the shopper first needs the wallet: the search,
//! the order being built, and what the shopper just asked for. It travels
//! as JSON through `static/boot.js`, inside the page, and is never stored.

use serde::{Deserialize, Serialize};
use shared::money::{Currency, Money};

use crate::checkout_state::CartLine;
use crate::hooks::use_checkout::ShippingForm;

#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Handover {
    pub search: Option<String>,
    pub cart: Vec<HandedLine>,
    pub action: Option<HandoverAction>,
}

/// A cart line as it travels: its price as the catalog's text.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct HandedLine {
    sku: String,
    name: String,
    unit_price: String,
    currency: Currency,
    quantity: u32,
    stock: u32,
}

impl From<&CartLine> for HandedLine {
    fn from(line: &CartLine) -> HandedLine {
        HandedLine {
            sku: line.sku.clone(),
            name: line.name.clone(),
            unit_price: line.unit_price.amount_string(),
            currency: line.unit_price.currency(),
            quantity: line.quantity,
            stock: line.stock,
        }
    }
}

impl HandedLine {
    /// The cart line again; `None` if its price does not read back.
    pub fn line(&self) -> Option<CartLine> {
        Some(CartLine {
            sku: self.sku.clone(),
            name: self.name.clone(),
            unit_price: Money::parse(&self.unit_price, self.currency).ok()?,
            quantity: self.quantity,
            stock: self.stock,
        })
    }
}

/// What the shopper asked for, which the wallet's module carries out once
/// it runs.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum HandoverAction {
    /// Create the wallet with this password (checked by the form).
    Create(String),
    /// Unlock the wallet with this password.
    Unlock(String),
    UnlockWithPasskey,
    /// Ask the store for a quote of the cart, shipped as typed.
    Quote(ShippingForm),
}
