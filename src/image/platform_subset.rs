//! A platform subset of an index (`--platform linux/amd64,linux/arm64`):
//! the chosen platforms' image manifests, and in place of the source's
//! index one naming only them.
//!
//! The choice, and why: containers/image keeps the source index unchanged
//! by default (`KeepSparseManifestList`) and regclient does the same, which
//! a registry validating indexes (distribution does) refuses, because the
//! index names manifests it lacks; containers/image's
//! `StripSparseManifestList` and `crane index filter` instead write an
//! index without the unselected entries. We do the latter always: the
//! destination is complete and valid everywhere, at the cost of a new
//! digest, which the operation returns (and the CLI says so). When the
//! chosen platforms are every entry of the index, in its order, the index
//! moves unchanged and keeps its digest.

use bytes::Bytes;
use serde_json::Value;

use super::plan::{Plan, choose_entry, index_entries};
use super::platform::Platform;
use crate::client::Manifest;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::log::{LogLevel, log};

/// The plan of the image manifests of `platforms` under the index `top`,
/// each once, topped by an index naming only them (entries as the source
/// index or the nested index holding them wrote them). A platform the index
/// lacks is a `NOT_FOUND` error.
pub(super) async fn subset<F, Fut>(
    top: &Manifest,
    platforms: &[Platform],
    fetch: &F,
) -> Result<Plan>
where
    F: Fn(Digest, String) -> Fut,
    Fut: std::future::Future<Output = Result<Manifest>>,
{
    let top_digests: Vec<String> = index_entries(top)?.into_iter().map(|e| e.digest).collect();
    let mut chosen: Vec<(usize, Value, Manifest)> = Vec::new();
    for platform in platforms {
        let found = choose_entry(top, platform, fetch).await?;
        if chosen
            .iter()
            .any(|(_, _, m)| m.digest == found.image.digest)
        {
            continue;
        }
        let digest = found.image.digest.as_str();
        // Entries of the top index keep its order; nested ones follow.
        let rank = top_digests
            .iter()
            .position(|d| d == digest)
            .unwrap_or(top_digests.len() + chosen.len());
        chosen.push((rank, raw_entry(&found.parent, digest)?, found.image));
    }
    chosen.sort_by_key(|(rank, _, _)| *rank);
    let unchanged = chosen.len() == top_digests.len()
        && chosen
            .iter()
            .zip(&top_digests)
            .all(|((_, _, m), d)| m.digest.as_str() == d);
    let (entries, children): (Vec<Value>, Vec<Manifest>) =
        chosen.into_iter().map(|(_, e, m)| (e, m)).unzip();
    let index = if unchanged {
        top.clone()
    } else {
        let index = rewrite(top, entries)?;
        log(LogLevel::Info, || {
            format!(
                "copying {} of the platforms of index {}: written as a new index {}",
                children.len(),
                top.digest,
                index.digest
            )
        });
        index
    };
    Plan::with_children(index, children)
}

/// The JSON of the entry of `index` naming `digest`, as the index wrote it.
fn raw_entry(index: &Manifest, digest: &str) -> Result<Value> {
    let value = json_of(index)?;
    value
        .get("manifests")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|e| e.get("digest").and_then(Value::as_str) == Some(digest))
        })
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!("index {} has no entry {digest}", index.digest),
            )
        })
}

/// `top` with `entries` as its `manifests`, every other field kept.
fn rewrite(top: &Manifest, entries: Vec<Value>) -> Result<Manifest> {
    let mut value = json_of(top)?;
    let Some(object) = value.as_object_mut() else {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!("index {} is not a JSON object", top.digest),
        ));
    };
    object.insert("manifests".to_string(), Value::Array(entries));
    let bytes = serde_json::to_vec(&value).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("writing the platform subset of index {}: {e}", top.digest),
        )
    })?;
    Ok(Manifest {
        digest: Digest::sha256_of(&bytes),
        bytes: Bytes::from(bytes),
        media_type: top.media_type.clone(),
        source: None,
    })
}

fn json_of(index: &Manifest) -> Result<Value> {
    serde_json::from_slice(&index.bytes).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("index {} is not JSON: {e}", index.digest),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_type;
    use serde_json::json;
    use std::collections::HashMap;

    fn manifest(value: &Value, media_type: &str) -> Manifest {
        let bytes = serde_json::to_vec(value).unwrap();
        Manifest {
            digest: Digest::sha256_of(&bytes),
            bytes: Bytes::from(bytes),
            media_type: media_type.to_string(),
            source: None,
        }
    }

    fn image(n: u8) -> Manifest {
        let layer = format!("sha256:{}", format!("{n:02x}").repeat(32));
        manifest(
            &json!({
                "schemaVersion": 2,
                "mediaType": media_type::OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": layer, "size": 2},
                "layers": [],
            }),
            media_type::OCI_MANIFEST,
        )
    }

    fn entry(m: &Manifest, arch: &str) -> Value {
        json!({"mediaType": media_type::OCI_MANIFEST, "digest": m.digest.as_str(),
               "size": m.bytes.len(), "platform": {"os": "linux", "architecture": arch},
               "annotations": {"keep": arch}})
    }

    async fn plan(platforms: &str) -> Result<(Manifest, Plan)> {
        let images = [image(1), image(2), image(3)];
        let top = manifest(
            &json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX,
                    "annotations": {"org.example": "kept"},
                    "manifests": [entry(&images[0], "amd64"), entry(&images[1], "arm64"),
                                  entry(&images[2], "s390x")]}),
            media_type::OCI_INDEX,
        );
        let by_digest: HashMap<Digest, Manifest> = images
            .iter()
            .map(|m| (m.digest.clone(), m.clone()))
            .collect();
        let fetch = |d: Digest, _| {
            let found = by_digest.get(&d).cloned();
            async move { found.ok_or_else(|| Error::new(ErrorKind::NotFound, "no")) }
        };
        let platforms = Platform::parse_list(platforms)?;
        let plan = subset(&top, &platforms, &fetch).await?;
        Ok((top, plan))
    }

    #[tokio::test]
    async fn keeps_only_the_chosen_entries_in_source_order() {
        let (top, plan) = plan("linux/s390x,linux/amd64").await.unwrap();
        assert_ne!(plan.top.digest, top.digest);
        let value: Value = serde_json::from_slice(&plan.top.bytes).unwrap();
        let archs: Vec<&str> = value["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["platform"]["architecture"].as_str().unwrap())
            .collect();
        assert_eq!(archs, ["amd64", "s390x"]);
        assert_eq!(value["manifests"][1]["annotations"]["keep"], "s390x");
        assert_eq!(value["annotations"]["org.example"], "kept");
        assert_eq!(plan.children.len(), 2);
        assert_eq!(plan.blobs.len(), 2);
    }

    #[tokio::test]
    async fn every_platform_keeps_the_index() {
        let (top, plan) = plan("linux/arm64,linux/amd64,linux/s390x").await.unwrap();
        assert_eq!(plan.top.digest, top.digest);
        assert_eq!(plan.top.bytes, top.bytes);
    }

    #[tokio::test]
    async fn an_unknown_platform_is_not_found() {
        let err = plan("linux/amd64,linux/riscv64").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("linux/riscv64"), "{err}");
    }
}
