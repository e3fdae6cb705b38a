//! Short names (`busybox`): their aliases (`[aliases]` in registries.conf
//! and the alias cache `short-name-aliases.conf`), and the candidates a
//! short name resolves to, as containers/image's `shortnames.Resolve`.
//!
//! ocireg reads the alias cache and never writes it (podman records the
//! choices made at its prompt there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::parse::{parse_aliases, read_conf_file};
use super::{RegistriesConf, ShortNameMode};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::{Reference, shown};

/// Where containers/image keeps the alias cache: `/var/cache/containers/
/// short-name-aliases.conf` for root, else `$XDG_CACHE_HOME` (or
/// `$HOME/.cache`) `/containers/short-name-aliases.conf`.
#[must_use]
pub fn alias_cache_path() -> Option<PathBuf> {
    const FILE: &str = "containers/short-name-aliases.conf";
    if is_root() {
        return Some(Path::new("/var/cache").join(FILE));
    }
    match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(cache) => Some(PathBuf::from(cache).join(FILE)),
        None => std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|home| PathBuf::from(home).join(".cache").join(FILE)),
    }
}

/// Whether this process runs as root (`/proc/self` belongs to the
/// effective user).
fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

#[derive(Deserialize, Default)]
struct CacheFile {
    aliases: Option<BTreeMap<String, String>>,
}

/// The aliases of the cache file at `path` (none when it does not exist).
/// Errors name the file.
pub(crate) fn load_alias_cache(path: &Path) -> Result<BTreeMap<String, Option<String>>> {
    let Some(text) = read_conf_file(path)? else {
        return Ok(BTreeMap::new());
    };
    let fail = |why: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "loading short-name aliases config file {}: {why}",
                path.display()
            ),
        )
    };
    let cache: CacheFile =
        toml::from_str(&text).map_err(|e| fail(e.message().trim().to_string()))?;
    parse_aliases(cache.aliases.unwrap_or_default()).map_err(fail)
}

/// Checks a short name: a repository without registry, tag or digest.
pub(crate) fn validate_short_name(name: &str) -> std::result::Result<(), String> {
    let invalid = |why: &str| Err(format!("invalid short name {}: {why}", shown(name)));
    if name.contains('@') {
        return invalid("must not contain digest");
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        return invalid("must not contain tag");
    }
    if let Some((first, _)) = name.split_once('/')
        && (first.contains(['.', ':']) || first == "localhost")
    {
        return invalid("must not contain registry");
    }
    Reference::parse(name)
        .map(drop)
        .map_err(|e| format!("cannot parse short name {}: {}", shown(name), e.message()))
}

/// Checks an alias's value (a fully qualified name without tag or digest)
/// and returns it normalized (`docker.io/library/alpine`).
pub(crate) fn parse_alias_value(value: &str) -> std::result::Result<String, String> {
    let invalid = |why: &str| Err(format!("invalid alias {}: {why}", shown(value)));
    if value.contains('@') {
        return invalid("must not contain digest");
    }
    if value.rsplit('/').next().unwrap_or(value).contains(':') {
        return invalid("must not contain tag");
    }
    match value.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {}
        _ => return invalid("must contain registry and repository"),
    }
    let parsed = Reference::parse(value)
        .map_err(|e| format!("parsing alias {}: {}", shown(value), e.message()))?;
    Ok(format!("{}/{}", parsed.registry(), parsed.repository()))
}

/// Why a short name resolved to its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rationale {
    /// The name was fully qualified already: one candidate, itself.
    None,
    /// An alias (registries.conf or the alias cache) named the image.
    Alias,
    /// The unqualified-search registries, in order.
    SearchRegistries,
    /// No registries.conf was in use: docker's rule (`docker.io`, and
    /// `library/` for a one-component name).
    DockerDefault,
}

impl Rationale {
    /// Its name in JSON (`none`, `alias`, `search-registries`,
    /// `docker-default`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Rationale::None => "none",
            Rationale::Alias => "alias",
            Rationale::SearchRegistries => "search-registries",
            Rationale::DockerDefault => "docker-default",
        }
    }
}

/// Whether `name` (a reference, possibly with tag or digest) names its
/// registry: its first component holds a `.` or `:`, or is `localhost`.
#[must_use]
pub fn is_qualified(name: &str) -> bool {
    let (repo, _) = split_tag_or_digest(name);
    repo.split_once('/')
        .is_some_and(|(first, _)| first.contains(['.', ':']) || first == "localhost")
}

/// The references a name stands for, in the order to try them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortNameCandidates {
    /// The candidates, each with the name's tag (`latest` when it had
    /// neither tag nor digest) or digest.
    pub candidates: Vec<Reference>,
    /// Where they came from.
    pub rationale: Rationale,
    /// The file that decided (the alias's or the search registries' file).
    pub origin: Option<PathBuf>,
    /// Whether, in `enforcing` mode, the user must choose one of several
    /// candidates: a caller that can prompt asks; one that cannot fails
    /// (see [`RegistriesConf::short_name_candidates`]).
    pub must_choose: bool,
}

impl RegistriesConf {
    /// The candidates `name` resolves to, as containers/image (podman) does:
    /// a fully qualified name is itself; a short name's alias (the alias
    /// cache first, then registries.conf) is the only candidate; otherwise
    /// each unqualified-search registry in order. In `enforcing` mode,
    /// several search candidates need a choice: with `can_prompt` they come
    /// back with `must_choose` set, without it the call fails with
    /// `INVALID_ARGUMENT` ("ambiguous"). Errors name the configuration files.
    pub fn short_name_candidates(
        &self,
        name: &str,
        can_prompt: bool,
    ) -> Result<ShortNameCandidates> {
        let invalid = |why: String| Error::new(ErrorKind::InvalidReference, why);
        let (repo, suffix) = split_tag_or_digest(name);
        if is_qualified(name) {
            return Ok(ShortNameCandidates {
                candidates: vec![Reference::parse(name)?],
                rationale: Rationale::None,
                origin: None,
                must_choose: false,
            });
        }
        validate_short_name(repo).map_err(invalid)?;
        // A tag or digest is checked by parsing the name as a whole.
        Reference::parse(name)?;
        if let Some((value, origin)) = self.alias(repo) {
            return Ok(ShortNameCandidates {
                candidates: vec![Reference::parse(&format!("{value}{suffix}"))?],
                rationale: Rationale::Alias,
                origin: Some(origin),
                must_choose: false,
            });
        }
        if self.unqualified_search_registries.is_empty() {
            return Err(invalid(match &self.search_origin {
                Some(origin) => format!(
                    "short-name {} did not resolve to an alias and no unqualified-search \
                     registries are defined in {}",
                    shown(repo),
                    origin.display()
                ),
                None => format!(
                    "short-name {} did not resolve to an alias and no containers-registries.conf(5) \
                     was found ({})",
                    shown(repo),
                    self.sources_description()
                ),
            }));
        }
        let candidates = self
            .unqualified_search_registries
            .iter()
            .map(|registry| Reference::parse(&format!("{registry}/{repo}{suffix}")))
            .collect::<Result<Vec<_>>>()?;
        let ambiguous = candidates.len() > 1 && self.short_name_mode == ShortNameMode::Enforcing;
        if ambiguous && !can_prompt {
            return Err(invalid(format!(
                "short-name {} is ambiguous ({} unqualified-search registries in {}) and \
                 short-name resolution is enforced, but the user cannot be asked: use a fully \
                 qualified name or an alias",
                shown(repo),
                candidates.len(),
                self.search_origin
                    .as_deref()
                    .map_or_else(|| self.sources_description(), |p| p.display().to_string())
            )));
        }
        Ok(ShortNameCandidates {
            candidates,
            rationale: Rationale::SearchRegistries,
            origin: self.search_origin.clone(),
            must_choose: ambiguous,
        })
    }

    /// The alias of a short name: the alias cache first, then the files.
    fn alias(&self, name: &str) -> Option<(String, PathBuf)> {
        if let Some(entry) = self.alias_cache.get(name) {
            return entry
                .clone()
                .map(|v| (v, self.alias_cache_path.clone().unwrap_or_default()));
        }
        self.aliases
            .get(name)
            .and_then(|a| a.value.clone().map(|v| (v, a.origin.clone())))
    }
}

/// `repo` and what follows it (`:tag`, `@digest` or both), as written.
fn split_tag_or_digest(name: &str) -> (&str, &str) {
    let (before_digest, _) = name.split_once('@').unwrap_or((name, ""));
    let last_slash = before_digest.rfind('/').map_or(0, |i| i + 1);
    let end = before_digest[last_slash..]
        .find(':')
        .map_or(before_digest.len(), |i| last_slash + i);
    (&name[..end], &name[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_alias_values_are_checked() {
        validate_short_name("busybox").unwrap();
        validate_short_name("team/app").unwrap();
        assert!(
            validate_short_name("busybox:1")
                .unwrap_err()
                .contains("tag")
        );
        assert!(
            validate_short_name("quay.io/x")
                .unwrap_err()
                .contains("registry")
        );
        assert_eq!(
            parse_alias_value("docker.io/alpine").unwrap(),
            "docker.io/library/alpine"
        );
        assert!(
            parse_alias_value("alpine")
                .unwrap_err()
                .contains("registry")
        );
        assert!(
            parse_alias_value("quay.io/a:1")
                .unwrap_err()
                .contains("tag")
        );
        assert_eq!(split_tag_or_digest("a/b:1"), ("a/b", ":1"));
        assert_eq!(split_tag_or_digest("b"), ("b", ""));
        assert_eq!(split_tag_or_digest("b@sha256:00"), ("b", "@sha256:00"));
    }
}
