//! Lookaside signature storage (containers/image's "separate storage",
//! docs/signature-protocols.md): the signatures of image `REPO` with
//! manifest digest `ALG:HEX` are `BASE/REPO@ALG=HEX/signature-1`,
//! `signature-2`, ... up to the first one missing, where `BASE` is the
//! `lookaside` URL of the registries.d configuration and `REPO` the
//! repository path without the registry.
//!
//! - Reading works over `file://`, `http://` and `https://` (no
//!   credentials, no redirect to another origin); a 404 or a missing file
//!   ends the list, every other failure is an error.
//! - Writing works on `file://` only (the `lookaside-staging` location, or
//!   `lookaside` when that is a file URL): new signatures are appended after
//!   the existing ones (an identical one is not written twice), each file
//!   written to a temporary and linked into place without replacing
//!   anything, no directory below the base may be a symlink, and when one
//!   write fails the ones already made by the call are removed.
//! - Each signature is at most [`MAX_SIGNATURE_SIZE`] bytes, and an image
//!   has at most [`MAX_SIGNATURES`].

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use reqwest::{StatusCode, Url};

use super::signature::{MAX_SIGNATURE_SIZE, MAX_SIGNATURES, Signature};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::log::redact_url;
use crate::reference::Reference;
use crate::transport::body::read_bounded;
use crate::transport::error_map::error_from_response;
use crate::transport::sender::{Retries, Sender};

/// The lookaside location of one repository: `BASE/REPO`.
#[derive(Debug, Clone)]
pub(crate) struct Lookaside {
    /// `BASE/REPO`, as a URL.
    url: Url,
    /// For `file://` locations: the base directory and the repository's
    /// path components below it.
    file: Option<(PathBuf, Vec<String>)>,
}

impl Lookaside {
    /// The lookaside of `reference`'s repository under the configured
    /// `base` URL. Fails with `UNSUPPORTED` for a scheme other than
    /// `file`, `http` and `https`, and `INVALID_ARGUMENT` for a URL that
    /// does not parse, carries credentials, or names a remote file host.
    pub(crate) fn new(base: &str, reference: &Reference) -> Result<Lookaside> {
        let mut url = Url::parse(base).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("the lookaside URL {base:?} is not a valid URL: {e}"),
            )
        })?;
        let shown = redact_url(&url);
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the lookaside URL {shown} carries credentials; ocireg sends none to a lookaside"
                ),
            ));
        }
        let repository = reference.repository();
        let components: Vec<String> = repository.split('/').map(str::to_string).collect();
        if components
            .iter()
            .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(Error::new(
                ErrorKind::InvalidReference,
                format!("unexpected path elements in repository {repository:?}"),
            ));
        }
        let file = match url.scheme() {
            "http" | "https" => None,
            "file" => {
                if !matches!(url.host_str(), None | Some("") | Some("localhost")) {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "the lookaside URL {shown} names a remote host; a file URL must be file:///path"
                        ),
                    ));
                }
                let dir = url.to_file_path().map_err(|()| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        format!("the lookaside URL {shown} is not an absolute file path"),
                    )
                })?;
                Some((dir, components))
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the lookaside URL {shown} has the scheme {other:?}; lookasides are read over file, http and https only"
                    ),
                ));
            }
        };
        let base_path = match url.path() {
            "/" => "",
            path => path,
        };
        let path = format!("{base_path}/{repository}");
        url.set_path(&path);
        Ok(Lookaside { url, file })
    }

    /// Whether this location can be written (a `file://` URL).
    pub(crate) fn is_writable(&self) -> bool {
        self.file.is_some()
    }

    /// The URL of signature `index` (from 1) of `digest`.
    pub(crate) fn signature_url(&self, digest: &Digest, index: usize) -> Url {
        let mut url = self.url.clone();
        let path = format!(
            "{}@{}={}/signature-{index}",
            url.path(),
            digest.algorithm().name(),
            digest.hex()
        );
        url.set_path(&path);
        url
    }

    /// The directory holding the signatures of `digest`, for a `file://`
    /// location, after checking that nothing below the base is a symlink
    /// (or anything but a directory).
    fn signature_dir(&self, digest: &Digest) -> Result<Option<PathBuf>> {
        let Some((base, components)) = &self.file else {
            return Ok(None);
        };
        let mut dir = base.clone();
        let last = components.len().saturating_sub(1);
        for (i, component) in components.iter().enumerate() {
            if i == last {
                dir.push(format!(
                    "{component}@{}={}",
                    digest.algorithm().name(),
                    digest.hex()
                ));
            } else {
                dir.push(component);
            }
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "{} in the lookaside is a symlink or not a directory; ocireg does not follow it",
                            dir.display()
                        ),
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&dir, "inspecting", &e)),
            }
        }
        Ok(Some(dir))
    }

    /// Every signature of `digest`, in order, up to the first missing.
    pub(crate) async fn read(&self, sender: &Sender, digest: &Digest) -> Result<Vec<Signature>> {
        let dir = self.signature_dir(digest)?;
        let mut signatures = Vec::new();
        for index in 1.. {
            let blob = match &dir {
                Some(dir) => read_file(&dir.join(format!("signature-{index}")))?,
                None => self.read_http(sender, digest, index).await?,
            };
            let Some(blob) = blob else { break };
            if index > MAX_SIGNATURES {
                return Err(Error::new(
                    ErrorKind::SizeExceeded,
                    format!(
                        "the lookaside {} holds more than {MAX_SIGNATURES} signatures of {digest}",
                        redact_url(&self.url)
                    ),
                ));
            }
            let signature = Signature::from_lookaside_blob(&blob).map_err(|e| {
                e.context(format!(
                    "signature {}",
                    redact_url(&self.signature_url(digest, index))
                ))
            })?;
            signatures.push(signature);
        }
        Ok(signatures)
    }

    /// Signature `index` over HTTP(S): `None` on 404.
    async fn read_http(
        &self,
        sender: &Sender,
        digest: &Digest,
        index: usize,
    ) -> Result<Option<Vec<u8>>> {
        let url = self.signature_url(digest, index);
        let what = format!("reading signature {}", redact_url(&url));
        let response = sender
            .send(&what, Retries::ALL, true, |http| Ok(http.get(url.clone())))
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::OK => Ok(Some(
                read_bounded(response, MAX_SIGNATURE_SIZE, &what)
                    .await?
                    .to_vec(),
            )),
            _ => Err(error_from_response(&what, response).await),
        }
    }

    /// Appends `signatures` (lookaside blobs, checked by the caller) to
    /// those of `digest`, skipping any already stored byte for byte.
    /// Returns how many were written.
    pub(crate) fn append(&self, digest: &Digest, blobs: &[Vec<u8>]) -> Result<usize> {
        let Some(dir) = self.signature_dir(digest)? else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "writing signatures to {} is not supported: configure a file:// lookaside-staging location",
                    redact_url(&self.url)
                ),
            ));
        };
        let mut existing = Vec::new();
        for index in 1..=MAX_SIGNATURES + 1 {
            match read_file(&dir.join(format!("signature-{index}")))? {
                Some(blob) => existing.push(blob),
                None => break,
            }
        }
        let mut new: Vec<&Vec<u8>> = Vec::new();
        for blob in blobs {
            if !existing.contains(blob) && !new.contains(&blob) {
                new.push(blob);
            }
        }
        if new.is_empty() {
            return Ok(0);
        }
        if existing.len() + new.len() > MAX_SIGNATURES {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{} would hold {} signatures of {digest}, more than the {MAX_SIGNATURES} allowed",
                    dir.display(),
                    existing.len() + new.len()
                ),
            ));
        }
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, "creating", &e))?;
        // Checked again now that the directories exist (a symlink planted
        // meanwhile is refused).
        self.signature_dir(digest)?;
        let mut written: Vec<PathBuf> = Vec::new();
        let mut next = existing.len() + 1;
        for blob in new {
            match write_new(&dir, &mut next, blob) {
                Ok(path) => written.push(path),
                Err(e) => {
                    for path in &written {
                        let _ = fs::remove_file(path);
                    }
                    return Err(e);
                }
            }
        }
        Ok(written.len())
    }
}

/// Writes `blob` as `dir/signature-N` for the first free `N` from `next`
/// (a temporary file linked into place, so that no existing file is
/// replaced and no reader sees a partial one).
fn write_new(dir: &Path, next: &mut usize, blob: &[u8]) -> Result<PathBuf> {
    let temp = dir.join(format!(
        ".signature-{}-{:x}.tmp",
        std::process::id(),
        rand_u64()
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)
            .map_err(|e| io_error(&temp, "creating", &e))?;
        file.write_all(blob)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(&temp, "writing", &e))?;
        loop {
            if *next > MAX_SIGNATURES {
                return Err(Error::new(
                    ErrorKind::SizeExceeded,
                    format!(
                        "{} already holds {MAX_SIGNATURES} signatures",
                        dir.display()
                    ),
                ));
            }
            let target = dir.join(format!("signature-{next}"));
            *next += 1;
            match fs::hard_link(&temp, &target) {
                Ok(()) => return Ok(target),
                // Another writer took this number: try the next.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error(&target, "creating", &e)),
            }
        }
    })();
    let _ = fs::remove_file(&temp);
    result
}

/// A random number for temporary names.
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.finish()
}

/// Reads one signature file: `None` when it does not exist. Refuses a
/// symlink, anything but a regular file (a FIFO would block), and more
/// than [`MAX_SIGNATURE_SIZE`] bytes.
fn read_file(path: &Path) -> Result<Option<Vec<u8>>> {
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "opening", &e)),
    };
    let metadata = file.metadata().map_err(|e| io_error(path, "reading", &e))?;
    if !metadata.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{} is not a regular file", path.display()),
        ));
    }
    let too_big = || {
        Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "the signature {} is larger than {MAX_SIGNATURE_SIZE} bytes",
                path.display()
            ),
        )
    };
    if metadata.len() > MAX_SIGNATURE_SIZE as u64 {
        return Err(too_big());
    }
    let mut blob = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_SIGNATURE_SIZE as u64 + 1)
        .read_to_end(&mut blob)
        .map_err(|e| io_error(path, "reading", &e))?;
    if blob.len() > MAX_SIGNATURE_SIZE {
        return Err(too_big());
    }
    Ok(Some(blob))
}

fn io_error(path: &Path, doing: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{doing} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        Digest::sha256_of(b"manifest")
    }

    #[test]
    fn the_url_layout_is_base_repo_at_alg_equals_hex() {
        let r = Reference::parse("reg.example/team/app:v1").unwrap();
        let l = Lookaside::new("https://sigs.example/base", &r).unwrap();
        let d = digest();
        assert_eq!(
            l.signature_url(&d, 1).as_str(),
            format!(
                "https://sigs.example/base/team/app@sha256={}/signature-1",
                d.hex()
            )
        );
        let hub = Reference::parse("busybox").unwrap();
        let l = Lookaside::new("file:///var/sigs", &hub).unwrap();
        assert_eq!(
            l.signature_url(&d, 3).as_str(),
            format!(
                "file:///var/sigs/library/busybox@sha256={}/signature-3",
                d.hex()
            )
        );
        assert!(l.is_writable());
    }

    #[test]
    fn other_schemes_credentials_and_remote_file_hosts_are_refused() {
        let r = Reference::parse("reg.example/app:v1").unwrap();
        let e = Lookaside::new("ftp://sigs.example/x", &r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("\"ftp\""), "{}", e.message());
        let e = Lookaside::new("https://user:secret@sigs.example/", &r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(!e.message().contains("secret"), "{}", e.message());
        let e = Lookaside::new("file://otherhost/x", &r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = Lookaside::new("not a url", &r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn http_locations_are_not_writable() {
        let r = Reference::parse("reg.example/app:v1").unwrap();
        let l = Lookaside::new("https://sigs.example/", &r).unwrap();
        assert!(!l.is_writable());
        let e = l.append(&digest(), &[vec![0x89, 1]]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("lookaside-staging"), "{}", e.message());
    }
}
