//! `login` that persists and `logout`: where a credential is kept.

use std::ffi::{c_char, c_int};
use std::path::PathBuf;

use super::args::{opt_str_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{FfiResult, guard};
use super::handle::opt_out_arg;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::error::{Error, ErrorKind};
use crate::transport::auth::credentials::LoginDestination;

/// `login`/`logout` destination: containers' `auth.json`, as podman and
/// skopeo write it (`$REGISTRY_AUTH_FILE`, else
/// `$XDG_RUNTIME_DIR/containers/auth.json`, else
/// `/run/containers/$UID/auth.json`).
pub const OCIREG_LOGIN_CONTAINERS: u32 = 0;
/// `login`/`logout` destination: docker's `config.json`
/// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`).
pub const OCIREG_LOGIN_DOCKER: u32 = 1;
/// `login`/`logout` destination: the auth file the call names.
pub const OCIREG_LOGIN_AUTH_FILE: u32 = 2;

/// The destination of `kind`, with `auth_file` for `OCIREG_LOGIN_AUTH_FILE`.
fn destination(kind: u32, auth_file: Option<&str>) -> FfiResult<LoginDestination> {
    let invalid = |message: &str| Error::new(ErrorKind::InvalidArgument, message);
    match (kind, auth_file) {
        (OCIREG_LOGIN_CONTAINERS, None) => Ok(LoginDestination::Containers),
        (OCIREG_LOGIN_DOCKER, None) => Ok(LoginDestination::Docker),
        (OCIREG_LOGIN_AUTH_FILE, Some(file)) if !file.is_empty() => {
            Ok(LoginDestination::AuthFile(PathBuf::from(file)))
        }
        (OCIREG_LOGIN_AUTH_FILE, _) => {
            Err(invalid("OCIREG_LOGIN_AUTH_FILE needs the auth file's path").into())
        }
        (OCIREG_LOGIN_CONTAINERS | OCIREG_LOGIN_DOCKER, Some(_)) => {
            Err(invalid("an auth file is given only with OCIREG_LOGIN_AUTH_FILE").into())
        }
        _ => Err(invalid("unknown login destination").into()),
    }
}

/// Logs in and keeps the credential, like `docker login` and `podman
/// login`: checks `username`/`password` against the registry, then stores
/// them where the destination's tool looks first. In the destination file,
/// a `credHelpers` entry for the registry, else a `credsStore`, gets the
/// credential through `docker-credential-NAME store`; otherwise it goes to
/// `auths` as `{"auth": base64(user:password)}` (Docker Hub keyed
/// `docker.io` in `auth.json`, `https://index.docker.io/v1/` in docker's
/// file). The file is changed under a lock (`flock` on its directory) and
/// replaced atomically (mode 0600; new directories 0700); every other key
/// and entry is kept.
///
/// Reading credentials back, a client searches, in order: the options'
/// explicit credentials; the options' auth file alone, if one is set;
/// otherwise `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`
/// (`/run/containers/$UID/auth.json` without `XDG_RUNTIME_DIR`),
/// `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/containers/auth.json`),
/// `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`) and
/// `~/.dockercfg`; the first file holding the registry wins. Within a
/// file: the registry's `credHelpers` program, then the `auths` keys
/// scoped to the repository a request accesses (`host/ns/repo`,
/// `host/ns`: the longest prefix by path components, exact keys only, as
/// containers-auth.json(5) says), then the registry's own key, then the
/// `credsStore` program. Clients made before the login may have cached the
/// old answer: make a new client.
///
/// @param client the client (its TLS, proxy and helper timeout are used).
/// @param registry the registry, `host[:port]` (`docker.io` for Docker Hub).
/// @param username the user name (no `:`).
/// @param password the password or token.
/// @param destination `OCIREG_LOGIN_CONTAINERS`, `OCIREG_LOGIN_DOCKER` or
///        `OCIREG_LOGIN_AUTH_FILE`.
/// @param auth_file the file for `OCIREG_LOGIN_AUTH_FILE`; NULL otherwise.
/// @param cancel NULL, or a signal that stops the call.
/// @param location_out receives where the credential went (a file path, or
///        the helper program and its file), for people; free it with
///        `ocireg_string_free`. NULL when not wanted.
/// @return `OCIREG_OK`; `OCIREG_ERR_UNAUTHORIZED` when the registry refuses
///         the credential (nothing is stored); `OCIREG_ERR_INVALID_ARGUMENT`
///         for a malformed auth file (left unchanged); `OCIREG_ERR_IO` or
///         `OCIREG_ERR_TIMEOUT` for a failing or hanging helper; or another
///         error. Messages name the file or helper, never the credential.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ocireg_client_login(
    client: *const ocireg_client,
    registry: *const c_char,
    username: *const c_char,
    password: *const c_char,
    destination: u32,
    auth_file: *const c_char,
    cancel: *const ocireg_cancel,
    location_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (c, registry, username, password, auth_file, location_out) = unsafe {
            (
                client_for(client, cancel)?,
                str_arg(registry, "registry")?,
                str_arg(username, "username")?,
                str_arg(password, "password")?,
                opt_str_arg(auth_file, "auth_file")?,
                opt_out_arg(location_out),
            )
        };
        let to = self::destination(destination, auth_file)?;
        let location = c.login(registry, username, password, &to)?;
        if let Some(out) = location_out {
            out.write(into_c_string(&location.to_string()));
        }
        Ok(())
    })
}

/// Logs out: erases the credential of a registry from the destination
/// (every `auths` entry naming the registry, and the entry of its
/// `credHelpers`/`credsStore` helper, through `erase`). No request is sent
/// to the registry.
///
/// @param client the client (its helper timeout is used).
/// @param registry the registry, `host[:port]`; ignored when `all` is
///        non-zero (it may then be "").
/// @param destination as for `ocireg_client_login`.
/// @param auth_file the file for `OCIREG_LOGIN_AUTH_FILE`; NULL otherwise.
/// @param all non-zero: erase every `auths` entry of the file and every
///        credential its `credsStore` lists.
/// @param cancel NULL, or a signal that stops the call.
/// @param location_out receives where the credential was erased; free it
///        with `ocireg_string_free`. NULL when not wanted.
/// @return `OCIREG_OK`; `OCIREG_ERR_NOT_FOUND` when there was no
///         credential for the registry; or another error.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ocireg_client_logout(
    client: *const ocireg_client,
    registry: *const c_char,
    destination: u32,
    auth_file: *const c_char,
    all: c_int,
    cancel: *const ocireg_cancel,
    location_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (c, registry, auth_file, location_out) = unsafe {
            (
                client_for(client, cancel)?,
                str_arg(registry, "registry")?,
                opt_str_arg(auth_file, "auth_file")?,
                opt_out_arg(location_out),
            )
        };
        let from = self::destination(destination, auth_file)?;
        let location = c.logout(registry, &from, all != 0)?;
        if let Some(out) = location_out {
            out.write(into_c_string(&location.to_string()));
        }
        Ok(())
    })
}
