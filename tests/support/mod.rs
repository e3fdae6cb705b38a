//! Integration-test support for ocireg: real registries (Debian's
//! `docker-registry`, distribution 2.8.2, in several modes; distribution
//! v3.1.2; go-containerregistry's with the referrers API), peer tools, a token server, a
//! fault-injecting reverse proxy, a test PKI and deterministic content.
//!
//! ```ignore
//! mod support;
//! let reg = support::Registry::start(support::Mode::Token);
//! let token = reg.token_server().unwrap();
//! ```
//!
//! Everything listens on 127.0.0.1 only; every server and temp dir goes away
//! on drop.

#![allow(dead_code)]

pub mod certs;
pub mod child;
pub mod content;
pub mod fault_proxy;
pub mod http1;
pub mod peers;
pub mod permissive_registry;
pub mod registry;
pub mod scripted;
pub mod server;
pub mod tempdir;
pub mod token_server;

#[allow(unused_imports)]
pub use fault_proxy::{FaultProxy, RecordedRequest};
#[allow(unused_imports)]
pub use permissive_registry::PermissiveRegistry;
#[allow(unused_imports)]
pub use registry::{AccessLogEntry, Implementation, Mode, Registry, Tuning};
#[allow(unused_imports)]
pub use token_server::TokenServer;
pub mod layout;
pub mod skopeo;
pub mod tar;
