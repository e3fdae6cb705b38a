//! `ocireg::compress::GzipWriter` against the Go oracle
//! (tests/support/pgzip_oracle, pgzip v1.2.5 over klauspost/compress
//! v1.15.12, what skopeo 1.9.3 links): the same bytes for every input —
//! edge sizes around the 64 KiB window and the 1 MiB piece, repetitive,
//! random, text-like and real tar data, and generated mixtures.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use ocireg::compress::GzipWriter;

fn oracle(input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(support::peers::pgzip_oracle())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the pgzip oracle");
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let owned = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&owned));
    let out = child.wait_with_output().expect("oracle output");
    feeder.join().expect("feeder").expect("write to the oracle");
    assert!(out.status.success(), "the oracle failed");
    out.stdout
}

fn ours(input: &[u8], threads: usize, chunk: usize) -> Vec<u8> {
    let mut gz = GzipWriter::with_threads(Vec::new(), threads).expect("start");
    for part in input.chunks(chunk.max(1)) {
        gz.write_all(part).expect("write");
    }
    gz.finish().expect("finish")
}

#[track_caller]
fn assert_same(name: &str, input: &[u8]) {
    let theirs = oracle(input);
    let mine = ours(input, 3, 100_003);
    if mine != theirs {
        let first = mine
            .iter()
            .zip(&theirs)
            .position(|(a, b)| a != b)
            .unwrap_or(mine.len().min(theirs.len()));
        panic!(
            "{name} ({} bytes): ours {} bytes, oracle {} bytes, first difference at byte {first}",
            input.len(),
            mine.len(),
            theirs.len()
        );
    }
}

/// xorshift64*: deterministic bytes without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Text-like data: words from a small vocabulary, with copies of earlier
/// stretches at assorted distances and lengths.
fn mixture(rng: &mut Rng, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "layer", "manifest", "digest", "sha256", "config", "the", "of", "registry", "blob",
        "usr/lib/", "x86_64", "\n", "{\"a\":", "0000644", "\0\0\0\0", "ustar",
    ];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match rng.below(10) {
            0..=5 => {
                out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes())
            }
            6 => {
                let n = rng.below(40) as usize;
                out.extend(rng.bytes(n));
            }
            7 => {
                let (b, n) = (rng.next() as u8, rng.below(600) as usize);
                out.extend(std::iter::repeat_n(b, n));
            }
            _ if out.len() > 16 => {
                let back = 1 + rng.below(out.len().min(70_000) as u64) as usize;
                let n = rng.below(400) as usize;
                let from = out.len() - back;
                for i in 0..n {
                    let b = out[from + i];
                    out.push(b);
                }
            }
            _ => out.push(b' '),
        }
    }
    out.truncate(len);
    out
}

#[test]
fn edge_sizes_match_the_oracle() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let text = mixture(&mut rng, 3 * (1 << 20) + 12345);
    for len in [
        0,
        1,
        2,
        12,
        13,
        31,
        32,
        33,
        127,
        128,
        129,
        1000,
        1024,
        1025,
        16384,
        16385,
        65534,
        65535,
        65536,
        65537,
        131070,
        131071,
        1 << 20,
        (1 << 20) + 1,
        (1 << 20) + 16,
        (1 << 20) + 200,
        2 << 20,
        (2 << 20) + 16385,
    ] {
        assert_same(&format!("text prefix of {len}"), &text[..len]);
    }
}

#[test]
fn repetitive_and_random_inputs_match_the_oracle() {
    let mut rng = Rng(42);
    assert_same("zeros", &vec![0u8; 3 * (1 << 20) + 7]);
    let abc: Vec<u8> = b"abc".iter().copied().cycle().take(2_500_000).collect();
    assert_same("abc repeated", &abc);
    assert_same("random", &rng.bytes(2 * (1 << 20) + 99));
    let mut half = rng.bytes(300_000);
    half.extend(vec![7u8; 300_000]);
    half.extend(rng.bytes(70_000).iter().map(|b| b & 0x0f));
    assert_same("random, runs and low-entropy bytes", &half);
    assert_same(
        "text crossing several pieces",
        &mixture(&mut rng, 5 * (1 << 20) + 4321),
    );
}

#[test]
fn generated_mixtures_match_the_oracle() {
    let mut rng = Rng(7);
    for case in 0..40 {
        let len = match case % 4 {
            0 => rng.below(300) as usize,
            1 => rng.below(70_000) as usize,
            2 => 60_000 + rng.below(200_000) as usize,
            _ => (1 << 20) - 5000 + rng.below(10_000) as usize,
        };
        let input = mixture(&mut rng, len);
        assert_same(&format!("mixture {case}"), &input);
    }
}

#[test]
fn a_real_tar_layer_matches_the_oracle() {
    // The repository's own sources as a tar: real file headers and text.
    let out = Command::new("tar")
        .args(["cf", "-", "--sort=name", "src", "tests", "docs", "cli"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run tar");
    assert!(out.status.success(), "tar failed");
    assert!(out.stdout.len() > 1 << 20, "a tar of several pieces");
    assert_same("tar of the sources", &out.stdout);
}

#[test]
fn output_does_not_depend_on_threads_or_write_sizes() {
    let mut rng = Rng(99);
    let input = mixture(&mut rng, 3 * (1 << 20) + 5);
    let one = ours(&input, 1, 1 << 22);
    assert_eq!(ours(&input, 4, 1), one, "byte-at-a-time writes");
    assert_eq!(ours(&input, 2, 65536), one);
}

#[test]
fn skopeo_itself_writes_these_bytes() {
    // A docker-archive of one multi-piece layer, copied by skopeo into an
    // OCI layout: its layer blob is ours, byte for byte.
    let work = support::tempdir::TempDir::new("gzip-skopeo");
    let mut rng = Rng(2026);
    let layer = mixture(&mut rng, 3 * (1 << 20) + 777);
    let diff_id = ocireg::digest::Digest::sha256_of(&layer);
    let hex = &diff_id.as_str()["sha256:".len()..];
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#
    );
    let config_hex = ocireg::digest::Digest::sha256_of(config.as_bytes()).as_str()[7..].to_string();
    let root = work.path().join("archive");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join(format!("{hex}.tar")), &layer).expect("layer");
    std::fs::write(root.join(format!("{config_hex}.json")), &config).expect("config");
    std::fs::write(
        root.join("manifest.json"),
        format!(r#"[{{"Config":"{config_hex}.json","RepoTags":["example.com/gz:v1"],"Layers":["{hex}.tar"]}}]"#),
    )
    .expect("manifest.json");
    let archive = work.path().join("archive.tar");
    let status = Command::new("tar")
        .arg("cf")
        .arg(&archive)
        .args(["-C", root.to_str().expect("utf-8 path"), "."])
        .status()
        .expect("run tar");
    assert!(status.success());
    let layout = work.path().join("layout");
    let out = Command::new("skopeo")
        .args(["--insecure-policy", "copy", "-q"])
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(format!("oci:{}:v1", layout.display()))
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = ours(&layer, 2, 1 << 16);
    let digest = ocireg::digest::Digest::sha256_of(&expected);
    let blob = layout.join("blobs/sha256").join(&digest.as_str()[7..]);
    assert!(blob.is_file(), "skopeo wrote no blob {digest}");
    assert_eq!(std::fs::read(blob).expect("read blob"), expected);
}
