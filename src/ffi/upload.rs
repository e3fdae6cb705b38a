//! `ocireg_upload`: a blob writer over a resumable upload session.

use std::ffi::{CString, c_char};
use std::ptr;

use super::args::{bytes_arg, opt_str_arg, reference_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, mut_arg, opt_out_arg, out_arg};
use super::last_error::c_string;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::blocking::BlobWriter;
use crate::digest::Digest;
use crate::error::Result;

/// An upload session used as a writer: `ocireg_upload_write` buffers bytes
/// and sends them in chunks, `ocireg_upload_commit` creates the blob,
/// `ocireg_upload_suspend` keeps the session on the registry for
/// `ocireg_client_upload_resume`, and `ocireg_upload_free` of an upload that
/// was neither committed nor suspended cancels it. One thread at a time.
pub struct ocireg_upload {
    writer: BlobWriter,
    /// The writer's location as a C string.
    location: CString,
}

impl ocireg_upload {
    /// A writer handle for C.
    pub(crate) fn boxed(writer: BlobWriter) -> *mut ocireg_upload {
        into_handle(ocireg_upload {
            location: c_string(writer.location()),
            writer,
        })
    }

    /// Runs `op` on the writer, then keeps the C copy of its location
    /// current (the registry may move it).
    fn call<T>(&mut self, op: impl FnOnce(&mut BlobWriter) -> Result<T>) -> Result<T> {
        let result = op(&mut self.writer);
        if self.location.as_bytes() != self.writer.location().as_bytes() {
            self.location = c_string(self.writer.location());
        }
        result
    }
}

/// Opens an upload session in a repository. Bytes written are sent in
/// chunks of the client's upload chunk size (raised to the registry's
/// minimum, at most 64 MiB).
///
/// @param client the client.
/// @param repository a reference naming the repository.
/// @param cancel NULL, or a signal the upload keeps for all its calls.
/// @param upload_out receives the upload; free it with `ocireg_upload_free`.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_upload_start(
    client: *const ocireg_client,
    repository: *const c_char,
    cancel: *const ocireg_cancel,
    upload_out: *mut *mut ocireg_upload,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(upload_out, "upload_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
            )
        };
        out.write(ocireg_upload::boxed(c.start_upload(&r)?));
        Ok(())
    })
}

/// Picks up a suspended session, asking the registry how much it holds.
///
/// @param client the client.
/// @param repository a reference naming the repository of the session.
/// @param location the session's URL, from `ocireg_upload_suspend`.
/// @param cancel NULL, or a signal the upload keeps for all its calls.
/// @param upload_out receives the upload; free it with `ocireg_upload_free`.
/// @return `OCIREG_OK`, or the error (also when the registry has dropped
///         the session).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_upload_resume(
    client: *const ocireg_client,
    repository: *const c_char,
    location: *const c_char,
    cancel: *const ocireg_cancel,
    upload_out: *mut *mut ocireg_upload,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, location) = unsafe {
            (
                out_arg(upload_out, "upload_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                str_arg(location, "location")?,
            )
        };
        out.write(ocireg_upload::boxed(c.resume_upload(&r, location)?));
        Ok(())
    })
}

/// Appends bytes to the blob; full chunks are sent as they fill.
///
/// @param upload the upload.
/// @param data `len` bytes (may be NULL when `len` is 0).
/// @param len how many bytes.
/// @return `OCIREG_OK`, or the error; a failed chunk stays buffered and is
///         sent again (from what the registry reports) by the next call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_write(
    upload: *mut ocireg_upload,
    data: *const u8,
    len: usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live handle used by this
        // thread only, `len` readable bytes.
        let (u, data) = unsafe { (mut_arg(upload, "upload")?, bytes_arg(data, len, "data")?) };
        Ok(u.call(|w| w.write(data))?)
    })
}

/// How many bytes the registry holds (bytes still buffered not included).
///
/// @param upload the upload, or NULL.
/// @return the byte count, 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_offset(upload: *const ocireg_upload) -> u64 {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live handle.
        let upload = unsafe { get(upload) };
        upload.map_or(0, |u| u.writer.offset())
    })
}

/// The session's URL.
///
/// @param upload the upload, or NULL.
/// @return the URL, owned by the upload and valid until its next call; NULL
///         for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_location(upload: *const ocireg_upload) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live handle.
        let upload = unsafe { get(upload) };
        upload.map_or(ptr::null(), |u| u.location.as_ptr())
    })
}

/// Sends what is buffered and leaves the session on the registry, to be
/// picked up with `ocireg_client_upload_resume`. The handle is spent
/// afterwards: free it.
///
/// @param upload the upload.
/// @param location_out receives the session's URL; free it with
///        `ocireg_string_free`.
/// @param offset_out receives how many bytes the registry holds.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_suspend(
    upload: *mut ocireg_upload,
    location_out: *mut *mut c_char,
    offset_out: *mut u64,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live handle used by this
        // thread only, writable outputs.
        let (location_out, offset_out, u) = unsafe {
            (
                out_arg(location_out, "location_out")?,
                out_arg(offset_out, "offset_out")?,
                mut_arg(upload, "upload")?,
            )
        };
        u.call(BlobWriter::suspend)?;
        location_out.write(into_c_string(u.writer.location()));
        offset_out.write(u.writer.offset());
        Ok(())
    })
}

/// Sends what is buffered and creates the blob. After success the handle is
/// spent (free it); after a failure it is still usable, so the commit can
/// be tried again.
///
/// @param upload the upload.
/// @param digest the expected digest, or NULL for the digest of the bytes
///        written through this handle (not possible for a resumed upload).
/// @param digest_out NULL, or receives the blob's digest; free it with
///        `ocireg_string_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_DIGEST_MISMATCH` before
///         anything is committed when the bytes do not match `digest`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_commit(
    upload: *mut ocireg_upload,
    digest: *const c_char,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: a live handle used by this
        // thread only, C strings, writable outputs.
        let (u, expected, out) = unsafe {
            (
                mut_arg(upload, "upload")?,
                opt_str_arg(digest, "digest")?,
                opt_out_arg(digest_out),
            )
        };
        let expected = expected.map(Digest::parse).transpose()?;
        let digest = u.call(|w| w.finish(expected.as_ref()))?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Frees an upload; one neither committed nor suspended is cancelled on the
/// registry (best effort: a `DELETE` waited for at most 5 seconds, even when
/// the client's timeouts are 0 or its cancel handle has fired).
///
/// @param upload the upload, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_free(upload: *mut ocireg_upload) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live handle, freed
        // once. Dropping an open writer cancels its upload.
        unsafe { free_handle(upload) }
    });
}
