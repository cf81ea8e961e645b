//! The payment gateway: between the store, the shopper's sealed payment and
//! the card networks. So far its connector to the issuer; the payment
//! objects, keys and routes arrive with the payment path.

pub mod connector;
