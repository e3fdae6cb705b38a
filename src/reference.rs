//! Image references (`[registry/]repository[:tag][@digest]`), parsed and
//! normalized the way docker does.
//!
//! The grammar and the normalization are those of docker's
//! `distribution/reference` (`ParseNormalizedNamed` followed by
//! `TagNameOnly`):
//!
//! - the registry and Docker Hub's names are [`Registry`]'s rules (`ubuntu`
//!   is `docker.io/library/ubuntu`);
//! - the repository path is at most 255 bytes (the registry is not counted);
//! - a reference with neither tag nor digest gets the tag `latest`; a tag and
//!   a digest together are both kept.
//!
//! Two deliberate differences, both rejecting input docker accepts but no
//! registry could serve: a port must be at most 65535, and a bracketed IPv6
//! address must be a well-formed one.

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::{self, Registry};

/// The tag of a reference that names neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
/// The longest repository path accepted, in bytes (the registry is not
/// counted, as in docker's `distribution/reference` v0.6 and later).
pub const REPOSITORY_MAX_LEN: usize = 255;
/// The longest tag accepted, in bytes.
pub const TAG_MAX_LEN: usize = 128;

/// A parsed, normalized image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: Registry,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference: `ubuntu` is `docker.io/library/ubuntu:latest`.
    ///
    /// Fails with [`ErrorKind::InvalidReference`], or with
    /// [`ErrorKind::InvalidDigest`] when the part after `@` is not a valid
    /// digest.
    pub fn parse(s: &str) -> Result<Reference> {
        if s.is_empty() {
            return Err(invalid(s, "the reference is empty"));
        }
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid(
                s,
                "a 64-character hex string is an image ID, not a repository name",
            ));
        }

        let (name_and_tag, digest) = match s.split_once('@') {
            None => (s, None),
            Some((_, "")) => return Err(invalid(s, "'@' is not followed by a digest")),
            Some((rest, d)) => {
                let digest = Digest::parse(d).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidDigest,
                        format!("invalid reference {}: {}", shown(s), e.message()),
                    )
                })?;
                (rest, Some(digest))
            }
        };

        // The tag follows the last ':' that comes after the last '/'; an
        // earlier ':' belongs to the registry's port.
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => (
                name_and_tag.get(..colon).unwrap_or_default(),
                name_and_tag.get(colon + 1..),
            ),
            _ => (name_and_tag, None),
        };
        if name.is_empty() {
            return Err(invalid(s, "the repository name is empty"));
        }

        let (registry, repository) = registry::split_reference_name(name);
        registry::check(registry.as_str()).map_err(|why| invalid(s, why))?;
        check_repository(&repository).map_err(|why| invalid(s, why))?;
        if repository.len() > REPOSITORY_MAX_LEN {
            return Err(invalid(
                s,
                format!(
                    "the repository path is {} characters long, more than {REPOSITORY_MAX_LEN}",
                    repository.len()
                ),
            ));
        }
        if let Some(tag) = tag {
            check_tag(tag).map_err(|why| invalid(s, why))?;
        }

        let tag = match (tag, &digest) {
            (None, None) => Some(DEFAULT_TAG.to_string()),
            (tag, _) => tag.map(str::to_string),
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The registry as written in references (`docker.io`, `localhost:5000`, `[::1]:5000`).
    #[must_use]
    pub fn registry(&self) -> &str {
        self.registry.as_str()
    }

    /// The host\[:port\] to talk to (`registry-1.docker.io` for `docker.io`).
    #[must_use]
    pub fn api_host(&self) -> &str {
        self.registry.api_host()
    }

    /// The repository path (`library/ubuntu`).
    #[must_use]
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The familiar (short) form, as docker's `FamiliarString`:
    /// `ubuntu:latest` for `docker.io/library/ubuntu:latest`, `user/app:v1`
    /// for `docker.io/user/app:v1`, the full form for other registries. It
    /// parses back to an equal value.
    #[must_use]
    pub fn familiar(&self) -> String {
        let mut familiar = self.registry.familiar_name(&self.repository);
        self.write_tag_and_digest(&mut familiar);
        familiar
    }

    /// Appends `:tag` and `@digest` when present.
    fn write_tag_and_digest(&self, out: &mut String) {
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest.as_str());
        }
    }

    /// What goes after `/manifests/`: the digest when present, else the tag.
    #[must_use]
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            // Not reachable through the constructors, which always set one.
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    /// The same repository with this tag and no digest.
    ///
    /// Fails with [`ErrorKind::InvalidReference`] when the tag is not valid
    /// (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        check_tag(tag).map_err(|why| Error::new(ErrorKind::InvalidReference, why))?;
        Ok(Reference {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_string()),
            digest: None,
        })
    }

    /// The same repository with this digest and no tag.
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest),
        }
    }
}

impl fmt::Display for Reference {
    /// `registry/repository[:tag][@digest]`, normalized
    /// (`docker.io/library/ubuntu:latest`); it parses back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut canonical = format!("{}/{}", self.registry, self.repository);
        self.write_tag_and_digest(&mut canonical);
        f.write_str(&canonical)
    }
}

impl FromStr for Reference {
    type Err = Error;

    /// Same as [`Reference::parse`].
    fn from_str(s: &str) -> Result<Reference> {
        Reference::parse(s)
    }
}

/// An `InvalidReference` error naming the input and the reason.
fn invalid(input: &str, why: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidReference,
        format!("invalid reference {}: {why}", shown(input)),
    )
}

/// The input quoted for an error message, cut short when very long.
pub(crate) fn shown(input: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut chars = input.chars();
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head:?}...")
    } else {
        format!("{head:?}")
    }
}

/// Checks a repository path: `/`-separated path components.
fn check_repository(repository: &str) -> std::result::Result<(), String> {
    if repository.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "repository name {} must be lowercase",
            shown(repository)
        ));
    }
    for component in repository.split('/') {
        if component.is_empty() {
            return Err(format!(
                "repository name {} has an empty path component \
                 (a leading, doubled or trailing '/')",
                shown(repository)
            ));
        }
        if !is_path_component(component) {
            return Err(format!(
                "repository path component {} is invalid: it must be lower-case \
                 letters and digits, separated by one '.', one or two '_', or '-'s",
                shown(component)
            ));
        }
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(component: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut bytes = component.bytes().peekable();
    loop {
        let mut run = 0usize;
        while bytes.next_if(alnum).is_some() {
            run += 1;
        }
        if run == 0 {
            return false;
        }
        match bytes.next() {
            None => return true,
            Some(b'.') => {}
            Some(b'_') => {
                bytes.next_if_eq(&b'_');
            }
            Some(b'-') => while bytes.next_if_eq(&b'-').is_some() {},
            Some(_) => return false,
        }
    }
}

/// Checks a tag: `[\w][\w.-]{0,127}`.
fn check_tag(tag: &str) -> std::result::Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut bytes = tag.bytes();
    match bytes.next() {
        None => Err("the tag is empty (a trailing ':')".to_string()),
        Some(_) if tag.len() > TAG_MAX_LEN => Err(format!(
            "the tag is {} characters long, more than {TAG_MAX_LEN}",
            tag.len()
        )),
        Some(first) if !word(first) => Err(format!(
            "tag {} must start with a letter, a digit or '_'",
            shown(tag)
        )),
        Some(_) if !bytes.all(|b| word(b) || b == b'.' || b == b'-') => Err(format!(
            "tag {} may contain only letters, digits, '_', '.' and '-'",
            shown(tag)
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_inputs::Inputs;

    const D: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

    /// (input, registry, repository, tag, digest)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[rustfmt::skip]
    const VALID: &[Case] = &[
        // Docker Hub normalization.
        ("ubuntu", "docker.io", "library/ubuntu", Some("latest"), None),
        ("ubuntu:22.04", "docker.io", "library/ubuntu", Some("22.04"), None),
        ("user/app", "docker.io", "user/app", Some("latest"), None),
        ("library/debian", "docker.io", "library/debian", Some("latest"), None),
        ("docker.io/debian", "docker.io", "library/debian", Some("latest"), None),
        ("docker.io/library/debian", "docker.io", "library/debian", Some("latest"), None),
        ("docker.io/docker/docker", "docker.io", "docker/docker", Some("latest"), None),
        ("index.docker.io/x", "docker.io", "library/x", Some("latest"), None),
        ("index.docker.io/docker/docker", "docker.io", "docker/docker", Some("latest"), None),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar", Some("latest"), None),
        ("store/foo/bar", "docker.io", "store/foo/bar", Some("latest"), None),
        ("other/library", "docker.io", "other/library", Some("latest"), None),
        ("test_com/foo", "docker.io", "test_com/foo", Some("latest"), None),
        ("docker/migrator", "docker.io", "docker/migrator", Some("latest"), None),
        // A single component is never a registry.
        ("localhost", "docker.io", "library/localhost", Some("latest"), None),
        ("localhost:5000", "docker.io", "library/localhost", Some("5000"), None),
        ("192.168.0.1", "docker.io", "library/192.168.0.1", Some("latest"), None),
        ("192.168.0.1:80", "docker.io", "library/192.168.0.1", Some("80"), None),
        ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", Some("8080"), None),
        // Registries: '.', ':', localhost, upper case.
        ("localhost/x", "localhost", "x", Some("latest"), None),
        ("localhost/library/debian", "localhost", "library/debian", Some("latest"), None),
        ("localhost:5000/a/b", "localhost:5000", "a/b", Some("latest"), None),
        ("127.0.0.1:5000/x:tag", "127.0.0.1:5000", "x", Some("tag"), None),
        ("192.168.0.1:8/debian", "192.168.0.1:8", "debian", Some("latest"), None),
        ("registry:5000/repo", "registry:5000", "repo", Some("latest"), None),
        ("test-com:8080/foo", "test-com:8080", "foo", Some("latest"), None),
        ("example.com/private/moonbase", "example.com", "private/moonbase", Some("latest"), None),
        ("example.com:8000/privatebase", "example.com:8000", "privatebase", Some("latest"), None),
        ("ghcr.io/o/r/deep/path:v1", "ghcr.io", "o/r/deep/path", Some("v1"), None),
        ("xn--n3h.com/myimage", "xn--n3h.com", "myimage", Some("latest"), None),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", Some("latest"), None),
        ("Foo/bar", "Foo", "bar", Some("latest"), None),
        ("DOCKER/docker", "DOCKER", "docker", Some("latest"), None),
        ("a-b.C-d.e:65535/x", "a-b.C-d.e:65535", "x", Some("latest"), None),
        ("docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
         "docker.io", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
         Some("latest"), None),
        // IPv6.
        ("[::1]:5000/x", "[::1]:5000", "x", Some("latest"), None),
        ("[::1]/x:t", "[::1]", "x", Some("t"), None),
        ("[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", Some("latest"), None),
        ("[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000",
         "library/debian", Some("latest"), None),
        ("[FC00::A]/x", "[FC00::A]", "x", Some("latest"), None),
        // Path component separators.
        ("docker-rules/docker", "docker.io", "docker-rules/docker", Some("latest"), None),
        ("docker---rules/docker", "docker.io", "docker---rules/docker", Some("latest"), None),
        ("dock__er/docker", "docker.io", "dock__er/docker", Some("latest"), None),
        ("x/a.b_c__d-e--f/g", "docker.io", "x/a.b_c__d-e--f/g", Some("latest"), None),
        ("d/docker", "docker.io", "d/docker", Some("latest"), None),
        ("ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", Some("latest"), None),
        ("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
         "docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
         Some("latest"), None),
        // A 63-character hex string is a name, not an ID.
        ("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io",
         "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
         Some("latest"), None),
        // Tags.
        ("x:Latest", "docker.io", "library/x", Some("Latest"), None),
        ("x:_", "docker.io", "library/x", Some("_"), None),
        ("x:1.0-rc.1_b", "docker.io", "library/x", Some("1.0-rc.1_b"), None),
        ("localhost:5000/x:5000", "localhost:5000", "x", Some("5000"), None),
        // Digests, with and without a tag.
        ("ubuntu@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         "docker.io", "library/ubuntu", None, Some(D)),
        ("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         "docker.io", "library/busybox", Some("latest"), Some(D)),
        ("localhost:5000/a/b:v2@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         "localhost:5000", "a/b", Some("v2"), Some(D)),
    ];

    #[test]
    fn parses_and_normalizes() {
        for &(input, registry, repository, tag, digest) in VALID {
            let r = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.registry(), registry, "{input}");
            assert_eq!(r.repository(), repository, "{input}");
            assert_eq!(r.tag(), tag, "{input}");
            assert_eq!(r.digest().map(Digest::as_str), digest, "{input}");
            // Display is normalized and parses back to the same reference.
            let again = Reference::parse(&r.to_string()).unwrap_or_else(|e| panic!("{r}: {e}"));
            assert_eq!(again, r, "{input} -> {r}");
            assert_eq!(input.parse::<Reference>().unwrap(), r);
        }
    }

    #[test]
    fn displays_normalized() {
        for (input, shown) in [
            ("ubuntu", "docker.io/library/ubuntu:latest"),
            ("user/app", "docker.io/user/app:latest"),
            ("index.docker.io/x:1", "docker.io/library/x:1"),
            ("[::1]:5000/x", "[::1]:5000/x:latest"),
            (&format!("r@{D}"), &format!("docker.io/library/r@{D}")),
            (&format!("r:t@{D}"), &format!("docker.io/library/r:t@{D}")),
        ] {
            assert_eq!(Reference::parse(input).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn familiar_strings_like_docker() {
        for (input, familiar) in [
            ("ubuntu", "ubuntu:latest"),
            ("docker.io/library/ubuntu:22.04", "ubuntu:22.04"),
            ("index.docker.io/user/app:v1", "user/app:v1"),
            ("library/a/b", "library/a/b:latest"),
            (
                "localhost:5000/library/x",
                "localhost:5000/library/x:latest",
            ),
            (
                "registry-1.docker.io/library/x",
                "registry-1.docker.io/library/x:latest",
            ),
            (&format!("r@{D}"), &format!("r@{D}")),
            (
                &format!("example.com/r:t@{D}"),
                &format!("example.com/r:t@{D}"),
            ),
        ] {
            let r = Reference::parse(input).unwrap();
            assert_eq!(r.familiar(), familiar, "{input}");
            assert_eq!(Reference::parse(&r.familiar()).unwrap(), r, "{input}");
        }
    }

    /// (input, error kind, a fragment of the message)
    #[rustfmt::skip]
    const INVALID: &[(&str, ErrorKind, &str)] = &[
        ("", ErrorKind::InvalidReference, "empty"),
        (":tag", ErrorKind::InvalidReference, "repository name is empty"),
        ("@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         ErrorKind::InvalidReference, "repository name is empty"),
        ("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
         ErrorKind::InvalidReference, "image ID"),
        // Upper case in the repository.
        ("Ubuntu", ErrorKind::InvalidReference, "must be lowercase"),
        ("docker/Docker", ErrorKind::InvalidReference, "must be lowercase"),
        ("docker.io/docker/Docker", ErrorKind::InvalidReference, "must be lowercase"),
        ("localhost:5000/Foo:tag", ErrorKind::InvalidReference, "must be lowercase"),
        // Bad path components.
        ("-docker", ErrorKind::InvalidReference, "path component"),
        ("-docker/docker", ErrorKind::InvalidReference, "path component"),
        ("docker-/docker", ErrorKind::InvalidReference, "path component"),
        ("-docker-/docker", ErrorKind::InvalidReference, "path component"),
        ("____/____", ErrorKind::InvalidReference, "path component"),
        ("_docker/_docker", ErrorKind::InvalidReference, "path component"),
        ("dock..er/docker", ErrorKind::InvalidReference, "host name"),
        ("dock_.er/docker", ErrorKind::InvalidReference, "host name"),
        ("dock-.er/docker", ErrorKind::InvalidReference, "host name"),
        ("dock___er/docker", ErrorKind::InvalidReference, "path component"),
        ("a/b c", ErrorKind::InvalidReference, "path component"),
        (" ubuntu", ErrorKind::InvalidReference, "path component"),
        ("ubuntu\n", ErrorKind::InvalidReference, "path component"),
        ("caf\u{e9}/x", ErrorKind::InvalidReference, "path component"),
        ("x/\u{1F600}", ErrorKind::InvalidReference, "path component"),
        ("https://github.com/docker/docker", ErrorKind::InvalidReference, "registry"),
        // Empty components: doubled, leading, trailing '/'.
        ("docker/", ErrorKind::InvalidReference, "empty path component"),
        ("docker///docker", ErrorKind::InvalidReference, "empty path component"),
        ("docker.io/docker///docker", ErrorKind::InvalidReference, "empty path component"),
        ("localhost:5000/", ErrorKind::InvalidReference, "empty path component"),
        ("/ubuntu", ErrorKind::InvalidReference, "empty path component"),
        ("example.com/x/:tag", ErrorKind::InvalidReference, "empty path component"),
        // Registries.
        ("-docker.io/docker/docker", ErrorKind::InvalidReference, "host name"),
        ("a..b/x", ErrorKind::InvalidReference, "host name"),
        ("a.b-/x", ErrorKind::InvalidReference, "host name"),
        ("a_b.com/x", ErrorKind::InvalidReference, "host name"),
        ("localhost:/x", ErrorKind::InvalidReference, "empty port"),
        ("localhost:50a0/x", ErrorKind::InvalidReference, "non-numeric port"),
        ("localhost:-1/x", ErrorKind::InvalidReference, "non-numeric port"),
        ("localhost:65536/x", ErrorKind::InvalidReference, "above 65535"),
        ("localhost:99999999999999999999/x", ErrorKind::InvalidReference, "above 65535"),
        ("fc00::1:5000/debian", ErrorKind::InvalidReference, "non-numeric port"),
        ("[fc00::1]", ErrorKind::InvalidReference, "path component"),
        ("[fc00::1]:5000", ErrorKind::InvalidReference, "path component"),
        ("[fe80::1%eth0]:5000/debian", ErrorKind::InvalidReference, "zone"),
        ("[fe80::1%25eth0]/debian", ErrorKind::InvalidReference, "zone"),
        ("[2001:db8:3:4::192.0.2.33]:5000/debian", ErrorKind::InvalidReference, "IPv6"),
        ("[::ffff:1.2.3.4]/x", ErrorKind::InvalidReference, "IPv6"),
        ("[]/x", ErrorKind::InvalidReference, "path component"),
        ("[]:5000/x", ErrorKind::InvalidReference, "IPv6"),
        ("[:::::]/x", ErrorKind::InvalidReference, "IPv6"),
        ("[1:2:3:4:5:6:7:8:9]/x", ErrorKind::InvalidReference, "IPv6"),
        ("[::1/x", ErrorKind::InvalidReference, "unterminated"),
        ("[::1]x/y", ErrorKind::InvalidReference, "after ']'"),
        ("[::1]:/y", ErrorKind::InvalidReference, "empty port"),
        // Tags.
        ("ubuntu:", ErrorKind::InvalidReference, "tag is empty"),
        ("localhost:5000/x:", ErrorKind::InvalidReference, "tag is empty"),
        ("ubuntu:-x", ErrorKind::InvalidReference, "must start"),
        ("ubuntu:.x", ErrorKind::InvalidReference, "must start"),
        ("ubuntu:a+b", ErrorKind::InvalidReference, "may contain only"),
        ("ubuntu:a:b", ErrorKind::InvalidReference, "path component"),
        ("ubuntu:caf\u{e9}", ErrorKind::InvalidReference, "may contain only"),
        // Digests.
        ("ubuntu@", ErrorKind::InvalidReference, "not followed by a digest"),
        ("ubuntu:tag@", ErrorKind::InvalidReference, "not followed by a digest"),
        ("ubuntu@latest", ErrorKind::InvalidDigest, "no ':'"),
        ("ubuntu@sha256:abc", ErrorKind::InvalidDigest, "wrong length"),
        ("ubuntu@md5:d41d8cd98f00b204e9800998ecf8427e", ErrorKind::InvalidDigest, "algorithm"),
        ("ubuntu@sha256:86E0E091D0DA6BDE2456DBB48306F3956BBEB2EAE1B5B9A43045843F69FE4AAA",
         ErrorKind::InvalidDigest, "hex"),
        ("ubuntu@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa@x",
         ErrorKind::InvalidDigest, ""),
    ];

    #[test]
    fn rejects_with_clear_errors() {
        for &(input, kind, fragment) in INVALID {
            let e = match Reference::parse(input) {
                Ok(r) => panic!("{input:?} parsed as {r}"),
                Err(e) => e,
            };
            assert_eq!(e.kind(), kind, "{input:?}: {e}");
            assert!(e.message().contains(fragment), "{input:?}: {e}");
        }
    }

    #[test]
    fn enforces_length_limits() {
        // library/ + n = 255 exactly: the limit is on the repository path.
        let n = REPOSITORY_MAX_LEN - "library/".len();
        let ok = "a".repeat(n);
        let r = Reference::parse(&ok).unwrap();
        assert_eq!(r.repository().len(), REPOSITORY_MAX_LEN);
        let e = Reference::parse(&format!("{ok}a")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidReference);
        assert!(
            e.message()
                .contains("repository path is 256 characters long"),
            "{e}"
        );

        // The registry does not count (distribution/reference v0.6+): a
        // 255-byte path on a long registry name is accepted, as docker does.
        let path = format!("team/{}", "b".repeat(REPOSITORY_MAX_LEN - "team/".len()));
        let registry = format!("{}.example.com:5000", "r".repeat(60));
        let long = Reference::parse(&format!("{registry}/{path}:v1")).unwrap();
        assert_eq!(long.registry(), registry);
        assert_eq!(long.repository(), path);
        assert!(long.to_string().len() > 255 + registry.len());
        let e = Reference::parse(&format!("{registry}/{path}b")).unwrap_err();
        assert!(e.message().contains("more than 255"), "{e}");

        let long_ns = format!("{}/docker", "this_is_not_a_valid_namespace".repeat(9));
        assert!(Reference::parse(&long_ns).is_err());

        let tag = "t".repeat(TAG_MAX_LEN);
        assert_eq!(
            Reference::parse(&format!("x:{tag}")).unwrap().tag(),
            Some(tag.as_str())
        );
        let e = Reference::parse(&format!("x:{tag}t")).unwrap_err();
        assert!(e.message().contains("more than 128"), "{e}");

        // The error message quotes long input only in part.
        let huge = "A".repeat(10_000);
        assert!(Reference::parse(&huge).unwrap_err().message().len() < 1_000);
    }

    #[test]
    fn api_host_and_manifest_reference() {
        let r = Reference::parse("ubuntu").unwrap();
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.manifest_reference(), "latest");

        let r = Reference::parse("localhost:5000/a/b:v1").unwrap();
        assert_eq!(r.api_host(), "localhost:5000");
        assert_eq!(r.manifest_reference(), "v1");

        let r = Reference::parse(&format!("[::1]:5000/x:t@{D}")).unwrap();
        assert_eq!(r.api_host(), "[::1]:5000");
        assert_eq!(r.manifest_reference(), D);

        let r = Reference::parse("docker.io.example.com/x").unwrap();
        assert_eq!(r.api_host(), "docker.io.example.com");
    }

    #[test]
    fn with_tag_and_with_digest() {
        let base = Reference::parse(&format!("example.com/a/b:v1@{D}")).unwrap();

        let tagged = base.with_tag("v2").unwrap();
        assert_eq!(tagged.to_string(), "example.com/a/b:v2");
        assert_eq!(tagged.digest(), None);
        assert_eq!(tagged.manifest_reference(), "v2");

        for bad in ["", "-x", "a/b", "a:b", "a@b", &"t".repeat(129)] {
            let e = base.with_tag(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidReference, "{bad:?}");
        }

        let digested = Reference::parse("example.com/a/b:v1")
            .unwrap()
            .with_digest(Digest::parse(D).unwrap());
        assert_eq!(digested.to_string(), format!("example.com/a/b@{D}"));
        assert_eq!(digested.tag(), None);
        assert_eq!(digested.manifest_reference(), D);
        assert_eq!(Reference::parse(&digested.to_string()).unwrap(), digested);
    }

    #[test]
    fn never_panics_on_random_input() {
        // Bytes biased towards the grammar's delimiters so that the deeper
        // paths are reached, plus arbitrary bytes (lossily made UTF-8).
        const ALPHABET: &[u8] = b"aZ09.:/@_-[]%+ \t\xc3\xa9\xff";
        let mut inputs = Inputs::new(0x9e37_79b9_7f4a_7c15, ALPHABET);
        let seeds: Vec<&str> = VALID
            .iter()
            .map(|v| v.0)
            .chain(INVALID.iter().map(|v| v.0))
            .collect();
        let mut parsed = 0;
        for i in 0..5_000 {
            let len = inputs.below(80);
            let bytes = if i % 2 == 0 {
                // Mutate a known case.
                inputs.mutated(&seeds)
            } else {
                inputs.random(len)
            };
            let input = String::from_utf8_lossy(&bytes);
            if let Ok(r) = Reference::parse(&input) {
                // Whatever parses displays as something that parses back.
                assert_eq!(Reference::parse(&r.to_string()).unwrap(), r, "{input:?}");
                parsed += 1;
            }
        }
        // The mutated seeds keep reaching the success path too.
        assert!(parsed > 50, "only {parsed} inputs parsed");
    }
}
