//! The registries other than distribution 2.8.2 start and behave as the
//! tests that use them expect: distribution v3 deletes a manifest by tag,
//! go-containerregistry's registry answers the referrers API but (v0.22.1)
//! does not send `OCI-Subject`, so clients write the fallback tag there too.
//! Both fail loudly when they cannot start.

mod support;

use std::process::Command;

use support::{Implementation, Mode, Registry};

const ACCEPT: &str = "Accept: application/vnd.oci.image.manifest.v1+json";

/// `curl` with the arguments; (status code, body).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/stdout", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("status line");
    (code.trim().parse().expect("status"), body.to_string())
}

/// Pushes an empty-config image manifest (optionally with a subject) to
/// `repo:tag`; the response headers.
fn push_manifest(reg: &Registry, repo: &str, tag: &str, subject: Option<(&str, usize)>) -> String {
    let base = reg.base_url();
    let config = b"{}";
    let config_digest = format!("sha256:{}", sha256_hex(config));
    let out = Command::new("curl")
        .args(["-s", "-D", "-", "-o", "/dev/null", "-X", "POST"])
        .arg(format!("{base}/v2/{repo}/blobs/uploads/"))
        .output()
        .expect("run curl");
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    let location = header(&head, "Location").expect("upload Location");
    let location = if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let (status, _) = curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        "{}",
        &format!("{location}{separator}digest={config_digest}"),
    ]);
    assert_eq!(status, 201, "upload of the empty config");
    let subject = subject
        .map(|(d, size)| {
            format!(
                r#","subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":{size}}}"#
            )
        })
        .unwrap_or_default();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x.test","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{config_digest}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{config_digest}","size":2}}]{subject}}}"#
    );
    let out = Command::new("curl")
        .args(["-s", "-D", "-", "-o", "/dev/null", "-X", "PUT"])
        .args([
            "-H",
            "Content-Type: application/vnd.oci.image.manifest.v1+json",
        ])
        .args(["--data-binary", &manifest])
        .arg(format!("{base}/v2/{repo}/manifests/{tag}"))
        .output()
        .expect("run curl");
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(head.contains(" 201"), "manifest push: {head}");
    head
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

#[test]
fn distribution_v3_deletes_a_manifest_by_tag_and_2_8_refuses() {
    let v3 = Registry::start_implementation(Implementation::Distribution3, Mode::Plain);
    assert_eq!(v3.implementation(), Implementation::Distribution3);
    push_manifest(&v3, "demo/untag", "doomed", None);
    let url = format!("{}/v2/demo/untag/manifests/doomed", v3.base_url());
    let (status, body) = curl(&["-X", "DELETE", &url]);
    assert_eq!(status, 202, "distribution v3 DELETE by tag: {body}");
    assert_eq!(curl(&["-I", "-H", ACCEPT, &url]).0, 404, "the tag is gone");
    assert!(v3.count_requests("DELETE", "/manifests/doomed") == 1);

    let v2 = Registry::start(Mode::Plain);
    push_manifest(&v2, "demo/untag", "kept", None);
    let url = format!("{}/v2/demo/untag/manifests/kept", v2.base_url());
    let (status, _) = curl(&["-X", "DELETE", &url]);
    assert!(
        status >= 400,
        "2.8.2 refuses DELETE by tag (status {status})"
    );
    assert_eq!(
        curl(&["-I", "-H", ACCEPT, &url]).0,
        200,
        "the tag is still there"
    );
}

#[test]
fn ggcr_registry_serves_referrers_without_oci_subject() {
    let reg = Registry::start_implementation(Implementation::GgcrReferrers, Mode::Plain);
    let subject_head = push_manifest(&reg, "demo/refs", "subject", None);
    let subject = header(&subject_head, "Docker-Content-Digest").expect("subject digest");
    let (_, subject_bytes) = curl(&[
        "-H",
        ACCEPT,
        &format!("{}/v2/demo/refs/manifests/subject", reg.base_url()),
    ]);
    let referrer_head = push_manifest(
        &reg,
        "demo/refs",
        "referrer",
        Some((&subject, subject_bytes.len())),
    );
    assert_eq!(
        header(&referrer_head, "OCI-Subject"),
        None,
        "go-containerregistry v0.22.1 does not answer OCI-Subject (if it now does, \
         the tests of the fallback on this registry must change): {referrer_head}"
    );
    let (status, body) = curl(&[&format!(
        "{}/v2/demo/refs/referrers/{subject}",
        reg.base_url()
    )]);
    assert_eq!(status, 200, "{body}");
    let referrer = header(&referrer_head, "Docker-Content-Digest").expect("referrer digest");
    assert!(
        body.contains(&referrer),
        "the referrers index lists it: {body}"
    );
    assert_eq!(
        reg.count_requests("GET", "/referrers/"),
        1,
        "access log is read"
    );
}
