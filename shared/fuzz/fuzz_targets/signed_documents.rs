//! Fuzz target `signed_documents`: see `shared::fuzzing::signed_documents`.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| shared::fuzzing::signed_documents(bytes));
