//! The wallet's only WebAuthn code: creating a passkey and asking one for
//! its PRF output (the `prf` extension), with user verification required
//! both times. Built with `js_sys::Reflect` because web-sys offers the PRF
//! extension only behind its unstable flag. The relying party is the page's
//! own domain (WebAuthn refuses an IP address: open the wallet at
//! `http://localhost:8787`, not `127.0.0.1`).

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use shared::assertion::{
    AUTHENTICATOR_DATA_BYTES_MAX, CLIENT_DATA_BYTES_MAX, CREDENTIAL_ID_BYTES_MAX,
    PUBLIC_KEY_BYTES_MAX, SIGNATURE_BYTES_MAX,
};
use shared::encoding::to_base64url;
use shared::vault::PRF_OUTPUT_BYTES;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

/// How long the browser waits for the shopper at the authenticator.
const CEREMONY_TIMEOUT_MS: f64 = 120_000.0;

/// COSE algorithm numbers: ES256 (ECDSA over P-256 with SHA-256), RS256.
const ES256: i32 = -7;
const RS256: i32 = -257;

/// Algorithms an unlock passkey may use: the wallet uses only its PRF
/// output, so the key pair is the authenticator's business.
const UNLOCK_ALGORITHMS: [i32; 2] = [ES256, RS256];

/// A payment passkey signs for the issuer, which checks ES256 only.
const PAYMENT_ALGORITHMS: [i32; 1] = [ES256];

/// A new passkey: its credential id, the salt drawn for it, and the PRF
/// output for that salt (which opens the vault: wiped when dropped).
pub struct Created {
    pub credential_id: Vec<u8>,
    pub prf_salt: [u8; 32],
    pub prf_output: Zeroizing<[u8; PRF_OUTPUT_BYTES]>,
}

/// What an authenticator answered to an unlock: which credential, and its
/// PRF output for that credential's salt.
pub struct Asserted {
    pub credential_id: Vec<u8>,
    pub prf_output: Zeroizing<[u8; PRF_OUTPUT_BYTES]>,
}

/// Why this page cannot use passkeys, if it cannot: the browser has no
/// WebAuthn, or the page was opened at an IP address (WebAuthn refuses
/// one as the relying party).
pub fn unavailable() -> Option<&'static str> {
    if get(&js_sys::global(), "PublicKeyCredential").is_undefined() {
        return Some("This browser cannot use passkeys.");
    }
    let host = get(&get(&js_sys::global(), "location"), "hostname")
        .as_string()
        .unwrap_or_default();
    let bracketed = host.trim_start_matches('[').trim_end_matches(']');
    if bracketed.parse::<core::net::IpAddr>().is_ok() {
        return Some(
            "Passkeys need the wallet opened at a domain name, such as http://localhost:8787.",
        );
    }
    None
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object
}

fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|_| "This browser has no random source.".to_owned())?;
    Ok(bytes)
}

fn get(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The bytes of an ArrayBuffer or a view of one.
fn read_bytes(value: &JsValue) -> Vec<u8> {
    if value.is_undefined() || value.is_null() {
        return Vec::new();
    }
    Uint8Array::new(value).to_vec()
}

/// The shopper's words for a failed ceremony.
fn failure(error: &JsValue) -> String {
    let name = get(error, "name").as_string().unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" => "The passkey was not used (canceled, or it took too long).".to_owned(),
        "SecurityError" => {
            "Passkeys need the wallet opened at a domain name, such as http://localhost:8787."
                .to_owned()
        }
        "NotSupportedError" => "This browser or device cannot use a passkey here.".to_owned(),
        "InvalidStateError" => "That passkey is already registered for this wallet.".to_owned(),
        _ => "The passkey could not be used.".to_owned(),
    }
}

/// `navigator.credentials[method](options)`, awaited.
async fn ceremony(method: &str, options: &Object) -> Result<JsValue, String> {
    let unsupported = || "This browser cannot use passkeys.".to_owned();
    let navigator = get(&js_sys::global(), "navigator");
    let credentials = get(&navigator, "credentials");
    let function: Function = get(&credentials, method)
        .dyn_into()
        .map_err(|_| unsupported())?;
    let promise: Promise = function
        .call1(&credentials, options)
        .map_err(|error| failure(&error))?
        .dyn_into()
        .map_err(|_| unsupported())?;
    JsFuture::from(promise)
        .await
        .map_err(|error| failure(&error))
}

/// A credential's `prf` extension results (`{enabled?, results?}`).
fn prf_results(credential: &JsValue) -> JsValue {
    get(credential, "getClientExtensionResults")
        .dyn_into::<Function>()
        .ok()
        .and_then(|function| function.call0(credential).ok())
        .map_or(JsValue::UNDEFINED, |results| get(&results, "prf"))
}

/// The PRF output in a credential's extension results, if there is one.
fn prf_output(credential: &JsValue) -> Option<Zeroizing<[u8; PRF_OUTPUT_BYTES]>> {
    let first = get(&get(&prf_results(credential), "results"), "first");
    let bytes = Zeroizing::new(read_bytes(&first));
    let output: [u8; PRF_OUTPUT_BYTES] = bytes.as_slice().try_into().ok()?;
    Some(Zeroizing::new(output))
}

fn prf_inputs(salt: &[u8; 32]) -> JsValue {
    object(&[("first", bytes(salt))]).into()
}

/// Credential descriptors (`allowCredentials`, `excludeCredentials`).
fn descriptors<'a>(credential_ids: impl IntoIterator<Item = &'a [u8]>) -> Array {
    let list = Array::new();
    for credential_id in credential_ids {
        list.push(
            &object(&[
                ("type", JsValue::from_str("public-key")),
                ("id", bytes(credential_id)),
            ])
            .into(),
        );
    }
    list
}

/// The options of a new credential for this site, with user verification
/// required: the user it is named for, its algorithms, whether it must be
/// discoverable, the credentials it must not duplicate, and extensions.
fn creation_options(
    user_name: &str,
    algorithms: &[i32],
    resident_key: &str,
    excluded: Array,
    extensions: Object,
) -> Result<Object, String> {
    let parameters = Array::new();
    for algorithm in algorithms {
        parameters.push(
            &object(&[
                ("type", JsValue::from_str("public-key")),
                ("alg", JsValue::from(*algorithm)),
            ])
            .into(),
        );
    }
    let public_key = object(&[
        (
            "rp",
            object(&[("name", JsValue::from_str("Wallet"))]).into(),
        ),
        (
            "user",
            object(&[
                ("id", bytes(&random_bytes::<16>()?)),
                ("name", JsValue::from_str(user_name)),
                ("displayName", JsValue::from_str(user_name)),
            ])
            .into(),
        ),
        ("challenge", bytes(&random_bytes::<32>()?)),
        ("pubKeyCredParams", parameters.into()),
        ("excludeCredentials", excluded.into()),
        (
            "authenticatorSelection",
            object(&[
                ("residentKey", JsValue::from_str(resident_key)),
                ("userVerification", JsValue::from_str("required")),
            ])
            .into(),
        ),
        ("timeout", JsValue::from_f64(CEREMONY_TIMEOUT_MS)),
        ("extensions", extensions.into()),
    ]);
    Ok(object(&[("publicKey", public_key.into())]))
}

/// Creates a passkey for this wallet (user verification required; not on
/// an authenticator that holds one of `enrolled` already) and gets its PRF
/// output for a fresh salt: at creation when the authenticator gives it
/// then, otherwise by asking the new passkey once more.
pub async fn create(enrolled: &[Vec<u8>]) -> Result<Created, String> {
    let prf_salt = random_bytes::<32>()?;
    let options = creation_options(
        "Wallet in this browser",
        &UNLOCK_ALGORITHMS,
        "preferred",
        descriptors(enrolled.iter().map(Vec::as_slice)),
        object(&[("prf", object(&[("eval", prf_inputs(&prf_salt))]).into())]),
    )?;
    let credential = ceremony("create", &options).await?;
    let credential_id = read_bytes(&get(&credential, "rawId"));
    if credential_id.is_empty() {
        return Err("The passkey could not be used.".to_owned());
    }
    // An authenticator that says it has no PRF is not asked again; one
    // that says nothing may still answer a request.
    let refused = get(&prf_results(&credential), "enabled").as_bool() == Some(false);
    let prf_output = match prf_output(&credential) {
        Some(output) => output,
        None if !refused => {
            let asked = assert(&[(credential_id.clone(), prf_salt)]).await?;
            asked.prf_output
        }
        None => {
            return Err("This passkey cannot unlock the wallet (it has no PRF).".to_owned());
        }
    };
    Ok(Created {
        credential_id,
        prf_salt,
        prf_output,
    })
}

/// Asks the shopper's authenticator (user verification required) for the
/// PRF output of one of `passkeys` (credential id, salt).
pub async fn assert(passkeys: &[(Vec<u8>, [u8; 32])]) -> Result<Asserted, String> {
    let allowed = descriptors(
        passkeys
            .iter()
            .map(|(credential_id, _)| credential_id.as_slice()),
    );
    let by_credential = Object::new();
    for (credential_id, salt) in passkeys {
        let _ = Reflect::set(
            &by_credential,
            &JsValue::from_str(&to_base64url(credential_id)),
            &prf_inputs(salt),
        );
    }
    let public_key = object(&[
        ("challenge", bytes(&random_bytes::<32>()?)),
        ("allowCredentials", allowed.into()),
        ("userVerification", JsValue::from_str("required")),
        ("timeout", JsValue::from_f64(CEREMONY_TIMEOUT_MS)),
        (
            "extensions",
            object(&[(
                "prf",
                object(&[("evalByCredential", by_credential.into())]).into(),
            )])
            .into(),
        ),
    ]);
    let credential = ceremony("get", &object(&[("publicKey", public_key.into())])).await?;
    let credential_id = read_bytes(&get(&credential, "rawId"));
    let prf_output = prf_output(&credential)
        .ok_or_else(|| "This passkey cannot unlock the wallet (it has no PRF).".to_owned())?;
    Ok(Asserted {
        credential_id,
        prf_output,
    })
}

/// A passkey for a card, to confirm its payments with the card's issuer:
/// its credential id and its public key (SPKI DER, ES256), which the
/// issuer keeps.
pub struct PaymentPasskey {
    pub credential_id: Vec<u8>,
    pub public_key: Vec<u8>,
}

/// Creates a passkey that confirms `card`'s payments (ES256, user
/// verification required, discoverable so that it can be found without
/// its id).
pub async fn create_payment_passkey(card: &str) -> Result<PaymentPasskey, String> {
    let options = creation_options(
        card,
        &PAYMENT_ALGORITHMS,
        "required",
        Array::new(),
        Object::new(),
    )?;
    let credential = ceremony("create", &options).await?;
    let credential_id = read_bytes(&get(&credential, "rawId"));
    let response = get(&credential, "response");
    let public_key = get(&response, "getPublicKey")
        .dyn_into::<Function>()
        .ok()
        .and_then(|function| function.call0(&response).ok())
        .map(|key| read_bytes(&key))
        .unwrap_or_default();
    if credential_id.is_empty() || public_key.is_empty() {
        return Err("The passkey could not be used.".to_owned());
    }
    // The sealed payment carries parts within its bounds only.
    if credential_id.len() > CREDENTIAL_ID_BYTES_MAX || public_key.len() > PUBLIC_KEY_BYTES_MAX {
        return Err("This device's passkey cannot confirm payments here.".to_owned());
    }
    Ok(PaymentPasskey {
        credential_id,
        public_key,
    })
}

/// Asks the card's passkey (user verification required) to confirm a
/// payment: to sign `challenge`, the digest of the payment's binding. With
/// no credential id, the authenticator offers the passkeys it holds for
/// this site.
pub async fn assert_payment(
    challenge: &[u8; 32],
    credential_id: Option<&[u8]>,
) -> Result<shared::assertion::PaymentAssertion, String> {
    let allowed = descriptors(credential_id);
    let public_key = object(&[
        ("challenge", bytes(challenge)),
        ("allowCredentials", allowed.into()),
        ("userVerification", JsValue::from_str("required")),
        ("timeout", JsValue::from_f64(CEREMONY_TIMEOUT_MS)),
    ]);
    let credential = ceremony("get", &object(&[("publicKey", public_key.into())])).await?;
    let response = get(&credential, "response");
    let assertion = shared::assertion::PaymentAssertion {
        credential_id: read_bytes(&get(&credential, "rawId")),
        authenticator_data: read_bytes(&get(&response, "authenticatorData")),
        client_data_json: read_bytes(&get(&response, "clientDataJSON")),
        signature: read_bytes(&get(&response, "signature")),
    };
    let within_bounds = assertion.credential_id.len() <= CREDENTIAL_ID_BYTES_MAX
        && assertion.authenticator_data.len() <= AUTHENTICATOR_DATA_BYTES_MAX
        && assertion.client_data_json.len() <= CLIENT_DATA_BYTES_MAX
        && assertion.signature.len() <= SIGNATURE_BYTES_MAX;
    if !within_bounds {
        return Err("This device's passkey cannot confirm payments here.".to_owned());
    }
    Ok(assertion)
}
