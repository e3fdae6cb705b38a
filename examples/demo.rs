//! The walk-through `make demo` runs: push a blob and an image manifest,
//! list tags, fetch the manifest, and stream the blob back, verified.
//!
//! Usage: `cargo run --example demo -- HOST:PORT` (a plain-HTTP registry).

use std::io::Read;

use bytes::Bytes;
use ocireg::blocking::Client;
use ocireg::{ClientOptions, Reference, media_type};

fn main() {
    let Some(host) = std::env::args().nth(1) else {
        eprintln!("usage: demo HOST:PORT");
        std::process::exit(2);
    };
    if let Err(e) = run(&host) {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

fn run(host: &str) -> ocireg::Result<()> {
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        ..Default::default()
    })?;
    client.ping(host)?;
    println!("ping {host}: ok");

    let repo = Reference::parse(&format!("{host}/demo/hello:v1"))?;
    let layer: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let layer_digest = client.push_blob_from_reader(&repo, &mut &layer[..])?;
    println!(
        "pushed layer {layer_digest} ({} bytes, chunked)",
        layer.len()
    );
    let config = Bytes::from_static(
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    let config_len = config.len();
    let config_digest = client.push_blob(&repo, config)?;
    println!("pushed config {config_digest}");

    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config_digest.as_str(), "size": config_len},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest.as_str(), "size": layer.len()}],
    });
    let manifest = Bytes::from(manifest.to_string());
    let tags = vec!["v1".to_string(), "latest".to_string()];
    let digest = client.put_manifest_tags(&repo, &tags, manifest, media_type::OCI_MANIFEST)?;
    println!("pushed manifest {digest} as {}", tags.join(", "));

    println!(
        "tags of {}: {}",
        repo.repository(),
        client.tags(&repo)?.join(", ")
    );
    let fetched = client.get_manifest(&repo)?;
    println!(
        "manifest {}: {} bytes of {}, digest {}",
        repo,
        fetched.bytes.len(),
        fetched.media_type,
        fetched.digest
    );

    let mut reader = client.get_blob(&repo, &layer_digest)?;
    let mut back = Vec::new();
    reader.read_to_end(&mut back)?;
    if back != layer {
        return Err(ocireg::Error::new(
            ocireg::ErrorKind::DigestMismatch,
            "layer came back different",
        ));
    }
    println!("streamed layer back: {} bytes, digest verified", back.len());
    Ok(())
}
