//! Searching a registry: `ocireg_client_search` and its result list.

use std::ffi::{CString, c_char, c_int};
use std::ptr;

use super::args::str_arg;
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, out_arg};
use super::last_error::c_string;
use super::status::ocireg_status;
use crate::client::{DEFAULT_SEARCH_LIMIT, SearchResult};

/// The results of a search. Freed by `ocireg_search_results_free`. One
/// thread at a time.
pub struct ocireg_search_results {
    items: Vec<ResultC>,
}

struct ResultC {
    name: CString,
    description: CString,
    star_count: u64,
    is_trusted: bool,
    is_automated: bool,
    is_official: bool,
}

impl ocireg_search_results {
    fn boxed(items: Vec<SearchResult>) -> *mut ocireg_search_results {
        into_handle(ocireg_search_results {
            items: items
                .into_iter()
                .map(|r| ResultC {
                    name: c_string(&r.name),
                    description: c_string(&r.description),
                    star_count: r.star_count,
                    is_trusted: r.is_trusted,
                    is_automated: r.is_automated,
                    is_official: r.is_official,
                })
                .collect(),
        })
    }
}

/// Searches a registry, as `podman search` does: `GET /v1/search?q=&n=`
/// (Docker Hub's endpoint; `docker.io` is searched at `index.docker.io`),
/// and where the registry answers that with a client error (404 from
/// registries without it, 401, 403, 405, 400), its catalog filtered to the
/// names containing `term`. At most `limit` results, even when the registry
/// ignores `n`; catalog results have a name only.
///
/// @param client the client.
/// @param registry the registry, `host[:port]`.
/// @param term what the names contain; "" lists the catalog.
/// @param limit the most results, 1 to 10000; 0 for the default, 25.
/// @param cancel NULL, or a signal that stops the call.
/// @param results_out receives the results; free them with
///        `ocireg_search_results_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_INVALID_ARGUMENT` for a
///         limit over 10000).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_search(
    client: *const ocireg_client,
    registry: *const c_char,
    term: *const c_char,
    limit: usize,
    cancel: *const ocireg_cancel,
    results_out: *mut *mut ocireg_search_results,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, registry, term) = unsafe {
            (
                out_arg(results_out, "results_out")?,
                client_for(client, cancel)?,
                str_arg(registry, "registry")?,
                str_arg(term, "term")?,
            )
        };
        let limit = if limit == 0 {
            DEFAULT_SEARCH_LIMIT
        } else {
            limit
        };
        out.write(ocireg_search_results::boxed(
            c.search(registry, term, limit)?,
        ));
        Ok(())
    })
}

/// Result `index` of `results`, if both exist.
///
/// # Safety
/// `results` is NULL or a live list.
unsafe fn entry<'a>(results: *const ocireg_search_results, index: usize) -> Option<&'a ResultC> {
    // SAFETY: forwarded from the caller's promise.
    unsafe { get(results) }.and_then(|r| r.items.get(index))
}

/// The number of results.
///
/// @param results the results, or NULL.
/// @return the number of results; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_len(results: *const ocireg_search_results) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        unsafe { get(results) }.map_or(0, |r| r.items.len())
    })
}

/// The repository name of one result.
///
/// @param results the results, or NULL.
/// @param index the result's position, from 0.
/// @return the name, owned by the list; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_name(
    results: *const ocireg_search_results,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        unsafe { entry(results, index) }.map_or(ptr::null(), |r| r.name.as_ptr())
    })
}

/// The description of one result ("" when the registry gave none).
///
/// @param results the results, or NULL.
/// @param index the result's position, from 0.
/// @return the description, owned by the list; NULL when out of range or
///         for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_description(
    results: *const ocireg_search_results,
    index: usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: the header's conventions: NULL or a live list.
        unsafe { entry(results, index) }.map_or(ptr::null(), |r| r.description.as_ptr())
    })
}

/// The star count of one result.
///
/// @param results the results, or NULL.
/// @param index the result's position, from 0.
/// @return the stars; 0 when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_star_count(
    results: *const ocireg_search_results,
    index: usize,
) -> u64 {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        unsafe { entry(results, index) }.map_or(0, |r| r.star_count)
    })
}

/// `is_official` of one result: 1 or 0 (0 when out of range or for NULL).
///
/// @param results the results, or NULL.
/// @param index the result's position, from 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_is_official(
    results: *const ocireg_search_results,
    index: usize,
) -> c_int {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { flag(results, index, |r| r.is_official) }
}

/// `is_trusted` of one result: 1 or 0 (0 when out of range or for NULL).
///
/// @param results the results, or NULL.
/// @param index the result's position, from 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_is_trusted(
    results: *const ocireg_search_results,
    index: usize,
) -> c_int {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { flag(results, index, |r| r.is_trusted) }
}

/// `is_automated` of one result: 1 or 0 (0 when out of range or for NULL).
///
/// @param results the results, or NULL.
/// @param index the result's position, from 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_is_automated(
    results: *const ocireg_search_results,
    index: usize,
) -> c_int {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { flag(results, index, |r| r.is_automated) }
}

/// A flag of result `index`, read by `read`, as 1 or 0.
///
/// # Safety
/// `results` is NULL or a live list.
unsafe fn flag(
    results: *const ocireg_search_results,
    index: usize,
    read: fn(&ResultC) -> bool,
) -> c_int {
    guard_value(0, || {
        // SAFETY: forwarded from the caller's promise.
        let result = unsafe { entry(results, index) };
        c_int::from(result.is_some_and(read))
    })
}

/// Frees search results and their strings.
///
/// @param results the results, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_search_results_free(results: *mut ocireg_search_results) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live list, freed once.
        unsafe { free_handle(results) }
    });
}
