//! Whole images on top of the registry client: platform choice, OCI image
//! layouts, pull, push, copy between any two transports (registries,
//! layouts, oci-archives, docker-archives, `dir:`), inspect and save, and
//! artifacts as oras makes them; containers/image's image-source operations
//! (raw manifest, inspect, layers, intended reference, tags) on any
//! transport.

pub mod artifact;
mod blob_file;
mod concurrent;
mod config;
mod copy;
mod go_json;
mod index_author;
mod inspect;
mod layers;
mod layout;
mod layout_fs;
mod oci_conversion;
mod options;
mod place_file;
mod plan;
mod platform;
mod platform_subset;
mod platforms;
mod progress;
mod pull;
mod push;
mod referrer_graph;
mod resume;
mod save;
mod sink_buffers;
mod source_ops;
mod stage_dir;
mod stream;
mod tar;
mod temp_file;
mod transport;

pub use self::artifact::{ArtifactFile, ArtifactOptions, PulledFile};
pub use self::config::ImageConfig;
pub use self::index_author::{IndexOptions, IndexUpdate, MAX_INDEX_ENTRIES};
pub use self::inspect::{ImageInfo, LayerData};
pub use self::layers::LayerFile;
pub use self::layout::{LayoutIndex, OciLayout, REF_NAME};
pub use self::options::{ImageOptions, ReferrersMode};
pub use self::platform::Platform;
pub use self::platforms::ImagePlatform;
pub use self::progress::{Progress, ProgressFn};
pub use self::transport::ImageName;
