//! Fuzz target: see `ocireg_fuzz::checks::layout_index`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocireg_fuzz::checks::layout_index(data));
