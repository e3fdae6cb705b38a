//! registries.conf, as containers/image (skopeo, podman, buildah) reads it
//! (containers-registries.conf(5), version 2): mirrors, location rewrites,
//! blocked and insecure registries, unqualified-search registries, the
//! short-name mode and aliases.
//!
//! One concept per file: `parse.rs` reads and checks one file, `merge.rs`
//! finds the files and merges the drop-ins, `matching.rs` maps a reference
//! to its entry and its pull endpoints, `short_names.rs` resolves short
//! names. A client uses a configuration only when its options ask for one
//! ([`crate::ClientOptions::registries_conf`]).

mod matching;
mod merge;
mod parse;
mod short_names;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use self::matching::PullSource;
pub use self::merge::{ConfPaths, SYSTEM_REGISTRIES_CONF, SYSTEM_REGISTRIES_CONF_DIR};
pub use self::parse::MAX_CONF_FILE_SIZE;
pub use self::short_names::{Rationale, ShortNameCandidates, alias_cache_path, is_qualified};

/// Which mirrors serve which references (`pull-from-mirror`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFromMirror {
    /// Tags and digests (`all`, or unset).
    All,
    /// References with a digest only (`digest-only`).
    DigestOnly,
    /// References without a digest only (`tag-only`).
    TagOnly,
}

/// One `[[registry.mirror]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// `host[:port][/path]`.
    pub location: String,
    /// Plain HTTP allowed and certificates not verified.
    pub insecure: bool,
    /// Which references this mirror serves.
    pub pull_from_mirror: PullFromMirror,
}

/// One `[[registry]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// What it matches (`example.com/team`, `*.example.com`); the location
    /// when the file gave none.
    pub prefix: String,
    /// Where it is served (`host[:port][/path]`); empty for a wildcard
    /// prefix without one (the reference's own host then).
    pub location: String,
    /// Plain HTTP allowed and certificates not verified.
    pub insecure: bool,
    /// Every request refused.
    pub blocked: bool,
    /// Mirrors used only for references with a digest.
    pub mirror_by_digest_only: bool,
    /// The mirrors, tried in order before the location.
    pub mirrors: Vec<Mirror>,
    /// The file the entry came from.
    pub origin: PathBuf,
}

/// How short names are resolved (`short-name-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortNameMode {
    /// Several candidates need the user's choice; without a terminal that
    /// is an error.
    Enforcing,
    /// Several candidates are tried in order when the user cannot choose
    /// (the default).
    Permissive,
    /// Candidates are tried in order, no choice asked.
    Disabled,
}

impl ShortNameMode {
    fn parse(mode: &str) -> std::result::Result<ShortNameMode, String> {
        match mode {
            "enforcing" => Ok(ShortNameMode::Enforcing),
            "permissive" => Ok(ShortNameMode::Permissive),
            "disabled" => Ok(ShortNameMode::Disabled),
            other => Err(format!(
                "invalid short-name mode {other:?} (enforcing, permissive or disabled)"
            )),
        }
    }
}

/// A short-name alias and the file that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Alias {
    /// The fully qualified name; `None` when a later file removed it.
    value: Option<String>,
    origin: PathBuf,
}

/// A loaded configuration: the main file and its drop-ins, merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistriesConf {
    /// The entries, sorted by prefix, one per prefix.
    registries: Vec<RegistryEntry>,
    unqualified_search_registries: Vec<String>,
    search_origin: Option<PathBuf>,
    short_name_mode: ShortNameMode,
    aliases: BTreeMap<String, Alias>,
    alias_cache: BTreeMap<String, Option<String>>,
    alias_cache_path: Option<PathBuf>,
    /// The main file and the drop-in directories, for messages.
    sources: Vec<PathBuf>,
}

impl RegistriesConf {
    /// Loads the configuration containers/image would use with no path
    /// given ([`ConfPaths::system`]).
    pub fn load_system() -> crate::Result<RegistriesConf> {
        ConfPaths::system().load()
    }

    /// Loads `path` and the drop-ins, as skopeo's `--registries-conf`
    /// ([`ConfPaths::explicit`]).
    pub fn load_file(path: &Path) -> crate::Result<RegistriesConf> {
        ConfPaths::explicit(path.to_path_buf()).load()
    }

    /// The `[[registry]]` entries, sorted by prefix.
    #[must_use]
    pub fn registries(&self) -> &[RegistryEntry] {
        &self.registries
    }

    /// The unqualified-search registries, in order.
    #[must_use]
    pub fn unqualified_search_registries(&self) -> &[String] {
        &self.unqualified_search_registries
    }

    /// The short-name mode.
    #[must_use]
    pub fn short_name_mode(&self) -> ShortNameMode {
        self.short_name_mode
    }

    /// The files and directories read, for messages.
    #[must_use]
    pub fn sources_description(&self) -> String {
        self.sources
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The `host[:port]` of every endpoint marked `insecure` (locations,
    /// prefixes and mirrors); a wildcard prefix gives its `*.domain`
    /// pattern, which [`crate::ClientOptions::insecure_registries`] matches
    /// against every subdomain.
    #[must_use]
    pub fn insecure_hosts(&self) -> Vec<String> {
        let host = |location: &str| location.split('/').next().unwrap_or_default().to_string();
        let mut hosts = Vec::new();
        for entry in &self.registries {
            if entry.insecure {
                hosts.push(host(&entry.location));
                hosts.push(host(&entry.prefix));
            }
            hosts.extend(
                entry
                    .mirrors
                    .iter()
                    .filter(|m| m.insecure)
                    .map(|m| host(&m.location)),
            );
        }
        hosts.retain(|h| !h.is_empty());
        hosts.sort();
        hosts.dedup();
        hosts
    }
}
