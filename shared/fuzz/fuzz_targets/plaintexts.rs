//! Fuzz target `plaintexts`: see `shared::fuzzing::plaintexts`.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| shared::fuzzing::plaintexts(bytes));
