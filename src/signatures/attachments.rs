//! Sigstore attachments: sigstore signatures kept as the layers of the
//! image manifest tagged `<alg>-<hex>.sig` beside the image, as cosign
//! writes them and containers/image reads and writes them
//! (`docker/docker_image_src.go` appendSignaturesFromSigstoreAttachments,
//! `docker/docker_image_dest.go` putSignaturesToSigstoreAttachments).
//!
//! Each layer is one signature: its media type (cosign's
//! `application/vnd.dev.cosign.simplesigning.v1+json`), its content (the
//! payload) and its annotations (`dev.cosignproject.cosign/signature` and,
//! when present, the certificate, chain and bundle). Writing appends to an
//! existing `.sig` manifest (its config's `rootfs.diff_ids` growing with
//! its layers) and skips a signature identical to one already there (same
//! media type, size, digest and annotations); a new manifest gets the
//! config containers/image writes. Appends are serialized per `.sig` tag
//! within a client and read back to catch other writers (see [`append`]).
//! Reads are bounded: at most
//! [`MAX_SIGNATURES`] layers of at most [`MAX_SIGNATURE_SIZE`] bytes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::signature::{MAX_SIGNATURE_SIZE, MAX_SIGNATURES, Signature};
use crate::client::{Client, MAX_MERGE_ROUNDS, fallback_tag, settle};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::{DOCKER_MANIFEST, OCI_CONFIG, OCI_MANIFEST};
use crate::reference::Reference;

/// The largest `.sig` config read, in bytes (containers/image's
/// `MaxConfigBodySize` is 4 MiB too).
const MAX_CONFIG_SIZE: usize = 4 * 1024 * 1024;

/// The config of a new `.sig` manifest, before its `diff_ids`: what Go's
/// `json.Marshal` makes of containers/image's empty `imgspecv1.Image` with
/// `rootfs.type` set.
const NEW_CONFIG: &str =
    r#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;

/// The `.sig` manifest: the fields ocireg changes, and everything else
/// kept as it was.
#[derive(Serialize, Deserialize)]
struct SigManifest {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// The `.sig` tag of `digest` in `reference`'s repository, or `None` when
/// the tag could not exist (longer than tags may be).
fn sig_tag(reference: &Reference, digest: &Digest) -> Option<Reference> {
    reference
        .with_tag(&format!("{}.sig", fallback_tag(digest)))
        .ok()
}

/// Fetches and parses the `.sig` manifest of `digest`: `None` when there is none.
async fn get_sig_manifest(
    client: &Client,
    reference: &Reference,
    digest: &Digest,
) -> Result<Option<(Reference, SigManifest)>> {
    let Some(tagged) = sig_tag(reference, digest) else {
        return Ok(None);
    };
    let manifest = match client.get_manifest(&tagged).await {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.context("the sigstore attachment")),
    };
    let what = format!("the sigstore attachment {tagged}");
    if manifest.media_type != OCI_MANIFEST && manifest.media_type != DOCKER_MANIFEST {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "{what} is a {:?}, not an image manifest",
                manifest.media_type
            ),
        ));
    }
    let parsed: SigManifest = serde_json::from_slice(&manifest.bytes).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("{what} is not a valid image manifest: {e}"),
        )
    })?;
    if parsed.layers.len() > MAX_SIGNATURES {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "{what} has {} layers, more than the {MAX_SIGNATURES} signatures allowed",
                parsed.layers.len()
            ),
        ));
    }
    Ok(Some((tagged, parsed)))
}

/// Reads one blob of at most `limit` bytes, verified against its digest.
async fn read_small_blob(
    client: &Client,
    reference: &Reference,
    descriptor: &Descriptor,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>> {
    if descriptor.size > limit as u64 {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "{what} is {} bytes, more than the {limit} allowed",
                descriptor.size
            ),
        ));
    }
    let digest = Digest::parse(&descriptor.digest).map_err(|e| e.context(what))?;
    let mut reader = client
        .get_blob(reference, &digest)
        .await
        .map_err(|e| e.context(what))?;
    reader.expect_size(descriptor.size)?;
    let mut bytes = Vec::with_capacity(descriptor.size as usize);
    while let Some(chunk) = reader.chunk().await.map_err(|e| e.context(what))? {
        if bytes.len() + chunk.len() > limit {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!("{what} is larger than {limit} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The sigstore signatures of `digest` in `reference`'s repository, in
/// layer order; none when there is no `.sig` manifest.
pub(crate) async fn read(
    client: &Client,
    reference: &Reference,
    digest: &Digest,
) -> Result<Vec<Signature>> {
    let Some((tagged, manifest)) = get_sig_manifest(client, reference, digest).await? else {
        return Ok(Vec::new());
    };
    let mut signatures = Vec::with_capacity(manifest.layers.len());
    for (i, layer) in manifest.layers.iter().enumerate() {
        let what = format!("signature {} of {tagged}", i + 1);
        let payload = read_small_blob(client, reference, layer, MAX_SIGNATURE_SIZE, &what).await?;
        signatures.push(Signature::Sigstore {
            mime_type: layer.media_type.clone(),
            payload,
            annotations: layer.annotations.clone().unwrap_or_default(),
        });
    }
    Ok(signatures)
}

/// Whether `layer` already holds this signature (containers/image's
/// `layerMatchesSigstoreSignature`).
fn layer_matches(
    layer: &Descriptor,
    mime_type: &str,
    payload: &[u8],
    digest: &Digest,
    annotations: &BTreeMap<String, String>,
) -> bool {
    let empty = BTreeMap::new();
    layer.media_type == mime_type
        && layer.size == payload.len() as u64
        && layer.digest == digest.as_str()
        && layer.annotations.as_ref().unwrap_or(&empty) == annotations
}

/// Appends the sigstore `signatures` to the `.sig` manifest of `digest`
/// (creating it when there is none). Returns how many were added.
///
/// Registries offer no conditional PUT, so the append is a read, change
/// and write: within one client it runs under the lock of the `.sig` tag,
/// and against other clients (other processes, other tools) the manifest
/// is read back after a settling pause and the append made again while
/// one of ours is missing, up to [`MAX_MERGE_ROUNDS`] times, then
/// reported as a `REJECTED` error: a lost signature is never silent.
pub(crate) async fn append(
    client: &Client,
    reference: &Reference,
    digest: &Digest,
    signatures: &[&Signature],
) -> Result<usize> {
    let Some(tagged) = sig_tag(reference, digest) else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("{digest} has no valid .sig tag (a tag is at most 128 characters)"),
        ));
    };
    let key = format!(
        "{}/{}@{}",
        reference.api_host(),
        reference.repository(),
        tagged.tag().unwrap_or_default()
    );
    let _guard = client.lock_key(&key).await;
    let mut first_round = None;
    for round in 0..MAX_MERGE_ROUNDS {
        if round > 0 {
            settle(Duration::ZERO).await;
        }
        let started = Instant::now();
        let now = append_once(client, reference, digest, &tagged, signatures).await?;
        let added = *first_round.get_or_insert(now);
        if now == 0 && round == 0 {
            return Ok(0);
        }
        settle(started.elapsed()).await;
        if let Some((_, back)) = get_sig_manifest(client, reference, digest).await?
            && signatures.iter().all(|s| holds(&back, s))
        {
            return Ok(added);
        }
    }
    Err(Error::new(
        ErrorKind::Rejected,
        format!(
            "other writers replaced {tagged} {MAX_MERGE_ROUNDS} times without the signatures \
             written; they are not stored there"
        ),
    ))
}

/// Whether the `.sig` manifest holds `signature` (a simple signing one is
/// never there).
fn holds(manifest: &SigManifest, signature: &Signature) -> bool {
    let Signature::Sigstore {
        mime_type,
        payload,
        annotations,
    } = signature
    else {
        return false;
    };
    let digest = Digest::sha256_of(payload);
    manifest
        .layers
        .iter()
        .any(|l| layer_matches(l, mime_type, payload, &digest, annotations))
}

/// One read-modify-write of the `.sig` manifest `tagged`: the signatures
/// it lacks are appended (the manifest created when there is none).
/// Returns how many were added.
async fn append_once(
    client: &Client,
    reference: &Reference,
    digest: &Digest,
    tagged: &Reference,
    signatures: &[&Signature],
) -> Result<usize> {
    let (mut manifest, mut config) = match get_sig_manifest(client, reference, digest).await? {
        Some((_, manifest)) => {
            if manifest
                .media_type
                .as_deref()
                .is_some_and(|m| m != OCI_MANIFEST)
            {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the sigstore attachment {tagged} is not an OCI image manifest; ocireg appends only to those"
                    ),
                ));
            }
            let what = format!("the config of {tagged}");
            let bytes =
                read_small_blob(client, reference, &manifest.config, MAX_CONFIG_SIZE, &what)
                    .await?;
            let config: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| Error::new(ErrorKind::Protocol, format!("{what} is not JSON: {e}")))?;
            (manifest, config)
        }
        None => (
            SigManifest {
                schema_version: 2,
                media_type: Some(OCI_MANIFEST.to_string()),
                config: Descriptor {
                    media_type: OCI_CONFIG.to_string(),
                    digest: String::new(),
                    size: 0,
                    artifact_type: None,
                    annotations: None,
                    platform: None,
                },
                layers: Vec::new(),
                other: serde_json::Map::new(),
            },
            serde_json::from_str(NEW_CONFIG).map_err(|e| {
                Error::new(ErrorKind::Internal, format!("the new .sig config: {e}"))
            })?,
        ),
    };
    let mut added = Vec::new();
    for signature in signatures {
        let Signature::Sigstore {
            mime_type,
            payload,
            annotations,
        } = signature
        else {
            continue;
        };
        if holds(&manifest, signature) {
            continue;
        }
        let payload_digest = Digest::sha256_of(payload);
        if manifest.layers.len() >= MAX_SIGNATURES {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!("{tagged} would hold more than {MAX_SIGNATURES} signatures"),
            ));
        }
        manifest.layers.push(Descriptor {
            media_type: mime_type.clone(),
            digest: payload_digest.to_string(),
            size: payload.len() as u64,
            artifact_type: None,
            annotations: (!annotations.is_empty()).then(|| annotations.clone()),
            platform: None,
        });
        added.push((payload_digest, payload));
    }
    if added.is_empty() {
        return Ok(0);
    }
    let diff_ids = diff_ids_of(&mut config, tagged)?;
    for (payload_digest, _) in &added {
        diff_ids.push(serde_json::Value::String(payload_digest.to_string()));
    }
    for (payload_digest, payload) in &added {
        let pushed = client
            .push_blob(reference, Bytes::copy_from_slice(payload))
            .await?;
        pushed.expect_equal(payload_digest)?;
    }
    let config_bytes = serde_json::to_vec(&config).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("encoding {tagged}'s config: {e}"),
        )
    })?;
    let config_digest = client
        .push_blob(reference, Bytes::from(config_bytes.clone()))
        .await?;
    manifest.config = Descriptor {
        media_type: OCI_CONFIG.to_string(),
        digest: config_digest.to_string(),
        size: config_bytes.len() as u64,
        artifact_type: None,
        annotations: None,
        platform: None,
    };
    let manifest_bytes = serde_json::to_vec(&manifest)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("encoding {tagged}: {e}")))?;
    client
        .put_manifest(tagged, Bytes::from(manifest_bytes), OCI_MANIFEST)
        .await?;
    Ok(added.len())
}

/// The `rootfs.diff_ids` array of a `.sig` config, created when missing.
fn diff_ids_of<'a>(
    config: &'a mut serde_json::Value,
    tagged: &Reference,
) -> Result<&'a mut Vec<serde_json::Value>> {
    let not_config = || {
        Error::new(
            ErrorKind::Protocol,
            format!("the config of {tagged} is not an image config"),
        )
    };
    let object = config.as_object_mut().ok_or_else(not_config)?;
    let rootfs = object
        .entry("rootfs")
        .or_insert_with(|| serde_json::json!({"type": "layers"}));
    let rootfs = rootfs.as_object_mut().ok_or_else(not_config)?;
    let diff_ids = rootfs
        .entry("diff_ids")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if diff_ids.is_null() {
        *diff_ids = serde_json::Value::Array(Vec::new());
    }
    diff_ids.as_array_mut().ok_or_else(not_config)
}
