//! Manifests and indexes: get, head, put (under one tag or many), delete,
//! and the image config reached through them.

use std::ffi::c_char;

use bytes::Bytes;

use super::args::{bytes_arg, opt_str_arg, reference_arg, str_arg, str_array_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::{opt_out_arg, out_arg};
use super::lists::{into_c_string, ocireg_content};
use super::status::ocireg_status;
use crate::image::Platform;

/// Fetches a manifest or index as the registry sent it.
///
/// @param client the client.
/// @param reference the manifest, by tag or digest; with a digest, the
///        bytes are verified against it.
/// @param cancel NULL, or a signal that stops the call.
/// @param manifest_out receives the manifest; free it with
///        `ocireg_content_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_NOT_FOUND`,
///         `OCIREG_ERR_DIGEST_MISMATCH`, ...).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_get(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    manifest_out: *mut *mut ocireg_content,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(manifest_out, "manifest_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        let m = c.get_manifest(&r)?;
        out.write(ocireg_content::boxed(m.bytes, &m.media_type, &m.digest));
        Ok(())
    })
}

/// Fetches the config of an image; through an index, the image for the
/// given platform is chosen. The config is verified against its digest.
///
/// @param client the client.
/// @param reference the image or index, by tag or digest.
/// @param platform `os/arch[/variant]`, or NULL for this machine's.
/// @param cancel NULL, or a signal that stops the call.
/// @param config_out receives the config; free it with `ocireg_content_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_NOT_FOUND` when the index
///         has no image for the platform).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_config_get(
    client: *const ocireg_client,
    reference: *const c_char,
    platform: *const c_char,
    cancel: *const ocireg_cancel,
    config_out: *mut *mut ocireg_content,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r, platform) = unsafe {
            (
                out_arg(config_out, "config_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_str_arg(platform, "platform")?,
            )
        };
        let platform = Platform::parse_or_host(platform)?;
        let config = c.image_config(&r, &platform)?;
        out.write(ocireg_content::boxed(
            config.bytes,
            &config.media_type,
            &config.digest,
        ));
        Ok(())
    })
}

/// Asks for the digest, size and media type of a manifest, without its body.
///
/// @param client the client.
/// @param reference the manifest, by tag or digest.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the digest (free it with `ocireg_string_free`),
///        or NULL when not wanted.
/// @param size_out receives the size in bytes, or NULL when not wanted.
/// @param media_type_out receives the media type (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (c, r, digest_out, size_out, media_type_out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                opt_out_arg(digest_out),
                opt_out_arg(size_out),
                opt_out_arg(media_type_out),
            )
        };
        let info = c.head_manifest(&r)?;
        if let Some(out) = digest_out {
            out.write(into_c_string(info.digest.as_str()));
        }
        if let Some(out) = size_out {
            out.write(info.size);
        }
        if let Some(out) = media_type_out {
            out.write(into_c_string(&info.media_type));
        }
        Ok(())
    })
}

/// Pushes a manifest or index under one tag, or by its digest.
///
/// @param client the client.
/// @param reference where to push: a tag, or a digest that must match.
/// @param data the manifest's bytes, sent as they are.
/// @param len the number of bytes in `data`.
/// @param media_type the manifest's media type (its `Content-Type`).
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the manifest's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, readable buffers, writable outputs.
        let (c, r, bytes, media_type, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                bytes_arg(data, len, "data")?,
                str_arg(media_type, "media_type")?,
                opt_out_arg(digest_out),
            )
        };
        let digest = c.put_manifest(&r, Bytes::copy_from_slice(bytes), media_type)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Pushes one manifest under several tags of a repository (by its digest
/// when there are none).
///
/// @param client the client.
/// @param repository a reference naming the repository; a tag in it is
///        ignored.
/// @param tags an array of `tag_count` tags (NULL when `tag_count` is 0).
/// @param tag_count the number of tags.
/// @param data the manifest's bytes, sent as they are.
/// @param len the number of bytes in `data`.
/// @param media_type the manifest's media type.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the manifest's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, or the error.
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
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings and string arrays, readable buffers, writable outputs.
        let (c, r, bytes, media_type, tags, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(repository, "repository")?,
                bytes_arg(data, len, "data")?,
                str_arg(media_type, "media_type")?,
                str_array_arg(tags, tag_count, "tags", "tags[i]")?,
                opt_out_arg(digest_out),
            )
        };
        let tags: Vec<String> = tags.into_iter().map(str::to_string).collect();
        let digest = c.put_manifest_tags(&r, &tags, Bytes::copy_from_slice(bytes), media_type)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Deletes a manifest. A tag is resolved to its digest first, and the
/// manifest is deleted by digest, so every tag of that manifest goes with
/// it, not only the one named. To delete one tag and keep the manifest,
/// use `ocireg_client_untag`.
///
/// @param client the client.
/// @param reference the manifest, by tag or digest.
/// @param cancel NULL, or a signal that stops the call.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_manifest_delete(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C strings.
        let (c, r) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        Ok(c.delete_manifest(&r)?)
    })
}
