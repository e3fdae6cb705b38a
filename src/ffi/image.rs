//! Whole-image operations: pull, push, copy, inspect and save, with an
//! options handle for platform, all platforms, layout name, mount sources
//! and progress.

use std::ffi::{c_char, c_int, c_void};
use std::path::Path;

use super::args::{reference_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, mut_arg, opt_out_arg, out_arg};
use super::last_error::c_string;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::error::{Error, ErrorKind};
use crate::image::{ImageName, ImageOptions, Platform, Progress, ReferrersMode};

/// Reports the progress of an image operation.
///
/// Called on the thread that made the call. It must not call ocireg: such
/// calls fail with `OCIREG_ERR_UNSUPPORTED` (the operation is still running
/// underneath).
///
/// @param userdata the pointer given with the callback, passed through.
/// @param digest the blob being moved; borrowed for this call only.
/// @param blob_done bytes of that blob moved so far.
/// @param blob_total that blob's size.
/// @param done bytes of the whole operation moved so far.
/// @param total bytes of the whole operation.
/// @param blobs blobs of the whole operation.
/// @param blobs_skipped blobs finished so far that needed no transfer
///        (already in the destination registry or layout).
/// @param blobs_mounted blobs finished so far that the registry mounted
///        from another repository (push, copy).
/// @param blobs_sent blobs finished so far whose bytes moved: uploaded
///        (push, copy), downloaded (pull) or written (save). Each finished
///        blob is counted once, in the report that finishes it, so the
///        three counts add up to `blobs` in the last report of a finished
///        operation.
/// @return 0 to go on; non-zero stops the operation with
///         `OCIREG_ERR_ABORTED` (its temporary files are removed) unless it
///         has already finished.
pub type ocireg_image_progress_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        digest: *const c_char,
        blob_done: u64,
        blob_total: u64,
        done: u64,
        total: u64,
        blobs: u64,
        blobs_skipped: u64,
        blobs_mounted: u64,
        blobs_sent: u64,
    ) -> c_int,
>;

/// Options of the image operations. Made by `ocireg_image_options_new`,
/// freed by `ocireg_image_options_free`. One thread at a time.
pub struct ocireg_image_options {
    pub(super) inner: ImageOptions,
    progress: ocireg_image_progress_cb,
    progress_userdata: *mut c_void,
}

/// Makes image options: this machine's platform, one platform, no progress.
///
/// @return the options (free them with `ocireg_image_options_free`); NULL
///         only if the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_image_options_new() -> *mut ocireg_image_options {
    guard_value(std::ptr::null_mut(), || {
        into_handle(ocireg_image_options {
            inner: ImageOptions::default(),
            progress: None,
            progress_userdata: std::ptr::null_mut(),
        })
    })
}

/// Frees image options.
///
/// @param options the options, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_free(options: *mut ocireg_image_options) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or live options, freed once.
        unsafe { free_handle(options) }
    });
}

/// Chooses the platforms taken from an index: one, or a subset.
///
/// One platform: its image manifest alone moves (pull, push, copy, save,
/// inspect). Several, comma-separated (`linux/amd64,linux/arm64`; pull,
/// push and copy only, as inspect and save take one): their image
/// manifests move under a new index naming only them, so the digest
/// returned differs from the source index's (a registry refuses an index
/// naming manifests it lacks); when they are every entry of the index, the
/// index moves unchanged. A platform the index lacks fails the operation
/// with `OCIREG_ERR_NOT_FOUND` before anything is written.
///
/// @param options the options.
/// @param platform `os/arch[/variant]`, such as `linux/arm64/v8`, or a
///        comma-separated list of them.
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_ARGUMENT` for a malformed
///         platform or one listed twice; or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_platform(
    options: *mut ocireg_image_options,
    platform: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, p) = unsafe { (mut_arg(options, "options")?, str_arg(platform, "platform")?) };
        o.inner.platforms = Platform::parse_list(p)?;
        Ok(())
    })
}

/// Chooses between one platform and all of them.
///
/// @param options the options.
/// @param all non-zero: keep a whole index and every platform's image.
/// @return `OCIREG_OK`, or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_all_platforms(
    options: *mut ocireg_image_options,
    all: c_int,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live options.
        let o = unsafe { mut_arg(options, "options") }?;
        o.inner.all_platforms = all != 0;
        Ok(())
    })
}

/// Sets the image's name in an OCI layout
/// (`org.opencontainers.image.ref.name`): what a pull writes and what a
/// push reads.
///
/// @param options the options.
/// @param name the name.
/// @return `OCIREG_OK`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_layout_name(
    options: *mut ocireg_image_options,
    name: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, name) = unsafe { (mut_arg(options, "options")?, str_arg(name, "name")?) };
        o.inner.layout_name = Some(name.to_string());
        Ok(())
    })
}

/// Sets a directory where a push (or a copy into a registry) records each
/// blob's upload session, so that a push or copy killed or failed midway
/// continues the next time from what the registry kept (distribution keeps
/// sessions; a registry that dropped one, or cannot report it, makes that
/// blob start over; a resumed copy reads the source again and sends the
/// rest). Blobs then go up in chunks of the client's upload chunk size. The directory is created
/// (mode 0700) when missing; its records (0600) hold session URLs, never a
/// credential, and are removed once their blobs are in place. Pulls into a
/// layout continue partial blobs without it.
///
/// @param options the options.
/// @param dir the directory.
/// @return `OCIREG_OK`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_resume_dir(
    options: *mut ocireg_image_options,
    dir: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, dir) = unsafe { (mut_arg(options, "options")?, str_arg(dir, "dir")?) };
        o.inner.resume_dir = Some(std::path::PathBuf::from(dir));
        Ok(())
    })
}

/// Adds a repository of the destination registry to mount blobs from
/// before uploading them (push). May be called many times.
///
/// @param options the options.
/// @param repository the repository path (no registry).
/// @return `OCIREG_OK`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_add_mount_from(
    options: *mut ocireg_image_options,
    repository: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, repo) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(repository, "repository")?,
            )
        };
        o.inner.mount_from.push(repo.to_string());
        Ok(())
    })
}

/// `ocireg_image_options_set_referrers`: the image only (the default).
pub const OCIREG_REFERRERS_NONE: u32 = 0;
/// `ocireg_image_options_set_referrers`: everything attached to the image,
/// recursively: its referrers and cosign's `sha256-<hex>.sig`, `.att` and
/// `.sbom` tags, and what is attached to those (a signature of an SBOM).
pub const OCIREG_REFERRERS_ALL: u32 = 1;

/// Chooses what copy, pull and push carry besides the image: nothing, or
/// everything attached to it (`OCIREG_REFERRERS_NONE`, `OCIREG_REFERRERS_ALL`). To a registry,
/// each attachment is pushed with its digest unchanged, listed for its
/// subject by the referrers API or the `sha256-<hex>` fallback tag as the
/// registry supports, cosign's attachments under their tags; in an OCI
/// layout, stored where oras and regctl read them. The whole graph is read
/// (bounded: 8 levels, 1000 attachments) before anything is written, so a
/// broken source listing fails the call with nothing pushed. Clears the
/// artifact types added with `ocireg_image_options_add_referrer_artifact_type`.
///
/// @param options the options.
/// @param mode `OCIREG_REFERRERS_NONE` or `OCIREG_REFERRERS_ALL`.
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_ARGUMENT` for another number;
///         or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_referrers(
    options: *mut ocireg_image_options,
    mode: u32,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live options.
        let o = unsafe { mut_arg(options, "options") }?;
        o.inner.referrers = match mode {
            OCIREG_REFERRERS_NONE => ReferrersMode::None,
            OCIREG_REFERRERS_ALL => ReferrersMode::All,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{other} is neither OCIREG_REFERRERS_NONE nor OCIREG_REFERRERS_ALL"),
                )
                .into());
            }
        };
        Ok(())
    })
}

/// Carries only the attachments of the image whose artifact type is one of
/// those added (each with everything attached to it in turn). May be
/// called many times; the first call replaces `OCIREG_REFERRERS_NONE` or
/// `OCIREG_REFERRERS_ALL`.
///
/// @param options the options.
/// @param artifact_type an artifact type, such as `application/spdx+json`
///        (a referrer's `artifactType`, else its config's media type).
/// @return `OCIREG_OK`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_add_referrer_artifact_type(
    options: *mut ocireg_image_options,
    artifact_type: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, t) = unsafe {
            (
                mut_arg(options, "options")?,
                str_arg(artifact_type, "artifact_type")?,
            )
        };
        match &mut o.inner.referrers {
            ReferrersMode::ArtifactTypes(types) => types.push(t.to_string()),
            other => *other = ReferrersMode::ArtifactTypes(vec![t.to_string()]),
        }
        Ok(())
    })
}

/// Sets the progress callback.
///
/// Requires: `progress` is safe to call with `userdata` for as long as the
/// options are used.
///
/// @param options the options.
/// @param progress the callback, or NULL for none.
/// @param userdata passed to `progress`.
/// @return `OCIREG_OK`, or `OCIREG_ERR_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_progress(
    options: *mut ocireg_image_options,
    progress: ocireg_image_progress_cb,
    userdata: *mut c_void,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live options.
        let o = unsafe { mut_arg(options, "options") }?;
        o.progress = progress;
        o.progress_userdata = userdata;
        Ok(())
    })
}

/// The options (defaults for NULL) and a progress function over the callback.
///
/// # Safety
/// `options` is NULL or live, and its callback is safe to call with its
/// userdata for as long as the function lives.
pub(crate) unsafe fn image_options(
    options: *const ocireg_image_options,
) -> (ImageOptions, impl FnMut(&Progress) -> bool) {
    // SAFETY: forwarded from the caller's promise.
    let o = unsafe { get(options) };
    let inner = o.map(|o| o.inner.clone()).unwrap_or_default();
    let callback = o.and_then(|o| o.progress.map(|cb| (cb, o.progress_userdata)));
    let report = move |p: &Progress| match callback {
        Some((cb, userdata)) => {
            let digest = c_string(p.digest.as_str());
            // SAFETY: the caller's callback with its userdata (promised to
            // image_options) and a string that lives for the call.
            (unsafe {
                cb(
                    userdata,
                    digest.as_ptr(),
                    p.blob_done,
                    p.blob_total,
                    p.done,
                    p.total,
                    p.blobs,
                    p.blobs_skipped,
                    p.blobs_mounted,
                    p.blobs_sent,
                )
            }) == 0
        }
        None => true,
    };
    (inner, report)
}

/// Pulls an image into an OCI layout directory. Blobs already there and
/// verified are not fetched again.
///
/// @param client the client.
/// @param reference the image or index, by tag or digest.
/// @param dir the layout directory (created if needed).
/// @param options the image options, or NULL for the defaults.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the digest named in `index.json` (free it
///        with `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call, writable outputs.
        let (c, r, dir, (options, mut report), out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                str_arg(dir, "dir")?,
                image_options(options),
                opt_out_arg(digest_out),
            )
        };
        let descriptor = c.pull(&r, Path::new(dir), &options, &mut report)?;
        if let Some(out) = out {
            out.write(into_c_string(&descriptor.digest));
        }
        Ok(())
    })
}

/// Pushes the image of an OCI layout directory: the options' layout name,
/// or its only image.
///
/// @param client the client.
/// @param dir the layout directory.
/// @param reference where to push, by tag or digest.
/// @param options the image options, or NULL for the defaults.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the digest of what was tagged (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call, writable outputs.
        let (c, dir, r, (options, mut report), out) = unsafe {
            (
                client_for(client, cancel)?,
                str_arg(dir, "dir")?,
                reference_arg(reference, "reference")?,
                image_options(options),
                opt_out_arg(digest_out),
            )
        };
        let digest = c.push(Path::new(dir), &r, &options, &mut report)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Copies an image between any two transports, named as skopeo names them:
/// `docker://HOST/REPO[:TAG|@DIGEST]` (a registry; a name without a
/// transport prefix is a registry reference too), `oci:DIR[:REF]` (an OCI
/// layout, REF its `org.opencontainers.image.ref.name`), `oci-archive:FILE[:REF]`
/// (a layout in a tar file), `docker-archive:FILE[:REPO:TAG|:@N]` (`docker
/// save` tarballs; writing one takes a single image) and `dir:DIR`
/// (skopeo's directory format). Blobs stream from source to destination,
/// verified on the way, independent ones at once; within one registry they
/// are mounted. Manifests move byte for byte (digests stay), except out of
/// a docker-archive, which has none: its manifest is generated as skopeo
/// generates it (same digest as skopeo's from the same archive; skopeo
/// then gzips the layers for a registry, ocireg keeps them as they are),
/// and a Docker schema 2 image or manifest list into `oci:` or
/// `oci-archive:`, converted to OCI as skopeo converts it (not when
/// referrers are carried).
/// A destination file or directory appears only when complete.
///
/// @param client the client.
/// @param source the image or index to copy.
/// @param target where to copy it.
/// @param options the image options, or NULL for the defaults.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the digest of what was copied (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call, writable outputs.
        let (c, s, t, (options, mut report), out) = unsafe {
            (
                client_for(client, cancel)?,
                str_arg(source, "source")?,
                str_arg(target, "target")?,
                image_options(options),
                opt_out_arg(digest_out),
            )
        };
        let (s, t) = (ImageName::parse(s)?, ImageName::parse(t)?);
        let digest = c.copy_image(&s, &t, &options, &mut report)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Writes an image to a docker-archive tarball (`docker load` reads it).
/// The file appears only when complete.
///
/// @param client the client.
/// @param reference the image or index, by tag or digest.
/// @param path the tarball's path.
/// @param options the image options, or NULL for the defaults.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the manifest's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call, writable outputs.
        let (c, r, path, (options, mut report), out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                str_arg(path, "path")?,
                image_options(options),
                opt_out_arg(digest_out),
            )
        };
        let digest = c.save(&r, Path::new(path), &options, &mut report)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Describes an image as JSON, with skopeo inspect's field names.
///
/// @param client the client.
/// @param reference the image or index, by tag or digest.
/// @param options the image options (the platform), or NULL for the
///        defaults.
/// @param with_tags non-zero: `RepoTags` lists the repository's tags.
/// @param cancel NULL, or a signal that stops the call.
/// @param json_out receives the JSON text; free it with `ocireg_string_free`.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, (options, _)) = unsafe {
            (
                out_arg(json_out, "json_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                image_options(options),
            )
        };
        let info = c.inspect(&r, &options, with_tags != 0)?;
        let json = serde_json::to_string_pretty(&info)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("inspect JSON: {e}")))?;
        out.write(into_c_string(&json));
        Ok(())
    })
}
