//! Artifacts as oras makes them: files pushed as an image manifest with an
//! `artifactType` (options handle for the type, annotations and subject),
//! and pulled back into a directory.

use std::ffi::{c_char, c_int};
use std::path::{Path, PathBuf};

use super::args::{reference_arg, str_arg, str_array_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::{guard, guard_value};
use super::handle::{free_handle, get, into_handle, mut_arg, opt_out_arg};
use super::lists::{into_c_string, ocireg_string_list};
use super::option_fields::{put_annotation, set_artifact_type};
use super::status::ocireg_status;
use crate::image::{ArtifactFile, ArtifactOptions};

/// Options of an artifact push. Made by `ocireg_artifact_options_new`,
/// freed by `ocireg_artifact_options_free`. One thread at a time.
pub struct ocireg_artifact_options {
    inner: ArtifactOptions,
}

/// Makes artifact options: artifact type `application/vnd.unknown.artifact.v1`,
/// no annotations but `org.opencontainers.image.created` (added at push
/// time, as oras does), no subject.
///
/// @return the options (free them with `ocireg_artifact_options_free`);
///         NULL only if the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_artifact_options_new() -> *mut ocireg_artifact_options {
    guard_value(std::ptr::null_mut(), || {
        into_handle(ocireg_artifact_options {
            inner: ArtifactOptions::default(),
        })
    })
}

/// Frees artifact options.
///
/// @param options the options, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_artifact_options_free(options: *mut ocireg_artifact_options) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or live options, freed once.
        unsafe { free_handle(options) }
    });
}

/// Sets the manifest's `artifactType`.
///
/// @param options the options.
/// @param artifact_type a media type, such as `application/vnd.example+json`.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for an empty type,
///         or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_artifact_options_set_artifact_type(
    options: *mut ocireg_artifact_options,
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

/// Adds (or replaces) an annotation of the manifest. Giving
/// `org.opencontainers.image.created` replaces the time a push adds.
///
/// @param options the options.
/// @param key the annotation's key (not empty).
/// @param value its value.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` for an empty key, or
///         an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_artifact_options_add_annotation(
    options: *mut ocireg_artifact_options,
    key: *const c_char,
    value: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        unsafe { put_annotation(options, "options", key, value, |o| &mut o.inner.annotations) }
    })
}

/// Attaches the artifact to a manifest (its `subject`), which must be in
/// the repository the artifact is pushed to.
///
/// @param options the options.
/// @param subject the subject's reference, by tag or digest.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_REFERENCE`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_artifact_options_set_subject(
    options: *mut ocireg_artifact_options,
    subject: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, s) = unsafe {
            (
                mut_arg(options, "options")?,
                reference_arg(subject, "subject")?,
            )
        };
        o.inner.subject = Some(s);
        Ok(())
    })
}

/// Pushes files as an artifact, as `oras push` does: the empty config, one
/// layer per file titled with its base name
/// (`org.opencontainers.image.title`), the options' type, annotations and
/// subject. Each file is hashed, then streamed and verified as it leaves;
/// the manifest goes last. The same files and options give the same
/// digest as oras.
///
/// @param client the client.
/// @param reference where to push, by tag.
/// @param paths an array of `count` file paths: regular files with
///        distinct base names that are plain file names.
/// @param media_types NULL, or an array of `count` layer media types
///        (`""` for the default, `application/vnd.oci.image.layer.v1.tar`).
/// @param count the number of files, 1 to 1000.
/// @param options NULL for the defaults, or the options.
/// @param cancel NULL, or a signal that stops the call.
/// @param digest_out receives the manifest's digest (free it with
///        `ocireg_string_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` (no files, too many,
///         two with one name, a name that is not a plain file name, a
///         directory, a subject in another repository), `OCIREG_ERR_IO`,
///         or the registry's error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_artifact_push(
    client: *const ocireg_client,
    reference: *const c_char,
    paths: *const *const c_char,
    media_types: *const *const c_char,
    count: usize,
    options: *const ocireg_artifact_options,
    cancel: *const ocireg_cancel,
    digest_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, arrays of `count` entries, writable outputs.
        let (c, r, paths, types, options, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                str_array_arg(paths, count, "paths", "paths[i]")?,
                if media_types.is_null() {
                    Vec::new()
                } else {
                    str_array_arg(media_types, count, "media_types", "media_types[i]")?
                },
                get(options),
                opt_out_arg(digest_out),
            )
        };
        let files: Vec<ArtifactFile> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| ArtifactFile {
                path: PathBuf::from(p),
                media_type: types
                    .get(i)
                    .filter(|t| !t.is_empty())
                    .map(|t| (*t).to_string()),
            })
            .collect();
        let options = options.map(|o| o.inner.clone()).unwrap_or_default();
        let digest = c.push_artifact(&r, &files, &options)?;
        if let Some(out) = out {
            out.write(into_c_string(digest.as_str()));
        }
        Ok(())
    })
}

/// Pulls an artifact's files into a directory (created when missing), each
/// under its title, as `oras pull` does; layers without a title are
/// skipped. Every name is checked before anything is written: a title with
/// `/` or `\`, `.`, `..`, an empty one, a control character, two layers
/// with one title, more than 1000 layers, and (unless `overwrite`) a name
/// that exists are refused; a symlink or directory of that name is refused
/// even with `overwrite`. Each file is written to a temporary file and put
/// in place after its digest checked out, so a failed pull leaves each file
/// complete or absent.
///
/// @param client the client.
/// @param reference the artifact, by tag or digest.
/// @param dir the directory to write into.
/// @param overwrite non-zero: replace existing regular files.
/// @param cancel NULL, or a signal that stops the call.
/// @param names_out receives the names written (free the list with
///        `ocireg_string_list_free`), or NULL when not wanted.
/// @return `OCIREG_OK`, `OCIREG_ERR_INVALID_ARGUMENT` (a refused name),
///         `OCIREG_ERR_DIGEST_MISMATCH`, `OCIREG_ERR_IO`, or the registry's
///         error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_artifact_pull(
    client: *const ocireg_client,
    reference: *const c_char,
    dir: *const c_char,
    overwrite: c_int,
    cancel: *const ocireg_cancel,
    names_out: *mut *mut ocireg_string_list,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (c, r, dir, out) = unsafe {
            (
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
                str_arg(dir, "dir")?,
                opt_out_arg(names_out),
            )
        };
        let pulled = c.pull_artifact(&r, Path::new(dir), overwrite != 0)?;
        if let Some(out) = out {
            out.write(ocireg_string_list::boxed(
                pulled.into_iter().map(|f| f.name).collect(),
            ));
        }
        Ok(())
    })
}
