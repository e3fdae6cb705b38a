//! Lists whose entries carry annotations (the referrers' descriptor list,
//! the signature list): the entries' annotations held as C strings, and
//! the one body of every list's `_annotations_len`, `_annotation_key` and
//! `_annotation_value` accessors.

use std::collections::BTreeMap;
use std::ffi::{CString, c_char};
use std::ptr;

use super::guard::guard_value;
use super::handle::get;
use super::last_error::c_string;

/// The annotations of one list entry as C strings, sorted by key.
#[derive(Debug, Default)]
pub struct Annotations(Vec<(CString, CString)>);

impl Annotations {
    /// The C strings of `annotations` (a `BTreeMap`: sorted by key).
    pub fn new(annotations: &BTreeMap<String, String>) -> Annotations {
        Annotations(
            annotations
                .iter()
                .map(|(k, v)| (c_string(k), c_string(v)))
                .collect(),
        )
    }
}

/// A list handle whose entries carry annotations.
pub trait AnnotatedList {
    /// The annotations of entry `index`, if it exists.
    fn annotations(&self, index: usize) -> Option<&Annotations>;
}

/// One side (`part`: key or value) of annotation `annotation` of entry
/// `index` of `list`, owned by the list; NULL when out of range or for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
unsafe fn annotation_part<L: AnnotatedList>(
    list: *const L,
    index: usize,
    annotation: usize,
    part: fn(&(CString, CString)) -> &CString,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: forwarded from the caller's promise.
        let list = unsafe { get(list) };
        list.and_then(|l| l.annotations(index))
            .and_then(|a| a.0.get(annotation))
            .map_or(ptr::null(), |pair| part(pair).as_ptr())
    })
}

/// The number of annotations of entry `index` of `list`; 0 when it has
/// none, when out of range, or for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
pub unsafe fn annotations_len<L: AnnotatedList>(list: *const L, index: usize) -> usize {
    guard_value(0, || {
        // SAFETY: forwarded from the caller's promise.
        let list = unsafe { get(list) };
        list.and_then(|l| l.annotations(index))
            .map_or(0, |a| a.0.len())
    })
}

/// The key of annotation `annotation` of entry `index` of `list`, owned by
/// the list; NULL when out of range or for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
pub unsafe fn annotation_key<L: AnnotatedList>(
    list: *const L,
    index: usize,
    annotation: usize,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { annotation_part(list, index, annotation, |(k, _)| k) }
}

/// The value of annotation `annotation` of entry `index` of `list`, owned
/// by the list; NULL when out of range or for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
pub unsafe fn annotation_value<L: AnnotatedList>(
    list: *const L,
    index: usize,
    annotation: usize,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { annotation_part(list, index, annotation, |(_, v)| v) }
}
