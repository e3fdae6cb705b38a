//! Listing the referrers of a manifest, and the descriptor list that holds
//! them (each entry with its kind, media type, digest, size, artifact type
//! and annotations).

use std::ffi::{CString, c_char};
use std::ptr;

use super::annotated::{self, AnnotatedList, Annotations};
use super::args::{opt_str_arg, reference_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, out_arg};
use super::last_error::c_string;
use super::status::ocireg_status;
use crate::client::{Referrer, ReferrerKind};

/// Where a referrer was found, and so what it is. Values are assigned once
/// and never reused; `ocireg_referrer_kind_str` names them.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ocireg_referrer_kind {
    /// No referrer: what the kind accessor gives for an index out of range
    /// or a NULL list.
    OCIREG_REFERRER_NONE = 0,
    /// Listed by the registry's referrers API.
    OCIREG_REFERRER_API = 1,
    /// Listed in the subject's fallback index (the `sha256-<hex>` tag), on
    /// registries without the referrers API.
    OCIREG_REFERRER_FALLBACK = 2,
    /// A cosign signature: the manifest tagged `sha256-<hex>.sig`.
    OCIREG_REFERRER_COSIGN_SIGNATURE = 3,
    /// A cosign attestation: the manifest tagged `sha256-<hex>.att`.
    OCIREG_REFERRER_COSIGN_ATTESTATION = 4,
    /// A cosign SBOM: the manifest tagged `sha256-<hex>.sbom`.
    OCIREG_REFERRER_COSIGN_SBOM = 5,
}

impl From<ReferrerKind> for ocireg_referrer_kind {
    fn from(kind: ReferrerKind) -> Self {
        match kind {
            ReferrerKind::ReferrersApi => ocireg_referrer_kind::OCIREG_REFERRER_API,
            ReferrerKind::Fallback => ocireg_referrer_kind::OCIREG_REFERRER_FALLBACK,
            ReferrerKind::CosignSignature => ocireg_referrer_kind::OCIREG_REFERRER_COSIGN_SIGNATURE,
            ReferrerKind::CosignAttestation => {
                ocireg_referrer_kind::OCIREG_REFERRER_COSIGN_ATTESTATION
            }
            ReferrerKind::CosignSbom => ocireg_referrer_kind::OCIREG_REFERRER_COSIGN_SBOM,
        }
    }
}

/// The name of a referrer kind: `"referrers-api"`, `"fallback"`,
/// `"cosign-signature"`, `"cosign-attestation"` or `"cosign-sbom"`.
///
/// @param kind a kind (any number is accepted).
/// @return a static string, never NULL and never to be freed: the name, or
///         `"none"` for `OCIREG_REFERRER_NONE` and any number that is not
///         a kind.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_referrer_kind_str(kind: u32) -> *const c_char {
    guard_value(c"none".as_ptr(), || {
        let name = match kind {
            1 => c"referrers-api",
            2 => c"fallback",
            3 => c"cosign-signature",
            4 => c"cosign-attestation",
            5 => c"cosign-sbom",
            _ => c"none",
        };
        name.as_ptr()
    })
}

/// Lists what refers to a manifest: the manifests whose `subject` it is
/// (from the referrers API, or from the tag-schema fallback where the
/// registry lacks it) and cosign's `sha256-<hex>.sig`, `.att` and `.sbom`
/// tag attachments. `ocireg_descriptor_list_kind` tells which each entry
/// is. The listing is bounded by the client's list limits
/// (`OCIREG_ERR_SIZE_EXCEEDED`); a fallback tag that holds no index is
/// `OCIREG_ERR_PROTOCOL`.
///
/// @param client the client.
/// @param reference the subject manifest, by tag or digest.
/// @param artifact_type only referrers of this artifact type, or NULL for all.
/// @param cancel NULL, or a signal that stops the call.
/// @param list_out receives the descriptors; free the list with
///        `ocireg_descriptor_list_free`.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_referrers(
    client: *const ocireg_client,
    reference: *const c_char,
    artifact_type: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_descriptor_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, artifact_type) = unsafe {
            (
                out_arg(list_out, "list_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(artifact_type, "artifact_type")?,
            )
        };
        out.write(ocireg_descriptor_list::boxed(
            &c.referrers(&r, artifact_type)?,
        ));
        Ok(())
    })
}

/// A list of descriptors (referrers), each with its kind and annotations.
/// Freed by `ocireg_descriptor_list_free`. One thread at a time.
pub struct ocireg_descriptor_list {
    items: Vec<DescriptorC>,
}

struct DescriptorC {
    kind: ocireg_referrer_kind,
    media_type: CString,
    digest: CString,
    size: u64,
    artifact_type: Option<CString>,
    annotations: Annotations,
}

impl ocireg_descriptor_list {
    /// A new list handle for C.
    fn boxed(items: &[Referrer]) -> *mut ocireg_descriptor_list {
        into_handle(ocireg_descriptor_list {
            items: items
                .iter()
                .map(|r| {
                    let d = &r.descriptor;
                    DescriptorC {
                        kind: r.kind.into(),
                        media_type: c_string(&d.media_type),
                        digest: c_string(&d.digest),
                        size: d.size,
                        artifact_type: d.artifact_type.as_deref().map(c_string),
                        annotations: d
                            .annotations
                            .as_ref()
                            .map(Annotations::new)
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        })
    }
}

impl AnnotatedList for ocireg_descriptor_list {
    fn annotations(&self, index: usize) -> Option<&Annotations> {
        self.items.get(index).map(|d| &d.annotations)
    }
}

/// Descriptor `index` of `list`, if both exist.
fn entry(list: Option<&ocireg_descriptor_list>, index: usize) -> Option<&DescriptorC> {
    list.and_then(|l| l.items.get(index))
}

/// The number of descriptors in a list.
///
/// @param list the list, or NULL.
/// @return the number of descriptors; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_len(list: *const ocireg_descriptor_list) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        list.map_or(0, |l| l.items.len())
    })
}

/// Where one descriptor of a list was found (referrers API, fallback
/// index, cosign signature, attestation or SBOM tag).
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @return the kind; `OCIREG_REFERRER_NONE` when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_kind(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> ocireg_referrer_kind {
    guard_value(ocireg_referrer_kind::OCIREG_REFERRER_NONE, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(ocireg_referrer_kind::OCIREG_REFERRER_NONE, |d| d.kind)
    })
}

/// The media type of one descriptor of a list.
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @return the media type, owned by the list; NULL when out of range or
///         for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_media_type(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(ptr::null(), |d| d.media_type.as_ptr())
    })
}

/// The digest of one descriptor of a list.
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @return the digest, owned by the list; NULL when out of range or for
///         NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_digest(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(ptr::null(), |d| d.digest.as_ptr())
    })
}

/// The size of one descriptor of a list.
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @return the size in bytes; 0 when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_size(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> u64 {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(0, |d| d.size)
    })
}

/// The artifact type of one descriptor of a list.
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @return the artifact type, owned by the list; NULL when the descriptor
///         has none, when out of range, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_artifact_type(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index)
            .and_then(|d| d.artifact_type.as_ref())
            .map_or(ptr::null(), |a| a.as_ptr())
    })
}

/// The number of annotations of one descriptor of a list.
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @return the number of annotations; 0 when it has none, when out of
///         range, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_annotations_len(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> usize {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { annotated::annotations_len(list, index) }
}

/// The key of one annotation of one descriptor of a list (annotations are
/// sorted by key).
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @param annotation the annotation's position, from 0.
/// @return the key, owned by the list; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_annotation_key(
    list: *const ocireg_descriptor_list,
    index: usize,
    annotation: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { annotated::annotation_key(list, index, annotation) }
}

/// The value of one annotation of one descriptor of a list.
///
/// @param list the list, or NULL.
/// @param index the descriptor's position, from 0.
/// @param annotation the annotation's position, from 0.
/// @return the value, owned by the list; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_annotation_value(
    list: *const ocireg_descriptor_list,
    index: usize,
    annotation: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { annotated::annotation_value(list, index, annotation) }
}

/// Frees a descriptor list and its strings.
///
/// @param list the list, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_free(list: *mut ocireg_descriptor_list) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live list, freed once.
        unsafe { free_handle(list) }
    });
}
