//! Every byte that leaves ocireg toward a destination is verified before the
//! destination is told the upload is complete. The destination here accepts
//! anything (it stores uploads under the digest named, unhashed), so a
//! wrong byte that ocireg let through would be stored and reported good.

mod fixtures;
mod support;

use fixtures::{PushedImage, plain_client, push_image, reference};
use ocireg::image::ImageOptions;
use ocireg::{Digest, ErrorKind, media_type};
use support::tempdir::TempDir;
use support::{FaultProxy, Mode, PermissiveRegistry, Registry};

const LAYERS: &[(u64, usize)] = &[(71, 300_000), (72, 40_000)];

/// Copies from a registry through a proxy that flips one byte of every blob
/// download: the copy fails and the destination stores no wrong blob and
/// no manifest.
#[tokio::test]
async fn a_copy_never_completes_a_blob_with_a_flipped_byte() {
    let (source, image) = source_with_image().await;
    let proxy = FaultProxy::start(source.host());
    proxy.corrupt_body_byte("GET", "/blobs/sha256:", 1_000, 100);
    let destination = PermissiveRegistry::start();
    let client = plain_client_for(&[proxy.host(), destination.host()]);

    let err = client
        .copy(
            &reference(proxy.host(), "verify/src:v1"),
            &reference(destination.host(), "verify/dst:v1"),
            &ImageOptions::default(),
        )
        .await
        .expect_err("a source serving wrong bytes must fail the copy");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert_eq!(destination.wrong_blobs(), Vec::<String>::new());
    for (layer, _) in &image.layers {
        assert!(
            !destination.has_blob(layer.as_str()),
            "{layer} was completed at the destination"
        );
    }
    assert_eq!(destination.manifest_count(), 0, "no manifest may follow");
}

/// The same copy without the fault: every blob arrives and verifies (the
/// permissive destination is a fair judge).
#[tokio::test]
async fn a_clean_copy_to_a_permissive_destination_is_complete() {
    let (source, image) = source_with_image().await;
    let destination = PermissiveRegistry::start();
    let client = plain_client_for(&[source.host(), destination.host()]);
    let digest = client
        .copy(
            &reference(source.host(), "verify/src:v1"),
            &reference(destination.host(), "verify/dst:v1"),
            &ImageOptions::default(),
        )
        .await
        .expect("copy");
    assert_eq!(digest, image.digest);
    assert_eq!(destination.wrong_blobs(), Vec::<String>::new());
    for (layer, _) in &image.layers {
        assert!(destination.has_blob(layer.as_str()), "{layer} is missing");
    }
    assert!(destination.has_blob(image.config.as_str()));
}

/// A layout blob with one byte flipped (same size) is never completed at
/// the destination by a push.
#[tokio::test]
async fn a_push_never_completes_a_layout_blob_with_a_flipped_byte() {
    let (source, image) = source_with_image().await;
    let dir = TempDir::new("verify-push");
    let layout = dir.path().join("layout");
    let destination = PermissiveRegistry::start();
    let client = plain_client_for(&[source.host(), destination.host()]);
    client
        .pull(
            &reference(source.host(), "verify/src:v1"),
            &layout,
            &ImageOptions::default(),
        )
        .await
        .expect("pull");
    let (layer, _) = &image.layers[0];
    let path = layout.join("blobs/sha256").join(layer.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[123_456] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let err = client
        .push(
            &layout,
            &reference(destination.host(), "verify/dst:v1"),
            &ImageOptions::default(),
        )
        .await
        .expect_err("a corrupt layout blob must fail the push");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert_eq!(destination.wrong_blobs(), Vec::<String>::new());
    assert!(!destination.has_blob(layer.as_str()));
    assert_eq!(destination.manifest_count(), 0);
}

/// A chunked upload finished with a digest its bytes do not hash to is
/// refused before the final `PUT`, and the session stays usable.
#[tokio::test]
async fn a_chunked_upload_with_the_wrong_digest_is_not_completed() {
    let destination = PermissiveRegistry::start();
    let client = plain_client(destination.host());
    let target = reference(destination.host(), "verify/chunked");
    let mut session = client.start_upload(&target).await.expect("start");
    session.write(b"hello ").await.unwrap();
    session.write(b"world").await.unwrap();
    let claimed = Digest::sha256_of(b"hello wOrld");
    let err = session
        .finish(Some(&claimed))
        .await
        .expect_err("the bytes do not hash to the digest given");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(destination.completed_uploads().is_empty());

    let right = Digest::sha256_of(b"hello world");
    assert_eq!(session.finish(Some(&right)).await.expect("finish"), right);
    assert_eq!(
        destination.completed_uploads(),
        vec![(right.to_string(), b"hello world".to_vec())]
    );
}

/// A registry holding `verify/src:v1`, an image of [`LAYERS`].
async fn source_with_image() -> (Registry, PushedImage) {
    let source = Registry::start(Mode::Plain);
    let image = push_image(
        &plain_client(source.host()),
        &reference(source.host(), "verify/src:v1"),
        media_type::OCI_MANIFEST,
        LAYERS,
        &["v1"],
    )
    .await;
    (source, image)
}

fn plain_client_for(hosts: &[&str]) -> ocireg::Client {
    ocireg::Client::new(ocireg::ClientOptions {
        insecure_registries: hosts.iter().map(|h| h.to_string()).collect(),
        ..Default::default()
    })
    .expect("client")
}
