//! What the shop's first module (the shell, `shell.rs`) hands to the
//! wallet's module when the shopper first needs the wallet: the search and
//! the products it shows, the order being built, and what the shopper just
//! asked for. It travels as JSON through `static/boot.js`, inside the page,
//! and is never stored. A password in it is taken out before anything
//! else keeps the rest (`lib.rs`, `take_over`), used once and wiped.

use serde::{Deserialize, Serialize};
use shared::money::{Currency, Money};
use shared::wire::Product;
use zeroize::Zeroize;

use crate::checkout_state::CartLine;
use crate::hooks::use_checkout::ShippingForm;
use crate::state::WalletView;

#[derive(PartialEq, Default, Serialize, Deserialize)]
pub struct Handover {
    pub search: Option<String>,
    /// The products the shell showed for that search.
    pub products: Option<Vec<Product>>,
    pub cart: Vec<HandedLine>,
    /// A quote to ask for at once, shipped as typed.
    pub quote: Option<ShippingForm>,
    /// What to do with the wallet once the vault says how it stands.
    pub wallet: Option<WalletRequest>,
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

/// What the shopper asked of the wallet in the shell. A password in it is
/// wiped when the request is dropped; it is never cloned.
#[derive(PartialEq, Serialize, Deserialize)]
pub enum WalletRequest {
    /// Create the wallet with this password (checked by the form).
    Create(String),
    /// Unlock the wallet with this password.
    Unlock(String),
    UnlockWithPasskey,
}

impl Drop for WalletRequest {
    fn drop(&mut self) {
        if let WalletRequest::Create(password) | WalletRequest::Unlock(password) = self {
            password.zeroize();
        }
    }
}

/// What the wallet's module does with a request, given how the vault
/// stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStep {
    /// The vault is still being opened: keep the request.
    Wait,
    /// Carry it out now.
    Act,
    /// It no longer applies (another tab created or removed the wallet, or
    /// storage cannot be used): forget it; the panel shows what applies.
    Forget,
}

pub fn request_step(request: &WalletRequest, view: &WalletView) -> RequestStep {
    match (request, view) {
        (_, WalletView::Opening) => RequestStep::Wait,
        (WalletRequest::Create(_), WalletView::Empty)
        | (WalletRequest::Unlock(_) | WalletRequest::UnlockWithPasskey, WalletView::Locked) => {
            RequestStep::Act
        }
        _ => RequestStep::Forget,
    }
}
