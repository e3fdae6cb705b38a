//! Values the library hands out: strings, string lists and contents
//! (manifests and configs); the referrers' descriptor list is in
//! `referrers.rs`. Each goes back through its own `_free`.

use std::ffi::{CString, c_char};
use std::ptr;

use bytes::Bytes;

use super::guard::guard_value;
use super::handle::{free_handle, get, into_handle, opt_out_arg};
use super::last_error::c_string;
use crate::digest::Digest;

/// Moves `text` into a C string the caller frees with `ocireg_string_free`.
pub fn into_c_string(text: &str) -> *mut c_char {
    c_string(text).into_raw()
}

/// Frees a string ocireg returned (such as a digest).
///
/// @param s the string, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: the header's conventions: a string from
            // into_c_string (CString::into_raw), freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    });
}

/// A list of strings (tags, repositories). Freed by
/// `ocireg_string_list_free`. One thread at a time.
pub struct ocireg_string_list {
    items: Vec<CString>,
}

impl ocireg_string_list {
    /// A new list handle for C.
    pub fn boxed(items: Vec<String>) -> *mut ocireg_string_list {
        into_handle(ocireg_string_list {
            items: items.iter().map(|s| c_string(s)).collect(),
        })
    }
}

/// The number of strings in a list.
///
/// @param list the list, or NULL.
/// @return the number of strings; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_list_len(list: *const ocireg_string_list) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        list.map_or(0, |l| l.items.len())
    })
}

/// One string of a list.
///
/// @param list the list, or NULL.
/// @param index the string's position, from 0.
/// @return the string, owned by the list (valid until it is freed); NULL
///         when `index` is out of range or `list` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_list_get(
    list: *const ocireg_string_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        list.and_then(|l| l.items.get(index))
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Frees a list and its strings.
///
/// @param list the list, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_list_free(list: *mut ocireg_string_list) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live list, freed once.
        unsafe { free_handle(list) }
    });
}

/// A document as the registry sent it (a manifest, an index or an image
/// config): the raw bytes, their media type and their digest. Freed by
/// `ocireg_content_free`. One thread at a time.
pub struct ocireg_content {
    bytes: Bytes,
    media_type: CString,
    digest: CString,
}

impl ocireg_content {
    /// A new content handle for C.
    pub fn boxed(bytes: Bytes, media_type: &str, digest: &Digest) -> *mut ocireg_content {
        into_handle(ocireg_content {
            media_type: c_string(media_type),
            digest: c_string(digest.as_str()),
            bytes,
        })
    }
}

/// The raw bytes of a content.
///
/// @param content the content, or NULL.
/// @param len_out receives the number of bytes.
/// @return the bytes (not NUL-terminated), owned by the content; NULL when
///         `content` or `len_out` is NULL (then `*len_out` is untouched).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_bytes(
    content: *const ocireg_content,
    len_out: *mut usize,
) -> *const u8 {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live content, NULL
        // or a writable output.
        let (content, len_out) = unsafe { (get(content), opt_out_arg(len_out)) };
        match (content, len_out) {
            (Some(m), Some(len)) => {
                len.write(m.bytes.len());
                m.bytes.as_ptr()
            }
            _ => ptr::null(),
        }
    })
}

/// The media type of a content.
///
/// @param content the content, or NULL.
/// @return the media type, owned by the content; NULL for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_media_type(
    content: *const ocireg_content,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live content.
        let content = unsafe { get(content) };
        content.map_or(ptr::null(), |m| m.media_type.as_ptr())
    })
}

/// The digest of a content's raw bytes.
///
/// @param content the content, or NULL.
/// @return the digest, owned by the content; NULL for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_digest(content: *const ocireg_content) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live content.
        let content = unsafe { get(content) };
        content.map_or(ptr::null(), |m| m.digest.as_ptr())
    })
}

/// Frees a content.
///
/// @param content the content, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_free(content: *mut ocireg_content) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live content, freed once.
        unsafe { free_handle(content) }
    });
}
