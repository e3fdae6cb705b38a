//! The test PKI: one CA per test process, generated with the `openssl` CLI.
//!
//! - a CA (EC P-256) that tests trust;
//! - a server certificate for `127.0.0.1` (IP SAN) and `localhost` (DNS SAN),
//!   used by the registry and the token server;
//! - a client certificate for `127.0.0.1`'s mutual-TLS registry;
//! - a self-signed EC P-256 certificate and key that sign the registry tokens
//!   (the registry's `auth.token.rootcertbundle`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::tempdir::TempDir;

/// Paths and material of the process-wide test PKI.
#[derive(Debug)]
pub struct TestPki {
    /// Directory holding every file below.
    pub dir: PathBuf,
    /// PEM of the test CA certificate.
    pub ca_pem: PathBuf,
    /// PEM of the server certificate (signed by the CA).
    pub server_cert: PathBuf,
    /// PEM (PKCS#8) of the server key.
    pub server_key: PathBuf,
    /// PEM of a client certificate (signed by the CA) for mutual TLS.
    pub client_cert: PathBuf,
    /// PEM (PKCS#8) of the client key.
    pub client_key: PathBuf,
    /// PEM of the token-signing certificate (self-signed).
    pub signing_cert: PathBuf,
    /// DER of the token-signing certificate (for the JWT `x5c` header).
    pub signing_cert_der: Vec<u8>,
    /// PEM (PKCS#8) of the token-signing key.
    pub signing_key_pem: String,
}

static PKI: OnceLock<TestPki> = OnceLock::new();

/// The process-wide test PKI, generated on first use.
///
/// Panics with openssl's output if generation fails.
pub fn pki() -> &'static TestPki {
    PKI.get_or_init(generate)
}

/// Runs `openssl` in `dir` with whitespace-separated `args`.
fn openssl(dir: &Path, args: &str) {
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the openssl CLI (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "openssl {} failed: {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ec_key(dir: &Path, name: &str) {
    openssl(
        dir,
        &format!("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {name}"),
    );
}

fn generate() -> TestPki {
    let dir = TempDir::new("pki").into_persistent();
    ec_key(&dir, "ca.key");
    openssl(
        &dir,
        "req -x509 -new -key ca.key -sha256 -days 3650 -subj /CN=ocireg-test-CA \
         -addext basicConstraints=critical,CA:TRUE \
         -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem",
    );
    ec_key(&dir, "server.key");
    openssl(
        &dir,
        "req -x509 -new -key server.key -CA ca.pem -CAkey ca.key -sha256 -days 3650 \
         -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
         -addext basicConstraints=critical,CA:FALSE \
         -addext keyUsage=critical,digitalSignature \
         -addext extendedKeyUsage=serverAuth -out server.pem",
    );
    ec_key(&dir, "client.key");
    openssl(
        &dir,
        "req -x509 -new -key client.key -CA ca.pem -CAkey ca.key -sha256 -days 3650 \
         -subj /CN=ocireg-test-client -addext basicConstraints=critical,CA:FALSE \
         -addext keyUsage=critical,digitalSignature \
         -addext extendedKeyUsage=clientAuth -out client.pem",
    );
    ec_key(&dir, "signing.key");
    openssl(
        &dir,
        "req -x509 -new -key signing.key -sha256 -days 3650 \
         -subj /CN=ocireg-test-token-signer -out signing.pem",
    );
    let signing_cert = dir.join("signing.pem");
    let signing_cert_der = CertificateDer::from_pem_file(&signing_cert)
        .expect("parse signing.pem")
        .to_vec();
    let signing_key_pem =
        std::fs::read_to_string(dir.join("signing.key")).expect("read signing.key");
    TestPki {
        ca_pem: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
        signing_cert,
        signing_cert_der,
        signing_key_pem,
        dir,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client configuration that trusts only the test CA (ring provider,
/// no process-wide default provider needed). Use it with reqwest's
/// `ClientBuilder::tls_backend_preconfigured`.
pub fn client_config() -> rustls::ClientConfig {
    client_builder().with_no_client_auth()
}

/// Like [`client_config`], presenting the test client certificate.
pub fn client_config_with_cert() -> rustls::ClientConfig {
    let cert = CertificateDer::from_pem_file(&pki().client_cert).expect("parse client.pem");
    let key = PrivateKeyDer::from_pem_file(&pki().client_key).expect("parse client.key");
    client_builder()
        .with_client_auth_cert(vec![cert], key)
        .expect("client certificate")
}

fn client_builder() -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>
{
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_file(&pki().ca_pem).expect("parse ca.pem");
    roots.add(ca).expect("add test CA to root store");
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("rustls protocol versions")
        .with_root_certificates(roots)
}

/// The rustls server configuration of the support servers (token server),
/// with the test server certificate. Built once per process.
pub fn server_config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let pki = pki();
            let cert = CertificateDer::from_pem_file(&pki.server_cert).expect("server.pem");
            let ca = CertificateDer::from_pem_file(&pki.ca_pem).expect("ca.pem");
            let key = PrivateKeyDer::from_pem_file(&pki.server_key).expect("server.key");
            let mut config = rustls::ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("rustls protocol versions")
                .with_no_client_auth()
                .with_single_cert(vec![cert, ca], key)
                .expect("server certificate and key");
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}
