//! `ocireg_options` setters for `certs.d` directories and the `OAuth2`
//! token options.

use std::ffi::{c_char, c_int};
use std::path::Path;

use super::args::str_arg;
use super::guard::guard;
use super::handle::mut_arg;
use super::options::ocireg_options;
use super::status::ocireg_status;
use crate::error::{Error, ErrorKind, Result};
use crate::options::check_client_id;

/// Refuses a path that is not a directory (`INVALID_ARGUMENT`, naming it).
fn check_directory(what: &str, path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} {}: not a directory", path.display()),
        )),
        Err(e) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} {}: {e}", path.display()),
        )),
    }
}

/// Uses one `certs.d`-style directory for every registry, like skopeo's
/// `--cert-dir`: its `*.crt` files are trusted as CAs (beside the system's
/// and `ocireg_options_add_ca_file`'s), its `*.cert` + `*.key` pair is the
/// client certificate (replacing `ocireg_options_set_client_cert`'s). It
/// replaces the per-registry search of `ocireg_options_add_certs_d_root`.
///
/// @param options the options.
/// @param path the directory (read by `ocireg_client_new`, which fails with
///        `OCIREG_ERR_TLS` naming the file when a `.cert` lacks its `.key`,
///        or the reverse, or a file is unreadable or not PEM).
/// @return `OCIREG_OK`, the argument error, or `OCIREG_ERR_INVALID_ARGUMENT`
///         (naming the path) when it is not a directory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_cert_dir(
    options: *mut ocireg_options,
    path: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, path) = unsafe { (mut_arg(options, "options")?, str_arg(path, "path")?) };
        check_directory("cert dir", path.as_ref())?;
        o.inner.cert_dir = Some(path.into());
        Ok(())
    })
}

/// Adds a root of per-registry `certs.d` directories (containers-certs.d(5)):
/// a registry `HOST[:PORT]` uses `ROOT/HOST[:PORT]/` (`docker.io` for
/// Docker Hub) from the first root that has one, read at its first
/// request, with the same files as `ocireg_options_set_cert_dir`. May be
/// called many times; roots are searched in the order added.
///
/// @param options the options.
/// @param path the root directory; it need not exist.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_certs_d_root(
    options: *mut ocireg_options,
    path: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, path) = unsafe { (mut_arg(options, "options")?, str_arg(path, "path")?) };
        o.inner.certs_d_roots.push(path.into());
        Ok(())
    })
}

/// Adds the `certs.d` roots podman, skopeo and docker read, after any
/// already added: `$HOME/.config/containers/certs.d`,
/// `/etc/containers/certs.d`, `/etc/docker/certs.d` (a library client
/// reads none unless asked).
///
/// @param options the options.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_use_system_certs_d(
    options: *mut ocireg_options,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options.
        let o = unsafe { mut_arg(options, "options") }?;
        o.inner.use_system_certs_d();
        Ok(())
    })
}

/// Asks token servers with the `OAuth2` password grant (a `POST` to the
/// realm with the credential in the form body) instead of a `GET` with
/// basic credentials, as containers/image's `ForceAttemptOAuth2`; a token
/// server answering the `POST` with 404 or 405 gets the `GET`. Off by
/// default.
///
/// @param options the options.
/// @param enabled non-zero to force `OAuth2`, zero for the default.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_force_oauth2(
    options: *mut ocireg_options,
    enabled: c_int,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options.
        let o = unsafe { mut_arg(options, "options") }?;
        o.inner.force_oauth2 = enabled != 0;
        Ok(())
    })
}

/// Asks token servers for a refresh token too (`offline_token=true` on the
/// `GET`, `access_type=offline` on the password grant). Whether asked or
/// not, a refresh token a server returns is kept in memory only (never
/// written, never logged) and used instead of the password for later
/// scopes of the same realm. Off by default.
///
/// @param options the options.
/// @param enabled non-zero to ask, zero for the default.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_offline_token(
    options: *mut ocireg_options,
    enabled: c_int,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options.
        let o = unsafe { mut_arg(options, "options") }?;
        o.inner.offline_token = enabled != 0;
        Ok(())
    })
}

/// Sets the `client_id` sent to token servers with the `OAuth2` forms and
/// with `offline_token` (default `ocireg`; containers/image sends
/// `containers/image`, docker `docker`).
///
/// @param options the options.
/// @param client_id 1 to 256 bytes without control characters.
/// @return `OCIREG_OK`, the argument error, or `OCIREG_ERR_INVALID_ARGUMENT`
///         for an empty, too long or control-character id.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_oauth2_client_id(
    options: *mut ocireg_options,
    client_id: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, id) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(client_id, "client_id")?,
            )
        };
        check_client_id(id)?;
        o.inner.oauth2_client_id = id.to_string();
        Ok(())
    })
}
