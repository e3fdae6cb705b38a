//! The checks the fuzz targets run, shared with the stable smoke test
//! (`tests/fuzz_smoke.rs`), which replays the corpus through them.

pub mod checks;
