//! `ocireg_upload`: a blob writer over a resumable upload session.

use std::ffi::{CString, c_char};
use std::ptr;

use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client, reference_arg};
use super::guard::{
    bytes_arg, guard, guard_value, mut_arg, opt_str_arg, out_arg, str_arg, write_out,
};
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
    /// A boxed writer for C.
    pub(crate) fn boxed(writer: BlobWriter) -> *mut ocireg_upload {
        Box::into_raw(Box::new(ocireg_upload {
            location: c_string(writer.location()),
            writer,
        }))
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

/// Opens an upload session in `repository` into `*upload_out`. The upload
/// keeps `cancel` (if any).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_upload_start(
    client: *const ocireg_client,
    repository: *const c_char,
    cancel: *const ocireg_cancel,
    upload_out: *mut *mut ocireg_upload,
) -> ocireg_status {
    guard(|| {
        out_arg(upload_out, "upload_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
            )
        };
        let writer = c.start_upload(&r)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(upload_out, ocireg_upload::boxed(writer)) };
        Ok(())
    })
}

/// Picks up a suspended session from its `location` (from
/// `ocireg_upload_suspend`), asking the registry how much it holds.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_upload_resume(
    client: *const ocireg_client,
    repository: *const c_char,
    location: *const c_char,
    cancel: *const ocireg_cancel,
    upload_out: *mut *mut ocireg_upload,
) -> ocireg_status {
    guard(|| {
        out_arg(upload_out, "upload_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r, location) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                str_arg(location, "location")?,
            )
        };
        let writer = c.resume_upload(&r, location)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(upload_out, ocireg_upload::boxed(writer)) };
        Ok(())
    })
}

/// Appends `len` bytes; full chunks are sent as they fill.
///
/// # Safety
/// `upload` is NULL or live; `data` has `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_write(
    upload: *mut ocireg_upload,
    data: *const u8,
    len: usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (u, data) = unsafe { (mut_arg(upload, "upload")?, bytes_arg(data, len, "data")?) };
        Ok(u.call(|w| w.write(data))?)
    })
}

/// How many bytes the registry holds (buffered bytes not included).
///
/// # Safety
/// `upload` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_offset(upload: *const ocireg_upload) -> u64 {
    // SAFETY: NULL or live.
    guard_value(0, || {
        unsafe { upload.as_ref() }
            .map(|u| u.writer.offset())
            .unwrap_or(0)
    })
}

/// The session's URL (owned by the upload; valid until its next call).
///
/// # Safety
/// `upload` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_location(upload: *const ocireg_upload) -> *const c_char {
    // SAFETY: NULL or live.
    guard_value(ptr::null(), || {
        unsafe { upload.as_ref() }
            .map(|u| u.location.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// Sends what is buffered and leaves the session on the registry:
/// `*location_out` (free with `ocireg_string_free`) and `*offset_out` are
/// what `ocireg_client_upload_resume` needs. The handle is spent; free it.
///
/// # Safety
/// `upload` is NULL or live; outputs are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_suspend(
    upload: *mut ocireg_upload,
    location_out: *mut *mut c_char,
    offset_out: *mut u64,
) -> ocireg_status {
    guard(|| {
        out_arg(location_out, "location_out")?;
        out_arg(offset_out, "offset_out")?;
        // SAFETY: NULL or live, this thread only.
        let u = unsafe { mut_arg(upload, "upload") }?;
        u.call(BlobWriter::suspend)?;
        // SAFETY: checked non-NULL above.
        unsafe {
            write_out(location_out, into_c_string(u.writer.location()));
            write_out(offset_out, u.writer.offset());
        }
        Ok(())
    })
}

/// Sends what is buffered and creates the blob. `digest` is the expected
/// digest, or NULL to use the digest of the bytes written through this
/// handle (not possible for a resumed upload). `*digest_out` (may be NULL)
/// gets the digest. After success the handle is spent (free it); after a
/// failure it is still usable, so the commit can be tried again.
///
/// # Safety
/// `upload` is NULL or live; strings NUL-terminated; outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_commit(
    upload: *mut ocireg_upload,
    digest: *const c_char,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (u, expected) = unsafe { (mut_arg(upload, "upload")?, opt_str_arg(digest, "digest")?) };
        let expected = expected.map(Digest::parse).transpose()?;
        // A failed commit leaves the writer usable: it can be retried (or
        // given a digest).
        let digest = u.call(|w| w.finish(expected.as_ref()))?;
        if !digest_out.is_null() {
            // SAFETY: non-NULL, writable.
            unsafe { write_out(digest_out, into_c_string(digest.as_str())) };
        }
        Ok(())
    })
}

/// Frees the handle; an upload neither committed nor suspended is
/// cancelled on the registry (best effort). NULL is a no-op.
///
/// # Safety
/// `upload` is NULL or live and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_upload_free(upload: *mut ocireg_upload) {
    guard_value((), || {
        if !upload.is_null() {
            // SAFETY: made by Box::into_raw in boxed; freed once. Dropping
            // an open writer cancels its upload.
            drop(unsafe { Box::from_raw(upload) });
        }
    })
}
