//! Blobs: head, delete, push (from memory or a read callback), download
//! (whole and verified, or a range) through a write callback, and
//! cross-repository mounts. The reader handle is in `blob_reader`, the
//! writer handle in `upload`.

use std::ffi::{c_char, c_int, c_void};

use bytes::Bytes;

use super::args::{bytes_arg, digest_arg, reference_arg, str_arg};
use super::callbacks::{
    ocireg_progress_cb, ocireg_read_cb, ocireg_write_cb, progress_fn, read_source, write_sink,
};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::{opt_out_arg, out_arg};
use super::lists::into_c_string;
use super::status::ocireg_status;
use super::upload::ocireg_upload;

/// Asks for the size of a blob.
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param digest the blob's digest, `algorithm:hex`.
/// @param cancel NULL, or a signal that stops the call.
/// @param size_out receives the size in bytes.
/// @return `OCIREG_OK`; `OCIREG_ERR_NOT_FOUND` when the blob is absent; or
///         another error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_head(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    cancel: *const ocireg_cancel,
    size_out: *mut u64,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, d) = unsafe {
            (
                out_arg(size_out, "size_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        out.write(c.head_blob(&r, &d)?.size);
        Ok(())
    })
}

/// Deletes a blob from a repository.
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param digest the blob's digest.
/// @param cancel NULL, or a signal that stops the call.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_delete(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C strings.
        let (c, r, d) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        Ok(c.delete_blob(&r, &d)?)
    })
}

/// Uploads bytes held in memory as one blob (POST, then PUT).
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param data the blob's bytes.
/// @param len the number of bytes in `data`.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the blob's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_push(
    client: *const ocireg_client,
    repository: *const c_char,
    data: *const u8,
    len: usize,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, readable buffers, writable outputs.
        let (c, r, bytes, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                bytes_arg(data, len, "data")?,
                opt_out_arg(digest_out),
            )
        };
        let digest = c.push_blob(&r, Bytes::copy_from_slice(bytes))?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Downloads a whole blob into a write callback, verifying it.
///
/// Success means every byte was delivered and the digest checked out; on a
/// failure, bytes already delivered are not taken back.
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param digest the blob's digest.
/// @param write receives the bytes, in order, on the calling thread.
/// @param write_userdata passed to `write`.
/// @param progress receives progress (total: the blob's size when known),
///        or NULL.
/// @param progress_userdata passed to `progress`.
/// @param cancel NULL, or a signal that stops the call.
/// @return `OCIREG_OK`; `OCIREG_ERR_DIGEST_MISMATCH` when the bytes did not
///         hash to `digest`; `OCIREG_ERR_ABORTED` when a callback asked to
///         stop; or another error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_get(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    write: ocireg_write_cb,
    write_userdata: *mut c_void,
    progress: ocireg_progress_cb,
    progress_userdata: *mut c_void,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call with their userdata.
        let (mut sink, mut report, c, r, d) = unsafe {
            (
                write_sink(write, write_userdata)?,
                progress_fn(progress, progress_userdata),
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        c.get_blob_to(&r, &d, &mut sink, &mut report)?;
        Ok(())
    })
}

/// Downloads part of a blob into a write callback. Partial reads are not
/// verified.
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param digest the blob's digest.
/// @param offset the first byte to send.
/// @param length how many bytes to send, or 0 (or `UINT64_MAX`, or any
///        length with `offset + length` at or past `UINT64_MAX`) for all to
///        the end.
/// @param write receives the bytes, in order, on the calling thread.
/// @param write_userdata passed to `write`.
/// @param cancel NULL, or a signal that stops the call.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_ABORTED` when `write`
///         asked to stop).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_get_range(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    offset: u64,
    length: u64,
    write: ocireg_write_cb,
    write_userdata: *mut c_void,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, a callback safe to call with its userdata.
        let (mut sink, c, r, d) = unsafe {
            (
                write_sink(write, write_userdata)?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        c.get_blob_range_to(&r, &d, offset, (length > 0).then_some(length), &mut sink)?;
        Ok(())
    })
}

/// Uploads everything a read callback supplies as one blob, in chunks.
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param read supplies the bytes, on the calling thread, until it reports 0.
/// @param read_userdata passed to `read`.
/// @param progress receives the bytes sent so far (total 0), or NULL.
/// @param progress_userdata passed to `progress`.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the blob's digest, which the registry
///        verified (free it with `ocireg_string_free`), or NULL when not
///        wanted.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_ABORTED` when a callback
///         asked to stop).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_push_from(
    client: *const ocireg_client,
    repository: *const c_char,
    read: ocireg_read_cb,
    read_userdata: *mut c_void,
    progress: ocireg_progress_cb,
    progress_userdata: *mut c_void,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call with their userdata, writable
        // outputs.
        let (mut source, mut report, c, r, out) = unsafe {
            (
                read_source(read, read_userdata)?,
                progress_fn(progress, progress_userdata),
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                opt_out_arg(digest_out),
            )
        };
        let digest = c.push_blob_with_progress(&r, &mut source, &mut |done| report(done, 0))?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Asks the registry to link a blob from another repository of the same
/// registry, so that it need not be uploaded.
///
/// @param client the client.
/// @param repository a reference naming the repository to link into.
/// @param digest the blob's digest.
/// @param from the repository path (no registry) holding the blob.
/// @param cancel NULL, or a signal that stops the call.
/// @param mounted_out receives 1 when the blob was linked, else 0.
/// @param upload_out when the registry opened an upload session instead:
///        receives it (free it with `ocireg_upload_free`); NULL to have
///        that session cancelled (best effort). Untouched when mounted.
/// @return `OCIREG_OK` (mounted or not), or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_mount(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    from: *const c_char,
    cancel: *const ocireg_cancel,
    mounted_out: *mut c_int,
    upload_out: *mut *mut ocireg_upload,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (mounted_out, c, r, d, from, upload_out) = unsafe {
            (
                out_arg(mounted_out, "mounted_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
                str_arg(from, "from")?,
                opt_out_arg(upload_out),
            )
        };
        let session = c.mount_blob(&r, &d, from)?;
        let mounted = session.is_none();
        match (session, upload_out) {
            (Some(s), Some(out)) => {
                out.write(ocireg_upload::boxed(s));
            }
            // Best effort: the registry also expires unused sessions.
            (Some(s), None) => {
                let _ = s.cancel();
            }
            (None, _) => {}
        }
        mounted_out.write(c_int::from(mounted));
        Ok(())
    })
}
