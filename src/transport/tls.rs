//! The TLS configuration: system roots plus the CA files of a
//! [`TlsMaterial`] (the caller's, and a `certs.d` directory's), an optional
//! client certificate, and certificate checks skipped only for the hosts
//! the caller marked insecure.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

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
    let roots = Arc::new(root_store(material)?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Tls,
                format!("building the certificate verifier: {e}"),
            )
        })?;
    let verifier = Arc::new(SelectiveVerifier {
        inner: webpki,
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

fn root_store(material: &TlsMaterial) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as every TLS stack does.
    let system = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(system.certs);
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

/// Verifies certificates with webpki, except for the insecure hosts.
#[derive(Debug)]
struct SelectiveVerifier {
    inner: Arc<WebPkiServerVerifier>,
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
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
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
        self.inner.supported_verify_schemes()
    }
}
