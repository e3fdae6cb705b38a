//! `ocireg_client`: the handle every registry call runs on.

use super::cancel::ocireg_cancel;
use super::guard::{FfiResult, guard, guard_value};
use super::handle::{free_handle, get, out_arg, ref_arg};
use super::options::ocireg_options;
use super::status::ocireg_status;
use crate::blocking::Client;

/// A registry client: one connection pool, one token cache.
///
/// Thread-safe: share one client between all threads. Made by
/// `ocireg_client_new`; freed by `ocireg_client_free` once every call on it
/// has returned.
pub struct ocireg_client {
    pub(crate) inner: Client,
}

/// The client a call runs on: with the cancel signal when one was given.
///
/// # Safety
/// `client` and `cancel` are NULL or live handles.
pub(crate) unsafe fn client_for(
    client: *const ocireg_client,
    cancel: *const ocireg_cancel,
) -> FfiResult<Client> {
    // SAFETY: forwarded from the caller's promise.
    let (c, cancel) = unsafe { (ref_arg(client, "client")?, get(cancel)) };
    Ok(match cancel {
        Some(cancel) => c.inner.with_cancel(&cancel.token),
        None => c.inner.clone(),
    })
}

/// Creates a client.
///
/// @param options the options, or NULL for the defaults. The client copies
///        them: they may be changed or freed right after this call.
/// @param client_out receives the client; free it with `ocireg_client_free`.
/// @return `OCIREG_OK`, or the error (such as `OCIREG_ERR_TLS` for a CA file
///         that cannot be read).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_new(
    options: *const ocireg_options,
    client_out: *mut *mut ocireg_client,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, writable outputs.
        let (out, options) = unsafe { (out_arg(client_out, "client_out")?, get(options)) };
        let options = options.map(|o| o.inner.clone()).unwrap_or_default();
        out.write_handle(ocireg_client {
            inner: Client::new(options)?,
        });
        Ok(())
    })
}

/// Frees a client.
///
/// @param client the client, or NULL (a no-op). No call may still be
///        running on it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_free(client: *mut ocireg_client) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live client, freed once.
        unsafe { free_handle(client) }
    });
}
