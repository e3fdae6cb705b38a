//! Save: an image as a docker-archive tarball (`manifest.json`, the config,
//! the layers) that `docker load`, `podman load` and skopeo read; a copy to
//! a `docker-archive:` destination (`transport/docker_archive_writer.rs`).

use std::path::Path;

use super::options::ImageOptions;
use super::transport::ImageName;
use crate::client::Client;
use crate::digest::Digest;
use crate::error::Result;
use crate::reference::Reference;

impl Client {
    /// Writes the image `reference` (the platform's, for an index) to
    /// `file` as a docker-archive, tagged with the reference. The file
    /// appears only when complete: it is written as a locked temporary file
    /// next to it (removed on every failure; one a killed save left is
    /// removed by the next save to the same file) and renamed at the end.
    pub async fn save(
        &self,
        reference: &Reference,
        file: &Path,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let options = ImageOptions {
            all_platforms: false,
            ..options.clone()
        };
        let target = ImageName::DockerArchive {
            file: file.to_path_buf(),
            name: None,
        };
        self.copy_image(&ImageName::Registry(reference.clone()), &target, &options)
            .await
    }
}
