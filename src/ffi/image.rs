//! Whole-image operations: pull, push, copy, inspect and save, with an
//! options handle for platform, all platforms, layout name, mount sources
//! and progress.

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;

use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client, reference_arg};
use super::guard::{FfiResult, guard, guard_value, mut_arg, out_arg, str_arg, write_out};
use super::last_error::c_string;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::image::{ImageOptions, Platform, Progress};

/// Reports image progress: blob `digest` is at `blob_done` of `blob_total`
/// bytes, the whole operation at `done` of `total`. `digest` is borrowed for
/// the call. Called on the caller's thread; non-zero stops the operation with
/// `OCIREG_ERR_ABORTED` (its temporary files are removed) unless it has
/// already finished. It must not call ocireg: such calls fail with
/// `OCIREG_ERR_UNSUPPORTED` (the operation is still running underneath).
pub type ocireg_image_progress_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        digest: *const c_char,
        blob_done: u64,
        blob_total: u64,
        done: u64,
        total: u64,
    ) -> c_int,
>;

/// Options of the image operations. Made by `ocireg_image_options_new`,
/// freed by `ocireg_image_options_free`. One thread at a time.
pub struct ocireg_image_options {
    inner: ImageOptions,
    progress: ocireg_image_progress_cb,
    progress_userdata: *mut c_void,
}

/// New image options: this machine's platform, one platform, no progress.
/// Returns NULL only on a panic.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_image_options_new() -> *mut ocireg_image_options {
    guard_value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(ocireg_image_options {
            inner: ImageOptions::default(),
            progress: None,
            progress_userdata: std::ptr::null_mut(),
        }))
    })
}

/// Frees image options; NULL is a no-op.
///
/// # Safety
/// `options` is NULL or live and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_free(options: *mut ocireg_image_options) {
    guard_value((), || {
        if !options.is_null() {
            // SAFETY: made by Box::into_raw in ocireg_image_options_new; freed once.
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

fn set(
    options: *mut ocireg_image_options,
    f: impl FnOnce(&mut ocireg_image_options) -> FfiResult,
) -> ocireg_status {
    guard(|| {
        // SAFETY: NULL or live, this thread only.
        let o = unsafe { mut_arg(options, "options") }?;
        f(o)
    })
}

/// Chooses the platform (`os/arch[/variant]`) taken from an index.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_platform(
    options: *mut ocireg_image_options,
    platform: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: a C string or NULL.
        let p = unsafe { str_arg(platform, "platform") }?;
        o.inner.platform = Some(Platform::parse(p)?);
        Ok(())
    })
}

/// Non-zero: keep a whole index and every platform's image.
///
/// # Safety
/// `options` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_all_platforms(
    options: *mut ocireg_image_options,
    all: c_int,
) -> ocireg_status {
    set(options, |o| {
        o.inner.all_platforms = all != 0;
        Ok(())
    })
}

/// The image's name in an OCI layout (`org.opencontainers.image.ref.name`):
/// what a pull writes and what a push reads.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_layout_name(
    options: *mut ocireg_image_options,
    name: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: a C string or NULL.
        o.inner.layout_name = Some(unsafe { str_arg(name, "name") }?.to_string());
        Ok(())
    })
}

/// Adds a repository of the destination registry to mount blobs from
/// before uploading them (push).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_add_mount_from(
    options: *mut ocireg_image_options,
    repository: *const c_char,
) -> ocireg_status {
    set(options, |o| {
        // SAFETY: a C string or NULL.
        let repo = unsafe { str_arg(repository, "repository") }?;
        o.inner.mount_from.push(repo.to_string());
        Ok(())
    })
}

/// Sets the progress callback (NULL for none) and its userdata.
///
/// # Safety
/// `options` is NULL or live; the callback is safe to call with `userdata`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_progress(
    options: *mut ocireg_image_options,
    progress: ocireg_image_progress_cb,
    userdata: *mut c_void,
) -> ocireg_status {
    set(options, |o| {
        o.progress = progress;
        o.progress_userdata = userdata;
        Ok(())
    })
}

/// The options (defaults for NULL) and a progress function over the callback.
///
/// # Safety
/// `options` is NULL or live.
unsafe fn image_options(
    options: *const ocireg_image_options,
) -> (ImageOptions, impl FnMut(&Progress) -> bool) {
    // SAFETY: NULL or live.
    let o = unsafe { options.as_ref() };
    let inner = o.map(|o| o.inner.clone()).unwrap_or_default();
    let callback = o.and_then(|o| o.progress.map(|cb| (cb, o.progress_userdata)));
    let report = move |p: &Progress| match callback {
        Some((cb, userdata)) => {
            let digest = c_string(p.digest.as_str());
            // SAFETY: the caller's callback with its userdata and a string
            // that lives for the call.
            (unsafe {
                cb(
                    userdata,
                    digest.as_ptr(),
                    p.blob_done,
                    p.blob_total,
                    p.done,
                    p.total,
                )
            }) == 0
        }
        None => true,
    };
    (inner, report)
}

/// Writes a digest output when wanted.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn digest_out_opt(out: *mut *mut c_char, digest: &str) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable.
        unsafe { write_out(out, into_c_string(digest)) };
    }
}

/// Pulls image `reference` into the OCI layout directory `dir` (created if
/// needed); `*digest_out` (may be NULL) gets the digest named in
/// `index.json`. Blobs already there and verified are not fetched again.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_image_pull(
    client: *const ocireg_client,
    reference: *const c_char,
    dir: *const c_char,
    options: *const ocireg_image_options,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r, dir) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                str_arg(dir, "dir")?,
            )
        };
        // SAFETY: NULL or live options.
        let (options, mut report) = unsafe { image_options(options) };
        let descriptor = c.pull(&r, Path::new(dir), &options, &mut report)?;
        // SAFETY: NULL or writable.
        unsafe { digest_out_opt(digest_out, &descriptor.digest) };
        Ok(())
    })
}

/// Pushes the image of the OCI layout `dir` (the options' layout name, or
/// its only image) to `reference`; `*digest_out` (may be NULL) gets the
/// digest of what was tagged.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_image_push(
    client: *const ocireg_client,
    dir: *const c_char,
    reference: *const c_char,
    options: *const ocireg_image_options,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, dir, r) = unsafe {
            (
                client_for(client, cancel)?,
                str_arg(dir, "dir")?,
                reference_arg(reference, "reference")?,
            )
        };
        // SAFETY: NULL or live options.
        let (options, mut report) = unsafe { image_options(options) };
        let digest = c.push(Path::new(dir), &r, &options, &mut report)?;
        // SAFETY: NULL or writable.
        unsafe { digest_out_opt(digest_out, digest.as_str()) };
        Ok(())
    })
}

/// Copies image `source` to `target` (registry to registry, mounting
/// within one registry); `*digest_out` (may be NULL) gets the digest.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_image_copy(
    client: *const ocireg_client,
    source: *const c_char,
    target: *const c_char,
    options: *const ocireg_image_options,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, s, t) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(source, "source")?,
                reference_arg(target, "target")?,
            )
        };
        // SAFETY: NULL or live options.
        let (options, mut report) = unsafe { image_options(options) };
        let digest = c.copy(&s, &t, &options, &mut report)?;
        // SAFETY: NULL or writable.
        unsafe { digest_out_opt(digest_out, digest.as_str()) };
        Ok(())
    })
}

/// Writes image `reference` to `path` as a docker-archive tarball (the
/// file appears only when complete); `*digest_out` (may be NULL) gets the
/// manifest digest.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_image_save(
    client: *const ocireg_client,
    reference: *const c_char,
    path: *const c_char,
    options: *const ocireg_image_options,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r, path) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                str_arg(path, "path")?,
            )
        };
        // SAFETY: NULL or live options.
        let (options, mut report) = unsafe { image_options(options) };
        let digest = c.save(&r, Path::new(path), &options, &mut report)?;
        // SAFETY: NULL or writable.
        unsafe { digest_out_opt(digest_out, digest.as_str()) };
        Ok(())
    })
}

/// The facts of image `reference` as JSON in `*json_out` (free with
/// `ocireg_string_free`), with skopeo inspect's field names; with
/// `with_tags` non-zero, `RepoTags` lists the repository's tags.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_image_inspect(
    client: *const ocireg_client,
    reference: *const c_char,
    options: *const ocireg_image_options,
    with_tags: c_int,
    cancel: *const ocireg_cancel,
    json_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        out_arg(json_out, "json_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        // SAFETY: NULL or live options.
        let (options, _) = unsafe { image_options(options) };
        let info = c.inspect(&r, &options, with_tags != 0)?;
        let json = serde_json::to_string_pretty(&info).map_err(|e| {
            crate::error::Error::new(
                crate::error::ErrorKind::Internal,
                format!("inspect JSON: {e}"),
            )
        })?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(json_out, into_c_string(&json)) };
        Ok(())
    })
}
