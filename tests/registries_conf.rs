//! registries.conf against real registries, with skopeo as the peer: a
//! distribution 2.8.2 primary, a second 2.8.2 as a mirror holding a subset
//! (and a stale `v1`), and distribution's pull-through cache of the primary
//! as another mirror. For each `pull-from-mirror` mode, for
//! `mirror-by-digest-only`, for a location rewrite, a blocked and a
//! not-insecure registry, ocireg and skopeo (given the same file) must pull
//! the same digests from the same endpoints, read from the registries'
//! access logs. Then the bad-input cases, each a clear error naming the file.

mod fixtures;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use fixtures::{PushedImage, plain_client, push_image, reference};
use ocireg::image::ImageOptions;
use ocireg::registries_conf::{ConfPaths, RegistriesConf};
use ocireg::{Client, ClientOptions, ErrorKind, Reference, media_type};
use support::Registry;
use support::registry::Mode;
use support::tempdir::TempDir;

/// Which registries served what: (`primary`/`mirror`/`cache`, `manifest`/`blob`).
type Served = BTreeSet<(&'static str, String)>;

/// The three registries and what each holds.
struct Bed {
    primary: Registry,
    mirror: Registry,
    cache: Registry,
    /// `team/app:v1` on the primary.
    x1: PushedImage,
    /// `team/app:v2` on the primary, and on the mirror by digest only.
    x2: PushedImage,
    /// `team/app:v1` on the mirror: a stale tag, another image.
    y1: PushedImage,
    dir: TempDir,
}

async fn bed() -> Bed {
    let primary = Registry::start(Mode::Plain);
    let mirror = Registry::start(Mode::Plain);
    let cache = Registry::start_pull_through_cache(&primary.base_url());
    let p = plain_client(primary.host());
    let at_primary = reference(primary.host(), "team/app");
    let x1 = push_image(
        &p,
        &at_primary,
        media_type::OCI_MANIFEST,
        &[(11, 3000)],
        &["v1"],
    )
    .await;
    let x2 = push_image(
        &p,
        &at_primary,
        media_type::OCI_MANIFEST,
        &[(12, 3000)],
        &["v2"],
    )
    .await;
    let m = plain_client(mirror.host());
    let at_mirror = reference(mirror.host(), "team/app");
    let y1 = push_image(
        &m,
        &at_mirror,
        media_type::OCI_MANIFEST,
        &[(13, 3000)],
        &["v1"],
    )
    .await;
    let x2_on_mirror =
        push_image(&m, &at_mirror, media_type::OCI_MANIFEST, &[(12, 3000)], &[]).await;
    assert_eq!(
        x2_on_mirror.digest, x2.digest,
        "the mirror holds v2 by digest"
    );
    assert_ne!(x1.digest, y1.digest);
    Bed {
        primary,
        mirror,
        cache,
        x1,
        x2,
        y1,
        dir: TempDir::new("registries-conf"),
    }
}

impl Bed {
    /// Writes a registries.conf whose text names the registries as
    /// `PRIMARY`, `MIRROR` and `CACHE`.
    fn conf(&self, name: &str, text: &str) -> PathBuf {
        let text = text
            .replace("PRIMARY", self.primary.host())
            .replace("MIRROR", self.mirror.host())
            .replace("CACHE", self.cache.host());
        let path = self.dir.path().join(format!("{name}.conf"));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn registries(&self) -> [(&'static str, &Registry); 3] {
        [
            ("primary", &self.primary),
            ("mirror", &self.mirror),
            ("cache", &self.cache),
        ]
    }

    /// How many access-log lines each registry has.
    fn marks(&self) -> [usize; 3] {
        self.registries().map(|(_, r)| r.access_log().len())
    }

    /// Which registries answered a manifest or blob GET with 200 since
    /// `marks`, to a client whose User-Agent contains `agent`.
    fn served_since(&self, marks: [usize; 3], agent: &str) -> Served {
        let mut out = BTreeSet::new();
        for ((name, registry), mark) in self.registries().into_iter().zip(marks) {
            for entry in registry.access_log().into_iter().skip(mark) {
                if entry.status == 200
                    && entry.method == "GET"
                    && entry.user_agent.contains(agent)
                    && (entry.uri.contains("/manifests/") || entry.uri.contains("/blobs/"))
                {
                    let kind = if entry.uri.contains("/manifests/") {
                        "manifest"
                    } else {
                        "blob"
                    };
                    out.insert((name, kind.to_string()));
                }
            }
        }
        out
    }

    /// Pulls `reference` with ocireg following `conf`: the digest pulled,
    /// the reference that served the top manifest, and the endpoints.
    async fn ocireg_pull(
        &self,
        conf: &Path,
        reference: &str,
    ) -> ocireg::Result<(String, Reference, Served)> {
        let client = Client::new(ClientOptions::default().registries_conf(conf))?;
        let reference = Reference::parse(reference)?;
        let marks = self.marks();
        let layout = TempDir::new("ocireg-pull");
        let pulled = client
            .pull(&reference, layout.path(), &ImageOptions::default())
            .await?;
        let source = client
            .get_manifest(&reference)
            .await?
            .source
            .expect("fetched");
        Ok((
            pulled.digest.to_string(),
            source,
            self.served_since(marks, "ocireg/"),
        ))
    }

    /// `skopeo copy` of `reference` into an OCI layout with the same file:
    /// the digest copied and the endpoints, or skopeo's error text.
    fn skopeo_pull(&self, conf: &Path, reference: &str) -> Result<(String, Served), String> {
        let marks = self.marks();
        let layout = TempDir::new("skopeo-pull");
        let out = Command::new("skopeo")
            .arg("--registries-conf")
            .arg(conf)
            .args(["--insecure-policy", "copy", "--preserve-digests"])
            .arg(format!("docker://{reference}"))
            .arg(format!("oci:{}:pulled", layout.path().display()))
            .output()
            .expect("run skopeo");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(layout.path().join("index.json")).unwrap())
                .unwrap();
        let digest = index["manifests"][0]["digest"]
            .as_str()
            .unwrap()
            .to_string();
        Ok((digest, self.served_since(marks, "skopeo")))
    }

    /// Pulls with both and checks they agree with each other and with
    /// `expected` (the digest and which registry served the manifest).
    async fn agree(&self, conf: &Path, reference: &str, digest: &str, served_by: &str) {
        let (ours, source, our_endpoints) = self
            .ocireg_pull(conf, reference)
            .await
            .unwrap_or_else(|e| panic!("ocireg pull {reference}: {e}"));
        let (theirs, their_endpoints) = self
            .skopeo_pull(conf, reference)
            .unwrap_or_else(|e| panic!("skopeo copy {reference}: {e}"));
        assert_eq!(ours, digest, "ocireg pulled {reference}");
        assert_eq!(theirs, digest, "skopeo pulled {reference}");
        assert_eq!(
            our_endpoints, their_endpoints,
            "{reference}: ocireg and skopeo were served by different endpoints"
        );
        let manifest_from: Vec<_> = our_endpoints
            .iter()
            .filter(|(_, kind)| kind == "manifest")
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(manifest_from, [served_by], "{reference}: {our_endpoints:?}");
        let host = self
            .registries()
            .into_iter()
            .find(|(name, _)| *name == served_by)
            .map(|(_, r)| r.host().to_string())
            .unwrap();
        assert_eq!(source.registry(), host, "Manifest::source of {reference}");
    }
}

fn digest_ref(bed: &Bed, image: &PushedImage) -> String {
    format!("{}/team/app@{}", bed.primary.host(), image.digest)
}

#[tokio::test]
async fn mirrors_serve_as_in_skopeo_for_every_pull_from_mirror_mode() {
    let bed = bed().await;
    let v1 = format!("{}/team/app:v1", bed.primary.host());
    let v2 = format!("{}/team/app:v2", bed.primary.host());
    let (x1, x2, y1) = (
        bed.x1.digest.to_string(),
        bed.x2.digest.to_string(),
        bed.y1.digest.to_string(),
    );

    // all: the mirror's stale v1 wins; v2, missing there, comes through
    // the pull-through cache.
    let all = bed.conf(
        "all",
        r#"
[[registry]]
location = "PRIMARY"
insecure = true
[[registry.mirror]]
location = "MIRROR"
insecure = true
[[registry.mirror]]
location = "CACHE"
insecure = true
pull-from-mirror = "all"
"#,
    );
    bed.agree(&all, &v1, &y1, "mirror").await;
    bed.agree(&all, &v2, &x2, "cache").await;

    // digest-only: tags skip the mirror; digests use it.
    let digest_only = bed.conf(
        "digest-only",
        r#"
[[registry]]
location = "PRIMARY"
insecure = true
[[registry.mirror]]
location = "MIRROR"
insecure = true
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "CACHE"
insecure = true
"#,
    );
    bed.agree(&digest_only, &v1, &x1, "cache").await;
    bed.agree(&digest_only, &digest_ref(&bed, &bed.x2), &x2, "mirror")
        .await;

    // tag-only: digests skip the mirror; tags use it.
    let tag_only = bed.conf(
        "tag-only",
        r#"
[[registry]]
location = "PRIMARY"
insecure = true
[[registry.mirror]]
location = "MIRROR"
insecure = true
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "CACHE"
insecure = true
pull-from-mirror = "digest-only"
"#,
    );
    bed.agree(&tag_only, &v1, &y1, "mirror").await;
    bed.agree(&tag_only, &digest_ref(&bed, &bed.x1), &x1, "cache")
        .await;

    // mirror-by-digest-only: a tag goes straight to the primary.
    let by_digest = bed.conf(
        "by-digest",
        r#"
[[registry]]
location = "PRIMARY"
insecure = true
mirror-by-digest-only = true
[[registry.mirror]]
location = "MIRROR"
insecure = true
"#,
    );
    bed.agree(&by_digest, &v1, &x1, "primary").await;
    bed.agree(&by_digest, &digest_ref(&bed, &bed.x2), &x2, "mirror")
        .await;
}

#[tokio::test]
async fn location_rewrite_blocked_and_insecure_as_in_skopeo() {
    let bed = bed().await;
    let x1 = bed.x1.digest.to_string();

    // A prefix that is no registry at all, rewritten to the primary's team/.
    let rewrite = bed.conf(
        "rewrite",
        r#"
[[registry]]
prefix = "images.example.test/library"
location = "PRIMARY/team"
insecure = true
"#,
    );
    bed.agree(
        &rewrite,
        "images.example.test/library/app:v1",
        &x1,
        "primary",
    )
    .await;

    // Blocked: refused before any request, naming the file; skopeo too.
    let blocked = bed.conf(
        "blocked",
        r#"
[[registry]]
location = "PRIMARY/team"
insecure = true
blocked = true
"#,
    );
    let v1 = format!("{}/team/app:v1", bed.primary.host());
    let before = bed.primary.access_log().len();
    let e = bed.ocireg_pull(&blocked, &v1).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Denied, "{e}");
    assert!(e.message().contains(&blocked.display().to_string()), "{e}");
    assert!(e.message().contains("blocked"), "{e}");
    let client = Client::new(ClientOptions::default().registries_conf(&blocked)).unwrap();
    let pushed = client
        .push_blob(
            &Reference::parse(&v1).unwrap(),
            bytes::Bytes::from_static(b"x"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        pushed.kind(),
        ErrorKind::Denied,
        "pushes are blocked too: {pushed}"
    );
    assert_eq!(
        bed.primary.access_log().len(),
        before,
        "no request reached the registry"
    );
    let skopeo = bed.skopeo_pull(&blocked, &v1).unwrap_err();
    assert!(skopeo.contains("blocked"), "skopeo: {skopeo}");
    // Another repository of the same registry is not blocked (longest prefix).
    let unblocked = client
        .get_manifest(&Reference::parse(&format!("{}/other/app:v1", bed.primary.host())).unwrap())
        .await
        .unwrap_err();
    assert_eq!(unblocked.kind(), ErrorKind::NotFound, "{unblocked}");

    // Not insecure: plain HTTP is not spoken, by either.
    let secure = bed.conf(
        "secure",
        r#"
[[registry]]
location = "PRIMARY"
"#,
    );
    let e = bed.ocireg_pull(&secure, &v1).await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Tls | ErrorKind::Network | ErrorKind::Protocol
        ),
        "{e}"
    );
    let skopeo = bed.skopeo_pull(&secure, &v1).unwrap_err();
    assert!(
        skopeo.contains("http: server gave HTTP response to HTTPS client"),
        "skopeo: {skopeo}"
    );
    // The same file with insecure = true on the mirror only: the mirror
    // serves, the primary would not have been reachable.
    let mirror_insecure = bed.conf(
        "mirror-insecure",
        r#"
[[registry]]
location = "PRIMARY"
[[registry.mirror]]
location = "MIRROR"
insecure = true
"#,
    );
    bed.agree(&mirror_insecure, &v1, &bed.y1.digest.to_string(), "mirror")
        .await;
}

/// Writes `text` as a file and loads it alone (no drop-ins, no cache).
fn load_only(dir: &TempDir, name: &str, text: &str) -> (PathBuf, ocireg::Result<RegistriesConf>) {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let loaded = ConfPaths::only(path.clone()).load();
    (path, loaded)
}

#[test]
fn bad_files_are_clear_errors_naming_the_file() {
    let dir = TempDir::new("registries-conf-bad");
    for (name, text, fragment) in [
        (
            "syntax.conf",
            "unqualified-search-registries = [\"a.io\"]\n[[registry]\nlocation = \"x.io\"\n",
            "line 2",
        ),
        (
            "conflict.conf",
            "[[registry]]\nprefix = \"a.io/x\"\nlocation = \"b.io\"\ninsecure = true\n\
             [[registry]]\nprefix = \"a.io/y\"\nlocation = \"b.io\"\n",
            "defined multiple times with conflicting 'insecure' setting",
        ),
        (
            "pull-from-mirror.conf",
            "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\n\
             pull-from-mirror = \"sometimes\"\n",
            "unsupported pull-from-mirror value \"sometimes\"",
        ),
        (
            "alias-blocked.conf",
            "[[registry]]\nlocation = \"evil.example.com\"\nblocked = true\n\
             [aliases]\n\"tool\" = \"evil.example.com/tools/tool\"\n",
            "short-name alias \"tool\" points to \"evil.example.com/tools/tool\"",
        ),
        (
            "scheme.conf",
            "[[registry]]\nlocation = \"https://a.io\"\n",
            "URI schemes are not supported",
        ),
        (
            "digest-only-and-per-mirror.conf",
            "[[registry]]\nlocation = \"a.io\"\nmirror-by-digest-only = true\n\
             [[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"all\"\n",
            "at the same time",
        ),
        (
            "mode.conf",
            "short-name-mode = \"sometimes\"\n",
            "invalid short-name mode",
        ),
    ] {
        let (path, loaded) = load_only(&dir, name, text);
        let e = loaded.expect_err(name);
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{name}: {e}");
        assert!(
            e.message().starts_with(&path.display().to_string()),
            "{name}: {e}"
        );
        assert!(e.message().contains(fragment), "{name}: {e}");
        // The client refuses to start on it, with the same message.
        let client = Client::new(ClientOptions::default().registries_conf(&path));
        let e2 = client.err().expect(name);
        assert_eq!(e2.message(), e.message());
    }
    // A missing file given explicitly is an error naming it.
    let missing = dir.path().join("missing.conf");
    let e = Client::new(ClientOptions::default().registries_conf(&missing))
        .err()
        .expect("missing");
    assert!(e.message().contains(&missing.display().to_string()), "{e}");
    // The same prefix twice with agreeing settings: the first wins, as in
    // containers/image (it no longer rejects it).
    let (_, loaded) = load_only(
        &dir,
        "twice.conf",
        "[[registry]]\nprefix = \"a.io\"\nlocation = \"first.io\"\n\
         [[registry]]\nprefix = \"a.io\"\nlocation = \"second.io\"\n",
    );
    let conf = loaded.unwrap();
    assert_eq!(conf.registries().len(), 1);
    assert_eq!(conf.registries()[0].location, "first.io");
}

#[test]
fn drop_ins_merge_in_lexical_order() {
    let dir = TempDir::new("registries-conf-dropins");
    let main = dir.path().join("registries.conf");
    std::fs::write(
        &main,
        "unqualified-search-registries = [\"a.io\", \"b.io\"]\nshort-name-mode = \"enforcing\"\n\
         [[registry]]\nprefix = \"x.io\"\nlocation = \"main.io\"\n\
         [[registry]]\nlocation = \"kept.io\"\n\
         [aliases]\n\"one\" = \"a.io/one\"\n\"two\" = \"a.io/two\"\n",
    )
    .unwrap();
    let d = dir.path().join("registries.conf.d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(
        d.join("20-late.conf"),
        "[[registry]]\nprefix = \"x.io\"\nlocation = \"late.io\"\n[aliases]\n\"two\" = \"\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("10-early.conf"),
        "unqualified-search-registries = [\"c.io\"]\n\
         [[registry]]\nprefix = \"x.io\"\nlocation = \"early.io\"\n",
    )
    .unwrap();
    std::fs::write(d.join("ignored.txt"), "not toml [").unwrap();
    let paths = ConfPaths {
        main: main.clone(),
        main_required: true,
        drop_in_dirs: vec![d.clone()],
        alias_cache: None,
    };
    let conf = paths.load().unwrap();
    let locations: Vec<_> = conf
        .registries()
        .iter()
        .map(|r| (r.prefix.as_str(), r.location.as_str()))
        .collect();
    assert_eq!(locations, [("kept.io", "kept.io"), ("x.io", "late.io")]);
    assert_eq!(conf.unqualified_search_registries(), ["c.io"]);
    let one = conf.short_name_candidates("one:3", false).unwrap();
    assert_eq!(one.candidates[0].to_string(), "a.io/one:3");
    // "two" was removed by 20-late.conf: the search registries apply, one.
    let two = conf.short_name_candidates("two", false).unwrap();
    assert_eq!(two.candidates[0].to_string(), "c.io/two:latest");
    assert_eq!(
        two.origin.as_deref(),
        Some(d.join("10-early.conf").as_path())
    );

    // v1 is refused in a drop-in, naming it.
    std::fs::write(
        d.join("30-v1.conf"),
        "[registries.search]\nregistries = [\"a.io\"]\n",
    )
    .unwrap();
    let e = paths.load().unwrap_err();
    assert!(e.message().contains("30-v1.conf"), "{e}");
    assert!(e.message().contains("v1"), "{e}");
}

#[test]
fn short_names_resolve_like_containers_image() {
    let dir = TempDir::new("registries-conf-short");
    let (_, loaded) = load_only(
        &dir,
        "enforcing.conf",
        "unqualified-search-registries = [\"quay.io\", \"docker.io\"]\nshort-name-mode = \"enforcing\"\n\
         [aliases]\n\"tool\" = \"quay.io/tools/tool\"\n",
    );
    let conf = loaded.unwrap();
    let tool = conf.short_name_candidates("tool:1", false).unwrap();
    assert_eq!(tool.candidates.len(), 1);
    assert_eq!(tool.candidates[0].to_string(), "quay.io/tools/tool:1");
    let e = conf.short_name_candidates("busybox", false).unwrap_err();
    assert!(e.message().contains("ambiguous"), "{e}");
    assert!(e.message().contains("enforcing.conf"), "{e}");
    let asked = conf.short_name_candidates("busybox", true).unwrap();
    assert!(asked.must_choose);
    let names: Vec<_> = asked.candidates.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        ["quay.io/busybox:latest", "docker.io/library/busybox:latest"]
    );
    let full = conf
        .short_name_candidates("example.com/a/b", false)
        .unwrap();
    assert_eq!(full.candidates[0].to_string(), "example.com/a/b:latest");

    let (path, loaded) = load_only(&dir, "none.conf", "short-name-mode = \"permissive\"\n");
    let e = loaded
        .unwrap()
        .short_name_candidates("busybox", false)
        .unwrap_err();
    assert!(e.message().contains("did not resolve to an alias"), "{e}");
    assert!(e.message().contains(&path.display().to_string()), "{e}");
}
