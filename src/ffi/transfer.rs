//! Blob transfers: downloads through a write callback or a reader handle,
//! uploads through a read callback, and cross-repository mounts.

use std::ffi::{c_char, c_int, c_void};

use super::cancel::ocireg_cancel;
use super::client::{client_for, digest_arg, ocireg_client, reference_arg};
use super::guard::{FfiError, guard, guard_value, mut_arg, out_arg, str_arg, write_out};
use super::lists::into_c_string;
use super::status::ocireg_status;
use super::upload::ocireg_upload;
use crate::blocking::BlobReader;
use crate::error::{Error, ErrorKind};

/// Receives downloaded bytes: `data` holds `len` bytes, borrowed for the
/// call. Return 0 to go on, non-zero to stop with `OCIREG_ERR_ABORTED`.
/// Called on the caller's thread.
pub type ocireg_write_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> c_int>;

/// Supplies bytes to upload: fill up to `cap` bytes of `buf`, store the
/// count in `*len_out` (0 at the end) and return 0; non-zero stops with
/// `OCIREG_ERR_ABORTED`. Called on the caller's thread.
pub type ocireg_read_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        buf: *mut u8,
        cap: usize,
        len_out: *mut usize,
    ) -> c_int,
>;

/// Reports progress: `done` bytes so far of `total` (0 when unknown).
/// Return 0 to go on, non-zero to stop with `OCIREG_ERR_ABORTED`.
pub type ocireg_progress_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, done: u64, total: u64) -> c_int>;

/// A write callback as a sink of byte slices.
fn write_sink(
    write: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> c_int,
    userdata: *mut c_void,
) -> impl FnMut(&[u8]) -> crate::error::Result<()> {
    move |data: &[u8]| {
        // SAFETY: the caller's callback, called with its userdata and a
        // buffer that lives for the call.
        match unsafe { write(userdata, data.as_ptr(), data.len()) } {
            0 => Ok(()),
            _ => Err(aborted("write")),
        }
    }
}

fn aborted(what: &str) -> Error {
    Error::new(
        ErrorKind::Aborted,
        format!("the {what} callback returned non-zero"),
    )
}

/// Downloads blob `digest` of `repository`, verified, into `write` (with
/// `write_userdata`), reporting to `progress` (NULL for none). Success means
/// every byte was delivered and the digest checked out.
///
/// # Safety
/// Pointers are NULL or valid; the callbacks are safe to call with their userdata.
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
        let write = write.ok_or(FfiError::Null("write"))?;
        // SAFETY: forwarded from the caller.
        let (c, r, d) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        let mut sink = write_sink(write, write_userdata);
        let mut report = |done: u64, total: u64| match progress {
            // SAFETY: the caller's callback with its userdata.
            Some(p) => (unsafe { p(progress_userdata, done, total) }) == 0,
            None => true,
        };
        c.get_blob_to(&r, &d, &mut sink, &mut report)?;
        Ok(())
    })
}

/// Downloads `length` bytes (0: to the end) from `offset` of blob `digest`
/// into `write`. Partial reads are not verified.
///
/// # Safety
/// Pointers are NULL or valid; the callback is safe to call with its userdata.
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
        let write = write.ok_or(FfiError::Null("write"))?;
        // SAFETY: forwarded from the caller.
        let (c, r, d) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        let mut sink = write_sink(write, write_userdata);
        c.get_blob_range_to(&r, &d, offset, (length > 0).then_some(length), &mut sink)?;
        Ok(())
    })
}

/// A blob download read piece by piece with `ocireg_blob_reader_read`.
/// One thread at a time.
pub struct ocireg_blob_reader {
    inner: BlobReader,
}

/// Opens blob `digest` of `repository` for reading into `*reader_out`.
/// The reader keeps `cancel` (if any): cancelling it stops reads.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_open(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    cancel: *const ocireg_cancel,
    reader_out: *mut *mut ocireg_blob_reader,
) -> ocireg_status {
    guard(|| {
        out_arg(reader_out, "reader_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r, d) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        let inner = c.get_blob(&r, &d)?;
        // SAFETY: checked non-NULL above.
        unsafe {
            write_out(
                reader_out,
                Box::into_raw(Box::new(ocireg_blob_reader { inner })),
            )
        };
        Ok(())
    })
}

/// Reads up to `cap` bytes into `buf`; `*len_out` gets the count. A count
/// of 0 with `OCIREG_OK` is the end, reported only after the digest
/// checked out; a mismatch is `OCIREG_ERR_DIGEST_MISMATCH` from this call.
///
/// # Safety
/// `reader` is NULL or live; `buf` has `cap` writable bytes; `len_out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_blob_reader_read(
    reader: *mut ocireg_blob_reader,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> ocireg_status {
    guard(|| {
        out_arg(len_out, "len_out")?;
        // SAFETY: NULL or live, used by this thread only.
        let reader = unsafe { mut_arg(reader, "reader") }?;
        if cap == 0 {
            // SAFETY: checked non-NULL above.
            unsafe { write_out(len_out, 0) };
            return Ok(());
        }
        if buf.is_null() {
            return Err(FfiError::Null("buf"));
        }
        // SAFETY: non-NULL with `cap` writable bytes, as promised.
        let out = unsafe { std::slice::from_raw_parts_mut(buf, cap) };
        let n = reader.inner.read_into(out)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(len_out, n) };
        Ok(())
    })
}

/// The blob's size when known (from the registry), else 0 (which an empty
/// blob also reports).
///
/// # Safety
/// `reader` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_blob_reader_size(reader: *const ocireg_blob_reader) -> u64 {
    // SAFETY: NULL or live.
    guard_value(0, || {
        unsafe { reader.as_ref() }
            .and_then(|r| r.inner.size())
            .unwrap_or(0)
    })
}

/// Closes a reader (an unfinished download is dropped); NULL is a no-op.
///
/// # Safety
/// `reader` is NULL or live and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_blob_reader_free(reader: *mut ocireg_blob_reader) {
    guard_value((), || {
        if !reader.is_null() {
            // SAFETY: made by Box::into_raw in ocireg_client_blob_open; freed once.
            drop(unsafe { Box::from_raw(reader) });
        }
    })
}

/// Uploads everything `read` supplies into `repository` in chunks,
/// reporting to `progress` (NULL for none); `*digest_out` (may be NULL)
/// gets the digest, which the registry verified.
///
/// # Safety
/// Pointers are NULL or valid; the callbacks are safe to call with their userdata.
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
        let read = read.ok_or(FfiError::Null("read"))?;
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
            )
        };
        let mut source = CallbackReader {
            read,
            userdata: read_userdata,
        };
        let mut report = |done: u64| match progress {
            // SAFETY: the caller's callback with its userdata.
            Some(p) => (unsafe { p(progress_userdata, done, 0) }) == 0,
            None => true,
        };
        let digest = c.push_blob_with_progress(&r, &mut source, &mut report)?;
        if !digest_out.is_null() {
            // SAFETY: non-NULL, writable.
            unsafe { write_out(digest_out, into_c_string(digest.as_str())) };
        }
        Ok(())
    })
}

/// A read callback as a `std::io::Read`.
struct CallbackReader {
    read: unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> c_int,
    userdata: *mut c_void,
}

impl std::io::Read for CallbackReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0usize;
        // SAFETY: the caller's callback, given a buffer of buf.len() writable bytes.
        let rc = unsafe { (self.read)(self.userdata, buf.as_mut_ptr(), buf.len(), &mut n) };
        if rc != 0 {
            return Err(std::io::Error::other(aborted("read")));
        }
        Ok(n.min(buf.len()))
    }
}

/// Asks the registry to link blob `digest` from repository `from` (same
/// registry, a repository path) into `repository`. `*mounted_out` is 1 when
/// it did; otherwise 0 and, when `upload_out` is not NULL, `*upload_out`
/// gets the upload session the registry opened instead (else it is
/// cancelled, best effort).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
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
        out_arg(mounted_out, "mounted_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r, d, from) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
                str_arg(from, "from")?,
            )
        };
        let session = c.mount_blob(&r, &d, from)?;
        let mounted = session.is_none();
        match session {
            Some(s) if !upload_out.is_null() => {
                // SAFETY: non-NULL, writable.
                unsafe { write_out(upload_out, ocireg_upload::boxed(s)) };
            }
            // Best effort: the registry also expires unused sessions.
            Some(s) => {
                let _ = s.cancel();
            }
            None => {}
        }
        // SAFETY: checked non-NULL above.
        unsafe { write_out(mounted_out, c_int::from(mounted)) };
        Ok(())
    })
}
