//! Fuzz target: see `ocireg_fuzz::checks::manifest`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocireg_fuzz::checks::manifest(data));
