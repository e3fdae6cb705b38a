//! Image names with skopeo's transport prefixes.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

/// Where an image lives, named as skopeo names it:
///
/// | written as | variant |
/// |---|---|
/// | `docker://HOST/REPO[:TAG\|@DIGEST]`, or a bare reference | [`ImageName::Registry`] |
/// | `oci:DIR[:REF]` | [`ImageName::Layout`] |
/// | `oci-archive:FILE[:REF]` | [`ImageName::OciArchive`] |
/// | `docker-archive:FILE[:REF\|:@N]` | [`ImageName::DockerArchive`] |
/// | `dir:DIR` | [`ImageName::Dir`] |
///
/// As in skopeo, the path ends at the first `:` after the prefix; what
/// follows names the image inside (`org.opencontainers.image.ref.name` in
/// a layout, a `RepoTags` entry or `@N` in a docker-archive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageName {
    /// An image in a registry.
    Registry(Reference),
    /// An image in an OCI image layout directory, by name (or its only image).
    Layout {
        /// The layout directory.
        dir: PathBuf,
        /// The image's `org.opencontainers.image.ref.name`.
        name: Option<String>,
    },
    /// An image in an OCI layout held in a tar file.
    OciArchive {
        /// The tar file.
        file: PathBuf,
        /// The image's `org.opencontainers.image.ref.name`.
        name: Option<String>,
    },
    /// An image in a `docker save` tarball.
    DockerArchive {
        /// The tar file.
        file: PathBuf,
        /// Which image: a `RepoTags` entry, or `@N` (the N-th image, from 0).
        name: Option<String>,
    },
    /// skopeo's directory format: `version`, `manifest.json`, blobs by hex digest.
    Dir {
        /// The directory.
        dir: PathBuf,
    },
}

impl ImageName {
    /// Parses a name with a transport prefix; a name without one is a
    /// registry reference (`localhost:5000/app:1`), as everywhere else in
    /// ocireg. Write `docker://` to make a registry explicit.
    pub fn parse(text: &str) -> Result<ImageName> {
        if let Some(rest) = text.strip_prefix("docker://") {
            return Ok(ImageName::Registry(Reference::parse(rest)?));
        }
        for (prefix, make) in [
            (
                "oci:",
                ImageName::layout as fn(PathBuf, Option<String>) -> ImageName,
            ),
            ("oci-archive:", ImageName::oci_archive),
            ("docker-archive:", ImageName::docker_archive),
            ("dir:", ImageName::dir),
        ] {
            if let Some(rest) = text.strip_prefix(prefix) {
                let (path, name) = match rest.split_once(':') {
                    Some((path, name)) => (path, Some(name.to_string())),
                    None => (rest, None),
                };
                if path.is_empty() {
                    return Err(invalid(text, "the path is empty"));
                }
                if name.as_deref() == Some("") {
                    return Err(invalid(text, "the image name after ':' is empty"));
                }
                if prefix == "dir:" && name.is_some() {
                    // skopeo reads the whole rest as the directory.
                    return Ok(ImageName::Dir {
                        dir: PathBuf::from(rest),
                    });
                }
                return Ok(make(PathBuf::from(path), name));
            }
        }
        Ok(ImageName::Registry(Reference::parse(text)?))
    }

    fn layout(dir: PathBuf, name: Option<String>) -> ImageName {
        ImageName::Layout { dir, name }
    }

    fn oci_archive(file: PathBuf, name: Option<String>) -> ImageName {
        ImageName::OciArchive { file, name }
    }

    fn docker_archive(file: PathBuf, name: Option<String>) -> ImageName {
        ImageName::DockerArchive { file, name }
    }

    fn dir(dir: PathBuf, _name: Option<String>) -> ImageName {
        ImageName::Dir { dir }
    }

    /// The transport's name, as skopeo spells it.
    #[must_use]
    pub fn transport(&self) -> &'static str {
        match self {
            ImageName::Registry(_) => "docker",
            ImageName::Layout { .. } => "oci",
            ImageName::OciArchive { .. } => "oci-archive",
            ImageName::DockerArchive { .. } => "docker-archive",
            ImageName::Dir { .. } => "dir",
        }
    }
}

impl fmt::Display for ImageName {
    /// The name with its transport prefix; it parses back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with = |f: &mut fmt::Formatter<'_>, path: &PathBuf, name: &Option<String>| {
            write!(f, "{}:{}", self.transport(), path.display())?;
            match name {
                Some(name) => write!(f, ":{name}"),
                None => Ok(()),
            }
        };
        match self {
            ImageName::Registry(reference) => write!(f, "docker://{reference}"),
            ImageName::Layout { dir, name } => with(f, dir, name),
            ImageName::OciArchive { file, name } | ImageName::DockerArchive { file, name } => {
                with(f, file, name)
            }
            ImageName::Dir { dir } => write!(f, "dir:{}", dir.display()),
        }
    }
}

impl std::str::FromStr for ImageName {
    type Err = Error;

    /// Same as [`ImageName::parse`].
    fn from_str(s: &str) -> Result<ImageName> {
        ImageName::parse(s)
    }
}

fn invalid(text: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("invalid image name {text:?}: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_transport_and_prints_it_back() {
        for text in [
            "docker://localhost:5000/app:1",
            "oci:/tmp/layout:v1",
            "oci:/tmp/layout",
            "oci-archive:/tmp/a.tar:v1",
            "docker-archive:/tmp/d.tar:example.com/app:1",
            "docker-archive:/tmp/d.tar:@1",
            "dir:/tmp/d",
        ] {
            let name = ImageName::parse(text).unwrap();
            assert_eq!(name.to_string(), text);
            assert_eq!(ImageName::parse(&name.to_string()).unwrap(), name);
        }
        assert_eq!(
            ImageName::parse("docker-archive:/tmp/d.tar:example.com/app:1").unwrap(),
            ImageName::DockerArchive {
                file: "/tmp/d.tar".into(),
                name: Some("example.com/app:1".into())
            }
        );
    }

    #[test]
    fn a_bare_reference_is_a_registry() {
        let name = ImageName::parse("localhost:5000/app:1").unwrap();
        assert_eq!(
            name,
            ImageName::Registry(Reference::parse("localhost:5000/app:1").unwrap())
        );
    }

    #[test]
    fn empty_parts_are_refused() {
        for text in ["oci:", "oci::x", "oci-archive:/a.tar:", "dir:", "docker://"] {
            assert!(ImageName::parse(text).is_err(), "{text}");
        }
    }
}
