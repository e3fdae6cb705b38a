//! The connection pools of a transport: one pair of senders (registry
//! requests, token requests) per distinct TLS configuration. Registries
//! without a `certs.d` directory of their own share the client-wide pair;
//! each registry's choice is made once (see `certs_d.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::certs_d::{TlsMaterial, host_dir};
use super::sender::{Redirects, Sender};
use super::tls;
use crate::error::Result;
use crate::options::ClientOptions;

/// The senders that share one TLS configuration.
pub struct Senders {
    /// Sends registry requests.
    pub registry: Sender,
    /// Sends token requests: the same configuration, but redirects never
    /// leave the realm's origin ([`Redirects::WithinOrigin`]).
    pub token_server: Sender,
}

impl Senders {
    fn new(options: &ClientOptions, material: &TlsMaterial) -> Result<Senders> {
        let tls = tls::client_config(options, material)?;
        Ok(Senders {
            registry: Sender::new(options, tls.clone(), Redirects::Registry)?,
            token_server: Sender::new(options, tls, Redirects::WithinOrigin)?,
        })
    }
}

/// Every pool of a transport, by TLS material.
pub struct Pools {
    base_material: TlsMaterial,
    base: Arc<Senders>,
    /// The per-host directory roots searched (empty when `cert_dir` is set:
    /// it replaces the search).
    roots: Vec<PathBuf>,
    by_material: Mutex<HashMap<TlsMaterial, Arc<Senders>>>,
    /// Reads lookaside signatures with the client-wide TLS: no
    /// credentials, redirects kept on the first URL's origin
    /// ([`Redirects::LookasideWithinOrigin`]). Built on first use: most
    /// clients never read a lookaside signature.
    lookaside: OnceLock<Sender>,
}

impl Pools {
    /// The client-wide pool for `options`, built now so that bad CA or
    /// client-certificate files (and a bad `cert_dir`) fail the client.
    pub fn new(options: &ClientOptions) -> Result<Pools> {
        let base_material = TlsMaterial::for_client(options)?;
        let base = Arc::new(Senders::new(options, &base_material)?);
        let roots = if options.cert_dir.is_some() {
            Vec::new()
        } else {
            options.certs_d_roots.clone()
        };
        Ok(Pools {
            base_material,
            base,
            roots,
            by_material: Mutex::new(HashMap::new()),
            lookaside: OnceLock::new(),
        })
    }

    /// The sender for lookaside signature servers, built on the first call
    /// (from the material [`Pools::new`] already checked).
    pub fn lookaside(&self, options: &ClientOptions) -> Result<&Sender> {
        if let Some(sender) = self.lookaside.get() {
            return Ok(sender);
        }
        let sender = Sender::new(
            options,
            tls::client_config(options, &self.base_material)?,
            Redirects::LookasideWithinOrigin,
        )?;
        // Two first calls at once build two; the one kept is as good.
        Ok(self.lookaside.get_or_init(|| sender))
    }

    /// The senders for `registry`: those of its `certs.d` directory, or the
    /// client-wide ones. Reads the directory (not the certificates, which
    /// are read when a new pool is built); errors name the file.
    pub fn for_registry(&self, options: &ClientOptions, registry: &str) -> Result<Arc<Senders>> {
        let Some(dir) = host_dir(&self.roots, registry)? else {
            return Ok(Arc::clone(&self.base));
        };
        let material = self.base_material.clone().with_dir(&dir, false)?;
        if material == self.base_material {
            return Ok(Arc::clone(&self.base));
        }
        let mut pools = self
            .by_material
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(senders) = pools.get(&material) {
            return Ok(Arc::clone(senders));
        }
        let senders = Arc::new(Senders::new(options, &material)?);
        pools.insert(material, Arc::clone(&senders));
        Ok(senders)
    }
}
