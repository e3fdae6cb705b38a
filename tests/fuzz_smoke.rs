//! A short, stable smoke of the fuzz targets (`fuzz/`, run with `make
//! fuzz`): the committed corpus and a few thousand pseudo-random inputs go
//! through the same checks the targets run.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 5] = [
    ("reference", checks::reference),
    ("challenge", checks::challenge),
    ("link", checks::link),
    ("manifest", checks::manifest),
    ("layout_index", checks::layout_index),
];

#[test]
fn the_committed_corpus_passes_every_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, check) in TARGETS {
        let dir = root.join(name);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (the corpus is committed)", dir.display()))
            .filter_map(|e| e.ok())
            .collect();
        assert!(!entries.is_empty(), "{name}: empty corpus");
        for entry in entries {
            let data = std::fs::read(entry.path()).unwrap();
            check(&data);
        }
    }
}

#[test]
fn random_inputs_pass_every_check() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let alphabet = b"abcAZ09:/@._-[]{}\",= ;<>\\\"sha256:0123456789abcdefrel=nextBearer realm";
    for round in 0..3000 {
        let len = (round % 200) as usize;
        let mut data = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = if x.is_multiple_of(4) {
                (x >> 8) as u8
            } else {
                alphabet[(x >> 8) as usize % alphabet.len()]
            };
            data.push(b);
        }
        for (_, check) in TARGETS {
            check(&data);
        }
    }
}
