//! Listing the referrers of a manifest.

use std::ffi::c_char;

use super::args::{opt_str_arg, reference_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::out_arg;
use super::lists::ocireg_descriptor_list;
use super::status::ocireg_status;

/// Lists the manifests whose `subject` is a given manifest (the referrers
/// API, or the tag-schema fallback where the registry lacks it).
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
            c.referrers(&r, artifact_type)?,
        ));
        Ok(())
    })
}
