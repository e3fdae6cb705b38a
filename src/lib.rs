//! ocireg: a container-registry client for the OCI Distribution Spec v1.1
//! and the Docker Registry HTTP API V2.
//!
//! The async API is [`Client`]; [`blocking::Client`] mirrors it for callers
//! without an async runtime, and the C ABI is built on that.
//!
//! ```no_run
//! use ocireg::{Client, ClientOptions, Reference};
//!
//! # async fn example() -> ocireg::Result<()> {
//! let client = Client::new(ClientOptions {
//!     insecure_registries: vec!["localhost:5000".into()],
//!     ..Default::default()
//! })?;
//! let image = Reference::parse("localhost:5000/demo/hello:v1")?;
//! println!("tags: {:?}", client.tags(&image).await?);
//! let manifest = client.get_manifest(&image).await?;
//! println!("{image} is {} ({})", manifest.digest, manifest.media_type);
//! # Ok(())
//! # }
//! ```

pub mod blocking;
pub mod cancel;
pub mod client;
pub mod compress;
pub mod credential;
pub mod descriptor;
pub mod digest;
pub mod error;
mod ffi;
mod fork_guard;
pub mod image;
pub mod log;
pub mod media_type;
mod oci_spec_types;
pub mod options;
pub mod reference;
pub mod registries_conf;
pub mod registry;
pub mod signatures;
#[cfg(test)]
mod test_inputs;
mod transport;

pub use cancel::CancelToken;
pub use client::{
    BlobInfo, BlobReader, BlobWriter, Client, Manifest, ManifestInfo, MountResult, RawBody,
    RawRequest, RawResponse, Referrer, ReferrerKind, SearchResult, UntagFallback, Untagged,
};
pub use client::{NameUse, ResolvedName};
pub use credential::Credential;
pub use descriptor::Descriptor;
pub use digest::Digest;
pub use error::{Error, ErrorKind, Result};
pub use options::{ClientOptions, RangedDownload};
pub use reference::Reference;
pub use registry::Registry;
pub use signatures::{Signature, SignatureOptions};
pub use transport::auth::credentials::{LoginDestination, LoginLocation};
pub use transport::rate_limit::{RateLimit, RateQuota};

/// Entry points for the fuzz targets in `fuzz/` and their smoke test: the
/// parsers of what a registry sends, which are otherwise internal.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::transport::auth::challenge::parse_challenges;
    pub use crate::transport::headers::next_link;
}
