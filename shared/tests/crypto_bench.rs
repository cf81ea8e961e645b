//! Speed figures of the crypto the product runs on every payment and every
//! unlock, natively and in headless Chromium (`cargo xtask bench`). It
//! prints medians; it asserts nothing about time, so it cannot flake.

#![allow(clippy::unwrap_used)]

use shared::rand_core::UnwrapErr;
use shared::seal::{GatewayPrivateKey, seal_payment};
use shared::sign::{KeyId, SigningKeyPair};
use shared::vault::{KdfParams, create_vault, unlock_vault};

#[path = "support/sample_payment.rs"]
mod sample_payment;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SEAL_RUNS: usize = 200;
const ARGON2_RUNS: usize = 5;

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
    let payment = sample_payment::sample_payment();
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
    // Natively, our Argon2id runs its portable compression, built small
    // as the rest of `shared`; the fair native figure for the wallet's
    // (SIMD, in wasm) is the `argon2` crate's, at full speed (its own
    // opt-level 3, AVX2 where the processor has it), single-threaded.
    #[cfg(not(target_arch = "wasm32"))]
    {
        use argon2::{Algorithm, Argon2, Params, Version};
        let KdfParams {
            memory_kib,
            passes,
            lanes,
        } = KdfParams::DEFAULT;
        let params = Params::new(memory_kib, passes, lanes, Some(32)).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        // Ours derives the crate's key at the wallet's cost.
        let (mut theirs, mut ours) = ([0_u8; 32], [0_u8; 32]);
        argon2
            .hash_password_into(b"correct horse battery", &[5; 16], &mut theirs)
            .unwrap();
        let inputs = shared::argon2id::Inputs {
            password: b"correct horse battery",
            salt: &[5; 16],
            secret: &[],
            associated_data: &[],
        };
        let cost = shared::argon2id::Cost {
            memory_kib,
            passes,
            lanes,
        };
        shared::argon2id::hash(&inputs, cost, &mut ours).unwrap();
        assert_eq!(ours, theirs, "Argon2id keys differ");
        let crate_ms = median_ms(ARGON2_RUNS, || {
            let mut key = [0_u8; 32];
            argon2
                .hash_password_into(b"correct horse battery", &[5; 16], &mut key)
                .unwrap();
        });
        report(format!(
            "bench [native] Argon2id by the argon2 crate, same cost, single-threaded: {crate_ms:.1} ms (median of {ARGON2_RUNS})"
        ));
    }
}
