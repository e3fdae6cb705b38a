//! The C ABI. Every export checks its arguments, runs inside the panic
//! boundary, calls one blocking-facade method and converts the result.
//! Nothing here knows the registry protocol.
//!
//! The conventions every export keeps (ownership, NULL, outputs, threads,
//! callbacks, the last error) are stated once, for C readers, in the
//! header's preamble (`cbindgen.toml`). That preamble is also the safety
//! contract of every `unsafe extern "C"` function here, so the exports carry
//! `@param`/`@return` docs instead of a `# Safety` section each, and a
//! "Requires:" line only where a function asks for more. Inside, each
//! export has at most one `unsafe` block: the helpers of `handle`, `args`
//! and `callbacks` take the raw pointers under that one promise.

#![allow(non_camel_case_types)]
// The exports' safety contract is the header preamble, stated once.
#![allow(clippy::missing_safety_doc)]
// The docs are C docs (cbindgen copies them): `@param` names stay bare.
#![allow(clippy::doc_markdown)]

// The helpers every export uses; they export nothing.
pub mod args;
pub mod callbacks;
pub mod guard;
pub mod handle;
pub(crate) mod panic_log;
pub(crate) mod signals;

// The exports, in the order the header presents them (cbindgen follows
// these declarations; the blank lines keep rustfmt from sorting them).
pub mod status;

pub mod last_error;

pub mod log;

pub mod reference;

pub mod options;
pub mod options_certs_oauth2;

pub mod registries_conf;

pub mod client;

pub mod cancel;

pub mod registry;

pub mod login;

pub mod search;

pub mod tags;

pub mod manifests;

pub mod rate_limit;

pub mod referrers;

pub mod signatures;

pub mod lists;

pub mod blobs;

pub mod blob_reader;

pub mod upload;

pub mod request;

pub mod image;

pub mod artifact;
pub mod image_source;
pub mod platforms;

pub mod annotated;
pub mod image_signatures;
pub mod index_author;
pub mod resolve_name;
// The setters option handles share (exports nothing).
pub mod option_fields;

use std::ffi::c_char;

/// The library's version, the crate version, such as `"0.1.0"`.
///
/// @return a static string, never NULL and never to be freed; it equals
///         `OCIREG_VERSION` when the header matches the library.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_header_is_current() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/ocireg.h"));
        let checked_in = include_str!("../../include/ocireg.h");
        assert!(
            generated == checked_in,
            "include/ocireg.h is stale: run `make header` and commit it"
        );
    }

    #[test]
    fn header_version_macros_match_the_crate() {
        let header = include_str!("../../include/ocireg.h");
        let macro_value = |name: &str| {
            header
                .lines()
                .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        assert_eq!(
            macro_value("OCIREG_VERSION").as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            macro_value("OCIREG_VERSION_MAJOR").as_deref(),
            Some(env!("CARGO_PKG_VERSION_MAJOR"))
        );
        assert_eq!(
            macro_value("OCIREG_VERSION_MINOR").as_deref(),
            Some(env!("CARGO_PKG_VERSION_MINOR"))
        );
        assert_eq!(
            macro_value("OCIREG_VERSION_PATCH").as_deref(),
            Some(env!("CARGO_PKG_VERSION_PATCH"))
        );
        // SAFETY: ocireg_version returns a static NUL-terminated string.
        let runtime = unsafe { std::ffi::CStr::from_ptr(ocireg_version()) };
        assert_eq!(runtime.to_str().ok(), Some(env!("CARGO_PKG_VERSION")));
    }
}
