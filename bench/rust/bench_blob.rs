//! Case 6 of the benchmark suite (bench/cases.py): one blob through the Rust
//! blocking API, discarding the bytes: the baseline the C write callback
//! and reader handle (bench/c/blob_stream.c) are compared against.
//!
//! Usage: `bench_blob HOST:PORT REPOSITORY DIGEST` (plain-HTTP registry,
//! REPOSITORY as `HOST:PORT/name`). Prints `BYTES SECONDS` (the transfer
//! alone); the digest is verified by the library before the end.

use std::time::Instant;

use ocireg::blocking::Client;
use ocireg::{ClientOptions, Digest, Reference};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        eprintln!("usage: bench_blob HOST:PORT REPOSITORY DIGEST");
        std::process::exit(2);
    }
    if let Err(e) = run(&args[0], &args[1], &args[2]) {
        eprintln!("bench_blob: {e}");
        std::process::exit(1);
    }
}

fn run(host: &str, repository: &str, digest: &str) -> ocireg::Result<()> {
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        ..Default::default()
    })?;
    let reference = Reference::parse(repository)?;
    let digest = Digest::parse(digest)?;
    let start = Instant::now();
    let mut reader = client.get_blob(&reference, &digest)?;
    let mut total = 0u64;
    while let Some(chunk) = reader.chunk()? {
        total += chunk.len() as u64;
    }
    println!("{total} {:.6}", start.elapsed().as_secs_f64());
    Ok(())
}
