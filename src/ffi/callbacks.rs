//! The C callbacks of streaming calls, and their Rust faces: a write
//! callback as a sink of byte slices, a read callback as `std::io::Read`,
//! a progress callback as a function that says whether to go on.

use std::ffi::{c_int, c_void};

use super::guard::{FfiError, FfiResult};
use crate::error::{Error, ErrorKind};

/// Receives downloaded bytes.
///
/// @param userdata the pointer given with the callback, passed through.
/// @param data `len` bytes, borrowed for the length of this call only.
/// @param len the number of bytes in `data`.
/// @return 0 to go on; non-zero stops the call with `OCIREG_ERR_ABORTED`.
pub type ocireg_write_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> c_int>;

/// Supplies bytes to upload.
///
/// @param userdata the pointer given with the callback, passed through.
/// @param buf where to put up to `cap` bytes (owned by ocireg; valid for
///        this call only).
/// @param cap the room in `buf`.
/// @param len_out receives the number of bytes put in `buf`; 0 means the end.
///        More than `cap` is an error: the call stops with
///        `OCIREG_ERR_INVALID_ARGUMENT` (the bytes cannot be trusted).
/// @return 0 to go on; non-zero stops the call with `OCIREG_ERR_ABORTED`.
pub type ocireg_read_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        buf: *mut u8,
        cap: usize,
        len_out: *mut usize,
    ) -> c_int,
>;

/// Reports the progress of a transfer.
///
/// @param userdata the pointer given with the callback, passed through.
/// @param done the bytes moved so far.
/// @param total the bytes to move, or 0 when unknown.
/// @return 0 to go on; non-zero stops the call with `OCIREG_ERR_ABORTED`.
pub type ocireg_progress_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, done: u64, total: u64) -> c_int>;

/// The error of a callback that asked to stop.
pub fn aborted(what: &str) -> Error {
    Error::new(
        ErrorKind::Aborted,
        format!("the {what} callback returned non-zero"),
    )
}

/// A required write callback as a sink of byte slices.
///
/// # Safety
/// `write`, when not NULL, is safe to call with `userdata` and a buffer for
/// as long as the sink lives.
pub unsafe fn write_sink(
    write: ocireg_write_cb,
    userdata: *mut c_void,
) -> FfiResult<impl FnMut(&[u8]) -> crate::error::Result<()>> {
    let write = write.ok_or(FfiError::Null("write"))?;
    Ok(move |data: &[u8]| {
        // SAFETY: the caller's callback, called with its userdata and a
        // buffer that lives for the call, as promised to write_sink.
        match unsafe { write(userdata, data.as_ptr(), data.len()) } {
            0 => Ok(()),
            _ => Err(aborted("write")),
        }
    })
}

/// An optional progress callback as a function that says whether to go on
/// (always, when NULL).
///
/// # Safety
/// `progress`, when not NULL, is safe to call with `userdata` for as long
/// as the function lives.
pub unsafe fn progress_fn(
    progress: ocireg_progress_cb,
    userdata: *mut c_void,
) -> impl FnMut(u64, u64) -> bool {
    move |done, total| match progress {
        // SAFETY: the caller's callback with its userdata, as promised to
        // progress_fn.
        Some(p) => (unsafe { p(userdata, done, total) }) == 0,
        None => true,
    }
}

/// A required read callback as a `std::io::Read`.
///
/// # Safety
/// `read`, when not NULL, is safe to call with `userdata` and a buffer for
/// as long as the reader lives.
pub unsafe fn read_source(
    read: ocireg_read_cb,
    userdata: *mut c_void,
) -> FfiResult<CallbackReader> {
    let read = read.ok_or(FfiError::Null("read"))?;
    Ok(CallbackReader { read, userdata })
}

/// A read callback as a `std::io::Read` (made by [`read_source`]).
pub struct CallbackReader {
    read: unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> c_int,
    userdata: *mut c_void,
}

impl std::io::Read for CallbackReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0usize;
        // SAFETY: the caller's callback (promised to read_source), given a
        // buffer of buf.len() writable bytes and a writable count.
        let rc = unsafe { (self.read)(self.userdata, buf.as_mut_ptr(), buf.len(), &raw mut n) };
        if rc != 0 {
            return Err(std::io::Error::other(aborted("read")));
        }
        if n > buf.len() {
            return Err(std::io::Error::other(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the read callback claimed {n} bytes in a buffer of {}",
                    buf.len()
                ),
            )));
        }
        Ok(n)
    }
}
