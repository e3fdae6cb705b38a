//! Calls that cost no pull on Docker Hub: the `HEAD`-only digest and the
//! rate limit, with the rate-limit handle.

use std::ffi::{CString, c_char};
use std::ptr;

use super::args::{reference_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, out_arg};
use super::last_error::c_string;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::transport::rate_limit::{RateLimit, RateQuota};

/// A registry's rate limit (`ratelimit-limit`, `ratelimit-remaining` with
/// their `;w=` windows, `docker-ratelimit-source`). Each value is -1 (or
/// NULL) when the registry did not report it: unknown, not zero. Freed by
/// `ocireg_rate_limit_free`. One thread at a time.
pub struct ocireg_rate_limit {
    limit: Option<RateQuota>,
    remaining: Option<RateQuota>,
    source: Option<CString>,
}

impl ocireg_rate_limit {
    /// The rate limit, with its source as a C string.
    pub(super) fn new(rate_limit: &RateLimit) -> ocireg_rate_limit {
        ocireg_rate_limit {
            limit: rate_limit.limit,
            remaining: rate_limit.remaining,
            source: rate_limit.source.as_deref().map(c_string),
        }
    }

    fn boxed(rate_limit: RateLimit) -> *mut ocireg_rate_limit {
        into_handle(ocireg_rate_limit::new(&rate_limit))
    }

    /// A value as C sees it: -1 when unknown (or too large for `int64_t`).
    fn c_value(value: Option<u64>) -> i64 {
        value.and_then(|v| i64::try_from(v).ok()).unwrap_or(-1)
    }

    /// `ratelimit-limit`'s count, -1 when unknown.
    pub(super) fn limit_count(&self) -> i64 {
        Self::c_value(self.limit.map(|q| q.count))
    }

    /// `ratelimit-limit`'s window in seconds, -1 when unknown.
    pub(super) fn limit_window_s(&self) -> i64 {
        Self::c_value(self.limit.and_then(|q| q.window).map(|w| w.as_secs()))
    }

    /// `ratelimit-remaining`'s count, -1 when unknown.
    pub(super) fn remaining_count(&self) -> i64 {
        Self::c_value(self.remaining.map(|q| q.count))
    }

    /// `ratelimit-remaining`'s window in seconds, -1 when unknown.
    pub(super) fn remaining_window_s(&self) -> i64 {
        Self::c_value(self.remaining.and_then(|q| q.window).map(|w| w.as_secs()))
    }

    /// `docker-ratelimit-source`, NULL when unknown.
    pub(super) fn source_ptr(&self) -> *const c_char {
        self.source.as_ref().map_or(ptr::null(), |s| s.as_ptr())
    }
}

/// The digest of a manifest from a `HEAD` alone, as skopeo does: a `HEAD`
/// is not counted against Docker Hub's pull limit, a `GET` is. When the
/// registry sends no `Docker-Content-Digest`, a reference by digest gives
/// its own digest and a tag is `OCIREG_ERR_PROTOCOL` (no `GET` is made;
/// `ocireg_client_manifest_head` falls back to one).
///
/// @param client the client.
/// @param reference the manifest, `[registry/]repo[:tag][@digest]`.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the digest; free it with `ocireg_string_free`.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_digest(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(digest_out, "digest_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        out.write(into_c_string(c.digest(&r)?.as_str()));
        Ok(())
    })
}

/// Asks the registry of a reference for its rate limit with a manifest
/// `HEAD` (not counted as a pull). A registry that reports none gives a
/// handle whose values are all unknown. A 429 is
/// `OCIREG_ERR_TOO_MANY_REQUESTS` (with `ocireg_last_error_retry_after_ms`),
/// and `ocireg_client_last_rate_limit` then gives what the 429 reported.
///
/// @param client the client.
/// @param reference a manifest of the registry (Docker's docs use
///        `ratelimitpreview/test:latest` on Docker Hub).
/// @param cancel NULL, or a signal that stops the call.
/// @param rate_limit_out receives the rate limit; free it with
///        `ocireg_rate_limit_free`.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_rate_limit(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    rate_limit_out: *mut *mut ocireg_rate_limit,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(rate_limit_out, "rate_limit_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        out.write(ocireg_rate_limit::boxed(c.rate_limit(&r)?));
        Ok(())
    })
}

/// The rate limit a registry reported on the last manifest response (`GET`
/// or `HEAD`, a 429 included) this client received from it. Makes no
/// request.
///
/// @param client the client.
/// @param registry the registry, `host[:port]` (`docker.io` for Docker Hub).
/// @param rate_limit_out receives the rate limit (all values unknown when
///        the registry never reported one); free it with
///        `ocireg_rate_limit_free`.
/// @return `OCIREG_OK`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_last_rate_limit(
    client: *const ocireg_client,
    registry: *const c_char,
    rate_limit_out: *mut *mut ocireg_rate_limit,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, registry) = unsafe {
            (
                out_arg(rate_limit_out, "rate_limit_out")?,
                client_for(client, ptr::null())?,
                str_arg(registry, "registry")?,
            )
        };
        let last = c.last_rate_limit(registry).unwrap_or_default();
        out.write(ocireg_rate_limit::boxed(last));
        Ok(())
    })
}

/// A value of the handle, -1 when unknown or for NULL.
///
/// # Safety
/// `rate_limit` is NULL or a live handle.
unsafe fn value(rate_limit: *const ocireg_rate_limit, read: fn(&ocireg_rate_limit) -> i64) -> i64 {
    guard_value(-1, || {
        // SAFETY: forwarded from the caller's promise.
        let rate_limit = unsafe { get(rate_limit) };
        rate_limit.map_or(-1, read)
    })
}

/// `ratelimit-limit`: the requests allowed per window.
///
/// @param rate_limit the rate limit, or NULL.
/// @return the count; -1 when unknown or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_rate_limit_limit(rate_limit: *const ocireg_rate_limit) -> i64 {
    // SAFETY: the header's conventions: NULL or a live handle.
    unsafe { value(rate_limit, ocireg_rate_limit::limit_count) }
}

/// The window of `ratelimit-limit` (`;w=`), in seconds.
///
/// @param rate_limit the rate limit, or NULL.
/// @return the seconds; -1 when unknown or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_rate_limit_limit_window_s(
    rate_limit: *const ocireg_rate_limit,
) -> i64 {
    // SAFETY: the header's conventions: NULL or a live handle.
    unsafe { value(rate_limit, ocireg_rate_limit::limit_window_s) }
}

/// `ratelimit-remaining`: the requests left in the current window.
///
/// @param rate_limit the rate limit, or NULL.
/// @return the count; -1 when unknown or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_rate_limit_remaining(rate_limit: *const ocireg_rate_limit) -> i64 {
    // SAFETY: the header's conventions: NULL or a live handle.
    unsafe { value(rate_limit, ocireg_rate_limit::remaining_count) }
}

/// The window of `ratelimit-remaining` (`;w=`), in seconds.
///
/// @param rate_limit the rate limit, or NULL.
/// @return the seconds; -1 when unknown or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_rate_limit_remaining_window_s(
    rate_limit: *const ocireg_rate_limit,
) -> i64 {
    // SAFETY: the header's conventions: NULL or a live handle.
    unsafe { value(rate_limit, ocireg_rate_limit::remaining_window_s) }
}

/// `docker-ratelimit-source`: what the registry counts against (an address
/// or an account id).
///
/// @param rate_limit the rate limit, or NULL.
/// @return the source, owned by the handle; NULL when unknown or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_rate_limit_source(
    rate_limit: *const ocireg_rate_limit,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live handle.
        let rate_limit = unsafe { get(rate_limit) };
        rate_limit.map_or(ptr::null(), ocireg_rate_limit::source_ptr)
    })
}

/// Frees a rate limit.
///
/// @param rate_limit the rate limit, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_rate_limit_free(rate_limit: *mut ocireg_rate_limit) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live handle, freed once.
        unsafe { free_handle(rate_limit) }
    });
}
