//! The password change (and the passkeys' removal, which is one without
//! changing the password): the current password checked through the
//! unlock's back-off, a fresh vault key, every record (cards and orders)
//! re-encrypted under it and wrapped for every passkey kept, all written
//! in one transaction that another tab's change refuses.

use idb::TransactionMode;
use shared::vault::{
    KdfParams, SealedRecord, VAULT_PASSKEYS_MAX, create_vault, open_record, rewrap_passkey,
    seal_record,
};
use wasm_bindgen::JsValue;

use super::orders::ORDER_RECORD_KIND;
use super::{
    CARD_RECORD_KIND, CARDS_STORE, FAILURES_KEY, HEADER_KEY, META_STORE, ORDERS_STORE, Session,
    UnlockFailures, Vault, VaultFailure, from_js, rng, to_js,
};

/// The stores of sealed records, and the kind of record each holds.
const RECORD_STORES: [(&str, &str); 2] = [
    (CARDS_STORE, CARD_RECORD_KIND),
    (ORDERS_STORE, ORDER_RECORD_KIND),
];

impl Vault {
    /// Changes the password and the vault key with it: the current password
    /// is checked through the unlock's back-off; a fresh vault key is made,
    /// every record (cards and orders) re-encrypted under it and wrapped for
    /// every passkey, and the new header, the records and the cleared
    /// failure count written in one transaction (refused if another tab
    /// changed the records meanwhile). An old header and the old password
    /// then open nothing written from here on.
    pub async fn change_password(
        &self,
        session: &mut Session,
        current_password: &str,
        new_password: &str,
        kdf: KdfParams,
        now_ms: u64,
    ) -> Result<(), VaultFailure> {
        self.rekey(session, current_password, new_password, kdf, now_ms, true)
            .await
    }

    /// Removes every passkey for good (a lost device): the password is
    /// checked and the vault key replaced as by a password change (the
    /// password stays), with no passkey wrap at all. All of them, because a
    /// passkey kept would keep its KEK, which anyone holding the lost
    /// device and an old copy of the wallet could read under the old key.
    /// From here on, the lost device opens nothing written.
    pub async fn remove_passkeys(
        &self,
        session: &mut Session,
        password: &str,
        kdf: KdfParams,
        now_ms: u64,
    ) -> Result<(), VaultFailure> {
        self.rekey(session, password, password, kdf, now_ms, false)
            .await
    }

    /// A fresh vault key under `new_password`, every record re-sealed, and
    /// every passkey wrapped for it if `keep_passkeys`.
    async fn rekey(
        &self,
        session: &mut Session,
        current_password: &str,
        new_password: &str,
        kdf: KdfParams,
        now_ms: u64,
        keep_passkeys: bool,
    ) -> Result<(), VaultFailure> {
        let (old_key, old_header, read_text) =
            self.check_password(current_password, now_ms).await?;
        let (mut header, new_key) =
            create_vault(new_password, kdf, &mut rng()).map_err(VaultFailure::Crypto)?;
        // The passkeys keep working: each one's KEK, opened with the old
        // key, wraps the new key (no authenticator needed). A wrap the old
        // key does not open was never enrolled here: it is dropped.
        let kept = old_header
            .passkeys
            .iter()
            .take(VAULT_PASSKEYS_MAX)
            .filter(|_| keep_passkeys);
        for wrap in kept {
            if let Ok(rewrapped) = rewrap_passkey(&old_key, &new_key, wrap, &mut rng()) {
                header.passkeys.push(rewrapped);
            }
        }
        // Every record of every kind, read and re-sealed before the write.
        let mut stores = Vec::with_capacity(RECORD_STORES.len());
        for (store_name, kind) in RECORD_STORES {
            let (ids, values) = self.read_all(store_name).await?;
            let mut resealed = Vec::with_capacity(values.len());
            for (id, value) in ids.iter().zip(&values) {
                let Some(id) = id.as_string() else {
                    continue;
                };
                let Some(record) = from_js::<SealedRecord>(value) else {
                    continue;
                };
                // A record the old key cannot open stays as it is:
                // unreadable before, unreadable after.
                let Ok(plaintext) = open_record(&old_key, kind, &id, &record) else {
                    continue;
                };
                let sealed = seal_record(&new_key, kind, &id, &plaintext, &mut rng())
                    .map_err(VaultFailure::Crypto)?;
                resealed.push((id, to_js(&sealed)?));
            }
            let texts: Vec<Option<String>> = values.iter().map(JsValue::as_string).collect();
            stores.push((store_name, ids, texts, resealed));
        }
        let transaction = self.database.transaction(
            &[META_STORE, CARDS_STORE, ORDERS_STORE],
            TransactionMode::ReadWrite,
        )?;
        if !Self::header_is(&transaction, &read_text).await? {
            transaction.abort()?.await?;
            return Err(VaultFailure::ChangedMeanwhile);
        }
        for (store_name, ids, texts, resealed) in &stores {
            let store = transaction.object_store(store_name)?;
            // A record added meanwhile (by another tab, or an order kept
            // meanwhile) would stay under the old key, unreadable; one
            // changed in place would go back to what was read: refuse.
            let now_ids = store.get_all_keys(None, None)?.await?;
            let now_values = store.get_all(None, None)?.await?;
            let unchanged = now_ids.len() == ids.len()
                && now_ids
                    .iter()
                    .zip(ids)
                    .all(|(now, then)| now.as_string() == then.as_string())
                && now_values
                    .iter()
                    .map(JsValue::as_string)
                    .eq(texts.iter().cloned());
            if !unchanged {
                transaction.abort()?.await?;
                return Err(VaultFailure::ChangedMeanwhile);
            }
            for (id, value) in resealed {
                store.put(value, Some(&JsValue::from_str(id)))?.await?;
            }
        }
        let meta = transaction.object_store(META_STORE)?;
        let header = to_js(&header)?;
        meta.put(&header, Some(&JsValue::from_str(HEADER_KEY)))?
            .await?;
        meta.put(
            &to_js(&UnlockFailures::default())?,
            Some(&JsValue::from_str(FAILURES_KEY)),
        )?
        .await?;
        transaction.commit()?.await?;
        session.key = new_key;
        session.header_text = header.as_string().unwrap_or_default();
        Ok(())
    }
}
