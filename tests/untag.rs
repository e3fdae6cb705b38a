//! Untag: deleting one tag and keeping its manifest and other tags, on
//! distribution v3.1.2 (which deletes tags) and 2.8.2 (which refuses
//! `DELETE /manifests/<tag>`).

mod fixtures;
mod support;

use fixtures::{plain_client, push_image, reference};
use ocireg::{ErrorKind, UntagFallback, Untagged, media_type};
use support::{Implementation, Mode, Registry};

#[tokio::test]
async fn distribution_2_refuses_clearly_and_the_throwaway_fallback_works() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let a = reference(reg.host(), "untag/repo:a");
    let pushed = push_image(
        &client,
        &a,
        media_type::OCI_MANIFEST,
        &[(1, 500)],
        &["a", "b"],
    )
    .await;

    let e = client.untag(&a, UntagFallback::None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert_eq!(e.http_status(), Some(400), "{e}");
    assert_eq!(e.registry_code(), Some("DIGEST_INVALID"), "{e}");
    assert!(e.message().contains("does not delete tags"), "{e}");
    let mut tags = client.tags(&a).await.unwrap();
    tags.sort();
    assert_eq!(tags, ["a", "b"]);

    let how = client
        .untag(&a, UntagFallback::ThrowawayManifest)
        .await
        .unwrap();
    assert_eq!(how, Untagged::ViaThrowawayManifest);
    assert_eq!(client.tags(&a).await.unwrap(), ["b"]);
    // The manifest and its other tag stay.
    let by_digest = client
        .get_manifest(&a.with_digest(pushed.digest.clone()))
        .await
        .unwrap();
    assert_eq!(by_digest.bytes, pushed.manifest);
    let b = reference(reg.host(), "untag/repo:b");
    assert_eq!(
        client.head_manifest(&b).await.unwrap().digest,
        pushed.digest
    );
    assert_eq!(
        client.get_manifest(&a).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // An unknown tag is NOT_FOUND, and nothing is written for it.
    let gone = client
        .untag(&a, UntagFallback::ThrowawayManifest)
        .await
        .unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    assert_eq!(client.tags(&a).await.unwrap(), ["b"]);
}

#[tokio::test]
async fn distribution_3_deletes_the_tag_and_keeps_the_manifest() {
    let reg = Registry::start_implementation(Implementation::Distribution3, Mode::Plain);
    let client = plain_client(reg.host());
    let a = reference(reg.host(), "untag/v3:a");
    let pushed = push_image(
        &client,
        &a,
        media_type::OCI_MANIFEST,
        &[(5, 500)],
        &["a", "b", "c"],
    )
    .await;
    // The fallback is allowed but not needed: the registry deletes the tag.
    for (tag, fallback) in [
        ("a", UntagFallback::None),
        ("b", UntagFallback::ThrowawayManifest),
    ] {
        let r = reference(reg.host(), &format!("untag/v3:{tag}"));
        assert_eq!(client.untag(&r, fallback).await.unwrap(), Untagged::Deleted);
        assert_eq!(
            client.get_manifest(&r).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    assert_eq!(client.tags(&a).await.unwrap(), ["c"]);
    let by_digest = client
        .get_manifest(&a.with_digest(pushed.digest.clone()))
        .await
        .unwrap();
    assert_eq!(by_digest.bytes, pushed.manifest);
    // The access log shows DELETEs of tags, never of the manifest's digest.
    let deletes: Vec<String> = reg
        .access_log()
        .into_iter()
        .filter(|e| e.method == "DELETE")
        .map(|e| e.uri)
        .collect();
    assert_eq!(
        deletes,
        ["/v2/untag/v3/manifests/a", "/v2/untag/v3/manifests/b"]
    );
    let gone = client.untag(&a, UntagFallback::None).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
}

#[tokio::test]
async fn untag_needs_a_tag() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let a = reference(reg.host(), "untag/digest:a");
    let pushed = push_image(&client, &a, media_type::OCI_MANIFEST, &[(2, 100)], &["a"]).await;
    let e = client
        .untag(
            &a.with_digest(pushed.digest),
            UntagFallback::ThrowawayManifest,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(client.tags(&a).await.unwrap(), ["a"]);
}

#[test]
fn the_blocking_facade_untags() {
    let reg = Registry::start(Mode::Plain);
    let client = ocireg::blocking::Client::new(ocireg::ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    let a = reference(reg.host(), "untag/blocking:a");
    let async_client = plain_client(reg.host());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(push_image(
        &async_client,
        &a,
        media_type::OCI_MANIFEST,
        &[(3, 100)],
        &["a", "keep"],
    ));
    drop(rt);
    let e = client.untag(&a, UntagFallback::None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    client.untag(&a, UntagFallback::ThrowawayManifest).unwrap();
    assert_eq!(client.tags(&a).unwrap(), ["keep"]);
}
