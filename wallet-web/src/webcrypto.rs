//! The wallet's X25519 for `shared::seal::seal_payment_encapsulated`, done by the
//! browser's WebCrypto (`crypto.subtle`, native code) rather than in wasm:
//! a fresh non-extractable ephemeral key pair per payment, its public key
//! exported raw, and `deriveBits` with the gateway's key. The two last run
//! at once. The gateway's key is imported once and kept.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use shared::seal::{Encapsulation, X25519_BYTES};

/// The WebCrypto algorithm name (Secure Curves in WebCrypto).
const ALGORITHM: &str = "X25519";
/// Bits of an X25519 shared value.
const DH_BITS: u32 = X25519_BYTES as u32 * 8;

/// Why the browser could not encapsulate: no WebCrypto X25519 here (an
/// older browser), or it refused. The caller then seals in wasm.
#[derive(Debug)]
pub struct Unavailable;

impl From<JsValue> for Unavailable {
    fn from(_: JsValue) -> Unavailable {
        Unavailable
    }
}

thread_local! {
    /// The last recipient key imported, with its raw bytes.
    static RECIPIENT: RefCell<Option<([u8; X25519_BYTES], JsValue)>> = const { RefCell::new(None) };
}

fn subtle() -> Result<JsValue, Unavailable> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())?;
    if subtle.is_undefined() {
        return Err(Unavailable);
    }
    Ok(subtle)
}

/// `subtle[method](...arguments)`, a promise.
fn call(subtle: &JsValue, method: &str, arguments: &[JsValue]) -> Result<Promise, Unavailable> {
    let function: Function = Reflect::get(subtle, &method.into())?.dyn_into()?;
    let arguments: Array = arguments.iter().collect();
    Ok(function.apply(subtle, &arguments)?.dyn_into()?)
}

fn algorithm() -> Result<Object, Unavailable> {
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &ALGORITHM.into())?;
    Ok(algorithm)
}

/// The gateway's key as a WebCrypto key, imported once per key.
async fn recipient_key(
    subtle: &JsValue,
    recipient: &[u8; X25519_BYTES],
) -> Result<JsValue, Unavailable> {
    let kept = RECIPIENT.with_borrow(|kept| {
        kept.as_ref()
            .filter(|(bytes, _)| bytes == recipient)
            .map(|(_, key)| key.clone())
    });
    if let Some(key) = kept {
        return Ok(key);
    }
    let raw = Uint8Array::from(recipient.as_slice());
    let key = JsFuture::from(call(
        subtle,
        "importKey",
        &[
            "raw".into(),
            raw.into(),
            algorithm()?.into(),
            true.into(),
            Array::new().into(),
        ],
    )?)
    .await?;
    RECIPIENT.with_borrow_mut(|kept| *kept = Some((*recipient, key.clone())));
    Ok(key)
}

/// A fresh X25519 encapsulation to `recipient`.
pub async fn encapsulate(recipient: &[u8; X25519_BYTES]) -> Result<Encapsulation, Unavailable> {
    let subtle = subtle()?;
    let recipient_key = recipient_key(&subtle, recipient).await?;
    let usages: Array = [JsValue::from("deriveBits")].iter().collect();
    let pair = JsFuture::from(call(
        &subtle,
        "generateKey",
        &[algorithm()?.into(), false.into(), usages.into()],
    )?)
    .await?;
    let public = Reflect::get(&pair, &"publicKey".into())?;
    let private = Reflect::get(&pair, &"privateKey".into())?;
    let exported = call(&subtle, "exportKey", &["raw".into(), public])?;
    let parameters = algorithm()?;
    Reflect::set(&parameters, &"public".into(), &recipient_key)?;
    let derived = call(
        &subtle,
        "deriveBits",
        &[parameters.into(), private, DH_BITS.into()],
    )?;
    let both: Array = [JsValue::from(exported), JsValue::from(derived)]
        .iter()
        .collect();
    let both: Array = JsFuture::from(Promise::all(&both)).await?.dyn_into()?;
    let enc = Uint8Array::new(&both.get(0));
    let dh = Uint8Array::new(&both.get(1));
    let mut enc_bytes = [0; X25519_BYTES];
    let mut dh_bytes = Zeroizing::new([0; X25519_BYTES]);
    let sizes_right = enc.length() as usize == X25519_BYTES && dh.length() as usize == X25519_BYTES;
    if sizes_right {
        enc.copy_to(&mut enc_bytes);
        dh.copy_to(dh_bytes.as_mut_slice());
    }
    // The shared value's copy on the JavaScript side, overwritten.
    dh.fill(0, 0, dh.length());
    if !sizes_right {
        return Err(Unavailable);
    }
    Ok(Encapsulation::new(*recipient, enc_bytes, dh_bytes))
}
