//! Listing the tags of a repository.

use std::ffi::c_char;

use super::args::reference_arg;
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::out_arg;
use super::lists::ocireg_string_list;
use super::status::ocireg_status;

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
