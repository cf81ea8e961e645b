//! Speed figures of the crypto the product runs on every payment and every
//! unlock, natively and in headless Chromium (`cargo xtask bench`). It
//! prints medians; it asserts nothing about time, so it cannot flake.

#![allow(clippy::unwrap_used)]

use shared::card::{Brand, CardNumber, Cvc, Expiry};
use shared::encoding::Bytes;
use shared::money::{Currency, Money};
use shared::rand_core::UnwrapErr;
use shared::seal::{
    CardDetails, GatewayPrivateKey, PaymentBinding, PaymentPlaintext, seal_payment,
};
use shared::sign::{KeyId, SigningKeyPair};
use shared::vault::{KdfParams, create_vault, unlock_vault};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SEAL_RUNS: usize = 200;
const ARGON2_RUNS: usize = 5;
/// Unmeasured seals before the measured ones.
const WARM_UP_RUNS: usize = 50;

/// Milliseconds on a monotonic clock.
#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now = js_sys::Reflect::get(&performance, &"now".into()).unwrap();
    let now: js_sys::Function = now.into();
    now.call0(&performance).unwrap().as_f64().unwrap()
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}

fn report(line: String) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

/// Median milliseconds of `runs` calls.
fn median_ms(runs: usize, mut action: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = now_ms();
            action();
            now_ms() - started
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn plaintext() -> PaymentPlaintext {
    PaymentPlaintext {
        card: CardDetails {
            number: CardNumber::parse("4242424242424242").unwrap(),
            expiry: Expiry::new(8, 2030).unwrap(),
            cvc: Cvc::parse("123", Brand::Visa).unwrap(),
            holder_name: "Ada Lovelace".into(),
        },
        binding: PaymentBinding {
            payment_id: "pay_0123456789abcdef0123456789abcdef".into(),
            merchant_id: "m_teashop".into(),
            amount: Money::parse("36.22", Currency::Usd).unwrap(),
            quote_digest: Bytes([0xa5; 32]),
            attempt_id: "att_0123456789abcdef".into(),
            created_at_ms: 1_800_000_000_000,
        },
        passkey: None,
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn crypto_speed() {
    let platform = if cfg!(target_arch = "wasm32") {
        "headless Chromium (wasm32)"
    } else {
        "native"
    };
    let mut rng = UnwrapErr(getrandom::SysRng);
    let gateway = GatewayPrivateKey::derive(KeyId::new("gw-bench").unwrap(), &[7; 32]);
    let public = gateway.public_key(u64::MAX);
    let payment = plaintext();
    let sealed = seal_payment(&payment, &public, &mut rng).unwrap();
    let seal = median_ms(SEAL_RUNS, || {
        seal_payment(&payment, &public, &mut rng).unwrap();
    });
    let open = median_ms(SEAL_RUNS, || {
        gateway.open(&sealed).unwrap();
    });
    let signer = SigningKeyPair::from_seed(KeyId::new("k-bench").unwrap(), &[3; 32]);
    let key = signer.public_key();
    let record = signer.sign(shared::keyset::GatewayKeySet {
        keys: vec![public.clone()],
        signing_keys: vec![],
        issued_at_ms: 1,
    });
    let verify = median_ms(SEAL_RUNS, || {
        record.verify(&key).unwrap();
    });
    let (header, _) = create_vault("correct horse battery", KdfParams::DEFAULT, &mut rng).unwrap();
    let unlock = median_ms(ARGON2_RUNS, || {
        unlock_vault(&header, "correct horse battery").unwrap();
    });
    report(format!(
        "bench [{platform}] seal payment: {seal:.3} ms (median of {SEAL_RUNS})"
    ));
    report(format!(
        "bench [{platform}] open payment: {open:.3} ms (median of {SEAL_RUNS})"
    ));
    report(format!(
        "bench [{platform}] verify key-set signature: {verify:.3} ms (median of {SEAL_RUNS})"
    ));
    report(format!(
        "bench [{platform}] unlock vault, Argon2id {} KiB / {} passes / {} lanes: {unlock:.1} ms (median of {ARGON2_RUNS}); unlock/open ratio {:.0}",
        KdfParams::DEFAULT.memory_kib,
        KdfParams::DEFAULT.passes,
        KdfParams::DEFAULT.lanes,
        unlock / open
    ));
}

/// The wallet's own seal as it runs in the page: X25519 by the browser's
/// WebCrypto, the key schedule and AES-GCM in wasm (`seal::webcrypto`).
#[cfg(all(target_arch = "wasm32", feature = "webcrypto"))]
#[wasm_bindgen_test::wasm_bindgen_test]
async fn wallet_seal() {
    use shared::seal::{seal_payment_encapsulated, webcrypto};
    let gateway = GatewayPrivateKey::derive(KeyId::new("gw-bench").unwrap(), &[7; 32]);
    let public = gateway.public_key(u64::MAX);
    let payment = plaintext();
    let mut times = Vec::new();
    // Unmeasured rounds first: the first imports the gateway's key, and
    // the engine compiles hot wasm again, optimised, as it runs.
    for round in 0..WARM_UP_RUNS + SEAL_RUNS {
        let started = now_ms();
        let encapsulation = webcrypto::encapsulate(&public.public_key.0).await.unwrap();
        let sealed = seal_payment_encapsulated(&payment, &public, &encapsulation).unwrap();
        let elapsed = now_ms() - started;
        if round == 0 {
            assert_eq!(gateway.open(&sealed).unwrap(), payment);
        }
        if round >= WARM_UP_RUNS {
            times.push(elapsed);
        }
    }
    times.sort_by(f64::total_cmp);
    report(format!(
        "bench [headless Chromium (wasm32)] wallet seal payment (X25519 by WebCrypto): {:.3} ms (median of {SEAL_RUNS})",
        times[SEAL_RUNS / 2]
    ));
}

/// The peers, run interleaved with ours in the same page: each round runs
/// ours once and the peer once, so both see the same page, heap and CPU.
#[cfg(all(target_arch = "wasm32", feature = "peers"))]
mod peers {
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen_futures::JsFuture;

    use super::{ARGON2_RUNS, SEAL_RUNS, now_ms, plaintext, report};
    use shared::encoding::Bytes;
    use shared::rand_core::UnwrapErr;
    use shared::seal::{
        GatewayPrivateKey, HPKE_INFO, seal_payment, seal_payment_encapsulated, webcrypto,
    };
    use shared::sign::KeyId;
    use shared::vault::{KdfParams, create_vault, unlock_vault};

    #[wasm_bindgen(module = "/tests/peers/peers.js")]
    extern "C" {
        fn peer_hpke_recipient(public_key: &[u8]) -> js_sys::Promise;
        fn peer_hpke_seal(plaintext: &[u8], info: &[u8], aad: &[u8]) -> js_sys::Promise;
        fn peer_argon2id(
            password: &str,
            salt: &[u8],
            memory_kib: u32,
            passes: u32,
            lanes: u32,
        ) -> js_sys::Promise;
    }

    /// The pinned versions, read from the peers' manifest.
    const MANIFEST: &str = include_str!("peers/package.json");

    fn version(package: &str) -> &'static str {
        let key = format!("\"{package}\": \"");
        MANIFEST
            .find(&key)
            .map(|start| &MANIFEST[start + key.len()..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("?")
    }

    fn median(mut times: Vec<f64>) -> f64 {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }

    /// Ours against @hpke/core, interleaved: the wallet's whole sealed
    /// payment (WebCrypto X25519, our key schedule, encoding and binding
    /// too), the same in wasm alone, and the `hpke` crate's seal of the
    /// same bytes in wasm.
    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn seal_beside_hpke_core() {
        use hpke::aead::AesGcm256;
        use hpke::kdf::HkdfSha256;
        use hpke::kem::X25519HkdfSha256;
        use hpke::{Deserializable, OpModeS};
        let mut rng = UnwrapErr(getrandom::SysRng);
        let gateway = GatewayPrivateKey::derive(KeyId::new("gw-bench").unwrap(), &[7; 32]);
        let public = gateway.public_key(u64::MAX);
        let payment = plaintext();
        let bytes = payment.encode();
        let aad = [0x5a_u8; 96];
        let recipient =
            <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&public.public_key.0).unwrap();
        JsFuture::from(peer_hpke_recipient(&public.public_key.0))
            .await
            .unwrap();
        let (mut wallet, mut whole, mut alone, mut peer) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // A round of each first, unmeasured; then rounds that alternate
        // who goes first.
        for round in 0..=SEAL_RUNS {
            let peer_first = round % 2 == 1;
            let mut peer_ms = 0.0;
            if peer_first {
                let started = now_ms();
                JsFuture::from(peer_hpke_seal(&bytes, HPKE_INFO, &aad))
                    .await
                    .unwrap();
                peer_ms = now_ms() - started;
            }
            let started = now_ms();
            let encapsulation = webcrypto::encapsulate(&public.public_key.0).await.unwrap();
            seal_payment_encapsulated(&payment, &public, &encapsulation).unwrap();
            let wallet_ms = now_ms() - started;
            let started = now_ms();
            seal_payment(&payment, &public, &mut rng).unwrap();
            let whole_ms = now_ms() - started;
            let started = now_ms();
            hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
                &OpModeS::Base,
                &recipient,
                HPKE_INFO,
                &bytes,
                &aad,
                &mut rng,
            )
            .unwrap();
            let alone_ms = now_ms() - started;
            if !peer_first {
                let started = now_ms();
                JsFuture::from(peer_hpke_seal(&bytes, HPKE_INFO, &aad))
                    .await
                    .unwrap();
                peer_ms = now_ms() - started;
            }
            if round > 0 {
                wallet.push(wallet_ms);
                whole.push(whole_ms);
                alone.push(alone_ms);
                peer.push(peer_ms);
            }
        }
        let (wallet, whole, alone, peer) =
            (median(wallet), median(whole), median(alone), median(peer));
        report(format!(
            "bench peers [headless Chromium] seal of {} bytes: ours (the wallet's: X25519 by WebCrypto, key schedule and AES-GCM in wasm, encoding and binding included) {wallet:.3} ms, @hpke/core {} {peer:.3} ms (HPKE alone, X25519 by WebCrypto); ours/peer {:.2}; all in wasm: the whole sealed payment {whole:.3} ms, the hpke crate's seal alone {alone:.3} ms ({:.2} of the peer); medians of {SEAL_RUNS}, interleaved, first turn alternating",
            bytes.len(),
            version("@hpke/core"),
            wallet / peer,
            alone / peer,
        ));
    }

    /// One hash-wasm Argon2id derivation with `params`; its milliseconds.
    async fn peer_unlock(params: KdfParams, salt: &[u8]) -> f64 {
        let started = now_ms();
        JsFuture::from(peer_argon2id(
            "correct horse battery",
            salt,
            params.memory_kib,
            params.passes,
            params.lanes,
        ))
        .await
        .unwrap();
        now_ms() - started
    }

    /// The vault's unlock (Argon2id, the wallet's parameters) against
    /// hash-wasm's Argon2id with the same parameters, interleaved.
    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn unlock_beside_hash_wasm() {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let params = KdfParams::DEFAULT;
        let (header, _) = create_vault("correct horse battery", params, &mut rng).unwrap();
        let salt: Bytes<16> = Bytes([0x42; 16]);
        let (mut ours, mut peer) = (Vec::new(), Vec::new());
        for round in 0..ARGON2_RUNS {
            if round % 2 == 1 {
                peer.push(peer_unlock(params, &salt.0).await);
            }
            let started = now_ms();
            unlock_vault(&header, "correct horse battery").unwrap();
            ours.push(now_ms() - started);
            if round % 2 == 0 {
                peer.push(peer_unlock(params, &salt.0).await);
            }
        }
        let (ours, peer) = (median(ours), median(peer));
        report(format!(
            "bench peers [headless Chromium] Argon2id {} KiB / {} passes / {} lanes: ours (vault unlock) {ours:.1} ms, hash-wasm {} {peer:.1} ms; ours/peer {:.2}; medians of {ARGON2_RUNS}, interleaved, first turn alternating",
            params.memory_kib,
            params.passes,
            params.lanes,
            version("hash-wasm"),
            ours / peer,
        ));
    }
}
