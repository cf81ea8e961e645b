//! The wallet's memory of the shopper's orders: one encrypted record per
//! order (kind `order`, id the order id), sealed under the vault key like
//! the cards. A record holds what the shopper needs to follow the order and
//! prove the purchase: the store's answer to the quote request (the signed
//! quote, the order id, the payment id and the client secret), the signed
//! receipt once paid, and the store's last view of the order.

use shared::encoding::{CanonicalReader, CanonicalWriter};
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::vault::{SealedRecord, VAULT_RECORD_BYTES_MAX, open_record, seal_record};
use shared::wire::{OrderView, QuoteAnswer};
use wasm_bindgen::JsValue;
use zeroize::Zeroizing;

use super::{ORDERS_STORE, Session, Vault, VaultFailure, from_js, rng, to_js};

/// The most orders one wallet remembers; a new one past this forgets the
/// one placed longest ago.
pub const WALLET_ORDERS_MAX: usize = 50;

pub(super) const ORDER_RECORD_KIND: &str = "order";
const ORDER_RECORD_LABEL: &str = "ewallet/vault-order/v1";

/// An order as the wallet keeps it (encrypted).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRecord {
    /// The store's answer to the quote request, as received.
    pub quote: QuoteAnswer,
    /// The store's signed receipt, once the order is paid.
    pub receipt: Option<Signed<Receipt>>,
    /// The store's view of the order when the wallet last asked.
    pub order: Option<OrderView>,
    /// When this wallet first kept the order.
    pub placed_at_ms: u64,
}

impl OrderRecord {
    pub fn order_id(&self) -> &str {
        &self.quote.order_id
    }

    /// The plaintext bytes to seal: `str(label) ‖ str(quote answer JSON)
    /// ‖ str(receipt JSON or "") ‖ str(order view JSON or "")
    /// ‖ u64(placed_at_ms)`. The signed parts are kept as the store sent
    /// them, so their signatures can be checked again from the record.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, VaultFailure> {
        let quote = json(&self.quote)?;
        let receipt = match &self.receipt {
            Some(receipt) => json(receipt)?,
            None => String::new(),
        };
        let order = match &self.order {
            Some(order) => json(order)?,
            None => String::new(),
        };
        Ok(Zeroizing::new(
            CanonicalWriter::new(ORDER_RECORD_LABEL)
                .text(&quote)
                .text(&receipt)
                .text(&order)
                .u64(self.placed_at_ms)
                .finish(),
        ))
    }

    pub fn decode(bytes: &[u8]) -> Option<OrderRecord> {
        let mut reader = CanonicalReader::new(bytes, ORDER_RECORD_LABEL).ok()?;
        let quote = serde_json::from_str(reader.text(VAULT_RECORD_BYTES_MAX).ok()?).ok()?;
        let receipt = optional_json(reader.text(VAULT_RECORD_BYTES_MAX).ok()?)?;
        let order = optional_json(reader.text(VAULT_RECORD_BYTES_MAX).ok()?)?;
        let placed_at_ms = reader.u64().ok()?;
        reader.finish().ok()?;
        Some(OrderRecord {
            quote,
            receipt,
            order,
            placed_at_ms,
        })
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, VaultFailure> {
    serde_json::to_string(value).map_err(|_| VaultFailure::Storage)
}

/// An optional part: "" for none; `None` if the text does not parse.
fn optional_json<T: serde::de::DeserializeOwned>(text: &str) -> Option<Option<T>> {
    if text.is_empty() {
        return Some(None);
    }
    serde_json::from_str(text).ok().map(Some)
}

/// A sealed order ready to be written, with the session it was sealed in.
pub struct OrderWrite {
    record: OrderRecord,
    value: JsValue,
    header_text: String,
    /// The order forgotten to make room, if the wallet is full.
    evict: Option<String>,
}

impl OrderWrite {
    /// The record this write would have kept.
    pub fn into_record(self) -> OrderRecord {
        self.record
    }
}

impl Session {
    /// Seals `record`. Of an order already kept, the first `placed_at_ms`
    /// stays, and so do a receipt `record` lacks and a store's view newer
    /// than its own.
    /// `None` when the wallet already holds it exactly so.
    pub fn seal_order(&self, mut record: OrderRecord) -> Result<Option<OrderWrite>, VaultFailure> {
        let known = self
            .orders
            .iter()
            .find(|kept| kept.order_id() == record.order_id());
        if let Some(known) = known {
            record.placed_at_ms = known.placed_at_ms;
            if record.receipt.is_none() {
                record.receipt.clone_from(&known.receipt);
            }
            // The store's events only grow: a view with fewer than the
            // one kept is older (a page that showed the order before it
            // shipped, say), and the newer one stays.
            let older = match (&record.order, &known.order) {
                (Some(new), Some(kept)) => new.events.len() < kept.events.len(),
                (None, _) => true,
                (Some(_), None) => false,
            };
            if older {
                record.order.clone_from(&known.order);
            }
            if *known == record {
                return Ok(None);
            }
        }
        let evict = match known {
            Some(_) => None,
            None if self.orders.len() >= WALLET_ORDERS_MAX => self
                .orders
                .iter()
                .min_by_key(|kept| kept.placed_at_ms)
                .map(|oldest| oldest.order_id().to_owned()),
            None => None,
        };
        let sealed = seal_record(
            &self.key,
            ORDER_RECORD_KIND,
            record.order_id(),
            &record.encode()?,
            &mut rng(),
        )
        .map_err(VaultFailure::Crypto)?;
        Ok(Some(OrderWrite {
            value: to_js(&sealed)?,
            header_text: self.header_text.clone(),
            evict,
            record,
        }))
    }

    /// Takes a written order into the session.
    pub fn order_written(&mut self, write: OrderWrite) {
        let OrderWrite { record, evict, .. } = write;
        if let Some(evicted) = evict {
            self.orders.retain(|kept| kept.order_id() != evicted);
        }
        match self
            .orders
            .iter_mut()
            .find(|kept| kept.order_id() == record.order_id())
        {
            Some(kept) => *kept = record,
            None => self.orders.push(record),
        }
        self.orders
            .sort_by_key(|kept| core::cmp::Reverse(kept.placed_at_ms));
    }
}

impl Vault {
    /// Writes a sealed order (and forgets the evicted one) in one
    /// transaction, refused if another tab changed the vault key since the
    /// order was sealed.
    pub async fn put_order(&self, write: &OrderWrite) -> Result<(), VaultFailure> {
        let transaction = self
            .write_under(&write.header_text, &[ORDERS_STORE])
            .await?;
        let store = transaction.object_store(ORDERS_STORE)?;
        if let Some(evicted) = &write.evict {
            store.delete(JsValue::from_str(evicted))?.await?;
        }
        store
            .put(
                &write.value,
                Some(&JsValue::from_str(write.record.order_id())),
            )?
            .await?;
        transaction.commit()?.await?;
        Ok(())
    }

    /// Decrypts every order record, newest first; one that fails is left
    /// out and counted.
    pub(super) async fn load_orders(&self, session: &mut Session) -> Result<(), VaultFailure> {
        let (ids, values) = self.read_all(ORDERS_STORE).await?;
        for (id, value) in ids.iter().zip(&values) {
            let opened = id.as_string().and_then(|id| {
                let record: SealedRecord = from_js(value)?;
                let plaintext = open_record(&session.key, ORDER_RECORD_KIND, &id, &record).ok()?;
                OrderRecord::decode(&plaintext).filter(|order| order.order_id() == id)
            });
            match opened {
                Some(order) => session.orders.push(order),
                None => session.skipped += 1,
            }
        }
        session
            .orders
            .sort_by_key(|kept| core::cmp::Reverse(kept.placed_at_ms));
        Ok(())
    }
}
