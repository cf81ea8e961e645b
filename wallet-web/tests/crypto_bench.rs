//! The wallet's crypto as it runs in the page, in headless Chromium
//! (`cargo xtask bench`): its payment seal (X25519 by WebCrypto, the rest
//! in wasm), and with `--peers` (the `peers` feature) the same page also
//! runs pinned peer libraries (`tests/peers/`: @hpke/core's HPKE,
//! hash-wasm's Argon2id) interleaved with ours. It prints medians and
//! ratios; it asserts nothing about time, so it cannot flake.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use shared::seal::{GatewayPrivateKey, PaymentPlaintext, seal_payment_encapsulated};
use shared::sign::KeyId;
use wallet_web::webcrypto;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SEAL_RUNS: usize = 200;
/// Unmeasured seals before the measured ones: the first imports the
/// gateway's key, and the engine compiles hot wasm again, optimised, as it
/// runs.
const WARM_UP_RUNS: usize = 50;

/// Milliseconds on the page's monotonic clock.
fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now: js_sys::Function = js_sys::Reflect::get(&performance, &"now".into())
        .unwrap()
        .into();
    now.call0(&performance).unwrap().as_f64().unwrap()
}

fn report(line: String) {
    wasm_bindgen_test::console_log!("{line}");
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

#[path = "../../shared/tests/support/sample_payment.rs"]
mod sample_payment;

use sample_payment::sample_payment as plaintext;

fn gateway() -> GatewayPrivateKey {
    GatewayPrivateKey::derive(KeyId::new("gw-bench").unwrap(), &[7; 32])
}

/// The wallet's seal of one payment, as `Sealer::seal` does it.
async fn wallet_seal(payment: &PaymentPlaintext, gateway: &GatewayPrivateKey) -> f64 {
    let public = gateway.public_key(u64::MAX);
    let started = now_ms();
    let encapsulation = webcrypto::encapsulate(&public.public_key.0).await.unwrap();
    seal_payment_encapsulated(payment, &public, encapsulation).unwrap();
    now_ms() - started
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn seal_in_the_page() {
    let gateway = gateway();
    let public = gateway.public_key(u64::MAX);
    let payment = plaintext();
    let encapsulation = webcrypto::encapsulate(&public.public_key.0).await.unwrap();
    let sealed = seal_payment_encapsulated(&payment, &public, encapsulation).unwrap();
    assert_eq!(gateway.open(&sealed).unwrap(), payment);
    let mut times = Vec::new();
    for round in 0..WARM_UP_RUNS + SEAL_RUNS {
        let elapsed = wallet_seal(&payment, &gateway).await;
        if round >= WARM_UP_RUNS {
            times.push(elapsed);
        }
    }
    report(format!(
        "bench [headless Chromium (wasm32)] wallet seal payment (X25519 by WebCrypto): {:.3} ms (median of {SEAL_RUNS}, after {WARM_UP_RUNS} unmeasured)",
        median(times)
    ));
}

/// The peers, run interleaved with ours in the same page: each round runs
/// ours once and the peer once, so both see the same page, heap and CPU.
#[cfg(feature = "peers")]
mod peers {
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen_futures::JsFuture;

    use super::{SEAL_RUNS, gateway, median, now_ms, plaintext, report, wallet_seal};
    use shared::encoding::Bytes;
    use shared::rand_core::UnwrapErr;
    use shared::seal::{HPKE_INFO, seal_payment};
    use shared::vault::{KdfParams, create_vault, unlock_vault};

    /// Derivations timed for the unlock comparison.
    const ARGON2_RUNS: usize = 5;

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

    async fn peer_seal(bytes: &[u8], aad: &[u8]) -> f64 {
        let started = now_ms();
        JsFuture::from(peer_hpke_seal(bytes, HPKE_INFO, aad))
            .await
            .unwrap();
        now_ms() - started
    }

    /// Ours against @hpke/core, interleaved: the wallet's whole sealed
    /// payment (WebCrypto X25519, our key schedule, encoding and binding
    /// too; the peer seals the same plaintext bytes alone), and the same
    /// in wasm alone (the wallet's fallback).
    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn seal_beside_hpke_core() {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let gateway = gateway();
        let public = gateway.public_key(u64::MAX);
        let payment = plaintext();
        let bytes = payment.encode();
        let aad = [0x5a_u8; 96];
        JsFuture::from(peer_hpke_recipient(&public.public_key.0))
            .await
            .unwrap();
        let (mut wallet, mut wasm, mut peer) = (Vec::new(), Vec::new(), Vec::new());
        // A round of each first, unmeasured; then rounds that alternate
        // who goes first.
        for round in 0..=SEAL_RUNS {
            let peer_first = round % 2 == 1;
            let mut peer_ms = 0.0;
            if peer_first {
                peer_ms = peer_seal(&bytes, &aad).await;
            }
            let wallet_ms = wallet_seal(&payment, &gateway).await;
            let started = now_ms();
            seal_payment(&payment, &public, &mut rng).unwrap();
            let wasm_ms = now_ms() - started;
            if !peer_first {
                peer_ms = peer_seal(&bytes, &aad).await;
            }
            if round > 0 {
                wallet.push(wallet_ms);
                wasm.push(wasm_ms);
                peer.push(peer_ms);
            }
        }
        let (wallet, wasm, peer) = (median(wallet), median(wasm), median(peer));
        report(format!(
            "bench peers [headless Chromium] seal of {} bytes: ours (the wallet's: X25519 by WebCrypto, key schedule and AES-GCM in wasm, encoding and binding included) {wallet:.3} ms, @hpke/core {} {peer:.3} ms (HPKE alone, X25519 by WebCrypto); ours/peer {:.2}; all in wasm (the wallet's fallback) {wasm:.3} ms, {:.2} of the peer; medians of {SEAL_RUNS}, interleaved, first turn alternating",
            bytes.len(),
            version("@hpke/core"),
            wallet / peer,
            wasm / peer,
        ));
    }

    /// One hash-wasm Argon2id derivation with `params`: its milliseconds
    /// and its key.
    async fn peer_unlock(params: KdfParams, salt: &[u8]) -> (f64, Vec<u8>) {
        let started = now_ms();
        let key = JsFuture::from(peer_argon2id(
            "correct horse battery",
            salt,
            params.memory_kib,
            params.passes,
            params.lanes,
        ))
        .await
        .unwrap();
        (now_ms() - started, js_sys::Uint8Array::new(&key).to_vec())
    }

    /// Our Argon2id's key for the same inputs as `peer_unlock`.
    fn our_key(params: KdfParams, salt: &[u8]) -> Vec<u8> {
        let inputs = shared::argon2id::Inputs {
            password: b"correct horse battery",
            salt,
            secret: &[],
            associated_data: &[],
        };
        let cost = shared::argon2id::Cost {
            memory_kib: params.memory_kib,
            passes: params.passes,
            lanes: params.lanes,
        };
        let mut key = [0_u8; shared::argon2id::TAG_BYTES];
        shared::argon2id::hash(&inputs, cost, &mut key).unwrap();
        key.to_vec()
    }

    /// The vault's unlock (Argon2id, the wallet's parameters) against
    /// hash-wasm's Argon2id with the same parameters, interleaved.
    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn unlock_beside_hash_wasm() {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let params = KdfParams::DEFAULT;
        let (header, _) = create_vault("correct horse battery", params, &mut rng).unwrap();
        let salt: Bytes<16> = Bytes([0x42; 16]);
        // The release build's key at the wallet's cost, checked against an
        // independent implementation before any time is taken.
        let (_, peer_key) = peer_unlock(params, &salt.0).await;
        assert_eq!(our_key(params, &salt.0), peer_key, "Argon2id keys differ");
        let (mut ours, mut peer) = (Vec::new(), Vec::new());
        for round in 0..ARGON2_RUNS {
            if round % 2 == 1 {
                peer.push(peer_unlock(params, &salt.0).await.0);
            }
            let started = now_ms();
            unlock_vault(&header, "correct horse battery").unwrap();
            ours.push(now_ms() - started);
            if round % 2 == 0 {
                peer.push(peer_unlock(params, &salt.0).await.0);
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
