//! The image option that makes copy carry the image's signatures.

use std::ffi::{c_char, c_int};
use std::path::PathBuf;

use super::args::opt_str_arg;
use super::guard::guard;
use super::handle::mut_arg;
use super::image::ocireg_image_options;
use super::status::ocireg_status;
use crate::signatures::SignatureOptions;

/// Chooses whether copy carries the image's signatures (default: no).
/// When it does, the signatures of every manifest the copy moves are read
/// where containers' registries.d says the source registry keeps them (its
/// lookaside, and its sigstore `.sig` attachments when
/// `use-sigstore-attachments` is set), and put where it says the
/// destination keeps them (its `file://` `lookaside-staging`, or its
/// `.sig` attachments), byte for byte. They are all read, and the
/// destination's configuration checked, before anything is written, and
/// written once the image is in place. Only registries have signatures
/// beside them: a copy, pull or push with an OCI layout or archive at
/// either end fails with `OCIREG_ERR_INVALID_ARGUMENT` while this is set
/// (sigstore attachments travel into layouts with
/// `ocireg_image_options_set_referrers`).
///
/// @param options the options.
/// @param carry non-zero: carry the signatures; zero: do not (the default).
/// @param registries_d the registries.d directory, or NULL for
///        `$HOME/.config/containers/registries.d` when it exists, else
///        `/etc/containers/registries.d`; ignored when `carry` is zero.
/// @return `OCIREG_OK`, or an argument error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_image_options_set_signatures(
    options: *mut ocireg_image_options,
    carry: c_int,
    registries_d: *const c_char,
) -> ocireg_status {
    guard(|| {
        // SAFETY: the header's conventions: live options, NULL or a C string.
        let (o, dir) = unsafe {
            (
                mut_arg(options, "options")?,
                opt_str_arg(registries_d, "registries_d")?,
            )
        };
        o.inner.signatures = (carry != 0).then(|| SignatureOptions {
            registries_d: dir.map(PathBuf::from),
        });
        Ok(())
    })
}
