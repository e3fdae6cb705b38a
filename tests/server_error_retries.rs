//! Which requests the transport repeats after a server error (500, 502,
//! 503, 504), injected by the loopback proxy in front of a real registry:
//! reads (GET, HEAD) and the writes the protocol makes safe to repeat (a
//! manifest PUT), never an upload's POST, PATCH or PUT, which the registry
//! may have acted on (the upload code recovers from the session's state
//! instead: a writer asks what arrived, a push starts a new session). A 429 is retried whatever the method: the server refused the
//! request without acting on it.

mod fixtures;
mod support;

use bytes::Bytes;
use fixtures::{bytes, plain_client, push_image, reference};
use ocireg::{Digest, ErrorKind, media_type};
use support::{FaultProxy, Mode, Registry};

const SERVER_ERRORS: [u16; 4] = [500, 502, 503, 504];

/// A registry holding one blob, and a proxy in front of it.
async fn setup(seed: u64) -> (Registry, FaultProxy, Vec<u8>, Digest) {
    let reg = Registry::start(Mode::Plain);
    let data = bytes(seed, 50_000);
    let digest = plain_client(reg.host())
        .push_blob(
            &reference(reg.host(), "retries/blob"),
            Bytes::from(data.clone()),
        )
        .await
        .expect("push");
    let proxy = FaultProxy::start(reg.host());
    (reg, proxy, data, digest)
}

#[tokio::test]
async fn reads_are_retried_after_every_server_error() {
    let (_reg, proxy, data, digest) = setup(1).await;
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "retries/blob");
    for status in SERVER_ERRORS {
        proxy.clear_requests();
        proxy.respond_status("GET", "/blobs/sha256:", status, vec![], 1);
        let mut reader = client.get_blob(&r, &digest).await.expect("retried");
        let mut got = Vec::new();
        while let Some(chunk) = reader.chunk().await.expect("verified") {
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got, data, "GET after {status}");
        assert_eq!(
            proxy.count("GET", "/blobs/sha256:"),
            2,
            "GET after {status}"
        );

        proxy.clear_requests();
        proxy.respond_status("HEAD", "/blobs/sha256:", status, vec![], 1);
        assert!(client.blob_exists(&r, &digest).await.expect("retried"));
        assert_eq!(
            proxy.count("HEAD", "/blobs/sha256:"),
            2,
            "HEAD after {status}"
        );
    }
}

#[tokio::test]
async fn upload_requests_are_not_repeated_after_a_server_error() {
    let (_reg, proxy, _data, _digest) = setup(2).await;
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "retries/upload");
    for status in SERVER_ERRORS {
        // Starting a session.
        proxy.clear_requests();
        proxy.respond_status("POST", "/blobs/uploads/", status, vec![], 1);
        let Err(err) = client.start_upload(&r).await else {
            panic!("POST {status}: a session started");
        };
        assert_eq!(err.kind(), ErrorKind::Server, "POST {status}: {err}");
        assert_eq!(err.http_status(), Some(status));
        assert_eq!(proxy.count("POST", "/blobs/uploads/"), 1, "POST {status}");

        // A chunk (one fills and goes when a byte more is written): not
        // repeated blindly; the writer asks the registry what it holds
        // (GET of the session), then sends what is missing.
        let mut writer = client.start_upload(&r).await.expect("a session");
        proxy.clear_requests();
        proxy.respond_status("PATCH", "/blobs/uploads/", status, vec![], 1);
        let chunk = bytes(3, writer.chunk_size() + 1);
        writer
            .write(&chunk)
            .await
            .expect("resumed from the session");
        let methods: Vec<String> = proxy
            .requests()
            .into_iter()
            .filter(|q| q.path_and_query.contains("/blobs/uploads/"))
            .map(|q| q.method)
            .collect();
        assert_eq!(methods, ["PATCH", "GET", "PATCH"], "PATCH {status}");
        writer.cancel().await.expect("cancelled");

        // Completing: not repeated (the writer checks whether the blob
        // landed: it did not), and the writer can try again itself.
        let data = bytes(u64::from(status), 5_000);
        let mut writer = client.start_upload(&r).await.expect("a session");
        writer.write(&data).await.expect("buffered");
        proxy.clear_requests();
        proxy.respond_status("PUT", "/blobs/uploads/", status, vec![], 1);
        let err = writer.finish(None).await.unwrap_err();
        assert_eq!(err.http_status(), Some(status), "PUT {status}: {err}");
        assert_eq!(proxy.count("PUT", "/blobs/uploads/"), 1, "PUT {status}");
        let digest = writer
            .finish(None)
            .await
            .expect("completed on a second call");
        assert_eq!(digest, Digest::sha256_of(&data));
    }
}

#[tokio::test]
async fn a_blob_push_restarts_its_upload_after_a_server_error() {
    let (_reg, proxy, _data, _digest) = setup(4).await;
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "retries/restart");
    let data = bytes(5, 20_000);
    proxy.respond_status("POST", "/blobs/uploads/", 503, vec![], 1);
    let digest = client
        .push_blob(&r, Bytes::from(data.clone()))
        .await
        .expect("restarted");
    assert_eq!(digest, Digest::sha256_of(&data));
    assert_eq!(proxy.count("POST", "/blobs/uploads/"), 2);
}

#[tokio::test]
async fn a_manifest_put_is_repeated_after_a_server_error() {
    let (reg, proxy, _data, _digest) = setup(6).await;
    let pushed = push_image(
        &plain_client(reg.host()),
        &reference(reg.host(), "retries/app:v1"),
        media_type::OCI_MANIFEST,
        &[(7, 1_000)],
        &["v1"],
    )
    .await;
    let client = plain_client(proxy.host());
    for (n, status) in SERVER_ERRORS.into_iter().enumerate() {
        proxy.clear_requests();
        proxy.respond_status("PUT", "/manifests/", status, vec![], 1);
        let tagged = reference(proxy.host(), &format!("retries/app:t{n}"));
        let digest = client
            .put_manifest(&tagged, pushed.manifest.clone(), media_type::OCI_MANIFEST)
            .await
            .expect("repeated");
        assert_eq!(digest, pushed.digest);
        assert_eq!(proxy.count("PUT", "/manifests/"), 2, "PUT after {status}");
    }
}

#[tokio::test]
async fn a_429_is_retried_whatever_the_method() {
    let (_reg, proxy, _data, _digest) = setup(8).await;
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "retries/limited");
    proxy.respond_status("POST", "/blobs/uploads/", 429, vec![], 1);
    client.start_upload(&r).await.expect("retried");
    assert_eq!(proxy.count("POST", "/blobs/uploads/"), 2);
}
