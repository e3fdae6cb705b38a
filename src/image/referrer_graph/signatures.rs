//! The signatures a copy carries ([`ImageOptions::signatures`]): those of
//! every manifest the copy moves, read from where registries.d says the
//! source registry keeps them (its lookaside, and its sigstore `.sig`
//! attachments when enabled) and put where it says the destination keeps
//! them (its `file://` lookaside-staging, or its `.sig` attachments),
//! keyed by the manifest digests, which a copy never changes.
//!
//! Everything is read, and the destination's configuration checked for
//! what was found, before the copy writes anything; the signatures are
//! written last, once the image (and its attachments) are in place, so a
//! signature never names an image the destination does not have.

use super::super::options::ImageOptions;
use super::super::plan::Plan;
use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::transport::ImageName;
use crate::reference::Reference;
use crate::signatures::{PreparedPut, RegistriesD, Signature};

/// The signatures read for a copy, by manifest digest.
pub(crate) struct CopiedSignatures {
    config: RegistriesD,
    found: Vec<(Digest, Vec<Signature>)>,
}

/// Fails with `INVALID_ARGUMENT` when `options.signatures` is set and
/// `name` is not a registry: only registries have signatures beside them.
pub(crate) fn check_signature_end(options: &ImageOptions, name: &ImageName) -> Result<()> {
    if options.signatures.is_none() || matches!(name, ImageName::Registry(_)) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "{}: transport {:?} holds no lookaside signatures; carrying signatures works \
             from a registry to a registry (sigstore .sig attachments travel into layouts \
             with the referrers option)",
            name,
            name.transport()
        ),
    ))
}

impl Client {
    /// Reads the signatures of every manifest `plan` moves from `source`
    /// and checks that `target` can store them; `None` when
    /// `options.signatures` is `None`.
    pub(crate) async fn read_copied_signatures(
        &self,
        source: &Reference,
        target: &Reference,
        plan: &Plan,
        options: &ImageOptions,
    ) -> Result<Option<CopiedSignatures>> {
        let Some(signature_options) = &options.signatures else {
            return Ok(None);
        };
        let config = RegistriesD::load(signature_options.registries_d.as_deref())?;
        let mut found = Vec::new();
        for manifest in plan.children.iter().chain([&plan.top]) {
            let digest = &manifest.digest;
            if found.iter().any(|(d, _)| d == digest) {
                continue;
            }
            let signatures = options
                .step(self.signatures_of(&config, &source.with_digest(digest.clone()), digest))
                .await
                .map_err(|e| e.context(format!("the signatures of {digest}")))?;
            if signatures.is_empty() {
                continue;
            }
            PreparedPut::new(&config, &target.with_digest(digest.clone()), &signatures)
                .map_err(|e| e.context(format!("the signatures of {digest}")))?;
            found.push((digest.clone(), signatures));
        }
        Ok(Some(CopiedSignatures { config, found }))
    }

    /// Puts the signatures read by [`Client::read_copied_signatures`] on
    /// `target`'s repository.
    pub(crate) async fn put_copied_signatures(
        &self,
        signatures: &CopiedSignatures,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<()> {
        for (digest, found) in &signatures.found {
            let to = target.with_digest(digest.clone());
            let put = PreparedPut::new(&signatures.config, &to, found)?;
            options
                .step(put.write(self, &to, digest))
                .await
                .map_err(|e| e.context(format!("the signatures of {digest}")))?;
        }
        Ok(())
    }
}
