//! `ocireg_client` and its registry calls (everything but blob transfers
//! and uploads, which are in `transfer` and `upload`).

use std::ffi::c_char;

use bytes::Bytes;

use super::cancel::ocireg_cancel;
use super::guard::{
    FfiResult, bytes_arg, guard, guard_value, opt_str_arg, out_arg, ref_arg, str_arg, write_out,
};
use super::lists::{into_c_string, ocireg_content, ocireg_descriptor_list, ocireg_string_list};
use super::options::ocireg_options;
use super::status::ocireg_status;
use crate::blocking::Client;
use crate::digest::Digest;
use crate::image::Platform;
use crate::reference::Reference;
use crate::transport::config::ClientOptions;

/// A registry client: one connection pool, one token cache. Thread-safe:
/// share one client between all threads. Free with `ocireg_client_free`
/// after every call on it returned.
pub struct ocireg_client {
    pub(crate) inner: Client,
}

/// The client a call runs on: with the cancel signal when one was given.
///
/// # Safety
/// `client` and `cancel` are NULL or live handles.
pub(crate) unsafe fn client_for(
    client: *const ocireg_client,
    cancel: *const ocireg_cancel,
) -> FfiResult<Client> {
    // SAFETY: forwarded from the caller's promise.
    let c = unsafe { ref_arg(client, "client") }?;
    // SAFETY: NULL or a live signal.
    Ok(match unsafe { cancel.as_ref() } {
        Some(cancel) => c.inner.with_cancel(&cancel.token),
        None => c.inner.clone(),
    })
}

/// Parses a reference argument.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
pub(crate) unsafe fn reference_arg(ptr: *const c_char, name: &'static str) -> FfiResult<Reference> {
    // SAFETY: forwarded.
    Ok(Reference::parse(unsafe { str_arg(ptr, name) }?)?)
}

/// Parses a digest argument.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
pub(crate) unsafe fn digest_arg(ptr: *const c_char, name: &'static str) -> FfiResult<Digest> {
    // SAFETY: forwarded.
    Ok(Digest::parse(unsafe { str_arg(ptr, name) }?)?)
}

/// Creates a client with `options` (NULL for the defaults) into `*client_out`.
///
/// # Safety
/// `options` is NULL or live; `client_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_new(
    options: *const ocireg_options,
    client_out: *mut *mut ocireg_client,
) -> ocireg_status {
    guard(|| {
        out_arg(client_out, "client_out")?;
        // SAFETY: NULL or live options.
        let options = unsafe { options.as_ref() }
            .map(|o| o.inner.clone())
            .unwrap_or_else(ClientOptions::default);
        let inner = Client::new(options)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(client_out, Box::into_raw(Box::new(ocireg_client { inner }))) };
        Ok(())
    })
}

/// Frees a client; NULL is a no-op. No call may still be running on it.
///
/// # Safety
/// `client` is NULL or live and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_free(client: *mut ocireg_client) {
    guard_value((), || {
        if !client.is_null() {
            // SAFETY: made by Box::into_raw in ocireg_client_new; freed once.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Checks that `registry` (`host[:port]`) speaks the V2 API.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_ping(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, registry) =
            unsafe { (client_for(client, cancel)?, str_arg(registry, "registry")?) };
        Ok(c.ping(registry)?)
    })
}

/// Validates the configured credentials for `registry`, like `docker login`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_check_credentials(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, registry) =
            unsafe { (client_for(client, cancel)?, str_arg(registry, "registry")?) };
        Ok(c.check_credentials(registry)?)
    })
}

/// Lists the repositories of `registry` into `*list_out`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_catalog(
    client: *const ocireg_client,
    registry: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_string_list,
) -> ocireg_status {
    guard(|| {
        out_arg(list_out, "list_out")?;
        // SAFETY: forwarded from the caller.
        let (c, registry) =
            unsafe { (client_for(client, cancel)?, str_arg(registry, "registry")?) };
        let repos = c.catalog(registry)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(list_out, ocireg_string_list::boxed(repos)) };
        Ok(())
    })
}

/// Lists the tags of the repository of `repository` (a reference; any tag
/// in it is ignored) into `*list_out`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_tags(
    client: *const ocireg_client,
    repository: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_string_list,
) -> ocireg_status {
    guard(|| {
        out_arg(list_out, "list_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
            )
        };
        let tags = c.tags(&r)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(list_out, ocireg_string_list::boxed(tags)) };
        Ok(())
    })
}

/// Fetches the manifest or index `reference` into `*manifest_out`
/// (verified when the reference has a digest).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_get(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    manifest_out: *mut *mut ocireg_content,
) -> ocireg_status {
    guard(|| {
        out_arg(manifest_out, "manifest_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        let m = c.get_manifest(&r)?;
        let content = ocireg_content::boxed(m.bytes, &m.media_type, &m.digest);
        // SAFETY: checked non-NULL above.
        unsafe { write_out(manifest_out, content) };
        Ok(())
    })
}

/// Fetches the config of image `reference` into `*config_out`: through an
/// index, the image for `platform` (`os/arch[/variant]`; NULL for this
/// machine's) is chosen. The config is verified against its digest.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_config_get(
    client: *const ocireg_client,
    reference: *const c_char,
    platform: *const c_char,
    cancel: *const ocireg_cancel,
    config_out: *mut *mut ocireg_content,
) -> ocireg_status {
    guard(|| {
        out_arg(config_out, "config_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r, platform) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(platform, "platform")?,
            )
        };
        let platform = match platform {
            Some(p) => Platform::parse(p)?,
            None => Platform::host(),
        };
        let config = c.image_config(&r, &platform)?;
        let content = ocireg_content::boxed(config.bytes, &config.media_type, &config.digest);
        // SAFETY: checked non-NULL above.
        unsafe { write_out(config_out, content) };
        Ok(())
    })
}

/// The digest (freed with `ocireg_string_free`), size and media type (freed
/// likewise) of manifest `reference`, without its body. Any of the three
/// outputs may be NULL when not wanted.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_head(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
    size_out: *mut u64,
    media_type_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        let info = c.head_manifest(&r)?;
        // SAFETY: each output is NULL (skipped) or writable.
        unsafe {
            if !digest_out.is_null() {
                write_out(digest_out, into_c_string(info.digest.as_str()));
            }
            if !size_out.is_null() {
                write_out(size_out, info.size);
            }
            if !media_type_out.is_null() {
                write_out(media_type_out, into_c_string(&info.media_type));
            }
        }
        Ok(())
    })
}

/// Pushes `len` bytes of manifest with `media_type` to `reference` (its tag,
/// or its digest) and gives its digest in `*digest_out` (free with
/// `ocireg_string_free`; may be NULL when not wanted).
///
/// # Safety
/// Pointers are NULL or valid; `data` has `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_put(
    client: *const ocireg_client,
    reference: *const c_char,
    data: *const u8,
    len: usize,
    media_type: *const c_char,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r, bytes, media_type) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                bytes_arg(data, len, "data")?,
                str_arg(media_type, "media_type")?,
            )
        };
        let digest = c.put_manifest(&r, Bytes::copy_from_slice(bytes), media_type)?;
        if !digest_out.is_null() {
            // SAFETY: non-NULL, writable.
            unsafe { write_out(digest_out, into_c_string(digest.as_str())) };
        }
        Ok(())
    })
}

/// Pushes one manifest under `tag_count` tags of the repository of
/// `repository` (by digest when `tag_count` is 0); `*digest_out` as in
/// `ocireg_client_manifest_put`.
///
/// # Safety
/// Pointers are NULL or valid; `tags` has `tag_count` C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_put_tags(
    client: *const ocireg_client,
    repository: *const c_char,
    tags: *const *const c_char,
    tag_count: usize,
    data: *const u8,
    len: usize,
    media_type: *const c_char,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r, bytes, media_type) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                bytes_arg(data, len, "data")?,
                str_arg(media_type, "media_type")?,
            )
        };
        let mut tag_list = Vec::with_capacity(tag_count);
        if tag_count > 0 {
            if tags.is_null() {
                return Err(super::guard::FfiError::Null("tags"));
            }
            // SAFETY: non-NULL with `tag_count` entries, as promised.
            let ptrs = unsafe { std::slice::from_raw_parts(tags, tag_count) };
            for p in ptrs {
                // SAFETY: each entry is NULL or a C string.
                tag_list.push(unsafe { str_arg(*p, "tags[i]") }?.to_string());
            }
        }
        let digest =
            c.put_manifest_tags(&r, &tag_list, Bytes::copy_from_slice(bytes), media_type)?;
        if !digest_out.is_null() {
            // SAFETY: non-NULL, writable.
            unsafe { write_out(digest_out, into_c_string(digest.as_str())) };
        }
        Ok(())
    })
}

/// Deletes manifest `reference` (a tag is resolved to its digest first,
/// which removes every tag of that manifest).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_delete(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        Ok(c.delete_manifest(&r)?)
    })
}

/// Lists the manifests whose `subject` is `reference`, filtered by
/// `artifact_type` (NULL for all), into `*list_out`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_referrers(
    client: *const ocireg_client,
    reference: *const c_char,
    artifact_type: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_descriptor_list,
) -> ocireg_status {
    guard(|| {
        out_arg(list_out, "list_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r, artifact_type) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(artifact_type, "artifact_type")?,
            )
        };
        let found = c.referrers(&r, artifact_type)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(list_out, ocireg_descriptor_list::boxed(found)) };
        Ok(())
    })
}

/// The size of blob `digest` in `repository` into `*size_out`
/// (`OCIREG_ERR_NOT_FOUND` when absent).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_head(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    cancel: *const ocireg_cancel,
    size_out: *mut u64,
) -> ocireg_status {
    guard(|| {
        out_arg(size_out, "size_out")?;
        // SAFETY: forwarded from the caller.
        let (c, r, d) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        let info = c.head_blob(&r, &d)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(size_out, info.size) };
        Ok(())
    })
}

/// Deletes blob `digest` from `repository`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_delete(
    client: *const ocireg_client,
    repository: *const c_char,
    digest: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r, d) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                digest_arg(digest, "digest")?,
            )
        };
        Ok(c.delete_blob(&r, &d)?)
    })
}

/// Uploads `len` bytes held in memory as one blob (POST then PUT) into
/// `repository`; `*digest_out` (may be NULL) gets its digest.
///
/// # Safety
/// Pointers are NULL or valid; `data` has `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_blob_push(
    client: *const ocireg_client,
    repository: *const c_char,
    data: *const u8,
    len: usize,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let (c, r, bytes) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                bytes_arg(data, len, "data")?,
            )
        };
        let digest = c.push_blob(&r, Bytes::copy_from_slice(bytes))?;
        if !digest_out.is_null() {
            // SAFETY: non-NULL, writable.
            unsafe { write_out(digest_out, into_c_string(digest.as_str())) };
        }
        Ok(())
    })
}
