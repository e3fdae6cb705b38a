//! `ocireg_blob_reader`: a blob download read piece by piece.

use std::ffi::c_char;

use super::args::{buf_arg, digest_arg, reference_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, mut_arg, out_arg};
use super::status::ocireg_status;
use crate::blocking::BlobReader;

/// A blob download read piece by piece with `ocireg_blob_reader_read`,
/// verified as it is read. Made by `ocireg_client_blob_open`, freed by
/// `ocireg_blob_reader_free`. One thread at a time.
pub struct ocireg_blob_reader {
    inner: BlobReader,
}

/// Opens a blob for reading.
///
/// @param client the client (the reader keeps what it needs of it).
/// @param repository a reference naming the repository.
/// @param digest the blob's digest.
/// @param cancel NULL, or a signal the reader keeps: cancelling it stops
///        reads with `OCIREG_ERR_CANCELLED`.
/// @param reader_out receives the reader; free it with
///        `ocireg_blob_reader_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_NOT_FOUND` for an
///         absent blob).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_open(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    cancel: *const ocireg_cancel,
    reader_out: *mut *mut ocireg_blob_reader,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, d) = unsafe {
            (
                out_arg(reader_out, "reader_out")?,
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        out.write_handle(ocireg_blob_reader {
            inner: c.get_blob(&r, &d)?,
        });
        Ok(())
    })
}

/// Reads the next bytes of the blob.
///
/// @param reader the reader.
/// @param buf where to put up to `cap` bytes (NULL allowed when `cap` is 0).
/// @param cap the room in `buf`.
/// @param len_out receives the number of bytes read. 0 with `OCIREG_OK`
///        is the end, reported only after the digest checked out.
/// @return `OCIREG_OK`; `OCIREG_ERR_DIGEST_MISMATCH` at the end when the
///         bytes did not hash to the digest; or another error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_blob_reader_read(
    reader: *mut ocireg_blob_reader,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles used by
        // one thread, writable buffers and outputs.
        let (out, reader, buf) = unsafe {
            (
                out_arg(len_out, "len_out")?,
                mut_arg(reader, "reader")?,
                buf_arg(buf, cap, "buf")?,
            )
        };
        if buf.is_empty() {
            out.write(0);
            return Ok(());
        }
        out.write(reader.inner.read_into(buf)?);
        Ok(())
    })
}

/// The blob's size, when the registry gave it.
///
/// @param reader the reader, or NULL.
/// @return the size in bytes; 0 when unknown, for an empty blob, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_blob_reader_size(reader: *const ocireg_blob_reader) -> u64 {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live reader.
        let reader = unsafe { get(reader) };
        reader.and_then(|r| r.inner.size()).unwrap_or(0)
    })
}

/// Closes a reader; an unfinished download is dropped.
///
/// @param reader the reader, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_blob_reader_free(reader: *mut ocireg_blob_reader) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live reader, freed once.
        unsafe { free_handle(reader) }
    });
}
