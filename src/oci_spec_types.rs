//! Conversions between ocireg's types and the [`oci_spec`] crate's, so a
//! Rust caller who builds or reads manifests with `oci_spec` can hand them
//! to the client and take them back.
//!
//! ocireg keeps its own small types because a manifest's raw bytes are the
//! source of truth (its digest is computed over exactly them) and a client
//! must carry fields it does not know; `oci_spec`'s types are the richer
//! model for authoring. The conversions go through the JSON both sides
//! agree on, so nothing a descriptor carries is dropped either way.

use bytes::Bytes;
use oci_spec::image::{ImageIndex, ImageManifest};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::{Manifest, parse_json};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Platform;
use crate::media_type;

/// Re-encodes `value` as `T` through JSON.
fn convert<T: DeserializeOwned>(value: &impl Serialize, what: &str) -> Result<T> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("converting {what}: {e}"),
            )
        })
}

impl TryFrom<&oci_spec::image::Descriptor> for Descriptor {
    type Error = Error;

    fn try_from(descriptor: &oci_spec::image::Descriptor) -> Result<Descriptor> {
        convert(descriptor, "an oci_spec descriptor")
    }
}

impl TryFrom<&Descriptor> for oci_spec::image::Descriptor {
    type Error = Error;

    /// Fails when the digest or the platform is not one `oci_spec` accepts.
    fn try_from(descriptor: &Descriptor) -> Result<oci_spec::image::Descriptor> {
        convert(descriptor, "a descriptor to oci_spec")
    }
}

impl From<&oci_spec::image::Platform> for Platform {
    fn from(platform: &oci_spec::image::Platform) -> Platform {
        Platform {
            os: platform.os().to_string(),
            architecture: platform.architecture().to_string(),
            variant: platform.variant().clone(),
        }
    }
}

impl From<&Platform> for oci_spec::image::Platform {
    fn from(platform: &Platform) -> oci_spec::image::Platform {
        let mut converted = oci_spec::image::Platform::default();
        converted
            .set_os(platform.os.as_str().into())
            .set_architecture(platform.architecture.as_str().into())
            .set_variant(platform.variant.clone());
        converted
    }
}

impl Manifest {
    /// Encodes an `oci_spec` image manifest as the bytes to push, with the
    /// OCI image manifest media type and the sha256 digest of those bytes.
    pub fn from_oci_image_manifest(manifest: &ImageManifest) -> Result<Manifest> {
        Manifest::encode(manifest, media_type::OCI_MANIFEST)
    }

    /// Encodes an `oci_spec` image index as the bytes to push, with the OCI
    /// index media type and the sha256 digest of those bytes.
    pub fn from_oci_image_index(index: &ImageIndex) -> Result<Manifest> {
        Manifest::encode(index, media_type::OCI_INDEX)
    }

    /// Reads these bytes as an `oci_spec` image manifest (OCI or Docker
    /// schema 2, which share the layout).
    pub fn to_oci_image_manifest(&self) -> Result<ImageManifest> {
        self.decode("an image manifest")
    }

    /// Reads these bytes as an `oci_spec` image index (OCI index or Docker
    /// manifest list).
    pub fn to_oci_image_index(&self) -> Result<ImageIndex> {
        self.decode("an image index")
    }

    fn encode(value: &impl Serialize, media_type: &str) -> Result<Manifest> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("encoding {media_type}: {e}"),
            )
        })?;
        Ok(Manifest {
            digest: Digest::sha256_of(&bytes),
            bytes: Bytes::from(bytes),
            media_type: media_type.to_string(),
            source: None,
        })
    }

    fn decode<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        parse_json(&self.bytes, &format!("manifest {} as {what}", self.digest))
    }
}

#[cfg(test)]
mod tests {
    use oci_spec::image::{
        DescriptorBuilder, ImageIndexBuilder, ImageManifestBuilder, MediaType, PlatformBuilder,
    };

    use super::*;

    const CONFIG: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    const LAYER: &str = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    fn oci_descriptor(media: MediaType, digest: &str, size: u64) -> oci_spec::image::Descriptor {
        DescriptorBuilder::default()
            .media_type(media)
            .digest(digest.parse::<oci_spec::image::Digest>().unwrap())
            .size(size)
            .build()
            .unwrap()
    }

    #[test]
    fn a_manifest_built_with_oci_spec_round_trips_unchanged() {
        let built = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(oci_descriptor(MediaType::ImageConfig, CONFIG, 2))
            .layers(vec![oci_descriptor(MediaType::ImageLayerGzip, LAYER, 32)])
            .build()
            .unwrap();
        let manifest = Manifest::from_oci_image_manifest(&built).unwrap();
        assert_eq!(manifest.media_type, media_type::OCI_MANIFEST);
        assert_eq!(manifest.digest, Digest::sha256_of(&manifest.bytes));
        // Our own reading of the bytes sees what oci_spec wrote.
        let fields: crate::descriptor::ManifestFields =
            serde_json::from_slice(&manifest.bytes).unwrap();
        fields.validate(&manifest.media_type).unwrap();
        assert_eq!(fields.layers.unwrap()[0].digest, LAYER);
        assert_eq!(manifest.to_oci_image_manifest().unwrap(), built);
    }

    #[test]
    fn an_index_keeps_its_platforms_both_ways() {
        let platform = PlatformBuilder::default()
            .os("linux")
            .architecture("arm64")
            .variant("v8")
            .build()
            .unwrap();
        let mut entry = oci_descriptor(MediaType::ImageManifest, LAYER, 500);
        entry.set_platform(Some(platform.clone()));
        let index = ImageIndexBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageIndex)
            .manifests(vec![entry.clone()])
            .build()
            .unwrap();
        let manifest = Manifest::from_oci_image_index(&index).unwrap();
        assert_eq!(manifest.media_type, media_type::OCI_INDEX);
        assert_eq!(manifest.to_oci_image_index().unwrap(), index);

        let ours = Descriptor::try_from(&entry).unwrap();
        let chosen = Platform::parse("linux/arm64/v8").unwrap();
        assert_eq!(
            chosen
                .choose(std::slice::from_ref(&ours))
                .map(|d| &d.digest),
            Some(&ours.digest)
        );
        assert_eq!(oci_spec::image::Descriptor::try_from(&ours).unwrap(), entry);
        assert_eq!(Platform::from(&platform), chosen);
        assert_eq!(oci_spec::image::Platform::from(&chosen), platform);
    }

    #[test]
    fn bytes_of_another_kind_are_a_protocol_error() {
        let index = Manifest::from_oci_image_index(
            &ImageIndexBuilder::default()
                .schema_version(2u32)
                .manifests(Vec::new())
                .build()
                .unwrap(),
        )
        .unwrap();
        let err = index.to_oci_image_manifest().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn a_descriptor_with_a_bad_digest_is_refused_by_oci_spec() {
        let bad = Descriptor {
            media_type: media_type::OCI_MANIFEST.to_string(),
            digest: "not-a-digest".to_string(),
            size: 1,
            artifact_type: None,
            annotations: None,
            platform: None,
        };
        let err = oci_spec::image::Descriptor::try_from(&bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}
