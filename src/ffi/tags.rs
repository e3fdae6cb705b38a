//! Listing the tags of a repository, and deleting one tag.

use std::ffi::{c_char, c_int};

use super::args::reference_arg;
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::{opt_out_arg, out_arg};
use super::lists::ocireg_string_list;
use super::status::ocireg_status;
use crate::client::{UntagFallback, Untagged};

/// Lists the tags of a repository (every page).
///
/// @param client the client.
/// @param repository a reference naming the repository; a tag or digest in
///        it is ignored.
/// @param cancel NULL, or a signal that stops the call.
/// @param list_out receives the tags; free the list with
///        `ocireg_string_list_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_NOT_FOUND` for an unknown
///         repository).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_tags(
    client: *const ocireg_client,
    repository: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_string_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(list_out, "list_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
            )
        };
        out.write(ocireg_string_list::boxed(c.tags(&r)?));
        Ok(())
    })
}

/// Deletes one tag and nothing else: the manifest it names, and that
/// manifest's other tags, stay (unlike `ocireg_client_manifest_delete`,
/// which deletes the manifest and so every tag of it). Uses the OCI 1.1
/// `DELETE /v2/<repo>/manifests/<tag>`.
///
/// A registry that does not delete tags (distribution 2.x answers 400
/// `DIGEST_INVALID`, others 405) gives `OCIREG_ERR_UNSUPPORTED`, whose
/// message says so, unless `via_throwaway_manifest` is non-zero: then the
/// tag is moved to a throwaway manifest (an image manifest with the empty
/// config and no layers, made unique by an annotation), which is deleted
/// by digest, taking the tag with it (regclient's approach). The old
/// manifest is never deleted. The trade-offs: between the two steps the
/// tag names the throwaway manifest; the registry must allow deletes; the
/// 2-byte empty config blob stays; a tag pushed meanwhile by someone else
/// survives. When the delete fails, the tag is put back first.
///
/// @param client the client.
/// @param reference the tag to delete (`REPO:TAG`, no digest).
/// @param via_throwaway_manifest non-zero: allow the throwaway manifest.
/// @param cancel NULL, or a signal that stops the call.
/// @param used_throwaway_out receives 1 when the throwaway manifest was
///        used, 0 when the registry deleted the tag; or NULL.
/// @return `OCIREG_OK`, `OCIREG_ERR_UNSUPPORTED` (the registry does not
///         delete tags), `OCIREG_ERR_NOT_FOUND`, `OCIREG_ERR_INVALID_ARGUMENT`
///         (no tag, or a digest), or the registry's error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_untag(
    client: *const ocireg_client,
    reference: *const c_char,
    via_throwaway_manifest: c_int,
    cancel: *const ocireg_cancel,
    used_throwaway_out: *mut c_int,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (c, r, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_out_arg(used_throwaway_out),
            )
        };
        let fallback = if via_throwaway_manifest != 0 {
            UntagFallback::ThrowawayManifest
        } else {
            UntagFallback::None
        };
        let how = c.untag(&r, fallback)?;
        if let Some(out) = out {
            out.write(c_int::from(how == Untagged::ViaThrowawayManifest));
        }
        Ok(())
    })
}
