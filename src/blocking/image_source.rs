//! The blocking image-source operations on any transport: see
//! `src/image/source_ops.rs`, `inspect.rs` and `layers.rs`.

use std::path::Path;

use super::Client;
use crate::client::Manifest;
use crate::error::Result;
use crate::image::{ImageInfo, ImageName, ImageOptions, LayerFile, Progress};

impl Client {
    /// See [`crate::Client::source_manifest`].
    pub fn source_manifest(&self, name: &ImageName, options: &ImageOptions) -> Result<Manifest> {
        self.run(self.inner.source_manifest(name, options))
    }

    /// See [`crate::Client::inspect_image`].
    pub fn inspect_image(
        &self,
        name: &ImageName,
        options: &ImageOptions,
        with_tags: bool,
    ) -> Result<ImageInfo> {
        self.run(self.inner.inspect_image(name, options, with_tags))
    }

    /// See [`crate::Client::fetch_layers`]; `progress` as for
    /// [`Client::pull`].
    pub fn fetch_layers(
        &self,
        name: &ImageName,
        dir: &Path,
        options: &ImageOptions,
        overwrite: bool,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<Vec<LayerFile>> {
        self.run_image(options, progress, |o| async move {
            self.inner.fetch_layers(name, dir, &o, overwrite).await
        })
    }

    /// See [`crate::Client::repository_tags`].
    pub fn repository_tags(&self, name: &ImageName) -> Result<Vec<String>> {
        self.run(self.inner.repository_tags(name))
    }
}
