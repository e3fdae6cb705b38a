//! Where credentials come from: explicit ones, docker's `config.json`
//! (including credential helpers) and containers' `auth.json`.
//!
//! Both files share one format:
//!
//! ```json
//! {
//!   "auths": { "registry.example:5000": { "auth": "base64(user:password)" },
//!              "https://index.docker.io/v1/": { "identitytoken": "..." } },
//!   "credHelpers": { "gcr.io": "gcloud" },
//!   "credsStore": "desktop"
//! }
//! ```
//!
//! Within one file, a registry's credential comes from, in order: its
//! `credHelpers` program (authoritative for that file), its `auths` entry,
//! then the `credsStore` program. Keys of `auths` and `credHelpers` may be
//! `host`, `host:port` or a URL (`https://host/`, `http://host/v1/`); Docker
//! Hub may be keyed `https://index.docker.io/v1/`, `index.docker.io`,
//! `registry-1.docker.io` or `docker.io`. containers' `auth.json` also allows
//! keys with a repository path (`host/namespace`, `host/namespace/repo`):
//! a request for a repository uses the longest such key that is a prefix of
//! it (by path components, exact keys only), before the host's own key,
//! as containers-auth.json(5) says.
//!
//! The parts, one per file: the [`Credential`] type (`credential`), the
//! files and their `auths`, `credHelpers` and `credsStore` entries
//! (`config_file`), credential helper programs (`helper`: get, store,
//! erase, list), the search order with its cache ([`CredentialStore`],
//! `store`), safe updates of a file (`file_update`: lock, re-read, atomic
//! replace) and `login`/`logout` that persist (`login_store`).

mod config_file;
pub(in crate::transport::auth) mod file_update;
mod helper;
mod login_store;
mod store;
#[cfg(test)]
mod test_support;
#[cfg(test)]
pub(in crate::transport::auth) use test_support::TempDir;

pub use crate::credential::Credential;
pub use login_store::{LoginDestination, LoginLocation};
pub(crate) use login_store::{erase_login, store_login};
pub use store::CredentialStore;
