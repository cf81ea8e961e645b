//! Fuzz target `sealed_payment`: see `shared::fuzzing::sealed_payment`.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| shared::fuzzing::sealed_payment(bytes));
