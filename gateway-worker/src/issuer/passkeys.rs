//! The issuer's passkeys: a card with one enrolled pays only with an
//! assertion of it made for that very payment (`shared::assertion`); the
//! enrollment itself is written once its payment is approved
//! (`authorize.rs`).

use shared::assertion::{PUBLIC_KEY_BYTES_MAX, RelyingParty, verify_payment_assertion};
use shared::encoding::{from_base64url, to_base64url};
use shared::seal::PasskeyProof;
use worker::Env;

use crate::error::ApiError;
use crate::issuer::authorize::AuthorizeRequest;
use crate::issuer::registry;

/// The environment variable naming the relying party (the wallet's domain)
/// whose passkey assertions the issuer accepts; `localhost` when unset.
const PASSKEY_RP_ID_VARIABLE: &str = "PASSKEY_RP_ID";
const PASSKEY_RP_ID_DEFAULT: &str = "localhost";

/// The passkey's part: a card with a passkey enrolled needs a valid
/// assertion of it for this payment (its counter moved on in one guarded
/// statement, so a replay, or two payments with one assertion, fail). A
/// card without one pays by its codes; a passkey sealed with the payment
/// is enrolled once the payment is approved (`authorize`).
pub(super) async fn confirm_passkey(
    env: &Env,
    registry_key: &str,
    enrolled: Option<&registry::PasskeyRow>,
    request: &AuthorizeRequest<'_>,
) -> Result<Confirmed, ApiError> {
    let required = Confirmed::Not;
    match (enrolled, request.passkey) {
        (Some(enrolled), Some(PasskeyProof::Assert(assertion))) => {
            let public_key = from_base64url(&enrolled.public_key, PUBLIC_KEY_BYTES_MAX)
                .map_err(ApiError::internal)?;
            let same_credential = to_base64url(&assertion.credential_id) == enrolled.credential_id;
            let rp_id = env
                .var(PASSKEY_RP_ID_VARIABLE)
                .map(|value| value.to_string())
                .unwrap_or_else(|_| PASSKEY_RP_ID_DEFAULT.to_owned());
            let seen = u32::try_from(enrolled.sign_count).unwrap_or(u32::MAX);
            let verified = verify_payment_assertion(
                assertion,
                &public_key,
                &request.challenge,
                &RelyingParty { id: &rp_id },
                seen,
            );
            match verified {
                Ok(count) if same_credential => {
                    // An authenticator that keeps no counter (zero, and
                    // zero seen) moves nothing; every other must move it.
                    let moved = count == 0
                        || registry::advance_passkey_count(
                            env,
                            registry_key,
                            enrolled.sign_count,
                            count,
                        )
                        .await?;
                    Ok(if moved {
                        Confirmed::ByPasskey
                    } else {
                        required
                    })
                }
                Ok(_) | Err(_) => Ok(required),
            }
        }
        (Some(_), _) => Ok(required),
        (None, _) => Ok(Confirmed::ByCardCode),
    }
}

/// How the customer was verified, or that they were not.
pub(super) enum Confirmed {
    ByCardCode,
    ByPasskey,
    /// The card asks for its passkey, and no valid assertion came.
    Not,
}
