//! Passkeys that unlock the vault (`shared::vault`'s passkey wraps, kept in
//! the header beside the password's). Adding or removing one rewrites the
//! header in one transaction that refuses if another tab changed it; the
//! list is re-tagged under the vault key each time. Unlocking with one
//! needs the authenticator's PRF output for that credential: the header
//! alone opens nothing.

use idb::TransactionMode;
use shared::vault::{
    PRF_OUTPUT_BYTES, VAULT_PASSKEYS_MAX, VaultHeader, enroll_passkey, passkeys_tag,
    passkeys_tag_holds, unlock_with_passkey,
};
use wasm_bindgen::JsValue;

use super::{HEADER_KEY, META_STORE, Session, Vault, VaultFailure, rng, to_js};

/// An enrolled passkey as the unlock asks the authenticator for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyRequest {
    pub credential_id: Vec<u8>,
    pub prf_salt: [u8; 32],
}

fn parse(text: &str) -> Result<VaultHeader, VaultFailure> {
    serde_json::from_str(text).map_err(|_| VaultFailure::Storage)
}

/// The header's passkeys, if the vault key vouches for their list.
fn trusted(header: &VaultHeader, session: &Session) -> Vec<shared::vault::PasskeyWrap> {
    match header.passkeys_tag {
        Some(tag) if passkeys_tag_holds(&session.key, &header.passkeys, &tag) => {
            header.passkeys.clone()
        }
        _ => Vec::new(),
    }
}

impl Session {
    /// The credential ids of the passkeys that unlock this wallet.
    pub fn passkey_ids(&self) -> Vec<Vec<u8>> {
        parse(&self.header_text)
            .map(|header| {
                trusted(&header, self)
                    .into_iter()
                    .map(|wrap| wrap.credential_id.0)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Vault {
    /// The passkeys the stored header names (readable while locked: ids
    /// and salts open nothing without the authenticator).
    pub async fn passkey_requests(&self) -> Result<Vec<PasskeyRequest>, VaultFailure> {
        let (text, _) = self.read_meta_text().await?;
        let Some(text) = text else {
            return Ok(Vec::new());
        };
        Ok(parse(&text)?
            .passkeys
            .into_iter()
            .map(|wrap| PasskeyRequest {
                credential_id: wrap.credential_id.0,
                prf_salt: wrap.prf_salt.0,
            })
            .collect())
    }

    /// Unlocks with the PRF output the authenticator gave for
    /// `credential_id`. The passkey must be one the vault key vouches for.
    pub async fn unlock_with_passkey(
        &self,
        credential_id: &[u8],
        prf_output: &[u8; PRF_OUTPUT_BYTES],
    ) -> Result<Session, VaultFailure> {
        let (text, _) = self.read_meta_text().await?;
        let header_text = text.ok_or(VaultFailure::Missing)?;
        let header = parse(&header_text)?;
        let wrap = header
            .passkeys
            .iter()
            .find(|wrap| wrap.credential_id.0 == credential_id)
            .ok_or(VaultFailure::PasskeyUnknown)?;
        let key =
            unlock_with_passkey(wrap, prf_output).map_err(|_| VaultFailure::PasskeyUnknown)?;
        let vouched = header
            .passkeys_tag
            .is_some_and(|tag| passkeys_tag_holds(&key, &header.passkeys, &tag));
        if !vouched {
            return Err(VaultFailure::PasskeyUnknown);
        }
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

    /// Adds a passkey (or replaces one with the same credential id): the
    /// vault key sealed to the key pair its PRF output stands for.
    pub async fn add_passkey(
        &self,
        session: &mut Session,
        credential_id: &[u8],
        prf_salt: [u8; 32],
        prf_output: &[u8; PRF_OUTPUT_BYTES],
    ) -> Result<(), VaultFailure> {
        let mut header = parse(&session.header_text)?;
        let mut passkeys = trusted(&header, session);
        passkeys.retain(|wrap| wrap.credential_id.0 != credential_id);
        if passkeys.len() >= VAULT_PASSKEYS_MAX {
            return Err(VaultFailure::PasskeyLimit);
        }
        passkeys.push(
            enroll_passkey(
                &session.key,
                credential_id,
                prf_salt,
                prf_output,
                &mut rng(),
            )
            .map_err(VaultFailure::Crypto)?,
        );
        header.passkeys_tag =
            Some(passkeys_tag(&session.key, &passkeys).map_err(VaultFailure::Crypto)?);
        header.passkeys = passkeys;
        self.replace_header(session, &header).await
    }

    /// Removes a passkey: its wrap leaves the header, so it unlocks
    /// nothing from then on.
    pub async fn remove_passkey(
        &self,
        session: &mut Session,
        credential_id: &[u8],
    ) -> Result<(), VaultFailure> {
        let mut header = parse(&session.header_text)?;
        let mut passkeys = trusted(&header, session);
        passkeys.retain(|wrap| wrap.credential_id.0 != credential_id);
        header.passkeys_tag = if passkeys.is_empty() {
            None
        } else {
            Some(passkeys_tag(&session.key, &passkeys).map_err(VaultFailure::Crypto)?)
        };
        header.passkeys = passkeys;
        self.replace_header(session, &header).await
    }

    /// Writes `header` in place of the one `session` opened, unless another
    /// tab changed it meanwhile.
    async fn replace_header(
        &self,
        session: &mut Session,
        header: &VaultHeader,
    ) -> Result<(), VaultFailure> {
        let value = to_js(header)?;
        let transaction = self
            .database
            .transaction(&[META_STORE], TransactionMode::ReadWrite)?;
        if !Self::header_is(&transaction, &session.header_text).await? {
            transaction.abort()?.await?;
            return Err(VaultFailure::ChangedMeanwhile);
        }
        transaction
            .object_store(META_STORE)?
            .put(&value, Some(&JsValue::from_str(HEADER_KEY)))?
            .await?;
        transaction.commit()?.await?;
        session.header_text = value.as_string().unwrap_or_default();
        Ok(())
    }
}
