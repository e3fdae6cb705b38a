//! `[[registry]] prefix = "*.example.com"` with `insecure = true` applies to
//! every subdomain (containers-registries.conf(5)), end to end: the client
//! reaches `reg.wildcard.test` through an HTTP proxy (the fault proxy in
//! front of a plain registry, so no name needs resolving), tries HTTPS,
//! and falls back to plain HTTP only because the pattern covers the host.
//! The domain itself is not covered: plain HTTP is never tried for it.

mod fixtures;
mod support;

use fixtures::{plain_client, push_image, reference};
use ocireg::{Client, ClientOptions, ErrorKind, Reference, media_type};
use support::registry::Mode;
use support::tempdir::TempDir;
use support::{FaultProxy, Registry};

#[tokio::test]
async fn a_wildcard_insecure_prefix_covers_its_subdomains() {
    let reg = Registry::start(Mode::Plain);
    let image = push_image(
        &plain_client(reg.host()),
        &reference(reg.host(), "wild/app"),
        media_type::OCI_MANIFEST,
        &[(41, 300)],
        &["v1"],
    )
    .await;
    let proxy = FaultProxy::start(reg.host());
    let dir = TempDir::new("insecure-wildcard");
    let conf = dir.path().join("registries.conf");
    std::fs::write(
        &conf,
        "[[registry]]\nprefix = \"*.wildcard.test\"\ninsecure = true\n",
    )
    .unwrap();
    let client = Client::new(
        ClientOptions {
            proxy: Some(format!("http://{}", proxy.host())),
            ..ClientOptions::default()
        }
        .registries_conf(&conf),
    )
    .unwrap();

    let covered = Reference::parse("reg.wildcard.test/wild/app:v1").unwrap();
    let manifest = client.get_manifest(&covered).await.unwrap();
    assert_eq!(manifest.digest, image.digest);
    let plain_to = |host: &str| {
        proxy
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.header("host") == Some(host))
            .count()
    };
    assert!(plain_to("reg.wildcard.test") > 0, "{:?}", proxy.requests());

    let uncovered = Reference::parse("wildcard.test/wild/app:v1").unwrap();
    let e = client.get_manifest(&uncovered).await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Tls | ErrorKind::Network | ErrorKind::Protocol
        ),
        "{e}"
    );
    assert_eq!(plain_to("wildcard.test"), 0, "{:?}", proxy.requests());
}
