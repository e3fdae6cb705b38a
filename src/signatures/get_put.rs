//! Getting and putting the signatures of an image, where registries.d says
//! they live (containers/image's `ImageSource.GetSignatures` and
//! `ImageDestination.PutSignatures`).

use std::path::PathBuf;

use super::attachments;
use super::lookaside::Lookaside;
use super::registries_d::RegistriesD;
use super::signature::{MAX_SIGNATURES, Signature};
use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

/// Where [`Client::signatures`] and [`Client::put_signatures`] find their
/// configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureOptions {
    /// The registries.d directory (skopeo's `--registries.d`); `None` reads
    /// `$HOME/.config/containers/registries.d` when it exists, else
    /// `/etc/containers/registries.d`.
    pub registries_d: Option<PathBuf>,
}

impl Client {
    /// The signatures of the image `reference` names (a tag is resolved to
    /// its manifest digest first): those in the lookaside that registries.d
    /// configures for it (`lookaside`), then, when registries.d sets
    /// `use-sigstore-attachments`, the layers of its `sha256-<hex>.sig`
    /// manifest. No configuration means no signatures. Signatures are
    /// returned as stored, not verified.
    pub async fn signatures(
        &self,
        reference: &Reference,
        options: &SignatureOptions,
    ) -> Result<Vec<Signature>> {
        let config = RegistriesD::load(options.registries_d.as_deref())?;
        let digest = self.manifest_digest(reference).await?;
        self.signatures_of(&config, reference, &digest).await
    }

    /// The signatures of the manifest `digest` in `reference`'s repository,
    /// where `config` says they live (see [`Client::signatures`]).
    pub(crate) async fn signatures_of(
        &self,
        config: &RegistriesD,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<Vec<Signature>> {
        let lookaside = config
            .lookaside_url(reference, false)
            .map(|url| Lookaside::new(url, reference))
            .transpose()?;
        let mut signatures = match &lookaside {
            Some(lookaside) => {
                lookaside
                    .read(self.transport().lookaside_sender()?, digest)
                    .await?
            }
            None => Vec::new(),
        };
        if config.use_sigstore_attachments(reference) {
            signatures.extend(attachments::read(self, reference, digest).await?);
        }
        Ok(signatures)
    }

    /// Adds `signatures` to the image `reference` names (a tag is resolved
    /// to its manifest digest first) and returns how many were new: simple
    /// signing ones to the `file://` lookaside registries.d configures for
    /// writing (`lookaside-staging`, else `lookaside`), sigstore ones to the
    /// image's `sha256-<hex>.sig` manifest (which needs
    /// `use-sigstore-attachments: true`). A signature already stored, byte
    /// for byte, is not stored again; existing ones are kept.
    ///
    /// Everything is checked before anything is written: an empty or
    /// oversized signature (`SIZE_EXCEEDED` over 4 MiB), a missing or
    /// non-`file://` lookaside, or sigstore attachments not enabled.
    pub async fn put_signatures(
        &self,
        reference: &Reference,
        signatures: &[Signature],
        options: &SignatureOptions,
    ) -> Result<usize> {
        let config = RegistriesD::load(options.registries_d.as_deref())?;
        let put = PreparedPut::new(&config, reference, signatures)?;
        let digest = self.manifest_digest(reference).await?;
        put.write(self, reference, &digest).await
    }

    /// The manifest digest of `reference`: its own digest, else the tag's
    /// (from a `HEAD`, or a `GET` when the registry's `HEAD` says nothing).
    async fn manifest_digest(&self, reference: &Reference) -> Result<Digest> {
        match reference.digest() {
            Some(digest) => Ok(digest.clone()),
            None => Ok(self.head_manifest(reference).await?.digest),
        }
    }
}

/// Signatures checked and ready to be put on one image: the sigstore ones
/// for its `.sig` manifest, the simple signing ones as lookaside blobs.
pub(crate) struct PreparedPut<'a> {
    sigstore: Vec<&'a Signature>,
    lookaside: Option<(Lookaside, Vec<Vec<u8>>)>,
}

impl<'a> PreparedPut<'a> {
    /// Checks `signatures` for the image `reference` names against
    /// `config` without writing anything: sizes and count, sigstore
    /// attachments enabled when there are sigstore signatures, a `file://`
    /// lookaside to write when there are simple signing ones.
    pub(crate) fn new(
        config: &RegistriesD,
        reference: &Reference,
        signatures: &'a [Signature],
    ) -> Result<PreparedPut<'a>> {
        if signatures.len() > MAX_SIGNATURES {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{} signatures are more than the {MAX_SIGNATURES} an image may have",
                    signatures.len()
                ),
            ));
        }
        for signature in signatures {
            signature.check_size()?;
        }
        let (sigstore, simple): (Vec<&Signature>, Vec<&Signature>) = signatures
            .iter()
            .partition(|s| matches!(s, Signature::Sigstore { .. }));
        if !sigstore.is_empty() && !config.use_sigstore_attachments(reference) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "writing sigstore signatures of {reference} needs `use-sigstore-attachments: true` in registries.d"
                ),
            ));
        }
        let lookaside = if simple.is_empty() {
            None
        } else {
            let url = config.lookaside_url(reference, true).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "registries.d configures no lookaside-staging or lookaside location for {reference}"
                    ),
                )
            })?;
            let lookaside = Lookaside::new(url, reference)?;
            if !lookaside.is_writable() {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the lookaside configured for {reference} is not a file:// URL; configure a file:// lookaside-staging location to write signatures"
                    ),
                ));
            }
            let blobs = simple
                .iter()
                .map(|s| s.to_lookaside_blob())
                .collect::<Result<Vec<_>>>()?;
            Some((lookaside, blobs))
        };
        Ok(PreparedPut {
            sigstore,
            lookaside,
        })
    }

    /// Writes the signatures of the manifest `digest` in `reference`'s
    /// repository; how many were new.
    pub(crate) async fn write(
        self,
        client: &Client,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<usize> {
        let mut added = 0;
        if !self.sigstore.is_empty() {
            added += attachments::append(client, reference, digest, &self.sigstore).await?;
        }
        if let Some((lookaside, blobs)) = self.lookaside {
            added += lookaside.append(digest, &blobs)?;
        }
        Ok(added)
    }
}
