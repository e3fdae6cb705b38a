//! `ocireg_upload`: a blob writer over a resumable upload session.

use std::ffi::{CString, c_char};
use std::ptr;

use bytes::{Bytes, BytesMut};

use super::args::{bytes_arg, opt_str_arg, reference_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{FfiError, FfiResult, guard, guard_value};
use super::handle::{mut_arg, opt_out_arg, out_arg};
use super::last_error::c_string;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::blocking::UploadSession;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind};

/// An upload session used as a writer: `ocireg_upload_write` buffers bytes
/// and sends them in chunks, `ocireg_upload_commit` creates the blob,
/// `ocireg_upload_suspend` keeps the session on the registry for
/// `ocireg_client_upload_resume`, and `ocireg_upload_free` of an upload that
/// was neither committed nor suspended cancels it. One thread at a time.
pub struct ocireg_upload {
    session: Option<UploadSession>,
    buffer: BytesMut,
    chunk_size: usize,
    location: CString,
}

impl ocireg_upload {
    /// A boxed writer for C.
    pub(crate) fn boxed(session: UploadSession, chunk_size: usize) -> *mut ocireg_upload {
        let chunk_size = match session.min_chunk_size() {
            Some(min) => chunk_size.max(min.min(usize::MAX as u64) as usize),
            None => chunk_size,
        };
        Box::into_raw(Box::new(ocireg_upload {
            location: c_string(session.location()),
            session: Some(session),
            buffer: BytesMut::new(),
            chunk_size,
        }))
    }

    fn session(&mut self) -> FfiResult<&mut UploadSession> {
        self.session.as_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                "the upload was already committed or suspended",
            )
            .into()
        })
    }

    /// Sends the buffered bytes as one chunk.
    fn flush(&mut self) -> FfiResult {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk: Bytes = self.buffer.split().freeze();
        let session = self.session()?;
        session.write_chunk(chunk)?;
        let location = c_string(session.location());
        self.location = location;
        Ok(())
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
        // SAFETY: forwarded from the caller.
        let (out, c, r) = unsafe {
            (
                out_arg(upload_out, "upload_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
            )
        };
        let session = c.start_upload(&r)?;
        let chunk = c.as_async().options().upload_chunk_size;
        out.write(ocireg_upload::boxed(session, chunk));
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
        // SAFETY: forwarded from the caller.
        let (out, c, r, location) = unsafe {
            (
                out_arg(upload_out, "upload_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                str_arg(location, "location")?,
            )
        };
        let session = c.resume_upload(&r, location)?;
        let chunk = c.as_async().options().upload_chunk_size;
        out.write(ocireg_upload::boxed(session, chunk));
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
        let (u, mut data) = unsafe { (mut_arg(upload, "upload")?, bytes_arg(data, len, "data")?) };
        u.session()?;
        while !data.is_empty() {
            let room = u.chunk_size - u.buffer.len();
            let take = room.min(data.len());
            u.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if u.buffer.len() >= u.chunk_size {
                u.flush()?;
            }
        }
        Ok(())
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
            .and_then(|u| u.session.as_ref())
            .map(|s| s.offset())
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
        // SAFETY: NULL or live, this thread only; outputs writable.
        let (location_out, offset_out, u) = unsafe {
            (
                out_arg(location_out, "location_out")?,
                out_arg(offset_out, "offset_out")?,
                mut_arg(upload, "upload")?,
            )
        };
        u.flush()?;
        let session = u.session.take().ok_or(FfiError::Core(Error::new(
            ErrorKind::InvalidArgument,
            "the upload was already committed or suspended",
        )))?;
        location_out.write(into_c_string(session.location()));
        offset_out.write(session.offset());
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
        let (u, expected, out) = unsafe {
            (
                mut_arg(upload, "upload")?,
                opt_str_arg(digest, "digest")?,
                opt_out_arg(digest_out),
            )
        };
        let expected = expected.map(Digest::parse).transpose()?;
        u.flush()?;
        // The session stays with the handle until the registry accepted the
        // commit: a failed commit can be retried (or given a digest).
        let digest = u.session()?.finish(expected.as_ref())?;
        u.session = None;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
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
            // SAFETY: made by Box::into_raw in boxed; freed once.
            let u = unsafe { Box::from_raw(upload) };
            if let Some(session) = u.session {
                // Best effort: the registry also expires abandoned sessions.
                let _ = session.cancel();
            }
        }
    })
}
