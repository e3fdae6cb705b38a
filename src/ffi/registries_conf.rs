//! registries.conf (containers-registries.conf(5)): the options that make a
//! client follow one, and which endpoint serves a pull.

use std::ffi::{c_char, c_int};

use super::args::{reference_arg, str_arg};
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::{mut_arg, out_arg};
use super::lists::into_c_string;
use super::options::ocireg_options;
use super::status::ocireg_status;
use crate::options::check_readable_file;
use crate::registries_conf::ConfPaths;

/// Makes the client follow the registries.conf at `path` and the drop-in
/// directories (`/etc/containers/registries.conf.d`, then
/// `$HOME/.config/containers/registries.conf.d`, `*.conf` in lexical
/// order), as skopeo's `--registries-conf` does. Pulls (manifest and blob
/// reads, whole-image pulls, copies' sources) then try the mirrors of the
/// reference's `[[registry]]` entry in order (honouring `pull-from-mirror`
/// and `mirror-by-digest-only`), then its location (rewritten when the
/// entry says so), all blobs of an image from the endpoint that served its
/// manifest; pushes, listings and referrers go to the reference's registry
/// only. A `blocked` entry fails every request to it with
/// `OCIREG_ERR_DENIED`, naming the file, before anything is sent;
/// `insecure` endpoints may be reached over plain HTTP or without
/// certificate checks. The files are read by `ocireg_client_new`, which
/// fails with `OCIREG_ERR_INVALID_ARGUMENT` naming the file (and the line of
/// a TOML error) on a bad one. Without this call (or
/// `ocireg_options_use_system_registries_conf`) no registries.conf is read.
///
/// @param options the options.
/// @param path the file's path.
/// @return `OCIREG_OK`, or the argument error; `OCIREG_ERR_INVALID_ARGUMENT`
///         (naming the path) when it is not a regular file this process can
///         read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_set_registries_conf(
    options: *mut ocireg_options,
    path: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, C strings.
        let (o, path) = unsafe { (mut_arg(options, "options")?, str_arg(path, "path")?) };
        check_readable_file("registries.conf", path.as_ref())?;
        o.inner.registries_conf = Some(ConfPaths::explicit(path.into()));
        Ok(())
    })
}

/// Makes the client follow (non-zero) or not follow (zero) the
/// registries.conf containers/image would read: `$CONTAINERS_REGISTRIES_CONF`
/// when set, else `$HOME/.config/containers/registries.conf` when it exists
/// (with its drop-in directory only), else `/etc/containers/registries.conf`
/// (missing is no configuration), with the drop-ins of
/// `ocireg_options_set_registries_conf`. Zero also forgets a path set
/// there.
///
/// @param options the options.
/// @param enabled non-zero to follow the system's configuration, zero for none.
/// @return `OCIREG_OK`, or the argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_options_use_system_registries_conf(
    options: *mut ocireg_options,
    enabled: c_int,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options.
        let o = unsafe { mut_arg(options, "options")? };
        o.inner.registries_conf = (enabled != 0).then(ConfPaths::system);
        Ok(())
    })
}

/// Which endpoint serves a pull of `reference` now: fetches the manifest
/// as a pull does (the mirrors first, with a registries.conf) and gives the
/// reference it was fetched as (`mirror:5000/team/app:v1`, or `reference`
/// itself, normalized, when no mirror or rewrite applied). The debug log
/// says the same for every pull.
///
/// @param client the client.
/// @param reference the image, by tag or digest.
/// @param cancel NULL, or a signal that stops the call.
/// @param source_out receives the reference (free it with
///        `ocireg_string_free`).
/// @return `OCIREG_OK`, or the error of the last endpoint tried (its
///         message also lists the mirrors' failures); `OCIREG_ERR_DENIED`
///         for a blocked registry.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_pull_source(
    client: *const ocireg_client,
    reference: *const c_char,
    cancel: *const ocireg_cancel,
    source_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, c, r) = unsafe {
            (
                out_arg(source_out, "source_out")?,
                client_for(client, cancel)?,
                reference_arg(reference, "reference")?,
            )
        };
        let source = c.pull_source(&r)?;
        out.write(into_c_string(&source.to_string()));
        Ok(())
    })
}
