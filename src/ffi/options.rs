//! `ocireg_options`: typed setters for everything a client can be told.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use super::args::{opt_str_arg, str_arg};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, into_handle, mut_arg};
use super::status::ocireg_status;
use crate::client::MAX_CHUNK_SIZE;
use crate::error::Result;
use crate::options::{
    ClientOptions, MAX_CONCURRENCY, MAX_LIST_BYTES, MAX_LIST_ENTRIES, MAX_PAGE_SIZE, MAX_RESUMES,
    MAX_RETRIES, RangedDownload, check_proxy, check_range, check_readable_file, check_timeout,
};
use crate::transport::auth::credentials::Credential;

/// Options for `ocireg_client_new`. Made by `ocireg_options_new`, changed
/// by the setters, freed by `ocireg_options_free`. One thread at a time; a
/// client copies what it needs, so the options can be freed or reused
/// right after `ocireg_client_new`.
pub struct ocireg_options {
    pub(crate) inner: ClientOptions,
}

/// Makes options with the defaults: https only, the system's CAs, 30 s
/// connect timeout, 60 s read timeout, 300 s request timeout, 4 retries.
///
/// @return the options (free them with `ocireg_options_free`); NULL only if
///         the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_options_new() -> *mut ocireg_options {
    guard_value(std::ptr::null_mut(), || {
        into_handle(ocireg_options {
            inner: ClientOptions::default(),
        })
    })
}

/// Frees options.
///
/// @param options the options, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_free(options: *mut ocireg_options) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or live options, freed once.
        unsafe { free_handle(options) }
    });
}

/// Applies `change` to the options behind `options` (a numeric setter).
///
/// # Safety
/// `options` is NULL or live options used by this thread only.
unsafe fn set(
    options: *mut ocireg_options,
    change: impl FnOnce(&mut ClientOptions) -> Result<()>,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller's promise.
        let o = unsafe { mut_arg(options, "options") }?;
        change(&mut o.inner)?;
        Ok(())
    })
}

/// A timeout in milliseconds as a `Duration`, checked against
/// `MAX_TIMEOUT` (zero is no limit).
fn timeout_ms(name: &str, value: u64) -> Result<Duration> {
    check_timeout(name, Duration::from_millis(value))
}

/// Allows plain HTTP, and HTTPS without certificate checks, for one
/// registry. May be called many times.
///
/// @param options the options.
/// @param host the registry, `host` or `host:port`, or `*.domain` for every
///        subdomain of domain on any port (as a registries.conf wildcard
///        prefix).
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_insecure_registry(
    options: *mut ocireg_options,
    host: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, host) = unsafe { (mut_arg(options, "options")?, str_arg(host, "host")?) };
        o.inner.insecure_registries.push(host.to_string());
        Ok(())
    })
}

/// Sets a user name and password for one registry. They win over any auth
/// file; a second call for the same registry replaces the first.
///
/// @param options the options.
/// @param registry the registry, `host[:port]` (`docker.io` for Docker Hub).
/// @param username the user name.
/// @param password the password (kept out of every message).
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_credentials(
    options: *mut ocireg_options,
    registry: *const c_char,
    username: *const c_char,
    password: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, registry, username, password) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(registry, "registry")?,
                str_arg(username, "username")?,
                str_arg(password, "password")?,
            )
        };
        let credentials = &mut o.inner.credentials;
        credentials.retain(|(r, _)| r != registry);
        credentials.push((
            registry.to_string(),
            Credential::Basic {
                username: username.to_string(),
                password: password.to_string(),
            },
        ));
        Ok(())
    })
}

/// Sets an OAuth2 refresh token (docker's `identitytoken`) for one
/// registry, replacing any credentials set for it.
///
/// @param options the options.
/// @param registry the registry, `host[:port]`.
/// @param token the refresh token (kept out of every message).
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_identity_token(
    options: *mut ocireg_options,
    registry: *const c_char,
    token: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, registry, token) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(registry, "registry")?,
                str_arg(token, "token")?,
            )
        };
        let credentials = &mut o.inner.credentials;
        credentials.retain(|(r, _)| r != registry);
        credentials.push((
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
/// @param options the options.
/// @param value the file's path.
/// @return `OCIREG_OK`, or the argument error; `OCIREG_ERR_INVALID_ARGUMENT`
///         (naming the path) when it is not a regular file this process can
///         read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_auth_file(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, path) = unsafe { (mut_arg(options, "options")?, str_arg(value, "path")?) };
        check_readable_file("auth file", path.as_ref())?;
        o.inner.auth_file = Some(path.into());
        Ok(())
    })
}

/// Keeps bearer tokens in this token cache file too, so that the next
/// process skips the token server while a token is good (the CLI uses
/// `$XDG_CACHE_HOME/ocireg/tokens.json`). The file holds each token with
/// its scope and refresh time, keyed by a one-way hash of the credential
/// (never a password); it is created on first use, mode 0600 in a
/// directory made 0700, written under a lock and replaced atomically; a
/// corrupt file is ignored and replaced. Without this call tokens are
/// kept in memory only, per client.
///
/// @param options the options.
/// @param path the file's path, or NULL to keep tokens in memory only.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_token_cache(
    options: *mut ocireg_options,
    path: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, a C string or NULL.
        let (o, path) = unsafe { (mut_arg(options, "options")?, opt_str_arg(path, "path")?) };
        o.inner.token_cache = path.map(PathBuf::from);
        Ok(())
    })
}

/// Trusts the CA certificates in a PEM file too. May be called many times.
///
/// @param options the options.
/// @param value the file's path (read by `ocireg_client_new`).
/// @return `OCIREG_OK`, or the argument error; `OCIREG_ERR_INVALID_ARGUMENT`
///         (naming the path) when it is not a regular file this process can
///         read. Its contents are checked by `ocireg_client_new`
///         (`OCIREG_ERR_TLS`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_ca_file(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, path) = unsafe { (mut_arg(options, "options")?, str_arg(value, "path")?) };
        check_readable_file("CA file", path.as_ref())?;
        o.inner.ca_files.push(path.into());
        Ok(())
    })
}

/// Sends every request through a proxy, instead of following the
/// `HTTPS_PROXY`/`NO_PROXY` environment.
///
/// @param options the options.
/// @param value the proxy's URL: `http://` or `https://` (a bare
///        `host:port` is taken as `http://`). Any other scheme (`ftp://`,
///        `socks5://`) is refused rather than ignored, so traffic never
///        goes direct by mistake.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` naming an
///         unsupported scheme, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_proxy(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, url) = unsafe { (mut_arg(options, "options")?, str_arg(value, "url")?) };
        check_proxy(url)?;
        o.inner.proxy = Some(url.to_string());
        Ok(())
    })
}

/// Sets the `User-Agent` of every request.
///
/// @param options the options.
/// @param value the user agent.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_user_agent(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, agent) = unsafe { (mut_arg(options, "options")?, str_arg(value, "user_agent")?) };
        o.inner.user_agent = agent.to_string();
        Ok(())
    })
}

/// Presents a client certificate for mutual TLS.
///
/// @param options the options.
/// @param cert_path the PEM file of the certificate chain.
/// @param key_path the PEM file of its private key.
/// @return `OCIREG_OK`, or the argument error; `OCIREG_ERR_INVALID_ARGUMENT`
///         (naming the path) when either is not a regular file this process
///         can read. Their contents are checked by `ocireg_client_new`
///         (`OCIREG_ERR_TLS`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_client_cert(
    options: *mut ocireg_options,
    cert_path: *const c_char,
    key_path: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, cert, key) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(cert_path, "cert_path")?,
                str_arg(key_path, "key_path")?,
            )
        };
        check_readable_file("client certificate", cert.as_ref())?;
        check_readable_file("client key", key.as_ref())?;
        o.inner.client_cert = Some((cert.into(), key.into()));
        Ok(())
    })
}

/// Adds a header sent with every registry request.
///
/// @param options the options.
/// @param name the header's name.
/// @param value the header's value.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_add_header(
    options: *mut ocireg_options,
    name: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, name, value) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(name, "name")?,
                str_arg(value, "value")?,
            )
        };
        o.inner
            .extra_headers
            .push((name.to_string(), value.to_string()));
        Ok(())
    })
}

/// Sets how long to wait for a connection.
///
/// @param options the options.
/// @param value the time in milliseconds, or 0 for no limit (as in
///        libcurl); at most 2 592 000 000 (30 days).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 30 days, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_connect_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.connect_timeout = timeout_ms("connect_timeout", value)?;
            Ok(())
        })
    }
}

/// Sets how long a response may send nothing before `OCIREG_ERR_TIMEOUT`.
///
/// @param options the options.
/// @param value the time in milliseconds, or 0 for no limit (as in
///        libcurl); at most 2 592 000 000 (30 days).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 30 days, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_read_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.read_timeout = timeout_ms("read_timeout", value)?;
            Ok(())
        })
    }
}

/// Sets the longest a request without a streamed body may take.
///
/// @param options the options.
/// @param value the time in milliseconds, or 0 for no limit (as in
///        libcurl); at most 2 592 000 000 (30 days).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 30 days, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_request_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.request_timeout = timeout_ms("request_timeout", value)?;
            Ok(())
        })
    }
}

/// Sets the longest a docker credential helper (`docker-credential-NAME
/// get`) may run (default 30 000 ms); a helper still running then is
/// killed and the lookup fails with `OCIREG_ERR_TIMEOUT`.
///
/// @param options the options.
/// @param value the time in milliseconds, or 0 for no limit (as in
///        libcurl); at most 2 592 000 000 (30 days).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 30 days, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_credential_helper_timeout_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.credential_helper_timeout = timeout_ms("credential_helper_timeout", value)?;
            Ok(())
        })
    }
}

/// Sets how many times a failed request is retried (429 and connection
/// errors; 500 and 502-504 for GET, HEAD, manifest PUT and token requests,
/// not for upload requests the registry may have acted on), the ping
/// included. Waits have random jitter.
///
/// @param options the options.
/// @param value the number of retries, at most 100.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 100, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_retries(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.max_retries = check_range("max_retries", value, 0, MAX_RETRIES)?;
            Ok(())
        })
    }
}

/// Sets the longest `Retry-After` waited out; a longer one fails the call
/// at once.
///
/// @param options the options.
/// @param value the time in milliseconds (0 fails every `Retry-After`
///        at once); at most 2 592 000 000 (30 days).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 30 days, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_retry_after_ms(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.max_retry_after = timeout_ms("max_retry_after", value)?;
            Ok(())
        })
    }
}

/// Sets the page size asked for in tag and catalog listings.
///
/// @param options the options.
/// @param value the page size, or 0 for the registry's choice; at most
///        1 000 000.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 1 000 000, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_page_size(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.page_size = (value > 0)
                .then(|| check_range("page_size", value, 1, MAX_PAGE_SIZE))
                .transpose()?;
            Ok(())
        })
    }
}

/// Sets the most entries (tags, repositories, referrers) one listing
/// collects over all its pages (default 1,000,000); more fails it with
/// `OCIREG_ERR_SIZE_EXCEEDED`.
///
/// @param options the options.
/// @param value the number of entries, 1 to 100 000 000.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` outside that range,
///         or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_list_entries(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            let max = MAX_LIST_ENTRIES as u64;
            let value = check_range("max_list_entries", value, 1, max)?;
            o.max_list_entries = usize::try_from(value).unwrap_or(MAX_LIST_ENTRIES);
            Ok(())
        })
    }
}

/// Sets the most response bytes one listing reads over all its pages
/// (default 64 MiB); more fails it with `OCIREG_ERR_SIZE_EXCEEDED`.
///
/// @param options the options.
/// @param value the number of bytes, 1 to 4 GiB (4 294 967 296).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` outside that range,
///         or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_list_bytes(
    options: *mut ocireg_options,
    value: u64,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.max_list_bytes = check_range("max_list_bytes", value, 1, MAX_LIST_BYTES)?;
            Ok(())
        })
    }
}

/// Sets how many times a blob download resumes after its connection drops.
///
/// @param options the options.
/// @param value the number of resumes, at most 1000.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` above 1000, or
///         `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_max_resumes(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.max_resumes = check_range("max_resumes", value, 0, MAX_RESUMES)?;
            Ok(())
        })
    }
}

/// Sets the chunk size of chunked uploads.
///
/// @param options the options.
/// @param value the size in bytes (0 is taken as 1; more than 64 MiB, or a
///        registry minimum above that, is taken as 64 MiB: no buffer is
///        ever sized by more).
/// @return `OCIREG_OK`, or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_upload_chunk_size(
    options: *mut ocireg_options,
    value: usize,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            o.upload_chunk_size = value.clamp(1, MAX_CHUNK_SIZE);
            Ok(())
        })
    }
}

/// Sets how many blobs whole-image operations move at once.
///
/// @param options the options.
/// @param value the number of blobs, 1 to 256.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` outside that range,
///         or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_concurrency(
    options: *mut ocireg_options,
    value: u32,
) -> ocireg_status {
    // SAFETY: the header's conventions: NULL or live options.
    unsafe {
        set(options, |o| {
            let max = MAX_CONCURRENCY as u32;
            o.concurrency = check_range("concurrency", value, 1, max)? as usize;
            Ok(())
        })
    }
}

/// Sets whether a pull fetches one large blob over several connections at
/// once, as byte ranges written and hashed in order and verified before the
/// blob takes its place.
///
/// @param options the options.
/// @param value `"auto"` (the default: a blob of 64 MiB or more is split
///        only when its first connection turns out slower than 64 MiB/s,
///        as behind a per-connection bandwidth cap or over a long round
///        trip), `"off"` (one connection per blob) or `"always"` (split
///        every blob larger than one part, 1 to 8 MiB). A registry that
///        ignores `Range` makes the download go on over one connection.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for another name, or
///         the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_ranged_download(
    options: *mut ocireg_options,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, mode) = unsafe { (mut_arg(options, "options")?, str_arg(value, "mode")?) };
        o.inner.ranged_download = RangedDownload::parse(mode)?;
        Ok(())
    })
}
