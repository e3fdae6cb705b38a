//! Registry names, and Docker Hub's naming rules in one place.
//!
//! Docker Hub goes by several names: references spell it `docker.io`
//! (`index.docker.io` is the legacy spelling), its API is served by
//! `registry-1.docker.io`, docker's auth files and credential helpers know it
//! as `https://index.docker.io/v1/`, and its single-component repositories
//! live in `library/` (`ubuntu` is `docker.io/library/ubuntu`). Everything
//! that names Docker Hub asks this module.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};
use crate::reference::shown;

/// The name references give Docker Hub.
const DOCKER_HUB: &str = "docker.io";
/// The host that serves Docker Hub's registry API.
const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The legacy spelling of Docker Hub.
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
/// The server URL docker files Docker Hub credentials under.
const DOCKER_HUB_SERVER_URL: &str = "https://index.docker.io/v1/";
/// The namespace of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";

/// A registry name as references spell it: `docker.io`, `localhost:5000`,
/// `[::1]:5000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Registry {
    name: String,
}

impl Registry {
    /// Docker Hub, `docker.io`.
    #[must_use]
    pub fn docker_hub() -> Registry {
        Registry {
            name: DOCKER_HUB.to_string(),
        }
    }

    /// Normalizes a registry name a user gave (`docker login`'s argument,
    /// an auth-file key): surrounding space, a scheme and a path are dropped
    /// (`localhost:5000/team` is `localhost:5000`), the host is lower-cased,
    /// and Docker Hub's aliases (`index.docker.io`, `registry-1.docker.io`,
    /// `https://index.docker.io/v1/`) are `docker.io`.
    ///
    /// Fails with [`ErrorKind::InvalidReference`] when what remains is not
    /// a valid `host[:port]`.
    pub fn normalize(name: &str) -> Result<Registry> {
        let host = UserName::parse(name).host;
        check(&host).map_err(|why| {
            Error::new(
                ErrorKind::InvalidReference,
                format!("invalid registry name {}: {why}", shown(name)),
            )
        })?;
        Ok(Registry { name: host })
    }

    /// The name as references spell it (`docker.io`, `localhost:5000`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Whether this is Docker Hub.
    #[must_use]
    pub fn is_docker_hub(&self) -> bool {
        self.name == DOCKER_HUB
    }

    /// The `host[:port]` to talk to (`registry-1.docker.io` for `docker.io`).
    #[must_use]
    pub fn api_host(&self) -> &str {
        api_host(&self.name)
    }

    /// A repository path as written after this registry, made canonical:
    /// Docker Hub's single-component names are in `library/`.
    pub(crate) fn canonical_path(&self, path: &str) -> String {
        if self.is_docker_hub() && !path.contains('/') {
            format!("{OFFICIAL_PREFIX}{path}")
        } else {
            path.to_string()
        }
    }

    /// The familiar (short) name of `repository` on this registry, as
    /// docker's `FamiliarName`: `ubuntu` for `docker.io/library/ubuntu`,
    /// `user/app` for `docker.io/user/app`, `registry/repository` elsewhere.
    pub(crate) fn familiar_name(&self, repository: &str) -> String {
        if !self.is_docker_hub() {
            return format!("{}/{repository}", self.name);
        }
        match repository.strip_prefix(OFFICIAL_PREFIX) {
            Some(official) if !official.contains('/') => official.to_string(),
            _ => repository.to_string(),
        }
    }
}

impl fmt::Display for Registry {
    /// The name as references spell it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl FromStr for Registry {
    type Err = Error;

    /// Same as [`Registry::normalize`].
    fn from_str(s: &str) -> Result<Registry> {
        Registry::normalize(s)
    }
}

/// Splits a reference's name (no tag, no digest) into its registry and its
/// canonical repository path, as docker's `ParseNormalizedNamed`: the first
/// `/`-separated component is a registry when it contains `.` or `:`, is
/// `localhost`, or has an upper-case letter (repository paths are
/// lower-case, so it cannot be one); otherwise the whole name is a Docker
/// Hub path. `index.docker.io` is `docker.io`; `registry-1.docker.io` stays
/// as written, as in docker. The registry is not validated here: see
/// [`check`].
pub(crate) fn split_reference_name(name: &str) -> (Registry, String) {
    let (registry, path) = match name.split_once('/') {
        // A single component is always a Docker Hub name: `localhost:5000`
        // alone is `docker.io/library/localhost:5000`, as in docker.
        None => (DOCKER_HUB, name),
        Some((first, rest)) => {
            if first == DOCKER_HUB_LEGACY {
                (DOCKER_HUB, rest)
            } else if first == "localhost"
                || first.contains(['.', ':'])
                || first.bytes().any(|b| b.is_ascii_uppercase())
            {
                (first, rest)
            } else {
                (DOCKER_HUB, name)
            }
        }
    };
    let registry = Registry {
        name: registry.to_string(),
    };
    let path = registry.canonical_path(path);
    (registry, path)
}

/// The `host[:port]` that serves the API of a registry name:
/// `registry-1.docker.io` for `docker.io` and `index.docker.io`, the name
/// itself otherwise.
pub(crate) fn api_host(name: &str) -> &str {
    match name {
        DOCKER_HUB | DOCKER_HUB_LEGACY => DOCKER_HUB_API_HOST,
        other => other,
    }
}

/// The name credentials are filed under for a registry name or API host:
/// `docker.io` for every spelling of Docker Hub, the name itself otherwise.
pub(crate) fn credential_key(host: &str) -> &str {
    match host {
        DOCKER_HUB_API_HOST | DOCKER_HUB_LEGACY => DOCKER_HUB,
        other => other,
    }
}

/// The server URL a credential helper is asked about for a credential key:
/// docker's `https://index.docker.io/v1/` for Docker Hub, the key otherwise.
pub(crate) fn helper_server_url(key: &str) -> &str {
    if key == DOCKER_HUB {
        DOCKER_HUB_SERVER_URL
    } else {
        key
    }
}

/// A registry name as a user or an auth file writes it
/// (`https://index.docker.io/v1/`, `Registry.Example:5000`, `quay.io/team`).
pub(crate) struct UserName {
    /// The lower-cased `host[:port]`, Docker Hub's aliases folded into
    /// `docker.io`; not validated (it may be empty).
    pub(crate) host: String,
    /// Whether the name also names a repository path (`host/namespace`,
    /// without a scheme): such auth-file keys are not registry keys.
    pub(crate) names_repository: bool,
}

impl UserName {
    /// Splits a user-given name; never fails.
    pub(crate) fn parse(name: &str) -> UserName {
        let name = name.trim();
        let (had_scheme, rest) = match name.split_once("://") {
            Some((_, rest)) => (true, rest),
            None => (false, name),
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.to_ascii_lowercase();
        UserName {
            host: credential_key(&host).to_string(),
            names_repository: !had_scheme && !path.trim_matches('/').is_empty(),
        }
    }
}

/// Checks `host[:port]`, where host is a domain name, an IPv4 address or a
/// bracketed IPv6 address without zone; the error is the reason.
pub(crate) fn check(registry: &str) -> std::result::Result<(), String> {
    let port = if let Some(bracketed) = registry.strip_prefix('[') {
        let Some((addr, rest)) = bracketed.split_once(']') else {
            return Err(format!(
                "registry {} has an unterminated '['",
                shown(registry)
            ));
        };
        if addr.contains('%') {
            return Err(format!(
                "registry {}: IPv6 zone identifiers are not supported",
                shown(registry)
            ));
        }
        let hex_or_colon = |b: u8| b.is_ascii_hexdigit() || b == b':';
        if addr.is_empty() || !addr.bytes().all(hex_or_colon) || addr.parse::<Ipv6Addr>().is_err() {
            return Err(format!(
                "registry {} is not a valid IPv6 address",
                shown(registry)
            ));
        }
        match rest {
            "" => None,
            _ => match rest.strip_prefix(':') {
                Some(port) => Some(port),
                None => {
                    return Err(format!(
                        "registry {} has characters after ']' other than a port",
                        shown(registry)
                    ));
                }
            },
        }
    } else {
        let (host, port) = match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        };
        if !host.split('.').all(is_domain_component) {
            return Err(format!(
                "registry {} is not a valid host name: components are letters, \
                 digits and inner '-', separated by '.'",
                shown(registry)
            ));
        }
        port
    };
    match port {
        None => Ok(()),
        Some("") => Err(format!("registry {} has an empty port", shown(registry))),
        Some(port) if !port.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
            "registry {} has a non-numeric port",
            shown(registry)
        )),
        Some(port) if port.parse::<u16>().is_err() => Err(format!(
            "registry {} has a port above 65535",
            shown(registry)
        )),
        Some(_) => Ok(()),
    }
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
fn is_domain_component(c: &str) -> bool {
    !c.is_empty()
        && !c.starts_with('-')
        && !c.ends_with('-')
        && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_user_names() {
        for (input, expected) in [
            ("docker.io", "docker.io"),
            ("index.docker.io", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("  Docker.IO ", "docker.io"),
            ("localhost:5000", "localhost:5000"),
            ("localhost:5000/team/app", "localhost:5000"),
            ("http://Registry.Example:8080/v2/", "registry.example:8080"),
            ("[::1]:5000", "[::1]:5000"),
            ("127.0.0.1", "127.0.0.1"),
            ("docker.io.example.com", "docker.io.example.com"),
        ] {
            let registry = Registry::normalize(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(registry.as_str(), expected, "{input:?}");
            assert_eq!(input.parse::<Registry>().unwrap(), registry);
            assert_eq!(registry.to_string(), expected);
        }
    }

    #[test]
    fn rejects_bad_names_clearly() {
        for (input, fragment) in [
            ("", "host name"),
            ("   ", "host name"),
            ("https://", "host name"),
            ("a_b.example", "host name"),
            ("-x.example", "host name"),
            ("localhost:", "empty port"),
            ("localhost:http", "non-numeric port"),
            ("localhost:70000", "above 65535"),
            ("[::1", "unterminated"),
            ("[zz::1]:5000", "IPv6"),
        ] {
            let e = Registry::normalize(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidReference, "{input:?}");
            assert!(e.message().contains("invalid registry name"), "{e}");
            assert!(e.message().contains(fragment), "{input:?}: {e}");
        }
        let huge = "a".repeat(10_000) + "_";
        assert!(Registry::normalize(&huge).unwrap_err().message().len() < 1_000);
    }

    #[test]
    fn docker_hub_rules() {
        let hub = Registry::docker_hub();
        assert!(hub.is_docker_hub());
        assert_eq!(hub.as_str(), "docker.io");
        assert_eq!(hub.api_host(), "registry-1.docker.io");
        assert_eq!(hub.canonical_path("ubuntu"), "library/ubuntu");
        assert_eq!(hub.canonical_path("user/app"), "user/app");
        assert_eq!(hub.familiar_name("library/ubuntu"), "ubuntu");
        assert_eq!(hub.familiar_name("library/a/b"), "library/a/b");
        assert_eq!(hub.familiar_name("user/app"), "user/app");

        let local = Registry::normalize("localhost:5000").unwrap();
        assert!(!local.is_docker_hub());
        assert_eq!(local.api_host(), "localhost:5000");
        assert_eq!(local.canonical_path("ubuntu"), "ubuntu");
        assert_eq!(local.familiar_name("library/x"), "localhost:5000/library/x");

        assert_eq!(api_host("index.docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("registry-1.docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("quay.io"), "quay.io");
        for alias in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            assert_eq!(credential_key(alias), "docker.io", "{alias}");
        }
        assert_eq!(credential_key("quay.io"), "quay.io");
        assert_eq!(
            helper_server_url("docker.io"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(helper_server_url("quay.io"), "quay.io");
    }

    #[test]
    fn splits_reference_names_like_docker() {
        for (name, registry, path) in [
            ("ubuntu", "docker.io", "library/ubuntu"),
            ("user/app", "docker.io", "user/app"),
            ("docker.io/ubuntu", "docker.io", "library/ubuntu"),
            ("index.docker.io/ubuntu", "docker.io", "library/ubuntu"),
            // docker keeps the API host as written in references.
            (
                "registry-1.docker.io/ubuntu",
                "registry-1.docker.io",
                "ubuntu",
            ),
            ("localhost/x", "localhost", "x"),
            ("Foo/bar", "Foo", "bar"),
            ("example.com:5000/a/b", "example.com:5000", "a/b"),
        ] {
            let (r, p) = split_reference_name(name);
            assert_eq!((r.as_str(), p.as_str()), (registry, path), "{name}");
        }
    }

    #[test]
    fn user_names_that_name_repositories() {
        assert!(UserName::parse("quay.io/team").names_repository);
        assert!(!UserName::parse("quay.io/").names_repository);
        assert!(!UserName::parse("https://quay.io/v1/").names_repository);
        assert_eq!(UserName::parse("").host, "");
    }
}
