//! Indexes authored: an index made from images (each with the platform its
//! config names) and an index changed (entries added, removed by digest or
//! platform, annotations set or removed). Two option handles carry the
//! lists: `ocireg_index_options` for a new index, `ocireg_index_update` for
//! a change.

use std::ffi::c_char;

use super::args::{digest_arg, reference_arg, str_arg, str_array_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, mut_arg, opt_out_arg, ref_arg};
use super::lists::into_c_string;
use super::option_fields::{push_annotation_key, put_annotation, set_artifact_type};
use super::status::ocireg_status;
use crate::image::{IndexOptions, IndexUpdate, Platform};
use crate::reference::Reference;

/// Options of a new index: its `artifactType` and annotations. Made by
/// `ocireg_index_options_new`, freed by `ocireg_index_options_free`. One
/// thread at a time.
pub struct ocireg_index_options {
    inner: IndexOptions,
}

/// Changes to an index, applied in this order: entries removed (by digest
/// and by platform), entries added, annotations set, annotations removed.
/// Made by `ocireg_index_update_new`, freed by `ocireg_index_update_free`.
/// One thread at a time.
pub struct ocireg_index_update {
    inner: IndexUpdate,
}

/// Makes index options: no `artifactType`, no annotations.
///
/// @return the options (free them with `ocireg_index_options_free`); NULL
///         only if the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_index_options_new() -> *mut ocireg_index_options {
    guard_value(std::ptr::null_mut(), || {
        into_handle(ocireg_index_options {
            inner: IndexOptions::default(),
        })
    })
}

/// Frees index options.
///
/// @param options the options, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_options_free(options: *mut ocireg_index_options) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or live options, freed once.
        unsafe { free_handle(options) }
    });
}

/// Sets the index's `artifactType`.
///
/// @param options the options.
/// @param artifact_type a media type, such as `application/vnd.example+json`.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for an empty type, or
///         an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_options_set_artifact_type(
    options: *mut ocireg_index_options,
    artifact_type: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        unsafe {
            set_artifact_type(options, "options", artifact_type, |o| {
                &mut o.inner.artifact_type
            })
        }
    })
}

/// Adds (or replaces) an annotation of the index.
///
/// @param options the options.
/// @param key the annotation's key (not empty).
/// @param value its value.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for an empty key, or
///         an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_options_add_annotation(
    options: *mut ocireg_index_options,
    key: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        unsafe { put_annotation(options, "options", key, value, |o| &mut o.inner.annotations) }
    })
}

/// Makes an index of images and pushes it, as `oras manifest index create`
/// does (the same images and options give the same digest): one entry per
/// source, in the order given, each with the platform its config names
/// (os, architecture, variant, os.version, os.features). Every source is
/// read before anything is pushed.
///
/// @param client the client.
/// @param target where to push the index, by tag.
/// @param sources an array of `count` references of image manifests in the
///        repository of `target`, by tag or digest.
/// @param count the number of sources, 0 to 1000.
/// @param options NULL for the defaults, or the options.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the index's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_REFERENCE`,
///         `OCIREG_ERR_INVALID_ARGUMENT` (more than 1000 sources, a source
///         that is an index or in another repository, one manifest given
///         twice), `OCIREG_ERR_NOT_FOUND` (a missing source), or the
///         registry's error. Nothing is pushed on an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_index_create(
    client: *const ocireg_client,
    target: *const c_char,
    sources: *const *const c_char,
    count: usize,
    options: *const ocireg_index_options,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, an array of `count` entries, writable outputs.
        let (c, t, sources, options, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(target, "target")?,
                str_array_arg(sources, count, "sources", "sources[i]")?,
                get(options),
                opt_out_arg(digest_out),
            )
        };
        let sources = sources
            .into_iter()
            .map(Reference::parse)
            .collect::<crate::error::Result<Vec<_>>>()?;
        let default = IndexOptions::default();
        let options = options.map_or(&default, |o| &o.inner);
        let digest = c.create_index(&t, &sources, options)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Makes an empty index change.
///
/// @return the change (free it with `ocireg_index_update_free`); NULL only
///         if the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_index_update_new() -> *mut ocireg_index_update {
    guard_value(std::ptr::null_mut(), || {
        into_handle(ocireg_index_update {
            inner: IndexUpdate::default(),
        })
    })
}

/// Frees an index change.
///
/// @param update the change, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_update_free(update: *mut ocireg_index_update) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or live handle, freed once.
        unsafe { free_handle(update) }
    });
}

/// Adds an image to add to the index, with the platform its config names
/// (one already in the index is not added twice).
///
/// @param update the change.
/// @param source an image manifest in the index's repository, by tag or
///        digest.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_REFERENCE`, or an argument
///         error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_update_add(
    update: *mut ocireg_index_update,
    source: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live handle, C strings.
        let (u, s) = unsafe { (mut_arg(update, "update")?, reference_arg(source, "source")?) };
        u.inner.add.push(s);
        Ok(())
    })
}

/// Adds an entry to remove, by digest; the update fails with
/// `OCIREG_ERR_NOT_FOUND` when the index has no such entry.
///
/// @param update the change.
/// @param digest the entry's digest, such as `sha256:...`.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_DIGEST`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_update_remove_digest(
    update: *mut ocireg_index_update,
    digest: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live handle, C strings.
        let (u, d) = unsafe { (mut_arg(update, "update")?, digest_arg(digest, "digest")?) };
        u.inner.remove.push(d);
        Ok(())
    })
}

/// Adds a platform whose entries to remove: every entry of that os and
/// architecture, and of that variant when one is given (`arm64` without a
/// variant counts as `v8`). The update fails with `OCIREG_ERR_NOT_FOUND`
/// when no entry matches.
///
/// @param update the change.
/// @param platform `os/arch[/variant]`, such as `linux/arm64`.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for a malformed
///         platform, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_update_remove_platform(
    update: *mut ocireg_index_update,
    platform: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live handle, C strings.
        let (u, p) = unsafe { (mut_arg(update, "update")?, str_arg(platform, "platform")?) };
        u.inner.remove_platforms.push(Platform::parse(p)?);
        Ok(())
    })
}

/// Adds an annotation to set on the index (replacing a value of that key).
///
/// @param update the change.
/// @param key the annotation's key (not empty).
/// @param value its value.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for an empty key, or
///         an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_update_set_annotation(
    update: *mut ocireg_index_update,
    key: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live handle, C strings.
        unsafe { put_annotation(update, "update", key, value, |u| &mut u.inner.annotations) }
    })
}

/// Adds an annotation key to remove from the index (a key that is not
/// there is no change).
///
/// @param update the change.
/// @param key the annotation's key (not empty).
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for an empty key, or
///         an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_index_update_remove_annotation(
    update: *mut ocireg_index_update,
    key: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live handle, C strings.
        unsafe { push_annotation_key(update, "update", key, |u| &mut u.inner.remove_annotations) }
    })
}

/// Changes the index at `target` and pushes the result there: the entries
/// and annotations of `update` (see `ocireg_index_update`); the entries
/// and fields it does not name are kept byte for byte. Every source is
/// read and every removal checked before anything is pushed.
///
/// @param client the client.
/// @param target the index, by tag.
/// @param update the change.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the new index's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` (`target` is not an
///         index, a source that is an index or in another repository, more
///         than 1000 entries), `OCIREG_ERR_NOT_FOUND` (a digest or platform
///         to remove that is not there, a missing source or index), or the
///         registry's error. Nothing is pushed on an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_index_update(
    client: *const ocireg_client,
    target: *const c_char,
    update: *const ocireg_index_update,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (c, t, u, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(target, "target")?,
                ref_arg(update, "update")?,
                opt_out_arg(digest_out),
            )
        };
        let digest = c.update_index(&t, &u.inner)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}
