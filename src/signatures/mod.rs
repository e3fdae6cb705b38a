//! Image signatures as containers/image keeps them: the registries.d
//! configuration (`registries_d.rs`), lookaside storage (`lookaside.rs`),
//! sigstore attachments (`attachments.rs`), the [`Signature`] type and its
//! lookaside blob format (`signature.rs`), and [`crate::Client::signatures`]
//! / [`crate::Client::put_signatures`] over them (`get_put.rs`).

mod attachments;
mod get_put;
mod lookaside;
mod registries_d;
mod signature;

pub(crate) use self::get_put::PreparedPut;
pub use self::get_put::SignatureOptions;
pub use self::registries_d::{
    MAX_CONFIG_FILE_SIZE, MAX_CONFIG_FILES, NamespaceConfig, RegistriesD, SYSTEM_REGISTRIES_D,
    USER_REGISTRIES_D,
};
pub use self::signature::{
    MAX_SIGNATURE_SIZE, MAX_SIGNATURES, SIGSTORE_BUNDLE_ANNOTATION,
    SIGSTORE_CERTIFICATE_ANNOTATION, SIGSTORE_CHAIN_ANNOTATION, SIGSTORE_PAYLOAD_MEDIA_TYPE,
    SIGSTORE_SIGNATURE_ANNOTATION, Signature,
};
