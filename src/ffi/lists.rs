//! Values the library hands out: strings, string lists, contents
//! (manifests and configs) and descriptor lists. Each goes back through its own `_free`.

use std::ffi::{CString, c_char};
use std::ptr;

use bytes::Bytes;

use super::guard::guard_value;
use super::last_error::c_string;
use crate::descriptor::Descriptor;
use crate::digest::Digest;

/// Moves `text` into a C string the caller frees with `ocireg_string_free`.
pub fn into_c_string(text: &str) -> *mut c_char {
    c_string(text).into_raw()
}

/// Frees a string returned by ocireg (such as a digest); NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string ocireg returned, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in into_c_string; freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// A list of strings (tags, repositories). One thread at a time.
pub struct ocireg_string_list {
    items: Vec<CString>,
}

impl ocireg_string_list {
    /// A boxed list for C.
    pub fn boxed(items: Vec<String>) -> *mut ocireg_string_list {
        Box::into_raw(Box::new(ocireg_string_list {
            items: items.iter().map(|s| c_string(s)).collect(),
        }))
    }
}

/// The number of strings; 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_list_len(list: *const ocireg_string_list) -> usize {
    // SAFETY: NULL or a live list.
    guard_value(0, || {
        unsafe { list.as_ref() }.map(|l| l.items.len()).unwrap_or(0)
    })
}

/// String `index`, or NULL when out of range. Owned by the list.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_list_get(
    list: *const ocireg_string_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: NULL or a live list.
        unsafe { list.as_ref() }
            .and_then(|l| l.items.get(index))
            .map(|s| s.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// Frees a list and its strings; NULL is a no-op.
///
/// # Safety
/// `list` is NULL or a live list not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_string_list_free(list: *mut ocireg_string_list) {
    guard_value((), || {
        if !list.is_null() {
            // SAFETY: made by Box::into_raw in boxed; freed once.
            drop(unsafe { Box::from_raw(list) });
        }
    })
}

/// A document as the registry sent it (a content, an index or an image
/// config): the raw bytes, their media type and their digest. One thread
/// at a time.
pub struct ocireg_content {
    bytes: Bytes,
    media_type: CString,
    digest: CString,
}

impl ocireg_content {
    /// A boxed content for C.
    pub fn boxed(bytes: Bytes, media_type: &str, digest: &Digest) -> *mut ocireg_content {
        Box::into_raw(Box::new(ocireg_content {
            media_type: c_string(media_type),
            digest: c_string(digest.as_str()),
            bytes,
        }))
    }
}

/// The raw bytes (not NUL-terminated); `*len_out` gets their length.
/// Owned by the content. NULL if `content` or `len_out` is NULL.
///
/// # Safety
/// `content` is NULL or live; `len_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_bytes(
    content: *const ocireg_content,
    len_out: *mut usize,
) -> *const u8 {
    guard_value(ptr::null(), || {
        // SAFETY: NULL or live / writable, as promised.
        match (unsafe { content.as_ref() }, unsafe { len_out.as_mut() }) {
            (Some(m), Some(len)) => {
                *len = m.bytes.len();
                m.bytes.as_ptr()
            }
            _ => ptr::null(),
        }
    })
}

/// The media type. Owned by the content; NULL for NULL.
///
/// # Safety
/// `content` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_media_type(
    content: *const ocireg_content,
) -> *const c_char {
    // SAFETY: NULL or live.
    guard_value(ptr::null(), || {
        unsafe { content.as_ref() }
            .map(|m| m.media_type.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// The digest of the raw bytes. Owned by the content; NULL for NULL.
///
/// # Safety
/// `content` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_digest(content: *const ocireg_content) -> *const c_char {
    // SAFETY: NULL or live.
    guard_value(ptr::null(), || {
        unsafe { content.as_ref() }
            .map(|m| m.digest.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// Frees a content; NULL is a no-op.
///
/// # Safety
/// `content` is NULL or live and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_content_free(content: *mut ocireg_content) {
    guard_value((), || {
        if !content.is_null() {
            // SAFETY: made by Box::into_raw in boxed; freed once.
            drop(unsafe { Box::from_raw(content) });
        }
    })
}

/// A list of descriptors (referrers). One thread at a time.
pub struct ocireg_descriptor_list {
    items: Vec<DescriptorC>,
}

struct DescriptorC {
    media_type: CString,
    digest: CString,
    size: u64,
    artifact_type: Option<CString>,
}

impl ocireg_descriptor_list {
    /// A boxed list for C.
    pub fn boxed(items: Vec<Descriptor>) -> *mut ocireg_descriptor_list {
        Box::into_raw(Box::new(ocireg_descriptor_list {
            items: items
                .iter()
                .map(|d| DescriptorC {
                    media_type: c_string(&d.media_type),
                    digest: c_string(&d.digest),
                    size: d.size,
                    artifact_type: d.artifact_type.as_deref().map(c_string),
                })
                .collect(),
        }))
    }

    /// # Safety
    /// `list` is NULL or live for `'a`.
    unsafe fn get<'a>(
        list: *const ocireg_descriptor_list,
        index: usize,
    ) -> Option<&'a DescriptorC> {
        // SAFETY: NULL or live, as the caller promises.
        unsafe { list.as_ref() }.and_then(|l| l.items.get(index))
    }
}

/// The number of descriptors; 0 for NULL.
///
/// # Safety
/// `list` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_len(list: *const ocireg_descriptor_list) -> usize {
    // SAFETY: NULL or live.
    guard_value(0, || {
        unsafe { list.as_ref() }.map(|l| l.items.len()).unwrap_or(0)
    })
}

/// The media type of descriptor `index`, or NULL. Owned by the list.
///
/// # Safety
/// `list` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_media_type(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: NULL or live, as the caller promises.
        unsafe { ocireg_descriptor_list::get(list, index) }
            .map(|d| d.media_type.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// The digest of descriptor `index`, or NULL. Owned by the list.
///
/// # Safety
/// `list` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_digest(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: NULL or live, as the caller promises.
        unsafe { ocireg_descriptor_list::get(list, index) }
            .map(|d| d.digest.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// The size of descriptor `index`, or 0.
///
/// # Safety
/// `list` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_size(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> u64 {
    guard_value(0, || // SAFETY: NULL or live, as the caller promises.
        unsafe { ocireg_descriptor_list::get(list, index) }.map(|d| d.size).unwrap_or(0))
}

/// The artifact type of descriptor `index`, or NULL when it has none.
///
/// # Safety
/// `list` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_artifact_type(
    list: *const ocireg_descriptor_list,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: NULL or live, as the caller promises.
        unsafe { ocireg_descriptor_list::get(list, index) }
            .and_then(|d| d.artifact_type.as_ref())
            .map(|a| a.as_ptr())
            .unwrap_or(ptr::null())
    })
}

/// Frees a descriptor list; NULL is a no-op.
///
/// # Safety
/// `list` is NULL or live and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_descriptor_list_free(list: *mut ocireg_descriptor_list) {
    guard_value((), || {
        if !list.is_null() {
            // SAFETY: made by Box::into_raw in boxed; freed once.
            drop(unsafe { Box::from_raw(list) });
        }
    })
}
