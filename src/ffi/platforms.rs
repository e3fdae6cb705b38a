//! Platforms as data: the platforms an image offers, and the manifest of
//! one of them.

use std::ffi::{CString, c_char};
use std::ptr;

use super::args::{opt_str_arg, reference_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, out_arg};
use super::last_error::c_string;
use super::lists::ocireg_content;
use super::status::ocireg_status;
use crate::image::{ImagePlatform, Platform};

/// The platforms an image offers, each with its image manifest's digest,
/// size and media type (from `ocireg_client_platforms_get`). Freed by
/// `ocireg_platform_list_free`. One thread at a time.
pub struct ocireg_platform_list {
    items: Vec<PlatformC>,
}

struct PlatformC {
    os: CString,
    architecture: CString,
    variant: Option<CString>,
    os_version: Option<CString>,
    os_features: Vec<CString>,
    features: Vec<CString>,
    digest: CString,
    size: u64,
    media_type: CString,
}

impl PlatformC {
    fn new(p: &ImagePlatform) -> PlatformC {
        PlatformC {
            os: c_string(&p.os),
            architecture: c_string(&p.architecture),
            variant: p.variant.as_deref().map(c_string),
            os_version: p.os_version.as_deref().map(c_string),
            os_features: p.os_features.iter().map(|f| c_string(f)).collect(),
            features: p.features.iter().map(|f| c_string(f)).collect(),
            digest: c_string(p.digest.as_str()),
            size: p.size,
            media_type: c_string(&p.media_type),
        }
    }
}

/// Lists the platforms image `reference` offers. For an index (or Docker
/// manifest list) these are its entries and those of the indexes it nests
/// (at most 4 deep and 10,000 entries), in order; an entry without a
/// `platform` has empty os and architecture. For a single-platform image
/// there is one entry, the manifest itself, with the platform read from its
/// image config (its features are then empty).
///
/// @param client the client.
/// @param reference the image or index, by tag or digest.
/// @param cancel NULL, or a signal that stops the call.
/// @param list_out receives the list; free it with `ocireg_platform_list_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_NOT_FOUND`,
///         `OCIREG_ERR_PROTOCOL` for a malformed index or config, ...).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_platforms_get(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_platform_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(list_out, "list_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        let platforms = c.platforms(&r)?;
        out.write(into_handle(ocireg_platform_list {
            items: platforms.iter().map(PlatformC::new).collect(),
        }));
        Ok(())
    })
}

/// Fetches the image manifest of one platform: through an index (and the
/// indexes it nests), the entry matching `platform` (an exact variant
/// first, else the first entry of that os and architecture); a
/// single-platform manifest is returned as it is, whatever its platform.
///
/// @param client the client.
/// @param reference the image or index, by tag or digest.
/// @param platform `os/arch[/variant]`, or NULL for this machine's.
/// @param cancel NULL, or a signal that stops the call.
/// @param manifest_out receives the manifest (its bytes, media type and
///        digest); free it with `ocireg_content_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_NOT_FOUND` when the index
///         has no image for the platform, `OCIREG_ERR_INVALID_ARGUMENT` for
///         a platform that is not `os/arch[/variant]`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_get_platform(
    client: *const ocireg_client,
    reference: *const c_char,
    platform: *const c_char,
    cancel: *const ocireg_cancel,
    manifest_out: *mut *mut ocireg_content,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, platform) = unsafe {
            (
                out_arg(manifest_out, "manifest_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(platform, "platform")?,
            )
        };
        let platform = Platform::parse_or_host(platform)?;
        let m = c.image_manifest(&r, &platform)?;
        out.write(ocireg_content::boxed(m.bytes, &m.media_type, &m.digest));
        Ok(())
    })
}

/// Entry `index` of `list`, if both exist.
fn entry(list: Option<&ocireg_platform_list>, index: usize) -> Option<&PlatformC> {
    list.and_then(|l| l.items.get(index))
}

/// Reads a string of entry `index` of a platform list (NULL when the list
/// is NULL, the index out of range, or `field` gives nothing).
///
/// # Safety
/// `list` is NULL or a live platform list.
unsafe fn string_of(
    list: *const ocireg_platform_list,
    index: usize,
    field: impl FnOnce(&PlatformC) -> Option<&CString>,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: forwarded from the caller's promise.
        let list = unsafe { get(list) };
        entry(list, index)
            .and_then(field)
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// The number of platforms in a list.
///
/// @param list the list, or NULL.
/// @return the number of platforms; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_len(list: *const ocireg_platform_list) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        list.map_or(0, |l| l.items.len())
    })
}

/// The operating system of one platform of a list, such as `linux`.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the os, owned by the list ("" when not recorded); NULL when out
///         of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_os(
    list: *const ocireg_platform_list,
    index: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| Some(&p.os)) }
}

/// The architecture of one platform of a list, such as `arm64`.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the architecture, owned by the list ("" when not recorded);
///         NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_architecture(
    list: *const ocireg_platform_list,
    index: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| Some(&p.architecture)) }
}

/// The architecture variant of one platform of a list, such as `v8`.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the variant, owned by the list; NULL when it has none, when out
///         of range, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_variant(
    list: *const ocireg_platform_list,
    index: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| p.variant.as_ref()) }
}

/// The `os.version` of one platform of a list (Windows builds, such as
/// `10.0.17763.1757`).
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the OS version, owned by the list; NULL when it has none, when
///         out of range, or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_os_version(
    list: *const ocireg_platform_list,
    index: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| p.os_version.as_ref()) }
}

/// The number of `os.features` of one platform of a list.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the number of OS features; 0 when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_os_feature_count(
    list: *const ocireg_platform_list,
    index: usize,
) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(0, |p| p.os_features.len())
    })
}

/// One of the `os.features` of one platform of a list, such as `win32k`.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @param feature the feature's position, from 0.
/// @return the feature, owned by the list; NULL when out of range or for
///         NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_os_feature(
    list: *const ocireg_platform_list,
    index: usize,
    feature: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| p.os_features.get(feature)) }
}

/// The number of `features` of one platform of a list.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the number of features; 0 when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_feature_count(
    list: *const ocireg_platform_list,
    index: usize,
) -> usize {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(0, |p| p.features.len())
    })
}

/// One of the `features` of one platform of a list.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @param feature the feature's position, from 0.
/// @return the feature, owned by the list; NULL when out of range or for
///         NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_feature(
    list: *const ocireg_platform_list,
    index: usize,
    feature: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| p.features.get(feature)) }
}

/// The digest of the image manifest of one platform of a list.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the digest, owned by the list; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_digest(
    list: *const ocireg_platform_list,
    index: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| Some(&p.digest)) }
}

/// The size in bytes of the image manifest of one platform of a list.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the size; 0 when out of range or for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_size(
    list: *const ocireg_platform_list,
    index: usize,
) -> u64 {
    guard_value(0, || {
        // SAFETY: the header's conventions: NULL or a live list.
        let list = unsafe { get(list) };
        entry(list, index).map_or(0, |p| p.size)
    })
}

/// The media type of the image manifest of one platform of a list.
///
/// @param list the list, or NULL.
/// @param index the platform's position, from 0.
/// @return the media type, owned by the list; NULL when out of range or for
///         NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_media_type(
    list: *const ocireg_platform_list,
    index: usize,
) -> *const c_char {
    // SAFETY: the header's conventions: NULL or a live list.
    unsafe { string_of(list, index, |p| Some(&p.media_type)) }
}

/// Frees a platform list and its strings.
///
/// @param list the list, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_platform_list_free(list: *mut ocireg_platform_list) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live list, freed once.
        unsafe { free_handle(list) }
    });
}
