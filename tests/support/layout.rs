//! Test images written as OCI image layouts, the input every transport
//! test starts from (skopeo then copies them wherever a test needs them).

use std::path::Path;

use ocireg::{Digest, media_type};
use serde_json::{Value, json};

use super::tar::layer;

/// The layer media type of the test images (plain tars).
pub const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// The layer media type of [`write_gzip_layout`]'s images.
pub const LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// An image's blobs: config and plain tar layers.
pub struct TestImage {
    pub config: Vec<u8>,
    pub layers: Vec<Vec<u8>>,
}

/// Image `seed` for `architecture`: two plain tar layers (`file-<seed*10>.bin`
/// of 40,000 bytes and `file-<seed*10+1>.bin` of 40,013), a config with
/// env, a label and a creation time.
pub fn test_image(seed: u64, architecture: &str) -> TestImage {
    let layers: Vec<Vec<u8>> = (0..2)
        .map(|i| layer(seed * 10 + i, 40_000 + i as usize * 13))
        .collect();
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| Digest::sha256_of(l).to_string())
        .collect();
    let config = serde_json::to_vec(&json!({
        "created": "2026-12-01T10:20:30Z",
        "architecture": architecture, "os": "linux",
        "config": {"Env": [format!("SEED={seed}"), "PATH=/bin"],
                   "Labels": {"org.example.seed": seed.to_string()}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .expect("config JSON");
    TestImage { config, layers }
}

/// Writes `data` as a blob of the layout `dir`; its descriptor.
pub fn put(dir: &Path, data: &[u8], media: &str) -> Value {
    let digest = Digest::sha256_of(data);
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("create blobs/sha256");
    std::fs::write(dir.join("blobs/sha256").join(digest.hex()), data).expect("write a blob");
    json!({"mediaType": media, "digest": digest.to_string(), "size": data.len()})
}

/// Writes an OCI layout holding one image per `(architecture, seed)` (an
/// index when more than one) named `ref_name`, with plain tar layers;
/// returns the top manifest's digest. An existing layout is replaced.
pub fn write_layout(dir: &Path, ref_name: &str, architectures: &[(&str, u64)]) -> String {
    layout_of(dir, ref_name, architectures, false)
}

/// [`write_layout`] with the layers gzipped (by `gzip -n`, so the same
/// bytes every time), as images in registries have them: what skopeo
/// copies without recompressing.
pub fn write_gzip_layout(dir: &Path, ref_name: &str, architectures: &[(&str, u64)]) -> String {
    layout_of(dir, ref_name, architectures, true)
}

/// `data` gzipped by `gzip -n` (no name, no time: reproducible).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run gzip");
    let mut stdin = child.stdin.take().expect("gzip's stdin");
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input).expect("feed gzip"));
    let out = child.wait_with_output().expect("gzip's output");
    writer.join().expect("the gzip feeder");
    assert!(out.status.success(), "gzip failed");
    out.stdout
}

fn layout_of(dir: &Path, ref_name: &str, architectures: &[(&str, u64)], gzipped: bool) -> String {
    std::fs::create_dir_all(dir).expect("create the layout");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("write oci-layout");
    let mut entries = Vec::new();
    for (arch, seed) in architectures {
        let image = test_image(*seed, arch);
        let layers: Vec<Value> = image
            .layers
            .iter()
            .map(|l| match gzipped {
                true => put(dir, &gzip(l), LAYER_TAR_GZIP),
                false => put(dir, l, LAYER_TAR),
            })
            .collect();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
            "config": put(dir, &image.config, media_type::OCI_CONFIG), "layers": layers,
        }))
        .expect("manifest JSON");
        let mut d = put(dir, &manifest, media_type::OCI_MANIFEST);
        d["platform"] = json!({"architecture": arch, "os": "linux"});
        entries.push(d);
    }
    let mut top = if entries.len() == 1 {
        let mut e = entries.remove(0);
        e.as_object_mut().expect("descriptor").remove("platform");
        e
    } else {
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": entries}),
        )
        .expect("index JSON");
        put(dir, &index, media_type::OCI_INDEX)
    };
    let digest = top["digest"].as_str().expect("digest").to_string();
    top["annotations"] = json!({"org.opencontainers.image.ref.name": ref_name});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [top]})).expect("index.json"),
    )
    .expect("write index.json");
    digest
}
