//! Image signatures: getting and putting them where registries.d says they
//! live (lookaside storage, sigstore `.sig` attachments), and the signature
//! list that carries them both ways (each entry a kind, a byte blob, and
//! for sigstore signatures a MIME type and annotations).

use std::collections::BTreeMap;
use std::ffi::{CString, c_char};
use std::path::PathBuf;
use std::ptr;

use super::annotated::{self, AnnotatedList, Annotations};
use super::args::{bytes_arg, opt_str_arg, reference_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{FfiError, FfiResult, guard, guard_value};
use super::handle::{free_handle, get, into_handle, mut_arg, opt_out_arg, out_arg, ref_arg};
use super::last_error::c_string;
use super::status::ocireg_status;
use crate::error::{Error, ErrorKind};
use crate::signatures::{
    MAX_SIGNATURE_SIZE, MAX_SIGNATURES, SIGSTORE_PAYLOAD_MEDIA_TYPE, Signature, SignatureOptions,
};

/// The kind of a signature. Values are assigned once and never reused;
/// `ocireg_signature_kind_str` names them.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ocireg_signature_kind {
    /// No signature: what the kind accessor gives for an index out of range
    /// or a NULL list.
    OCIREG_SIGNATURE_NONE = 0,
    /// A "simple signing" signature (an OpenPGP message, as `skopeo copy
    /// --sign-by` writes to a lookaside): its bytes are the whole signature.
    OCIREG_SIGNATURE_SIMPLE_SIGNING = 1,
    /// A sigstore signature (a layer of the image's `sha256-<hex>.sig`
    /// manifest, as cosign writes it): its bytes are the payload, with a
    /// MIME type and annotations (the signature itself is the annotation
    /// `dev.cosignproject.cosign/signature`).
    OCIREG_SIGNATURE_SIGSTORE = 2,
}

/// The name of a signature kind: `"simple-signing"` or `"sigstore"`.
///
/// @param kind a kind (any number is accepted).
/// @return a static string, never NULL and never to be freed: the name, or
///         `"none"` for `OCIREG_SIGNATURE_NONE` and any number that is not
///         a kind.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_signature_kind_str(kind: u32) -> *const c_char {
    guard_value(c"none".as_ptr(), || {
        let name = match kind {
            1 => c"simple-signing",
            2 => c"sigstore",
            _ => c"none",
        };
        name.as_ptr()
    })
}

/// A list of signatures: what `ocireg_client_signatures` returns, and what
/// `ocireg_client_signatures_put` takes (built with
/// `ocireg_signature_list_new` and `ocireg_signature_list_add`). Freed by
/// `ocireg_signature_list_free`. One thread at a time.
pub struct ocireg_signature_list {
    items: Vec<SignatureC>,
}

/// One signature and the C strings its accessors hand out.
struct SignatureC {
    signature: Signature,
    mime_type: Option<CString>,
    annotations: Annotations,
}

impl SignatureC {
    fn new(signature: Signature) -> SignatureC {
        let (mime_type, annotations) = match &signature {
            Signature::SimpleSigning(_) => (None, Annotations::default()),
            Signature::Sigstore {
                mime_type,
                annotations,
                ..
            } => (Some(c_string(mime_type)), Annotations::new(annotations)),
        };
        SignatureC {
            signature,
            mime_type,
            annotations,
        }
    }

    fn kind(&self) -> ocireg_signature_kind {
        match self.signature {
            Signature::SimpleSigning(_) => ocireg_signature_kind::OCIREG_SIGNATURE_SIMPLE_SIGNING,
            Signature::Sigstore { .. } => ocireg_signature_kind::OCIREG_SIGNATURE_SIGSTORE,
        }
    }
}

impl AnnotatedList for ocireg_signature_list {
    fn annotations(&self, index: usize) -> Option<&Annotations> {
        self.items.get(index).map(|s| &s.annotations)
    }
}

/// Signature `index` of `list`, if both exist.
fn entry(list: Option<&ocireg_signature_list>, index: usize) -> Option<&SignatureC> {
    list.and_then(|l| l.items.get(index))
}

/// The options of a signatures call: the registries.d directory, if given.
fn options(registries_d: Option<&str>) -> SignatureOptions {
    SignatureOptions {
        registries_d: registries_d.map(PathBuf::from),
    }
}

/// The signatures of an image: those in the lookaside registries.d
/// configures for it (`lookaside`, read over file, http or https, no
/// credentials sent), then, when registries.d sets
/// `use-sigstore-attachments`, the layers of its `sha256-<hex>.sig`
/// manifest. A tag is resolved to the manifest digest first. No
/// configuration means an empty list. Signatures are returned as stored,
/// not verified; each is at most 4 MiB (`OCIREG_ERR_SIZE_EXCEEDED`), an
/// image has at most 128.
///
/// @param client the client.
/// @param reference the image, by tag or digest.
/// @param registries_d the registries.d directory, or NULL for
///        `$HOME/.config/containers/registries.d` when it exists, else
///        `/etc/containers/registries.d`.
/// @param cancel NULL, or a signal that stops the call.
/// @param list_out receives the signatures; free the list with
///        `ocireg_signature_list_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_INVALID_ARGUMENT` for a
///         malformed registries.d file, naming it and the line;
///         `OCIREG_ERR_UNSUPPORTED` for a lookaside scheme other than
///         file, http and https).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_signatures(
    client: *const ocireg_client,
    reference: *const c_char,
    registries_d: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_signature_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, dir) = unsafe {
            (
                out_arg(list_out, "list_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(registries_d, "registries_d")?,
            )
        };
        let signatures = c.signatures(&r, &options(dir))?;
        out.write_handle(ocireg_signature_list {
            items: signatures.into_iter().map(SignatureC::new).collect(),
        });
        Ok(())
    })
}

/// Adds signatures to an image: simple-signing ones to the `file://`
/// lookaside registries.d configures for writing (`lookaside-staging`,
/// else `lookaside`), sigstore ones to the image's `sha256-<hex>.sig`
/// manifest (registries.d must set `use-sigstore-attachments: true`). A
/// signature already stored, byte for byte, is not stored again; existing
/// ones are kept. Everything is checked before anything is written.
///
/// @param client the client.
/// @param reference the image, by tag or digest.
/// @param registries_d the registries.d directory, or NULL (as in
///        `ocireg_client_signatures`).
/// @param list the signatures to add (the list is not changed).
/// @param cancel NULL, or a signal that stops the call.
/// @param added_out NULL, or receives how many signatures were new.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_SIZE_EXCEEDED` for a
///         signature over 4 MiB, `OCIREG_ERR_UNSUPPORTED` for a lookaside
///         that is not a file URL or sigstore attachments not enabled,
///         `OCIREG_ERR_INVALID_ARGUMENT` for an empty signature or no
///         lookaside configured).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_signatures_put(
    client: *const ocireg_client,
    reference: *const c_char,
    registries_d: *const c_char,
    list: *const ocireg_signature_list,
    cancel: *const ocireg_cancel,
    added_out: *mut usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, dir, list) = unsafe {
            (
                opt_out_arg(added_out),
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(registries_d, "registries_d")?,
                ref_arg(list, "list")?,
            )
        };
        let signatures: Vec<Signature> = list.items.iter().map(|s| s.signature.clone()).collect();
        let added = c.put_signatures(&r, &signatures, &options(dir))?;
        if let Some(out) = out {
            out.write(added);
        }
        Ok(())
    })
}

/// Creates an empty signature list, to fill with `ocireg_signature_list_add`.
///
/// @return the list; free it with `ocireg_signature_list_free`. NULL only
///         if the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_signature_list_new() -> *mut ocireg_signature_list {
    guard_value(ptr::null_mut(), || {
        into_handle(ocireg_signature_list { items: Vec::new() })
    })
}

/// Appends a signature to a list (the bytes are copied).
///
/// @param list the list.
/// @param kind `OCIREG_SIGNATURE_SIMPLE_SIGNING` or
///        `OCIREG_SIGNATURE_SIGSTORE`.
/// @param mime_type for a sigstore signature, the payload's MIME type, or
///        NULL for cosign's `application/vnd.dev.cosign.simplesigning.v1+json`;
///        must be NULL for a simple-signing one.
/// @param bytes the signature (simple signing) or payload (sigstore).
/// @param len the number of bytes: 1 to 4 MiB.
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_ARGUMENT` for an unknown kind,
///         a MIME type on a simple-signing signature, no bytes, or a list
///         already holding 128; `OCIREG_ERR_SIZE_EXCEEDED` over 4 MiB.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_add(
    list: *mut ocireg_signature_list,
    kind: u32,
    mime_type: *const c_char,
    bytes: *const u8,
    len: usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live list, a C string or
        // NULL, `len` readable bytes.
        let (list, mime_type, bytes) = unsafe {
            (
                mut_arg(list, "list")?,
                opt_str_arg(mime_type, "mime_type")?,
                bytes_arg(bytes, len, "bytes")?,
            )
        };
        let invalid = |why: &str| -> FfiResult {
            Err(Error::new(ErrorKind::InvalidArgument, why.to_string()).into())
        };
        if list.items.len() >= MAX_SIGNATURES {
            return invalid("a signature list holds at most 128 signatures");
        }
        let signature = match (kind, mime_type) {
            (1, None) => Signature::SimpleSigning(bytes.to_vec()),
            (1, Some(_)) => return invalid("a simple-signing signature has no MIME type"),
            (2, mime_type) => Signature::Sigstore {
                mime_type: mime_type.unwrap_or(SIGSTORE_PAYLOAD_MEDIA_TYPE).to_string(),
                payload: bytes.to_vec(),
                annotations: BTreeMap::new(),
            },
            _ => return invalid("unknown signature kind"),
        };
        signature.check_size()?;
        list.items.push(SignatureC::new(signature));
        Ok(())
    })
}

/// Appends a signature stored in containers/image's blob format (what
/// lookaside files and skopeo's `dir:` `signature-N` files hold): bare
/// OpenPGP data is a simple-signing signature, `\0simple-signing\n...` and
/// `\0sigstore-json\n{...}` name their format. The bytes are copied.
///
/// @param list the list.
/// @param bytes the blob.
/// @param len the number of bytes: 1 to 4 MiB.
/// @return `OCIREG_OK`; `OCIREG_ERR_PROTOCOL` for a blob in no known
///         format; `OCIREG_ERR_SIZE_EXCEEDED` over 4 MiB;
///         `OCIREG_ERR_INVALID_ARGUMENT` for an empty blob or a list
///         already holding 128.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_add_blob(
    list: *mut ocireg_signature_list,
    bytes: *const u8,
    len: usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live list, `len` readable bytes.
        let (list, bytes) = unsafe { (mut_arg(list, "list")?, bytes_arg(bytes, len, "bytes")?) };
        if list.items.len() >= MAX_SIGNATURES {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a signature list holds at most 128 signatures",
            )
            .into());
        }
        if bytes.is_empty() {
            return Err(Error::new(ErrorKind::InvalidArgument, "a signature blob is empty").into());
        }
        if bytes.len() > MAX_SIGNATURE_SIZE {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "a signature blob of {} bytes is larger than 4 MiB",
                    bytes.len()
                ),
            )
            .into());
        }
        let signature = Signature::from_lookaside_blob(bytes)?;
        signature.check_size()?;
        list.items.push(SignatureC::new(signature));
        Ok(())
    })
}

/// Sets an annotation of a sigstore signature in a list (replacing the
/// value of an existing key), such as `dev.cosignproject.cosign/signature`.
///
/// @param list the list.
/// @param index the signature's position, from 0.
/// @param key the annotation's key (not empty).
/// @param value its value.
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_ARGUMENT` when `index` is out
///         of range, the signature is not a sigstore one, or `key` is empty.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_annotate(
    list: *mut ocireg_signature_list,
    index: usize,
    key: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live list, C strings.
        let (list, key, value) = unsafe {
            (
                mut_arg(list, "list")?,
                str_arg(key, "key")?,
                str_arg(value, "value")?,
            )
        };
        let invalid =
            |why: String| -> FfiError { Error::new(ErrorKind::InvalidArgument, why).into() };
        if key.is_empty() {
            return Err(invalid("an annotation key is empty".into()));
        }
        let item = list
            .items
            .get_mut(index)
            .ok_or_else(|| invalid(format!("no signature at index {index}")))?;
        let Signature::Sigstore { annotations, .. } = &mut item.signature else {
            return Err(invalid(
                "only sigstore signatures have annotations".to_string(),
            ));
        };
        annotations.insert(key.to_string(), value.to_string());
        *item = SignatureC::new(item.signature.clone());
        Ok(())
    })
}

/// The number of signatures in a list.
///
/// @param list the list, or NULL.
/// @return the number of signatures; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_len(list: *const ocireg_signature_list) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        list.map_or(0, |l| l.items.len())
    })
}

/// The kind of one signature of a list.
///
/// @param list the list, or NULL.
/// @param index the signature's position, from 0.
/// @return the kind; `OCIREG_SIGNATURE_NONE` when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_kind(
    list: *const ocireg_signature_list,
    index: usize,
) -> ocireg_signature_kind {
    guard_value(ocireg_signature_kind::OCIREG_SIGNATURE_NONE, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(ocireg_signature_kind::OCIREG_SIGNATURE_NONE, |s| s.kind())
    })
}

/// The bytes of one signature of a list: the whole signature (simple
/// signing) or the payload (sigstore).
///
/// @param list the list, or NULL.
/// @param index the signature's position, from 0.
/// @param len_out receives the number of bytes.
/// @return the bytes (not NUL-terminated), owned by the list; NULL when out
///         of range, or when `list` or `len_out` is NULL (then `*len_out`
///         is untouched).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_bytes(
    list: *const ocireg_signature_list,
    index: usize,
    len_out: *mut usize,
) -> *const u8 {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list, NULL or a
        // writable size.
        let (list, out) = unsafe { (get(list), opt_out_arg(len_out)) };
        match (entry(list, index), out) {
            (Some(s), Some(out)) => {
                let bytes = s.signature.bytes();
                out.write(bytes.len());
                bytes.as_ptr()
            }
            _ => ptr::null(),
        }
    })
}

/// The MIME type of one sigstore signature of a list.
///
/// @param list the list, or NULL.
/// @param index the signature's position, from 0.
/// @return the MIME type, owned by the list; NULL for a simple-signing
///         signature, when out of range, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_mime_type(
    list: *const ocireg_signature_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index)
            .and_then(|s| s.mime_type.as_ref())
            .map_or(ptr::null(), |m| m.as_ptr())
    })
}

/// The number of annotations of one signature of a list.
///
/// @param list the list, or NULL.
/// @param index the signature's position, from 0.
/// @return the number of annotations; 0 for a simple-signing signature,
///         when out of range, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_annotations_len(
    list: *const ocireg_signature_list,
    index: usize,
) -> usize {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { annotated::annotations_len(list, index) }
}

/// The key of one annotation of one signature of a list (annotations are
/// sorted by key).
///
/// @param list the list, or NULL.
/// @param index the signature's position, from 0.
/// @param annotation the annotation's position, from 0.
/// @return the key, owned by the list; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_annotation_key(
    list: *const ocireg_signature_list,
    index: usize,
    annotation: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { annotated::annotation_key(list, index, annotation) }
}

/// The value of one annotation of one signature of a list.
///
/// @param list the list, or NULL.
/// @param index the signature's position, from 0.
/// @param annotation the annotation's position, from 0.
/// @return the value, owned by the list; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_annotation_value(
    list: *const ocireg_signature_list,
    index: usize,
    annotation: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { annotated::annotation_value(list, index, annotation) }
}

/// Frees a signature list and its bytes and strings.
///
/// @param list the list, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_signature_list_free(list: *mut ocireg_signature_list) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live list, freed once.
        unsafe { free_handle(list) }
    });
}
