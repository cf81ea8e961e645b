//! Passkeys that unlock the vault (`shared::vault`'s passkey wraps, kept in
//! the header beside the password's). Adding one rewrites the header in
//! one transaction that refuses if another tab changed it; removing them
//! (all at once) replaces the vault key (`password.rs`). Unlocking with one needs the
//! authenticator's PRF output for that credential: the header alone opens
//! nothing.

use shared::vault::{
    PRF_OUTPUT_BYTES, PasskeyWrap, VAULT_PASSKEYS_MAX, VaultHeader, enroll_passkey,
    passkey_belongs_to, unlock_with_passkey,
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

/// The header's passkeys (at most `VAULT_PASSKEYS_MAX` are read).
fn listed(header: &VaultHeader) -> impl Iterator<Item = &PasskeyWrap> {
    header.passkeys.iter().take(VAULT_PASSKEYS_MAX)
}

impl Session {
    /// The credential ids of the passkeys enrolled under this session's
    /// vault key (a wrap planted in the header is not one of them).
    pub fn passkey_ids(&self) -> Vec<Vec<u8>> {
        parse(&self.header_text)
            .map(|header| {
                listed(&header)
                    .filter(|wrap| passkey_belongs_to(&self.key, wrap))
                    .map(|wrap| wrap.credential_id.0.clone())
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
        Ok(listed(&parse(&text)?)
            .map(|wrap| PasskeyRequest {
                credential_id: wrap.credential_id.0.clone(),
                prf_salt: wrap.prf_salt.0,
            })
            .collect())
    }

    /// Unlocks with the PRF output the authenticator gave for
    /// `credential_id`.
    pub async fn unlock_with_passkey(
        &self,
        credential_id: &[u8],
        prf_output: &[u8; PRF_OUTPUT_BYTES],
    ) -> Result<Session, VaultFailure> {
        let (text, _) = self.read_meta_text().await?;
        let header_text = text.ok_or(VaultFailure::Missing)?;
        let header = parse(&header_text)?;
        let wrap = listed(&header)
            .find(|wrap| wrap.credential_id.0 == credential_id)
            .ok_or(VaultFailure::PasskeyUnknown)?;
        let key =
            unlock_with_passkey(wrap, prf_output).map_err(|_| VaultFailure::PasskeyUnknown)?;
        self.open_session(key, header_text).await
    }

    /// Adds a passkey (or replaces one with the same credential id): the
    /// vault key wrapped under the KEK its PRF output stands for. Wraps
    /// not enrolled under this vault key are dropped on the way.
    pub async fn add_passkey(
        &self,
        session: &mut Session,
        credential_id: &[u8],
        prf_salt: [u8; 32],
        prf_output: &[u8; PRF_OUTPUT_BYTES],
    ) -> Result<(), VaultFailure> {
        let mut header = parse(&session.header_text)?;
        let mut passkeys: Vec<PasskeyWrap> = listed(&header)
            .filter(|wrap| passkey_belongs_to(&session.key, wrap))
            .filter(|wrap| wrap.credential_id.0 != credential_id)
            .cloned()
            .collect();
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
        header.passkeys = passkeys;
        let value = to_js(&header)?;
        let transaction = self.write_under(&session.header_text, &[]).await?;
        transaction
            .object_store(META_STORE)?
            .put(&value, Some(&JsValue::from_str(HEADER_KEY)))?
            .await?;
        transaction.commit()?.await?;
        session.header_text = value.as_string().unwrap_or_default();
        Ok(())
    }
}
