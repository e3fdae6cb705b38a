//! containers/image's image-source operations on any transport: the raw
//! manifest, inspect, the layers into a directory, the intended docker
//! reference and the tags, each taking an image name with skopeo's
//! transport prefix (`docker://`, `oci:`, `oci-archive:`,
//! `docker-archive:`, `dir:`; a bare reference is a registry's).

use std::ffi::{c_char, c_int};
use std::path::Path;

use serde_json::json;

use super::args::str_arg;
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::out_arg;
use super::image::{image_options, ocireg_image_options};
use super::lists::{into_c_string, ocireg_content, ocireg_string_list};
use super::status::ocireg_status;
use crate::error::{Error, ErrorKind};
use crate::image::ImageName;

/// Fetches the manifest an image name names, byte for byte (`skopeo
/// inspect --raw`): the index of a multi-platform image, or, when
/// `options` sets a platform, the image manifest that platform selects
/// from it. A docker-archive holds no manifest: it gets the one skopeo
/// generates for it (same bytes, same digest).
///
/// @param client the client.
/// @param name the image, with its transport (`oci:DIR:REF`,
///        `docker-archive:FILE`, `docker://HOST/REPO:TAG`, ...).
/// @param options the image options (the platform), or NULL for the top
///        manifest.
/// @param cancel NULL, or a signal that stops the call.
/// @param manifest_out receives the manifest; free it with
///        `ocireg_content_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_INVALID_ARGUMENT` for a
///         bad name or a malformed archive, `OCIREG_ERR_NOT_FOUND`, ...).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_source_manifest(
    client: *const ocireg_client,
    name: *const c_char,
    options: *const ocireg_image_options,
    cancel: *const ocireg_cancel,
    manifest_out: *mut *mut ocireg_content,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, name, (options, _)) = unsafe {
            (
                out_arg(manifest_out, "manifest_out")?,
                client_for(client, cancel)?,
                str_arg(name, "name")?,
                image_options(options),
            )
        };
        let m = c.source_manifest(&ImageName::parse(name)?, &options)?;
        out.write(ocireg_content::boxed(m.bytes, &m.media_type, &m.digest));
        Ok(())
    })
}

/// Describes an image on any transport as JSON, with skopeo inspect's
/// field names (`Name`, `Digest`, `RepoTags`, `Created`, `DockerVersion`,
/// `Labels`, `Architecture`, `Os`, `Layers`, `LayersData`, `Env`). `Name`
/// is the repository of the name's intended docker reference (see
/// `ocireg_image_name_intended_reference`) and is left out without one;
/// `RepoTags` lists the repository's tags for a `docker://` name with
/// `with_tags`, and is empty otherwise.
///
/// @param client the client.
/// @param name the image, with its transport.
/// @param options the image options (the platform), or NULL for the
///        defaults.
/// @param with_tags non-zero: `RepoTags` lists a registry repository's tags.
/// @param cancel NULL, or a signal that stops the call.
/// @param json_out receives the JSON text; free it with `ocireg_string_free`.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_source_inspect(
    client: *const ocireg_client,
    name: *const c_char,
    options: *const ocireg_image_options,
    with_tags: c_int,
    cancel: *const ocireg_cancel,
    json_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, name, (options, _)) = unsafe {
            (
                out_arg(json_out, "json_out")?,
                client_for(client, cancel)?,
                str_arg(name, "name")?,
                image_options(options),
            )
        };
        let info = c.inspect_image(&ImageName::parse(name)?, &options, with_tags != 0)?;
        let json = serde_json::to_string_pretty(&info)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("inspect JSON: {e}")))?;
        out.write(into_c_string(&json));
        Ok(())
    })
}

/// Writes the config and the layers of an image on any transport into a
/// directory (created when missing), each as the file named by its
/// digest's hex, as skopeo's `layers` and the `dir:` transport name them.
/// Through an index, the image of the options' platform is taken. Each
/// blob streams into a temporary file, is verified against its digest
/// and size, and only then appears. Without `overwrite`, a file of one of
/// those names already there is an `OCIREG_ERR_INVALID_ARGUMENT` error
/// before anything is written; with it, regular files are replaced
/// (symlinks and directories never). Progress goes to the options'
/// callback.
///
/// @param client the client.
/// @param name the image, with its transport.
/// @param dir the directory.
/// @param options the image options, or NULL for the defaults.
/// @param overwrite non-zero: replace existing files.
/// @param cancel NULL, or a signal that stops the call.
/// @param json_out receives a JSON array, config first, of objects
///        `{"file", "digest", "size", "mediaType"}`; free it with
///        `ocireg_string_free`.
/// @return `OCIREG_OK`, or the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_source_layers(
    client: *const ocireg_client,
    name: *const c_char,
    dir: *const c_char,
    options: *const ocireg_image_options,
    overwrite: c_int,
    cancel: *const ocireg_cancel,
    json_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, callbacks safe to call, writable outputs.
        let (out, c, name, dir, (options, mut report)) = unsafe {
            (
                out_arg(json_out, "json_out")?,
                client_for(client, cancel)?,
                str_arg(name, "name")?,
                str_arg(dir, "dir")?,
                image_options(options),
            )
        };
        let files = c.fetch_layers(
            &ImageName::parse(name)?,
            Path::new(dir),
            &options,
            overwrite != 0,
            &mut report,
        )?;
        let list: Vec<_> = files
            .iter()
            .map(|f| {
                json!({
                    "file": f.file,
                    "digest": f.digest.as_str(),
                    "size": f.size,
                    "mediaType": f.media_type,
                })
            })
            .collect();
        out.write(into_c_string(&serde_json::Value::from(list).to_string()));
        Ok(())
    })
}

/// The docker reference an image name intends (containers/image's
/// `DockerReference`): a `docker://` name's reference; a docker-archive's
/// `RepoTags` entry when the name selects one (`docker-archive:FILE:REPO:TAG`,
/// written out in full: `busybox:1` gives `docker.io/library/busybox:1`);
/// none for `@N`, a docker-archive named by its file alone, `oci:`,
/// `oci-archive:` and `dir:`. No I/O.
///
/// @param name the image, with its transport.
/// @param reference_out receives the reference (free it with
///        `ocireg_string_free`), or NULL when the name intends none.
/// @return `OCIREG_OK`, or `OCIREG_ERR_INVALID_ARGUMENT` /
///         `OCIREG_ERR_INVALID_REFERENCE` for a bad name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_name_intended_reference(
    name: *const c_char,
    reference_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: C strings, writable outputs.
        let (out, name) = unsafe {
            (
                out_arg(reference_out, "reference_out")?,
                str_arg(name, "name")?,
            )
        };
        let intended = ImageName::parse(name)?.intended_docker_reference()?;
        out.write(intended.map_or(std::ptr::null_mut(), |r| into_c_string(&r.to_string())));
        Ok(())
    })
}

/// Lists the tags of a repository by image name: a `docker://` name's
/// repository (its tag or digest ignored; a bare reference works too),
/// or every `RepoTags` entry of a docker-archive (as written, and `@N`
/// for an image without one), as `skopeo list-tags` does.
///
/// @param client the client.
/// @param name `docker://HOST/REPO` or `docker-archive:FILE`.
/// @param cancel NULL, or a signal that stops the call.
/// @param list_out receives the tags; free the list with
///        `ocireg_string_list_free`.
/// @return `OCIREG_OK`, or the error (`OCIREG_ERR_UNSUPPORTED` for the
///         transports without tags: `oci:`, `oci-archive:`, `dir:`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_source_tags(
    client: *const ocireg_client,
    name: *const c_char,
    cancel: *const ocireg_cancel,
    list_out: *mut *mut ocireg_string_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, name) = unsafe {
            (
                out_arg(list_out, "list_out")?,
                client_for(client, cancel)?,
                str_arg(name, "name")?,
            )
        };
        out.write(ocireg_string_list::boxed(
            c.repository_tags(&ImageName::parse(name)?)?,
        ));
        Ok(())
    })
}
