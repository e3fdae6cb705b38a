//! Calls on a whole registry: ping, checking credentials, the catalog.

use std::ffi::c_char;

use super::args::str_arg;
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::out_arg;
use super::lists::ocireg_string_list;
use super::status::ocireg_status;
use crate::blocking::Client;
use crate::error::Result;

/// Runs `call` on the client with the registry argument: the body of the
/// calls that take a registry and give only a status.
///
/// # Safety
/// `client` and `cancel` are NULL or live handles; `registry` is NULL or a
/// C string.
unsafe fn on_registry(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
    call: impl FnOnce(&Client, &str) -> Result<()>,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller's promise.
        let (c, registry) =
            unsafe { (client_for(client, cancel)?, str_arg(registry, "registry")?) };
        Ok(call(&c, registry)?)
    })
}

/// Checks that a registry speaks the V2 API.
///
/// @param client the client.
/// @param registry the registry, `host[:port]` (`docker.io` for Docker Hub).
/// @param cancel NULL, or a signal that stops the call.
/// @return `OCIREG_OK` when it does, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_ping(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live handles, C strings.
    unsafe { on_registry(client, registry, cancel, Client::ping) }
}

/// Validates the configured credentials for a registry, like `docker login`.
///
/// @param client the client.
/// @param registry the registry, `host[:port]`.
/// @param cancel NULL, or a signal that stops the call.
/// @return `OCIREG_OK` when the registry accepts them;
///         `OCIREG_ERR_UNAUTHORIZED` when it refuses them; or another error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_check_credentials(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live handles, C strings.
    unsafe { on_registry(client, registry, cancel, Client::check_credentials) }
}

/// Lists the repositories of a registry (every page of `/v2/_catalog`).
///
/// @param client the client.
/// @param registry the registry, `host[:port]`.
/// @param cancel NULL, or a signal that stops the call.
/// @param list_out receives the repository names; free the list with
///        `ocireg_string_list_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_SIZE_EXCEEDED` past the
///         listing limits of the options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_catalog(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_string_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, registry) = unsafe {
            (
                out_arg(list_out, "list_out")?,
                client_for(client, cancel)?,
                str_arg(registry, "registry")?,
            )
        };
        out.write(ocireg_string_list::boxed(c.catalog(registry)?));
        Ok(())
    })
}
