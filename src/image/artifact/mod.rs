//! Artifacts, as oras makes them: a set of files pushed as an OCI image
//! manifest with an `artifactType`, the empty config (`{}`,
//! `application/vnd.oci.empty.v1+json`) and one layer per file named by its
//! `org.opencontainers.image.title` annotation, optionally attached to a
//! `subject`; and pulled back into a directory by those names.
//!
//! The manifest is written byte for byte as oras (oras-go's `PackManifest`,
//! image-spec 1.1) writes it, so the same files, types and annotations
//! (including `org.opencontainers.image.created`, which both add with the
//! current time unless given) give the same digest.

mod manifest;
mod pull;
mod push;
mod title;

pub use self::pull::PulledFile;
pub use self::push::{ArtifactFile, ArtifactOptions};

/// The artifact type when none is given (oras's default).
pub const DEFAULT_ARTIFACT_TYPE: &str = "application/vnd.unknown.artifact.v1";
/// The media type of a file's layer when none is given (oras's default).
pub const DEFAULT_FILE_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
/// The annotation holding a file's name.
pub const TITLE: &str = "org.opencontainers.image.title";
/// The annotation holding the creation time (RFC 3339).
pub const CREATED: &str = "org.opencontainers.image.created";
/// The most files an artifact pushed or pulled may hold.
pub const MAX_FILES: usize = 1000;
