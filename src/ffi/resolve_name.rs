//! Short names: which reference a name such as `busybox` stands for, as
//! containers/image (podman) resolves it with a registries.conf.

use std::ffi::{c_char, c_int};

use super::args::str_arg;
use super::cancel::ocireg_cancel;
use super::client::{client_for, ocireg_client};
use super::guard::guard;
use super::handle::{opt_out_arg, out_arg};
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::{NameUse, ResolvedName};

/// Resolves `name` (`busybox`, `team/app:1`, or a fully qualified
/// reference) to the reference to use. Without a registries.conf (see
/// `ocireg_options_set_registries_conf`) that is docker's rule: `busybox`
/// is `docker.io/library/busybox:latest`. With one, as podman: a fully
/// qualified name is itself; a short name's alias (the alias cache
/// `short-name-aliases.conf`, then `[aliases]`) is its only candidate;
/// otherwise each `unqualified-search-registries` entry in order. Several
/// candidates under `short-name-mode = "enforcing"` fail with
/// `OCIREG_ERR_INVALID_REFERENCE` ("ambiguous": the library cannot ask the
/// user). Under `permissive` or `disabled`, with `pull` non-zero each
/// candidate's manifest is checked (HEAD, through its mirrors) and the first
/// that exists wins, a failing or blocked one being skipped; with `pull`
/// zero (a push, a listing, a delete) several candidates are an
/// `OCIREG_ERR_INVALID_REFERENCE` rather than a guess. The choice is in the
/// debug log.
///
/// @param client the client.
/// @param name the name.
/// @param pull non-zero to resolve for a pull (try the candidates), zero
///        for any other use (one candidate only).
/// @param cancel NULL, or a signal that stops the call.
/// @param reference_out receives the reference, normalized (free it with
///        `ocireg_string_free`).
/// @param details_json_out receives, unless NULL, a JSON object (free it with
///        `ocireg_string_free`): `{"name", "reference", "rationale":
///        "none"|"alias"|"search-registries"|"docker-default", "origin": the
///        deciding file or null, "skipped": [{"reference", "error"}]}` (the
///        candidates that failed before it).
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_REFERENCE` for a bad or
///         ambiguous name (naming the configuration file); when no
///         candidate exists, the last candidate's error, its message listing
///         every candidate's failure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_client_resolve_name(
    client: *const ocireg_client,
    name: *const c_char,
    pull: c_int,
    cancel: *const ocireg_cancel,
    reference_out: *mut *mut c_char,
    details_json_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: NULL or live handles, C
        // strings, writable outputs.
        let (out, details, c, name) = unsafe {
            (
                out_arg(reference_out, "reference_out")?,
                opt_out_arg(details_json_out),
                client_for(client, cancel)?,
                str_arg(name, "name")?,
            )
        };
        let name_use = if pull != 0 {
            NameUse::Pull
        } else {
            NameUse::Single
        };
        let resolved = c.resolve_name(name, name_use)?;
        if let Some(details) = details {
            details.write(into_c_string(&details_json(name, &resolved)));
        }
        out.write(into_c_string(&resolved.reference.to_string()));
        Ok(())
    })
}

/// The JSON of `ocireg_client_resolve_name`'s `details_json_out`.
fn details_json(name: &str, resolved: &ResolvedName) -> String {
    let skipped: Vec<_> = resolved
        .skipped
        .iter()
        .map(|(reference, error)| {
            serde_json::json!({"reference": reference.to_string(), "error": error})
        })
        .collect();
    serde_json::json!({
        "name": name,
        "reference": resolved.reference.to_string(),
        "rationale": resolved.rationale.as_str(),
        "origin": resolved.origin.as_ref().map(|p| p.display().to_string()),
        "skipped": skipped,
    })
    .to_string()
}
