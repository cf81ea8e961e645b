//! Fuzz target `text_inputs`: see `shared::fuzzing::text_inputs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| shared::fuzzing::text_inputs(bytes));
