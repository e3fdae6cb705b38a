//! Short names resolved as containers/image's `shortnames.Resolve` and
//! podman's pull, against two real registries: the first
//! unqualified-search registry lacks the image, the second has it. An
//! alias wins over the search; enforcing mode refuses an ambiguity it
//! cannot ask about; a blocked candidate is skipped; a file with an alias
//! to a blocked registry is refused; a write never guesses; without a
//! registries.conf, docker's rule. (skopeo's `docker://` does not resolve
//! short names at all: tests/cli/short_names.sh checks that.)

mod fixtures;
mod support;

use std::path::PathBuf;

use fixtures::{plain_client, push_image, reference};
use ocireg::registries_conf::Rationale;
use ocireg::{Client, ClientOptions, ErrorKind, NameUse, media_type};
use support::Registry;
use support::registry::Mode;
use support::tempdir::TempDir;

struct Bed {
    first: Registry,
    second: Registry,
    dir: TempDir,
}

impl Bed {
    /// Writes a registries.conf searching first then second (both
    /// insecure), with `extra` appended; `FIRST`/`SECOND` stand for them.
    fn conf(&self, name: &str, mode: &str, extra: &str) -> PathBuf {
        let text = format!(
            "unqualified-search-registries = [\"FIRST\", \"SECOND\"]\n\
             short-name-mode = \"{mode}\"\n\
             [[registry]]\nlocation = \"FIRST\"\ninsecure = true\n\
             [[registry]]\nlocation = \"SECOND\"\ninsecure = true\n{extra}"
        )
        .replace("FIRST", self.first.host())
        .replace("SECOND", self.second.host());
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

fn client(conf: &PathBuf) -> Client {
    Client::new(ClientOptions::default().registries_conf(conf)).unwrap()
}

#[tokio::test]
async fn short_names_resolve_like_podman() {
    let bed = Bed {
        first: Registry::start(Mode::Plain),
        second: Registry::start(Mode::Plain),
        dir: TempDir::new("short-names"),
    };
    let at_second = reference(bed.second.host(), "team/app");
    let image = push_image(
        &plain_client(bed.second.host()),
        &at_second,
        media_type::OCI_MANIFEST,
        &[(31, 500)],
        &["v1"],
    )
    .await;
    let want = format!("{}/team/app:v1", bed.second.host());
    let skipped = format!("{}/team/app:v1", bed.first.host());

    // Search order: the first lacks it (it was asked), the second serves.
    let permissive = bed.conf(
        "permissive.conf",
        "permissive",
        "[aliases]\n\"tool\" = \"SECOND/team/app\"\n",
    );
    let c = client(&permissive);
    let before = bed
        .first
        .count_requests("HEAD", "/v2/team/app/manifests/v1");
    let got = c.resolve_name("team/app:v1", NameUse::Pull).await.unwrap();
    assert_eq!(got.reference.to_string(), want);
    assert_eq!(got.rationale, Rationale::SearchRegistries);
    assert_eq!(got.origin.as_deref(), Some(permissive.as_path()));
    assert_eq!(got.skipped.len(), 1, "{:?}", got.skipped);
    assert_eq!(got.skipped[0].0.to_string(), skipped);
    assert_eq!(
        bed.first
            .count_requests("HEAD", "/v2/team/app/manifests/v1"),
        before + 1,
        "the first candidate was tried"
    );
    assert_eq!(
        c.get_manifest(&got.reference).await.unwrap().digest,
        image.digest
    );
    // A write (or listing) with two candidates: refused, not guessed.
    let e = c
        .resolve_name("team/app:v1", NameUse::Single)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidReference, "{e}");
    assert!(e.message().contains("fully qualified"), "{e}");
    // The alias: one candidate, for any use; its tag kept.
    let alias = c.resolve_name("tool:v1", NameUse::Single).await.unwrap();
    assert_eq!(alias.reference.to_string(), want);
    assert_eq!(alias.rationale, Rationale::Alias);
    // A fully qualified name is itself.
    let full = c.resolve_name(&want, NameUse::Single).await.unwrap();
    assert_eq!(
        (full.reference.to_string(), full.rationale),
        (want.clone(), Rationale::None)
    );
    // No candidate has it: the last one's error, listing every failure.
    let e = c
        .resolve_name("team/missing:v1", NameUse::Pull)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains(bed.first.host()), "{e}");
    assert!(e.message().contains(bed.second.host()), "{e}");

    // Enforcing: ambiguous without a prompt, naming the file; the alias
    // still resolves.
    let enforcing = bed.conf(
        "enforcing.conf",
        "enforcing",
        "[aliases]\n\"tool\" = \"SECOND/team/app\"\n",
    );
    let c = client(&enforcing);
    let e = c
        .resolve_name("team/app:v1", NameUse::Pull)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidReference, "{e}");
    assert!(e.message().contains("ambiguous"), "{e}");
    assert!(
        e.message().contains(&enforcing.display().to_string()),
        "{e}"
    );
    assert_eq!(
        c.resolve_name("tool:v1", NameUse::Pull)
            .await
            .unwrap()
            .reference
            .to_string(),
        want
    );

    // A blocked first candidate is skipped, saying why.
    let blocked_text = format!(
        "unqualified-search-registries = [\"{f}\", \"{s}\"]\n\
         [[registry]]\nlocation = \"{f}\"\nblocked = true\n\
         [[registry]]\nlocation = \"{s}\"\ninsecure = true\n",
        f = bed.first.host(),
        s = bed.second.host()
    );
    let blocked = bed.dir.path().join("blocked.conf");
    std::fs::write(&blocked, &blocked_text).unwrap();
    let got = client(&blocked)
        .resolve_name("team/app:v1", NameUse::Pull)
        .await
        .unwrap();
    assert_eq!(got.reference.to_string(), want);
    assert!(got.skipped[0].1.contains("blocked"), "{:?}", got.skipped);
    // An alias to a blocked registry: the file is refused, naming it.
    let alias_to_blocked = bed.dir.path().join("alias-blocked.conf");
    std::fs::write(
        &alias_to_blocked,
        format!(
            "{blocked_text}[aliases]\n\"gone\" = \"{}/team/app\"\n",
            bed.first.host()
        ),
    )
    .unwrap();
    let e = Client::new(ClientOptions::default().registries_conf(&alias_to_blocked))
        .err()
        .expect("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("\"gone\""), "{e}");
    assert!(e.message().contains("blocked"), "{e}");

    // No registries.conf: docker's rule, no request.
    let none = Client::new(ClientOptions::default()).unwrap();
    let got = none.resolve_name("busybox", NameUse::Pull).await.unwrap();
    assert_eq!(
        got.reference.to_string(),
        "docker.io/library/busybox:latest"
    );
    assert_eq!(got.rationale, Rationale::DockerDefault);
}

#[test]
fn the_blocking_client_resolves_too() {
    let dir = TempDir::new("short-names-blocking");
    let path = dir.path().join("alias.conf");
    std::fs::write(&path, "[aliases]\n\"tool\" = \"quay.io/tools/tool\"\n").unwrap();
    let c = ocireg::blocking::Client::new(ClientOptions::default().registries_conf(&path)).unwrap();
    let got = c.resolve_name("tool:2", NameUse::Single).unwrap();
    assert_eq!(got.reference.to_string(), "quay.io/tools/tool:2");
    assert_eq!(got.rationale, Rationale::Alias);
    let e = c.resolve_name("other", NameUse::Pull).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidReference, "{e}");
    assert!(e.message().contains("did not resolve to an alias"), "{e}");
}
