//! `ocireg_options`: typed setters for everything a client can be told.

use std::ffi::c_char;
use std::time::Duration;

use super::guard::{FfiResult, guard, guard_value, mut_arg, str_arg};
use super::status::ocireg_status;
use crate::transport::auth::credentials::Credential;
use crate::transport::config::ClientOptions;

/// Options for `ocireg_client_new`. Made by `ocireg_options_new`, changed
/// by the setters, freed by `ocireg_options_free`. Not thread-safe while
/// being changed; a client copies what it needs, so the options can be
/// freed or reused right after `ocireg_client_new`.
pub struct ocireg_options {
    pub(crate) inner: ClientOptions,
}

/// New options with the defaults (https only, system CAs, 30 s connect
/// timeout, 60 s read timeout, 4 retries). Returns NULL only on a panic.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_options_new() -> *mut ocireg_options {
    guard_value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(ocireg_options {
            inner: ClientOptions::default(),
        }))
    })
}

/// Frees options; NULL is a no-op.
///
/// # Safety
/// `options` is NULL or a live `ocireg_options` not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_free(options: *mut ocireg_options) {
    guard_value((), || {
        if !options.is_null() {
            // SAFETY: made by Box::into_raw in ocireg_options_new; freed once.
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

fn set(
    options: *mut ocireg_options,
    f: impl FnOnce(&mut ClientOptions) -> FfiResult,
) -> ocireg_status {
    guard(|| {
        // SAFETY: NULL or a live handle used by this thread only.
        let o = unsafe { mut_arg(options, "options") }?;
        f(&mut o.inner)
    })
}

/// Allows plain HTTP, and HTTPS without certificate checks, for `host`
/// (`host` or `host:port`). May be called many times.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_insecure_registry(
    options: *mut ocireg_options,
    host: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes a C string or NULL.
        let host = unsafe { str_arg(host, "host") }?;
        o.insecure_registries.push(host.to_string());
        Ok(())
    })
}

/// Sets a user name and password for `registry` (`host[:port]`,
/// `docker.io` for Docker Hub). They win over any auth file.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_credentials(
    options: *mut ocireg_options,
    registry: *const c_char,
    username: *const c_char,
    password: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes C strings or NULL.
        let (registry, username, password) = unsafe {
            (
                str_arg(registry, "registry")?,
                str_arg(username, "username")?,
                str_arg(password, "password")?,
            )
        };
        o.credentials.retain(|(r, _)| r != registry);
        o.credentials.push((
            registry.to_string(),
            Credential::Basic {
                username: username.to_string(),
                password: password.to_string(),
            },
        ));
        Ok(())
    })
}

/// Sets an OAuth2 refresh token (docker's `identitytoken`) for `registry`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_identity_token(
    options: *mut ocireg_options,
    registry: *const c_char,
    token: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes C strings or NULL.
        let (registry, token) =
            unsafe { (str_arg(registry, "registry")?, str_arg(token, "token")?) };
        o.credentials.retain(|(r, _)| r != registry);
        o.credentials.push((
            registry.to_string(),
            Credential::IdentityToken {
                token: token.to_string(),
            },
        ));
        Ok(())
    })
}

/// Uses this auth file (docker `config.json` or containers `auth.json`)
/// instead of the default search.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_auth_file(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes a C string or NULL.
        let v = unsafe { str_arg(value, "path") }?;
        o.auth_file = Some(v.into());
        Ok(())
    })
}
/// Trusts the CA certificates in this PEM file too. May be called many times.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_ca_file(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes a C string or NULL.
        let v = unsafe { str_arg(value, "path") }?;
        o.ca_files.push(v.into());
        Ok(())
    })
}
/// Sends every request through this proxy URL (instead of the
/// `HTTPS_PROXY`/`NO_PROXY` environment).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_proxy(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes a C string or NULL.
        let v = unsafe { str_arg(value, "url") }?;
        o.proxy = Some(v.to_string());
        Ok(())
    })
}
/// Sets the `User-Agent`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_user_agent(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes a C string or NULL.
        let v = unsafe { str_arg(value, "user_agent") }?;
        o.user_agent = v.to_string();
        Ok(())
    })
}

/// Presents this client certificate chain and key (PEM files) for mutual TLS.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_client_cert(
    options: *mut ocireg_options,
    cert_path: *const c_char,
    key_path: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes C strings or NULL.
        let (cert, key) = unsafe {
            (
                str_arg(cert_path, "cert_path")?,
                str_arg(key_path, "key_path")?,
            )
        };
        o.client_cert = Some((cert.into(), key.into()));
        Ok(())
    })
}

/// Adds a header sent with every registry request.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_header(
    options: *mut ocireg_options,
    name: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: the caller passes C strings or NULL.
        let (name, value) = unsafe { (str_arg(name, "name")?, str_arg(value, "value")?) };
        o.extra_headers.push((name.to_string(), value.to_string()));
        Ok(())
    })
}

/// How long to wait for a connection, in milliseconds.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_connect_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.connect_timeout = Duration::from_millis(v);
        Ok(())
    })
}
/// How long a response may send nothing before `OCIREG_ERR_TIMEOUT`, in milliseconds.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_read_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.read_timeout = Duration::from_millis(v);
        Ok(())
    })
}
/// The longest a request without a streamed body may take, in milliseconds.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_request_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.request_timeout = Duration::from_millis(v);
        Ok(())
    })
}
/// The longest a docker credential helper (`docker-credential-NAME get`)
/// may run, in milliseconds (default 30 000); a helper still running then
/// is killed and the lookup fails with `OCIREG_ERR_TIMEOUT`.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_credential_helper_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        o.credential_helper_timeout = Duration::from_millis(value);
        Ok(())
    })
}
/// How many times a failed request is retried (429, 502-504, connection
/// errors; 500 too for HEAD), the ping included. Waits have random jitter.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_retries(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.max_retries = v;
        Ok(())
    })
}
/// The longest `Retry-After` waited out, in milliseconds; longer ones fail at once.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_retry_after_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.max_retry_after = Duration::from_millis(v);
        Ok(())
    })
}
/// The page size for tag and catalog listings (0: the registry's choice).
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_page_size(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.page_size = (v > 0).then_some(v);
        Ok(())
    })
}
/// The most entries (tags, repositories, referrers) one listing collects
/// over all its pages; more fails it with `OCIREG_ERR_SIZE_EXCEEDED`.
/// Default 1,000,000.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_list_entries(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.max_list_entries = usize::try_from(v).unwrap_or(usize::MAX);
        Ok(())
    })
}
/// The most response bytes one listing reads over all its pages; more
/// fails it with `OCIREG_ERR_SIZE_EXCEEDED`. Default 64 MiB.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_list_bytes(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.max_list_bytes = v;
        Ok(())
    })
}
/// How many times a blob download resumes after its connection drops.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_resumes(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.max_resumes = v;
        Ok(())
    })
}
/// The chunk size of chunked uploads, in bytes (at least 1).
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_upload_chunk_size(
    options: *mut ocireg_options,
    value: usize,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.upload_chunk_size = v.max(1);
        Ok(())
    })
}
/// How many blobs whole-image operations move at once (at least 1).
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_concurrency(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    set(options, |o| {
        let v = value;
        o.concurrency = v.max(1) as usize;
        Ok(())
    })
}
