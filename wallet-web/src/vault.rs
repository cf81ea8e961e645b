//! The wallet's vault: the only code that touches IndexedDB or key
//! material. Cards are kept encrypted under a random vault key; the vault
//! key is wrapped by a key derived from the shopper's password with
//! Argon2id (`shared::vault`). Salt, parameters and wrapped key form one
//! header record. A password change makes a new vault key too: the header
//! and every re-encrypted record are written in one transaction.
//!
//! An IndexedDB transaction commits as soon as the code awaits anything
//! that is not one of its own requests, so every operation derives keys and
//! encrypts first, then runs the reads and writes of one logical change in
//! one transaction.
//!
//! Keys and plaintext live in memory only inside a [`Session`] (while the
//! wallet is unlocked); dropping it zeroizes the vault key. A browser gives
//! no guarantee that no copy of freed memory survives: this is best effort.

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use serde::{Deserialize, Serialize};
use shared::encoding::to_base64url;
use shared::rand_core::UnwrapErr;
use shared::vault::{
    CardRecord, KdfParams, SealedRecord, VaultError, VaultHeader, VaultKey, create_vault,
    open_record, seal_record, unlock_vault, wrap_vault_key,
};
use wasm_bindgen::JsValue;

pub mod orders;
mod passkeys;
mod password;

pub use orders::OrderRecord;

/// The most cards one wallet holds.
pub const WALLET_CARDS_MAX: usize = 10;

/// Wrong passwords allowed before each further attempt must wait.
pub const UNLOCK_ATTEMPTS_FREE: u32 = 3;
/// The longest wait after repeated wrong passwords.
pub const UNLOCK_DELAY_MS_MAX: u64 = 5 * 60 * 1000;

/// The database a browser keeps the wallet in.
pub const DATABASE_NAME: &str = "wallet";
/// Version 2 added the orders store.
const DATABASE_VERSION: u32 = 2;
const META_STORE: &str = "meta";
const CARDS_STORE: &str = "cards";
const ORDERS_STORE: &str = "orders";
const HEADER_KEY: &str = "header";
const FAILURES_KEY: &str = "unlock_failures";
const CARD_RECORD_KIND: &str = "card";

/// How long the next unlock attempt must wait after `failures` wrong
/// passwords in a row: nothing for the first few, then doubling from one
/// second up to five minutes. A courtesy against casual guessing at this
/// screen; Argon2's cost is what protects the vault against an attacker
/// who copies it.
pub fn unlock_delay_ms(failures: u32) -> u64 {
    if failures < UNLOCK_ATTEMPTS_FREE {
        return 0;
    }
    let doublings = (failures - UNLOCK_ATTEMPTS_FREE).min(20);
    (1_000_u64 << doublings).min(UNLOCK_DELAY_MS_MAX)
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VaultFailure {
    #[error("this browser's storage is not available")]
    Storage,
    #[error("a wallet already exists in this browser")]
    AlreadyExists,
    #[error("there is no wallet in this browser yet")]
    Missing,
    #[error("wrong password")]
    WrongPassword { failures: u32 },
    #[error("too many wrong passwords; wait a moment and try again")]
    TooSoon { retry_after_ms: u64 },
    #[error("the wallet holds the most cards it can")]
    CardLimit,
    #[error("the wallet changed in another tab meanwhile; lock it and unlock it again")]
    ChangedMeanwhile,
    #[error("that passkey does not unlock this wallet")]
    PasskeyUnknown,
    #[error("the wallet holds the most passkeys it can")]
    PasskeyLimit,
    #[error("{0}")]
    Crypto(VaultError),
}

impl From<idb::Error> for VaultFailure {
    fn from(_: idb::Error) -> VaultFailure {
        VaultFailure::Storage
    }
}

/// Consecutive wrong passwords, kept beside the header (not secret).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockFailures {
    pub count: u32,
    pub last_at_ms: u64,
}

/// Whether a wallet exists here, and its failed-unlock count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultStatus {
    pub exists: bool,
    pub failures: UnlockFailures,
    /// How many passkeys the stored header names.
    pub passkeys: usize,
}

/// A card in the unlocked wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCard {
    pub id: String,
    pub card: CardRecord,
}

/// An unlocked wallet: the vault key, the decrypted cards and orders. Dropping it
/// (locking) zeroizes the key.
#[derive(Debug)]
pub struct Session {
    key: VaultKey,
    /// The stored header this session's key was opened under (as stored):
    /// a write refuses if another tab has changed it since.
    header_text: String,
    pub cards: Vec<StoredCard>,
    /// The orders this wallet remembers, newest first.
    pub orders: Vec<OrderRecord>,
    /// Records that failed to decrypt and were left out.
    pub skipped: usize,
}

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, VaultFailure> {
    serde_json::to_string(value)
        .map(|text| JsValue::from_str(&text))
        .map_err(|_| VaultFailure::Storage)
}

fn from_js<T: for<'de> Deserialize<'de>>(value: &JsValue) -> Option<T> {
    value
        .as_string()
        .and_then(|text| serde_json::from_str(&text).ok())
}

fn new_card_id() -> Result<String, VaultFailure> {
    let mut bytes = [0_u8; 12];
    getrandom::fill(&mut bytes).map_err(|_| VaultFailure::Storage)?;
    Ok(format!("card_{}", to_base64url(&bytes)))
}

/// A card sealed under `session`'s key as the record `id`, as stored.
fn seal_card(session: &Session, id: &str, card: &CardRecord) -> Result<JsValue, VaultFailure> {
    let sealed = seal_record(
        &session.key,
        CARD_RECORD_KIND,
        id,
        &card.encode(),
        &mut rng(),
    )
    .map_err(VaultFailure::Crypto)?;
    to_js(&sealed)
}

/// The wallet's IndexedDB database.
pub struct Vault {
    database: Database,
}

impl Vault {
    /// Opens (creating on first use) the database `name`.
    pub async fn open(name: &str) -> Result<Vault, VaultFailure> {
        let factory = Factory::new()?;
        let mut request = factory.open(name, Some(DATABASE_VERSION))?;
        request.on_upgrade_needed(|event| {
            if let Ok(database) = event.database() {
                for store in [META_STORE, CARDS_STORE, ORDERS_STORE] {
                    if !database.store_names().iter().any(|name| name == store) {
                        let _ = database.create_object_store(store, ObjectStoreParams::new());
                    }
                }
            }
        });
        Ok(Vault {
            database: request.await?,
        })
    }

    async fn read_meta(&self) -> Result<(Option<VaultHeader>, UnlockFailures), VaultFailure> {
        let (header, failures) = self.read_meta_text().await?;
        Ok((
            header
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            failures,
        ))
    }

    /// The header as stored (its text), and the failure count.
    async fn read_meta_text(&self) -> Result<(Option<String>, UnlockFailures), VaultFailure> {
        let transaction = self
            .database
            .transaction(&[META_STORE], TransactionMode::ReadOnly)?;
        let store = transaction.object_store(META_STORE)?;
        let header = store.get(JsValue::from_str(HEADER_KEY))?.await?;
        let failures = store.get(JsValue::from_str(FAILURES_KEY))?.await?;
        transaction.await?;
        Ok((
            header.and_then(|value| value.as_string()),
            failures.as_ref().and_then(from_js).unwrap_or_default(),
        ))
    }

    /// Inside a write transaction: whether the stored header is still
    /// `expected`. When it is not, the caller aborts: a tab never writes
    /// under a key another tab replaced.
    async fn header_is(
        transaction: &idb::Transaction,
        expected: &str,
    ) -> Result<bool, VaultFailure> {
        let stored = transaction
            .object_store(META_STORE)?
            .get(JsValue::from_str(HEADER_KEY))?
            .await?
            .and_then(|value| value.as_string());
        Ok(stored.as_deref() == Some(expected))
    }

    /// A write transaction over the header and `stores`, open only while
    /// the stored header is still `header_text` (the key the caller sealed
    /// under); refused, and nothing written, if another tab changed it.
    async fn write_under(
        &self,
        header_text: &str,
        stores: &[&str],
    ) -> Result<idb::Transaction, VaultFailure> {
        let names: Vec<&str> = std::iter::once(META_STORE)
            .chain(stores.iter().copied())
            .collect();
        let transaction = self
            .database
            .transaction(&names, TransactionMode::ReadWrite)?;
        if !Self::header_is(&transaction, header_text).await? {
            transaction.abort()?.await?;
            return Err(VaultFailure::ChangedMeanwhile);
        }
        Ok(transaction)
    }

    pub async fn status(&self) -> Result<VaultStatus, VaultFailure> {
        let (header, failures) = self.read_meta().await?;
        Ok(VaultStatus {
            exists: header.is_some(),
            passkeys: header.as_ref().map_or(0, |header| header.passkeys.len()),
            failures,
        })
    }

    /// Creates the wallet: derives first, then writes the header in one
    /// transaction (refusing if another tab created one meanwhile).
    pub async fn create(&self, password: &str, kdf: KdfParams) -> Result<Session, VaultFailure> {
        if self.read_meta().await?.0.is_some() {
            return Err(VaultFailure::AlreadyExists);
        }
        let (header, key) =
            create_vault(password, kdf, &mut rng()).map_err(VaultFailure::Crypto)?;
        let header = to_js(&header)?;
        let header_text = header.as_string().unwrap_or_default();
        let transaction = self
            .database
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        let store = transaction.object_store(META_STORE)?;
        if store.get(JsValue::from_str(HEADER_KEY))?.await?.is_some() {
            transaction.abort()?.await?;
            return Err(VaultFailure::AlreadyExists);
        }
        store
            .put(&header, Some(&JsValue::from_str(HEADER_KEY)))?
            .await?;
        store
            .put(
                &to_js(&UnlockFailures::default())?,
                Some(&JsValue::from_str(FAILURES_KEY)),
            )?
            .await?;
        transaction.commit()?.await?;
        Ok(Session {
            key,
            header_text,
            cards: Vec::new(),
            orders: Vec::new(),
            skipped: 0,
        })
    }

    /// Unlocks with `password`. A wrong password is counted (and the count
    /// kept across reloads); past a few, attempts must wait. If the stored
    /// Argon2 parameters are weaker than `target`, the key is re-wrapped
    /// with `target` in the same write that clears the failure count.
    pub async fn unlock(
        &self,
        password: &str,
        target: KdfParams,
        now_ms: u64,
    ) -> Result<Session, VaultFailure> {
        let (key, header, read_text) = self.check_password(password, now_ms).await?;
        let upgraded = if header.kdf.is_weaker_than(&target) {
            // The same vault key: the passkeys' wraps carry over as they are.
            let mut upgraded =
                wrap_vault_key(&key, password, target, &mut rng()).map_err(VaultFailure::Crypto)?;
            upgraded.passkeys = header
                .passkeys
                .iter()
                .take(shared::vault::VAULT_PASSKEYS_MAX)
                .cloned()
                .collect();
            Some(to_js(&upgraded)?)
        } else {
            None
        };
        let transaction = self
            .database
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        // A header another tab rewrote meanwhile (a password change) is
        // never overwritten with this one's key.
        if !Self::header_is(&transaction, &read_text).await? {
            transaction.abort()?.await?;
            return Err(VaultFailure::ChangedMeanwhile);
        }
        let store = transaction.object_store(META_STORE)?;
        store
            .put(
                &to_js(&UnlockFailures::default())?,
                Some(&JsValue::from_str(FAILURES_KEY)),
            )?
            .await?;
        let header_text = match upgraded {
            Some(header) => {
                store
                    .put(&header, Some(&JsValue::from_str(HEADER_KEY)))?
                    .await?;
                header.as_string().unwrap_or_default()
            }
            None => read_text,
        };
        transaction.commit()?.await?;
        self.open_session(key, header_text).await
    }

    /// The session a key opens: every card and order decrypted (those that
    /// fail are left out and counted), under the header it was read from.
    async fn open_session(
        &self,
        key: VaultKey,
        header_text: String,
    ) -> Result<Session, VaultFailure> {
        let (cards, skipped) = self.load_cards(&key).await?;
        let mut session = Session {
            key,
            header_text,
            cards,
            orders: Vec::new(),
            skipped,
        };
        self.load_orders(&mut session).await?;
        Ok(session)
    }

    /// Decrypts every card record; one that fails is left out and counted.
    async fn load_cards(&self, key: &VaultKey) -> Result<(Vec<StoredCard>, usize), VaultFailure> {
        let (ids, values) = self.read_all(CARDS_STORE).await?;
        let mut cards = Vec::with_capacity(values.len());
        let mut skipped = 0;
        for (id, value) in ids.iter().zip(&values) {
            let opened = id.as_string().and_then(|id| {
                let record: SealedRecord = from_js(value)?;
                let plaintext = open_record(key, CARD_RECORD_KIND, &id, &record).ok()?;
                let card = CardRecord::decode(&plaintext).ok()?;
                Some(StoredCard { id, card })
            });
            match opened {
                Some(card) => cards.push(card),
                None => skipped += 1,
            }
        }
        Ok((cards, skipped))
    }

    /// Checks `password` against the header like an unlock does: through
    /// the same back-off and the same failure count (a wrong one is counted
    /// and kept). Answers the vault key.
    async fn check_password(
        &self,
        password: &str,
        now_ms: u64,
    ) -> Result<(VaultKey, VaultHeader, String), VaultFailure> {
        let (header_text, _) = self.read_meta_text().await?;
        let header_text = header_text.ok_or(VaultFailure::Missing)?;
        let header: VaultHeader =
            serde_json::from_str(&header_text).map_err(|_| VaultFailure::Storage)?;
        // Counted before the key is derived, in the transaction that checks
        // the wait: attempts from several tabs at once are each counted and
        // each wait their turn. A right password clears the count.
        let counted = self.count_attempt(now_ms).await?;
        match unlock_vault(&header, password) {
            Ok(key) => Ok((key, header, header_text)),
            Err(VaultError::WrongPassword) => {
                Err(VaultFailure::WrongPassword { failures: counted })
            }
            Err(other) => Err(VaultFailure::Crypto(other)),
        }
    }

    /// One more password attempt, unless the back-off says wait: the
    /// check and the count are one transaction. Answers the new count.
    async fn count_attempt(&self, now_ms: u64) -> Result<u32, VaultFailure> {
        let transaction = self
            .database
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        let store = transaction.object_store(META_STORE)?;
        let failures: UnlockFailures = store
            .get(JsValue::from_str(FAILURES_KEY))?
            .await?
            .as_ref()
            .and_then(from_js)
            .unwrap_or_default();
        let ready_at = failures
            .last_at_ms
            .saturating_add(unlock_delay_ms(failures.count));
        if now_ms < ready_at {
            transaction.abort()?.await?;
            return Err(VaultFailure::TooSoon {
                retry_after_ms: ready_at - now_ms,
            });
        }
        let counted = UnlockFailures {
            count: failures.count.saturating_add(1),
            last_at_ms: now_ms,
        };
        store
            .put(&to_js(&counted)?, Some(&JsValue::from_str(FAILURES_KEY)))?
            .await?;
        transaction.commit()?.await?;
        Ok(counted.count)
    }

    /// Every record's id and stored value in `store_name`, in key order.
    async fn read_all(
        &self,
        store_name: &str,
    ) -> Result<(Vec<JsValue>, Vec<JsValue>), VaultFailure> {
        let transaction = self
            .database
            .transaction(&[store_name], TransactionMode::ReadOnly)?;
        let store = transaction.object_store(store_name)?;
        let ids = store.get_all_keys(None, None)?.await?;
        let values = store.get_all(None, None)?.await?;
        transaction.await?;
        Ok((ids, values))
    }

    /// Adds a card: encrypts first, then checks the limit and writes in one
    /// transaction.
    pub async fn add_card(
        &self,
        session: &mut Session,
        card: CardRecord,
    ) -> Result<String, VaultFailure> {
        let id = new_card_id()?;
        let value = seal_card(session, &id, &card)?;
        // Sealed under this session's key: refused if another tab has
        // changed the key since (the card would be unreadable).
        let transaction = self
            .write_under(&session.header_text, &[CARDS_STORE])
            .await?;
        let store = transaction.object_store(CARDS_STORE)?;
        let count = store.count(None)?.await?;
        if count as usize >= WALLET_CARDS_MAX {
            transaction.abort()?.await?;
            return Err(VaultFailure::CardLimit);
        }
        store.put(&value, Some(&JsValue::from_str(&id)))?.await?;
        transaction.commit()?.await?;
        session.cards.push(StoredCard {
            id: id.clone(),
            card,
        });
        Ok(id)
    }

    /// Records the passkey enrolled for a card with its issuer: the card's
    /// record is sealed again with the credential id, and written unless
    /// another tab changed the vault key meanwhile.
    pub async fn set_card_passkey(
        &self,
        session: &mut Session,
        card_id: &str,
        credential_id: &[u8],
    ) -> Result<(), VaultFailure> {
        let Some(stored) = session.cards.iter().find(|stored| stored.id == card_id) else {
            return Ok(());
        };
        let mut card = stored.card.clone();
        card.passkey_credential = credential_id.to_vec();
        let value = seal_card(session, card_id, &card)?;
        let transaction = self
            .write_under(&session.header_text, &[CARDS_STORE])
            .await?;
        // A card another tab removed meanwhile stays removed.
        let store = transaction.object_store(CARDS_STORE)?;
        let key = JsValue::from_str(card_id);
        if store.get(key.clone())?.await?.is_none() {
            transaction.abort()?.await?;
            return Err(VaultFailure::ChangedMeanwhile);
        }
        store.put(&value, Some(&key))?.await?;
        transaction.commit()?.await?;
        if let Some(stored) = session.cards.iter_mut().find(|stored| stored.id == card_id) {
            stored.card = card;
        }
        Ok(())
    }

    pub async fn remove_card(&self, session: &mut Session, id: &str) -> Result<(), VaultFailure> {
        let transaction = self
            .database
            .transaction(&[CARDS_STORE], TransactionMode::ReadWrite)?;
        transaction
            .object_store(CARDS_STORE)?
            .delete(JsValue::from_str(id))?
            .await?;
        transaction.commit()?.await?;
        session.cards.retain(|stored| stored.id != id);
        Ok(())
    }

    /// Every stored value, as text: for tests that check what is at rest.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub async fn raw_values(&self) -> Result<Vec<String>, VaultFailure> {
        let mut texts = Vec::new();
        for store_name in [META_STORE, CARDS_STORE, ORDERS_STORE] {
            let transaction = self
                .database
                .transaction(&[store_name], TransactionMode::ReadOnly)?;
            let store = transaction.object_store(store_name)?;
            let values = store.get_all(None, None)?.await?;
            transaction.await?;
            texts.extend(values.iter().filter_map(JsValue::as_string));
        }
        Ok(texts)
    }

    /// Writes a raw value into the card store: for tests of damaged records.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub async fn put_raw_card(&self, id: &str, text: &str) -> Result<(), VaultFailure> {
        self.put_in(CARDS_STORE, id, &JsValue::from_str(text)).await
    }

    /// The stored values of one store (`cards`, `orders`), as text.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub async fn raw_values_of(&self, store_name: &str) -> Result<Vec<String>, VaultFailure> {
        let (_, values) = self.read_all(store_name).await?;
        Ok(values.iter().filter_map(JsValue::as_string).collect())
    }

    /// Writes a raw value into one store, behind the vault's back.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub async fn put_raw(
        &self,
        store_name: &str,
        key: &str,
        text: &str,
    ) -> Result<(), VaultFailure> {
        self.put_in(store_name, key, &JsValue::from_str(text)).await
    }

    #[cfg(all(test, target_arch = "wasm32"))]
    async fn put_in(
        &self,
        store_name: &str,
        key: &str,
        value: &JsValue,
    ) -> Result<(), VaultFailure> {
        let transaction = self
            .database
            .transaction(&[store_name], TransactionMode::ReadWrite)?;
        transaction
            .object_store(store_name)?
            .put(value, Some(&JsValue::from_str(key)))?
            .await?;
        transaction.commit()?.await?;
        Ok(())
    }

    /// The stored header's KDF parameters: for tests of the upgrade.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub async fn stored_kdf(&self) -> Result<Option<KdfParams>, VaultFailure> {
        Ok(self.read_meta().await?.0.map(|header| header.kdf))
    }
}

/// What the browser tests read behind the vault's back: the stored header
/// and records as they are at rest.
#[cfg(all(test, target_arch = "wasm32"))]
impl Vault {
    pub async fn header_for_test(&self) -> Result<VaultHeader, VaultFailure> {
        self.read_meta().await?.0.ok_or(VaultFailure::Missing)
    }

    pub async fn read_cards_for_test(&self) -> Result<(Vec<JsValue>, Vec<JsValue>), VaultFailure> {
        self.read_all(CARDS_STORE).await
    }
}
