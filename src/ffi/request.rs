//! Raw requests: `ocireg_request` (method, path, headers, scopes, body),
//! `ocireg_client_request` (sends it, streaming the response body to a
//! write callback) and `ocireg_response` (status and headers).

use std::ffi::{CString, c_char, c_void};
use std::ptr;

use bytes::Bytes;

use super::args::{bytes_arg, str_arg};
use super::callbacks::{CallbackReader, ocireg_read_cb, ocireg_write_cb, read_source, write_sink};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, mut_arg, out_arg};
use super::last_error::c_string;
use super::status::ocireg_status;
use crate::blocking::RawResponse;
use crate::client::{RawBody, RawRequest};

/// `ocireg_request_set_body_reader`'s length when the length is unknown
/// (the body is then sent chunked).
pub const OCIREG_UNKNOWN_LENGTH: u64 = u64::MAX;

/// What a request's body is.
enum RequestBody {
    None,
    Bytes(Bytes),
    Reader(CallbackReader, Option<u64>),
}

/// A raw request to a path on a registry, sent by `ocireg_client_request`
/// with the client's authentication, retries, TLS and proxy: for vendor
/// APIs beside the registry API. Made by `ocireg_request_new`, freed by
/// `ocireg_request_free`; it may be sent many times. One thread at a time.
///
/// Bounds: the path starts with one `/` and stays on the registry's origin
/// (no scheme or host, no `.`/`..` segments, also percent-encoded; the
/// query is the caller's); at most 64 caller headers and 64 KiB of them,
/// never `Authorization`, `Host`, `Content-Length` or hop-by-hop headers;
/// at most 16 token scopes. `Authorization` is sent to the registry's own
/// origin only: a redirect elsewhere arrives without it.
pub struct ocireg_request {
    inner: RawRequest,
    body: RequestBody,
    max_body: Option<u64>,
}

/// The status and headers of a raw request's response (its body went to
/// the write callback). Made by `ocireg_client_request`, freed by
/// `ocireg_response_free`. One thread at a time.
pub struct ocireg_response {
    status: u16,
    headers: Vec<(CString, CString)>,
}

/// Makes a raw request.
///
/// @param method GET, HEAD, POST, PUT, PATCH or DELETE (any case).
/// @param path the path with its query, such as `/api/v2.0/projects?page=1`.
/// @param request_out receives the request; free it with
///        `ocireg_request_free`.
/// @return `OCIREG_OK`, or `OCIREG_ERR_INVALID_ARGUMENT` for another method
///         or a path that could leave the registry's origin.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_new(
    method: *const c_char,
    path: *const c_char,
    request_out: *mut *mut ocireg_request,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: C strings, a writable output.
        let (out, method, path) = unsafe {
            (
                out_arg(request_out, "request_out")?,
                str_arg(method, "method")?,
                str_arg(path, "path")?,
            )
        };
        out.write_handle(ocireg_request {
            inner: RawRequest::new(method, path)?,
            body: RequestBody::None,
            max_body: None,
        });
        Ok(())
    })
}

/// Adds a header to a request.
///
/// @param request the request.
/// @param name the header's name.
/// @param value its value (never echoed in errors).
/// @return `OCIREG_OK`, or `OCIREG_ERR_INVALID_ARGUMENT` for a header the
///         client sets itself, a malformed one, or one past the bounds (the
///         request is then unchanged).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_add_header(
    request: *mut ocireg_request,
    name: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live request, C strings.
        let (r, name, value) = unsafe {
            (
                mut_arg(request, "request")?,
                str_arg(name, "name")?,
                str_arg(value, "value")?,
            )
        };
        Ok(r.inner.header(name, value)?)
    })
}

/// Asks for a token with this scope (such as `repository:foo:pull`) when
/// the registry uses token auth. Without one, a registry's challenge may
/// still name the scope it needs (and the request is tried again with it,
/// unless its body comes from a read callback).
///
/// @param request the request.
/// @param scope the scope.
/// @return `OCIREG_OK`, or `OCIREG_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_add_scope(
    request: *mut ocireg_request,
    scope: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live request, a C string.
        let (r, scope) = unsafe { (mut_arg(request, "request")?, str_arg(scope, "scope")?) };
        Ok(r.inner.scope(scope)?)
    })
}

/// Sends these bytes (copied) as the body. Such a request is retried
/// (GET, HEAD, PUT and DELETE) and tried again after a 401.
///
/// @param request the request.
/// @param data `len` bytes (NULL allowed when `len` is 0).
/// @param len their number.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_set_body(
    request: *mut ocireg_request,
    data: *const u8,
    len: usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live request, `len` bytes.
        let (r, data) = unsafe { (mut_arg(request, "request")?, bytes_arg(data, len, "data")?) };
        r.body = RequestBody::Bytes(Bytes::copy_from_slice(data));
        Ok(())
    })
}

/// Streams the body from a read callback, called on the thread of
/// `ocireg_client_request` while the request goes out. Such a request is
/// sent once: not retried, and a 401 is returned as it is.
///
/// @param request the request.
/// @param read the read callback.
/// @param userdata passed to `read`; it must stay valid while the request
///        is sent.
/// @param len the body's length, or `OCIREG_UNKNOWN_LENGTH` (sent chunked).
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_set_body_reader(
    request: *mut ocireg_request,
    read: ocireg_read_cb,
    userdata: *mut c_void,
    len: u64,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live request; the callback
        // and its userdata stay valid while the request is sent.
        let (r, reader) = unsafe { (mut_arg(request, "request")?, read_source(read, userdata)?) };
        let len = (len != OCIREG_UNKNOWN_LENGTH).then_some(len);
        r.body = RequestBody::Reader(reader, len);
        Ok(())
    })
}

/// Bounds the response body `ocireg_client_request` accepts: past `max`
/// bytes the call stops with `OCIREG_ERR_SIZE_EXCEEDED` before the write
/// callback sees the excess.
///
/// @param request the request.
/// @param max the most bytes, or 0 for no bound (the default).
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_set_max_response_body(
    request: *mut ocireg_request,
    max: u64,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live request.
        let r = unsafe { mut_arg(request, "request")? };
        r.max_body = (max != 0).then_some(max);
        Ok(())
    })
}

/// Frees a request.
///
/// @param request the request, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_request_free(request: *mut ocireg_request) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live handle, freed once.
        unsafe { free_handle(request) }
    });
}

/// Sends a raw request to a registry and streams the response body to
/// `write`. Any HTTP status is a success here: read it with
/// `ocireg_response_status` (the registry's errors are in the body).
///
/// @param client the client.
/// @param host the registry, `host[:port]`.
/// @param request the request (not consumed; it may be sent again).
/// @param write NULL to drop the body, or the write callback, called on
///        this thread.
/// @param userdata passed to `write`.
/// @param cancel NULL, or a signal that stops the call.
/// @param response_out receives the status and headers; free them with
///        `ocireg_response_free`.
/// @return `OCIREG_OK`; `OCIREG_ERR_SIZE_EXCEEDED` for a body past the
///         request's bound or headers past 256 or 64 KiB;
///         `OCIREG_ERR_ABORTED` when a callback stopped it; or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_request(
    client: *const ocireg_client,
    host: *const c_char,
    request: *mut ocireg_request,
    write: ocireg_write_cb,
    userdata: *mut c_void,
    cancel: *const ocireg_cancel,
    response_out: *mut *mut ocireg_response,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, a writable output; `write` (when set) is safe to call
        // with `userdata` during this call.
        let (out, c, host, r, sink) = unsafe {
            (
                out_arg(response_out, "response_out")?,
                client_for(client, cancel)?,
                str_arg(host, "host")?,
                mut_arg(request, "request")?,
                match write {
                    Some(_) => Some(write_sink(write, userdata)?),
                    None => None,
                },
            )
        };
        let mut response: RawResponse = match &mut r.body {
            RequestBody::None => c.raw_request(host, &r.inner, RawBody::empty())?,
            RequestBody::Bytes(data) => {
                c.raw_request(host, &r.inner, RawBody::bytes(data.clone()))?
            }
            RequestBody::Reader(reader, len) => {
                c.raw_request_from_reader(host, &r.inner, reader, *len)?
            }
        };
        let mut sink = sink;
        response.read_to(
            &mut |data| match &mut sink {
                Some(write) => write(data),
                None => Ok(()),
            },
            r.max_body,
        )?;
        out.write_handle(ocireg_response {
            status: response.status(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (c_string(n), c_string(v)))
                .collect(),
        });
        Ok(())
    })
}

/// The HTTP status of a response.
///
/// @param response the response.
/// @return the status, or 0 when `response` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_response_status(response: *const ocireg_response) -> u16 {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live handle.
        unsafe { get(response) }.map_or(0, |r| r.status)
    })
}

/// The number of headers of a response.
///
/// @param response the response.
/// @return the count, or 0 when `response` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_response_header_count(response: *const ocireg_response) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live handle.
        unsafe { get(response) }.map_or(0, |r| r.headers.len())
    })
}

/// The name (lower case) of header `index` of a response.
///
/// @param response the response.
/// @param index from 0 to the count less one.
/// @return the name, owned by the response (valid until it is freed), or
///         NULL for a NULL response or an index out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_response_header_name(
    response: *const ocireg_response,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live handle.
        unsafe { get(response) }
            .and_then(|r| r.headers.get(index))
            .map_or(ptr::null(), |(n, _)| n.as_ptr())
    })
}

/// The value of header `index` of a response (bytes that are not UTF-8
/// replaced).
///
/// @param response the response.
/// @param index from 0 to the count less one.
/// @return the value, owned by the response (valid until it is freed), or
///         NULL for a NULL response or an index out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_response_header_value(
    response: *const ocireg_response,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live handle.
        unsafe { get(response) }
            .and_then(|r| r.headers.get(index))
            .map_or(ptr::null(), |(_, v)| v.as_ptr())
    })
}

/// The first value of the header `name` (any case) of a response.
///
/// @param response the response.
/// @param name the header's name.
/// @return the value, owned by the response (valid until it is freed), or
///         NULL when there is none (or an argument is NULL or not UTF-8).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_response_header(
    response: *const ocireg_response,
    name: *const c_char,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live handle, NULL or
        // a C string.
        let (r, name) = unsafe { (get(response), str_arg(name, "name").ok()) };
        match (r, name) {
            (Some(r), Some(name)) => r
                .headers
                .iter()
                .find(|(n, _)| n.to_bytes().eq_ignore_ascii_case(name.as_bytes()))
                .map_or(ptr::null(), |(_, v)| v.as_ptr()),
            _ => ptr::null(),
        }
    })
}

/// Frees a response.
///
/// @param response the response, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_response_free(response: *mut ocireg_response) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live handle, freed once.
        unsafe { free_handle(response) }
    });
}
