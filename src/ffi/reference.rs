//! `ocireg_reference`: image references parsed and normalized like docker,
//! and registry names normalized (`ocireg_registry_normalize`).

use std::ffi::{CString, c_char};
use std::ptr;

use super::args::str_arg;
use super::guard::{FfiResult, guard, guard_value};
use super::handle::{free_handle, get, out_arg};
use super::last_error::c_string;
use super::lists::into_c_string;
use super::status::ocireg_status;
use crate::reference::Reference;
use crate::registry::Registry;

/// A parsed, normalized image reference (`docker.io/library/ubuntu:latest`).
/// Immutable: its accessors may be called from any number of threads at
/// once. The strings they return belong to the reference and stay valid
/// until `ocireg_reference_free`.
pub struct ocireg_reference {
    registry: CString,
    api_host: CString,
    repository: CString,
    tag: Option<CString>,
    digest: Option<CString>,
    canonical: CString,
    familiar: CString,
}

impl ocireg_reference {
    /// The C strings of every part of `reference`.
    fn new(reference: &Reference) -> ocireg_reference {
        ocireg_reference {
            registry: c_string(reference.registry()),
            api_host: c_string(reference.api_host()),
            repository: c_string(reference.repository()),
            tag: reference.tag().map(c_string),
            digest: reference.digest().map(|d| c_string(d.as_str())),
            canonical: c_string(&reference.to_string()),
            familiar: c_string(&reference.familiar()),
        }
    }
}

/// Parses and normalizes an image reference the way docker does:
/// `ubuntu` is `docker.io/library/ubuntu:latest`, `index.docker.io` is
/// `docker.io`, a reference without tag or digest gets the tag `latest`, and
/// the repository path may be at most 255 bytes long.
///
/// @param text the reference, `[registry/]repository[:tag][@digest]`.
/// @param reference_out receives the reference (free it with
///        `ocireg_reference_free`).
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_REFERENCE` (or
///         `OCIREG_ERR_INVALID_DIGEST` for the part after `@`) with the
///         reason in `ocireg_last_error_message()`; or
///         `OCIREG_ERR_NULL_ARGUMENT` / `OCIREG_ERR_INVALID_UTF8`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_parse(
    text: *const c_char,
    reference_out: *mut *mut ocireg_reference,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: C strings, writable outputs.
        let (out, text) = unsafe {
            (
                out_arg(reference_out, "reference_out")?,
                str_arg(text, "text")?,
            )
        };
        out.write_handle(ocireg_reference::new(&Reference::parse(text)?));
        Ok(())
    })
}

/// One string part of a reference, or NULL for a NULL reference.
///
/// # Safety
/// `reference` is NULL or a live `ocireg_reference`.
unsafe fn part(
    reference: *const ocireg_reference,
    pick: impl FnOnce(&ocireg_reference) -> Option<&CString>,
) -> *const c_char {
    guard_value(ptr::null(), || {
        // SAFETY: NULL or a live reference, as the caller promises.
        let reference = unsafe { get(reference) };
        reference.and_then(pick).map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// The registry as references spell it: `docker.io`, `localhost:5000`.
///
/// @param reference the reference.
/// @return the registry, owned by the reference; NULL if `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_registry(
    reference: *const ocireg_reference,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| Some(&r.registry)) }
}

/// The `host[:port]` that serves the registry's API: `registry-1.docker.io`
/// for `docker.io`, the registry itself otherwise.
///
/// @param reference the reference.
/// @return the host, owned by the reference; NULL if `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_api_host(
    reference: *const ocireg_reference,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| Some(&r.api_host)) }
}

/// The repository path (`library/ubuntu`).
///
/// @param reference the reference.
/// @return the path, owned by the reference; NULL if `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_repository(
    reference: *const ocireg_reference,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| Some(&r.repository)) }
}

/// The tag (`latest` when the text named neither tag nor digest).
///
/// @param reference the reference.
/// @return the tag, owned by the reference; NULL when it has no tag (a
///         digest only) or `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_tag(reference: *const ocireg_reference) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| r.tag.as_ref()) }
}

/// The digest (`sha256:...`).
///
/// @param reference the reference.
/// @return the digest, owned by the reference; NULL when it has none or
///         `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_digest(
    reference: *const ocireg_reference,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| r.digest.as_ref()) }
}

/// The canonical string, `registry/repository[:tag][@digest]`
/// (`docker.io/library/ubuntu:latest`); it parses back to the same
/// reference.
///
/// @param reference the reference.
/// @return the string, owned by the reference; NULL if `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_canonical(
    reference: *const ocireg_reference,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| Some(&r.canonical)) }
}

/// The familiar (short) string, as docker's `FamiliarString`:
/// `ubuntu:latest` for `docker.io/library/ubuntu:latest`, `user/app:v1` for
/// `docker.io/user/app:v1`, the canonical string for other registries. It
/// parses back to the same reference.
///
/// @param reference the reference.
/// @return the string, owned by the reference; NULL if `reference` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_familiar(
    reference: *const ocireg_reference,
) -> *const c_char {
    // SAFETY: forwarded from the caller's promise.
    unsafe { part(reference, |r| Some(&r.familiar)) }
}

/// Frees a reference and the strings its accessors returned.
///
/// @param reference the reference, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_reference_free(reference: *mut ocireg_reference) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live reference, freed once.
        unsafe { free_handle(reference) }
    });
}

/// Normalizes a registry name a user gave (`docker login`'s argument, an
/// auth-file key): a scheme and a path are dropped (`localhost:5000/team` is
/// `localhost:5000`), the host is lower-cased, and Docker Hub's aliases
/// (`index.docker.io`, `registry-1.docker.io`,
/// `https://index.docker.io/v1/`) are `docker.io`.
///
/// @param name the registry name.
/// @param registry_out receives the normalized name (free it with
///        `ocireg_string_free`).
/// @return `OCIREG_OK`; `OCIREG_ERR_INVALID_REFERENCE` when the name is not
///         a valid `host[:port]`, with the reason in
///         `ocireg_last_error_message()`; or `OCIREG_ERR_NULL_ARGUMENT` /
///         `OCIREG_ERR_INVALID_UTF8`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_registry_normalize(
    name: *const c_char,
    registry_out: *mut *mut c_char,
) -> ocireg_status {
    guard(|| -> FfiResult {
        // SAFETY: the header's conventions: C strings, writable outputs.
        let (out, name) = unsafe {
            (
                out_arg(registry_out, "registry_out")?,
                str_arg(name, "name")?,
            )
        };
        out.write(into_c_string(Registry::normalize(name)?.as_str()));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::ffi::last_error::{ocireg_last_error_message, ocireg_last_error_status};
    use crate::ffi::lists::ocireg_string_free;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a string the reference owns, still alive.
        unsafe { p.as_ref() }.map(|_| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    fn parse(input: &CStr) -> Result<*mut ocireg_reference, ocireg_status> {
        let mut out = ptr::null_mut();
        // SAFETY: a C string and a writable slot.
        match unsafe { ocireg_reference_parse(input.as_ptr(), &mut out) } {
            ocireg_status::OCIREG_OK => Ok(out),
            status => Err(status),
        }
    }

    #[test]
    fn parses_into_its_parts() {
        let r = parse(c"ubuntu").unwrap();
        // SAFETY: `r` is live until freed below.
        unsafe {
            assert_eq!(
                text(ocireg_reference_registry(r)).as_deref(),
                Some("docker.io")
            );
            assert_eq!(
                text(ocireg_reference_api_host(r)).as_deref(),
                Some("registry-1.docker.io")
            );
            assert_eq!(
                text(ocireg_reference_repository(r)).as_deref(),
                Some("library/ubuntu")
            );
            assert_eq!(text(ocireg_reference_tag(r)).as_deref(), Some("latest"));
            assert_eq!(text(ocireg_reference_digest(r)), None);
            assert_eq!(
                text(ocireg_reference_canonical(r)).as_deref(),
                Some("docker.io/library/ubuntu:latest")
            );
            assert_eq!(
                text(ocireg_reference_familiar(r)).as_deref(),
                Some("ubuntu:latest")
            );
            ocireg_reference_free(r);
            ocireg_reference_free(ptr::null_mut());
            assert!(ocireg_reference_tag(ptr::null()).is_null());
        }
    }

    #[test]
    fn bad_input_is_invalid_reference_and_writes_nothing() {
        let mut out = ptr::dangling_mut::<ocireg_reference>();
        // SAFETY: a C string and a writable slot.
        let status = unsafe { ocireg_reference_parse(c"Ubuntu".as_ptr(), &mut out) };
        assert_eq!(status, ocireg_status::OCIREG_ERR_INVALID_REFERENCE);
        assert_eq!(out, ptr::dangling_mut::<ocireg_reference>());
        assert_eq!(ocireg_last_error_status(), status);
        let message = text(ocireg_last_error_message()).unwrap();
        assert!(message.contains("must be lowercase"), "{message}");
        // SAFETY: NULL arguments are checked.
        let status = unsafe { ocireg_reference_parse(ptr::null(), &mut out) };
        assert_eq!(status, ocireg_status::OCIREG_ERR_NULL_ARGUMENT);
        // SAFETY: as above.
        let status = unsafe { ocireg_reference_parse(c"x".as_ptr(), ptr::null_mut()) };
        assert_eq!(status, ocireg_status::OCIREG_ERR_NULL_ARGUMENT);
    }

    #[test]
    fn normalizes_registry_names() {
        let mut out = ptr::null_mut();
        // SAFETY: a C string and a writable slot; the result freed once.
        unsafe {
            let status =
                ocireg_registry_normalize(c"https://index.docker.io/v1/".as_ptr(), &mut out);
            assert_eq!(status, ocireg_status::OCIREG_OK);
            assert_eq!(text(out).as_deref(), Some("docker.io"));
            ocireg_string_free(out);
            let status = ocireg_registry_normalize(c"bad_host:5000".as_ptr(), &mut out);
            assert_eq!(status, ocireg_status::OCIREG_ERR_INVALID_REFERENCE);
        }
        let message = text(ocireg_last_error_message()).unwrap();
        assert!(message.contains("invalid registry name"), "{message}");
    }
}
