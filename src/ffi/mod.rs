//! The C ABI. Every export checks its arguments, runs inside the panic
//! boundary, calls one blocking-facade method and converts the result.
//! Nothing here knows the registry protocol.
//!
//! Thread safety: `ocireg_client`, `ocireg_options` (once built) and
//! `ocireg_cancel` may be shared between threads; readers, uploads and
//! lists are used by one thread at a time.

#![allow(non_camel_case_types)]

pub mod cancel;
pub mod client;
pub mod guard;
pub mod image;
pub mod last_error;
pub mod lists;
pub mod options;
pub mod reference;
pub(crate) mod signals;
pub mod status;
pub mod transfer;
pub mod upload;

use std::ffi::c_char;

use self::status::ocireg_status;

/// The library version (the crate version), as a static NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The static name of a status, such as `"NOT_FOUND"`; `"UNKNOWN"` for a
/// value that is not a status. Never NULL; never freed.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_status_str(status: u32) -> *const c_char {
    ocireg_status::ALL
        .iter()
        .find(|s| **s as u32 == status)
        .map(|s| s.c_name())
        .unwrap_or(c"UNKNOWN")
        .as_ptr()
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

    #[test]
    fn status_str_names_every_status() {
        for s in ocireg_status::ALL {
            // SAFETY: ocireg_status_str returns a static C string.
            let name = unsafe { std::ffi::CStr::from_ptr(ocireg_status_str(s as u32)) };
            assert_eq!(name.to_str().ok(), Some(s.name()));
        }
        // SAFETY: as above.
        let unknown = unsafe { std::ffi::CStr::from_ptr(ocireg_status_str(77)) };
        assert_eq!(unknown.to_str().ok(), Some("UNKNOWN"));
    }
}
