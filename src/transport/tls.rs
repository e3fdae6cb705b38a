//! The TLS configuration: system roots plus the CA files of a
//! [`TlsMaterial`] (the caller's, and a `certs.d` directory's), an optional
//! client certificate, and certificate checks skipped only for the hosts
//! the caller marked insecure.

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::certs_d::TlsMaterial;
use crate::error::{Error, ErrorKind, Result};
use crate::options::{ClientOptions, host_part, insecure_host_matches};

/// Builds the rustls client configuration for `options` with `material`.
/// A file that cannot be read or holds no PEM certificate (or key) fails
/// with `Tls`, naming the file.
pub fn client_config(
    options: &ClientOptions,
    material: &TlsMaterial,
) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let caller_roots = caller_roots(material)?;
    let caller = if caller_roots.is_empty() {
        None
    } else {
        let verifier = WebPkiServerVerifier::builder_with_provider(
            Arc::new(caller_roots.clone()),
            provider.clone(),
        )
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Tls,
                format!("building the certificate verifier: {e}"),
            )
        })?;
        Some(verifier)
    };
    let verifier = Arc::new(SelectiveVerifier {
        caller_roots,
        caller,
        inner: OnceLock::new(),
        insecure_hosts: options
            .insecure_registries
            .iter()
            .map(|r| unbracket(host_part(r)).to_string())
            .collect(),
        provider: provider.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Tls, format!("TLS protocol versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &material.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = load_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                Error::new(
                    ErrorKind::Tls,
                    format!("reading private key {}: {e}", key.display()),
                )
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::new(ErrorKind::Tls, format!("client certificate: {e}")))?
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The CA certificates of `material`'s files, read now so that a bad file
/// fails the client. The system's roots join them on the first certificate
/// check ([`SelectiveVerifier::webpki`]).
fn caller_roots(material: &TlsMaterial) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for file in &material.ca_files {
        for cert in load_certs(file)? {
            roots.add(cert).map_err(|e| {
                Error::new(
                    ErrorKind::Tls,
                    format!("CA certificate in {}: {e}", file.display()),
                )
            })?;
        }
    }
    Ok(roots)
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let read_error = |e: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::Tls,
            format!("reading certificates from {}: {e}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| read_error(&e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| read_error(&e))?;
    if certs.is_empty() {
        return Err(read_error(&"no PEM certificate found"));
    }
    Ok(certs)
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Verifies certificates with webpki, except for the insecure hosts. The
/// webpki verifier over all roots is built on the first certificate check
/// that the caller's CA files alone do not pass, when the system's roots
/// are read (some 300 files on a Debian system): a client that only speaks
/// plain HTTP, only to insecure hosts, or only to servers of its own CAs,
/// never reads them. A chain that reaches one of the caller's roots
/// reaches one of all roots, so trying those first changes no outcome.
#[derive(Debug)]
struct SelectiveVerifier {
    /// The caller's CA certificates.
    caller_roots: RootCertStore,
    /// The webpki verifier over the caller's CA certificates alone, when
    /// there are any.
    caller: Option<Arc<WebPkiServerVerifier>>,
    /// The webpki verifier over the caller's and the system's roots, once
    /// built (or why it could not be).
    inner: OnceLock<std::result::Result<Arc<WebPkiServerVerifier>, String>>,
    insecure_hosts: Vec<String>,
    provider: Arc<CryptoProvider>,
}

impl SelectiveVerifier {
    fn is_insecure(&self, name: &ServerName<'_>) -> bool {
        let host = match name {
            ServerName::DnsName(d) => d.as_ref().to_string(),
            ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
            _ => return false,
        };
        self.insecure_hosts
            .iter()
            .any(|entry| insecure_host_matches(entry, &host))
    }

    /// The webpki verifier, built on first use. Unreadable system
    /// certificates are skipped, as every TLS stack does.
    fn webpki(&self) -> std::result::Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.inner
            .get_or_init(|| {
                let mut roots = self.caller_roots.clone();
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                    .build()
                    .map_err(|e| format!("building the certificate verifier: {e}"))
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for SelectiveVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if self.is_insecure(server_name) {
            return Ok(ServerCertVerified::assertion());
        }
        if let Some(caller) = &self.caller
            && let Ok(verified) = caller.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            )
        {
            return Ok(verified);
        }
        self.webpki()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // What webpki's verifier answers, without building it.
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
