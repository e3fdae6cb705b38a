//! Which `[[registry]]` entry a reference falls under (the longest
//! matching prefix, `*.example.com` matching subdomains), and the endpoints
//! a pull tries: containers/image's `refMatchingPrefix`, `FindRegistry`
//! and `PullSourcesFromReference`.

use std::fmt;

use super::{PullFromMirror, RegistriesConf, RegistryEntry};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

/// One endpoint a pull tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSource {
    /// The reference as that endpoint names it (a mirror's location or
    /// the rewritten location, plus the rest of the name, tag and digest).
    pub reference: Reference,
    /// Whether the endpoint is a mirror (else the primary location).
    pub mirror: bool,
    /// Whether the endpoint is `insecure` (plain HTTP allowed, certificates
    /// not verified).
    pub insecure: bool,
}

impl PullSource {
    /// The reference itself, as a primary endpoint with no configuration.
    #[must_use]
    pub fn primary(reference: Reference) -> PullSource {
        PullSource {
            reference,
            mirror: false,
            insecure: false,
        }
    }
}

impl fmt::Display for PullSource {
    /// The reference, and `(mirror)` for a mirror.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reference)?;
        if self.mirror {
            f.write_str(" (mirror)")?;
        }
        Ok(())
    }
}

/// The length of the part of `reference` (a name, or a name with tag or
/// digest) that `prefix` matches, or `None`. A plain prefix matches when
/// followed by the end, `/`, `:` or `@` (so `example.com` also matches
/// `example.com:5000`, as in containers/image); `*.example.com` matches
/// any subdomain of example.com in the host part.
pub(crate) fn matching_prefix_len(reference: &str, prefix: &str) -> Option<usize> {
    let boundary =
        |at: usize| at == reference.len() || matches!(reference.as_bytes()[at], b':' | b'/' | b'@');
    if let Some(domain) = prefix.strip_prefix('*') {
        let index = reference.find(domain)?;
        if reference[..index].contains('/') {
            return None;
        }
        let end = index + domain.len();
        return boundary(end).then_some(end);
    }
    (reference.starts_with(prefix) && boundary(prefix.len())).then_some(prefix.len())
}

impl RegistriesConf {
    /// The entry whose prefix matches `name` (`host/path`, possibly with a
    /// tag or digest) longest; the first of equally long ones.
    #[must_use]
    pub fn find_registry(&self, name: &str) -> Option<&RegistryEntry> {
        let mut best: Option<&RegistryEntry> = None;
        for entry in &self.registries {
            if matching_prefix_len(name, &entry.prefix).is_some()
                && best.is_none_or(|b| entry.prefix.len() > b.prefix.len())
            {
                best = Some(entry);
            }
        }
        best
    }

    /// Fails with `DENIED` when `name` (`host/repository` or `host`) falls
    /// under a blocked entry, naming the entry and its file.
    pub fn check_not_blocked(&self, name: &str) -> Result<()> {
        match self.find_registry(name) {
            Some(entry) if entry.blocked => Err(Error::new(
                ErrorKind::Denied,
                format!(
                    "registry {} is blocked in {}",
                    entry.prefix,
                    entry.origin.display()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Fails with `DENIED` when a request to `host` (an API host such as
    /// `registry-1.docker.io`) for the repositories in `scopes`
    /// (`repository:NAME:ACTIONS`) falls under a blocked entry; a request
    /// for no repository (a ping, the catalog) is checked against the host.
    pub fn check_request_allowed(&self, host: &str, scopes: &[String]) -> Result<()> {
        let host = crate::registry::credential_key(host);
        let mut any = false;
        for scope in scopes {
            if let Some((name, _)) = scope
                .strip_prefix("repository:")
                .and_then(|rest| rest.rsplit_once(':'))
            {
                any = true;
                self.check_not_blocked(&format!("{host}/{name}"))?;
            }
        }
        if any {
            Ok(())
        } else {
            self.check_not_blocked(host)
        }
    }

    /// The endpoints a pull of `reference` tries, in order: the mirrors
    /// that serve it (a `digest-only` mirror, or every mirror under
    /// `mirror-by-digest-only`, only for references with a digest; a
    /// `tag-only` mirror only for references without), then the primary
    /// location. A reference no entry matches is its own only endpoint.
    pub fn pull_sources(&self, reference: &Reference) -> Result<Vec<PullSource>> {
        let text = reference.to_string();
        let Some(entry) = self.find_registry(&text) else {
            return Ok(vec![PullSource::primary(reference.clone())]);
        };
        let digested = reference.digest().is_some();
        let mut sources = Vec::new();
        for mirror in &entry.mirrors {
            let used = if entry.mirror_by_digest_only {
                digested
            } else {
                match mirror.pull_from_mirror {
                    PullFromMirror::All => true,
                    PullFromMirror::DigestOnly => digested,
                    PullFromMirror::TagOnly => !digested,
                }
            };
            if used {
                sources.push(PullSource {
                    reference: rewrite(&text, &entry.prefix, &mirror.location, entry)?,
                    mirror: true,
                    insecure: mirror.insecure,
                });
            }
        }
        let primary = if entry.location.is_empty() {
            reference.clone()
        } else {
            rewrite(&text, &entry.prefix, &entry.location, entry)?
        };
        sources.push(PullSource {
            reference: primary,
            mirror: false,
            insecure: entry.insecure,
        });
        Ok(sources)
    }
}

/// `location` followed by what `prefix` did not match of `reference`.
fn rewrite(
    reference: &str,
    prefix: &str,
    location: &str,
    entry: &RegistryEntry,
) -> Result<Reference> {
    let matched = matching_prefix_len(reference, prefix).ok_or_else(|| {
        Error::new(
            ErrorKind::Internal,
            format!("prefix {prefix:?} does not match {reference:?}"),
        )
    })?;
    let rewritten = format!("{location}{}", &reference[matched..]);
    Reference::parse(&rewritten).map_err(|e| {
        Error::new(
            e.kind(),
            format!(
                "rewriting {reference} with the location {location:?} of {}: {}",
                entry.origin.display(),
                e.message()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_like_containers_image() {
        for (reference, prefix, expected) in [
            ("example.com/foo", "example.com", Some(11)),
            ("example.com", "example.com", Some(11)),
            ("example.com:5000/foo", "example.com", Some(11)),
            ("example.com/foo@sha256:00", "example.com/foo", Some(15)),
            ("example.com/foobar", "example.com/foo", None),
            ("example.comx/foo", "example.com", None),
            ("a.example.com/foo", "*.example.com", Some(13)),
            ("a.b.example.com:5000/foo", "*.example.com", Some(15)),
            ("example.com/foo", "*.example.com", None),
            ("x.com/a.example.com", "*.example.com", None),
            ("a.example.community/x", "*.example.com", None),
        ] {
            assert_eq!(
                matching_prefix_len(reference, prefix),
                expected,
                "{reference} {prefix}"
            );
        }
    }
}
