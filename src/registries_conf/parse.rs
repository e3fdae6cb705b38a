//! One registries.conf file (containers-registries.conf(5), version 2):
//! read with a bound, parsed as TOML and checked the way containers/image's
//! `loadConfigFile` and `postProcessRegistries` check it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::short_names::{parse_alias_value, validate_short_name};
use super::{Mirror, PullFromMirror, RegistryEntry, ShortNameMode};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::shown;

/// The largest configuration file read (real ones are a few KiB).
pub const MAX_CONF_FILE_SIZE: u64 = 1024 * 1024;

/// A file as TOML gives it. Unknown keys are ignored, as containers/image
/// ignores them (`credential-helpers` and the like belong to other parts).
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct RawFile {
    #[serde(default)]
    registry: Vec<RawRegistry>,
    unqualified_search_registries: Option<Vec<String>>,
    short_name_mode: Option<String>,
    aliases: Option<BTreeMap<String, String>>,
    /// Version 1's `[registries.search]`, `[registries.insecure]`,
    /// `[registries.block]` tables.
    registries: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct RawRegistry {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror_by_digest_only: bool,
    #[serde(default)]
    pull_from_mirror: String,
    #[serde(default)]
    mirror: Vec<RawMirror>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct RawMirror {
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    pull_from_mirror: String,
}

/// What one file says, checked; `None` where the file is silent (a drop-in
/// then leaves the earlier value alone).
#[derive(Debug, Default)]
pub(crate) struct ConfFile {
    pub(crate) registries: Vec<RegistryEntry>,
    pub(crate) unqualified_search_registries: Option<Vec<String>>,
    pub(crate) short_name_mode: Option<ShortNameMode>,
    /// Short name to fully qualified name; `None` removes an alias an
    /// earlier file set (an empty string in the file).
    pub(crate) aliases: BTreeMap<String, Option<String>>,
}

/// Reads a regular file of at most [`MAX_CONF_FILE_SIZE`] bytes; `Ok(None)`
/// when it does not exist. Errors name the file.
pub(crate) fn read_conf_file(path: &Path) -> Result<Option<String>> {
    let fail = |why: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: {why}", path.display()),
        )
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e.to_string())),
    };
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".to_string()));
    }
    let mut text = String::new();
    file.take(MAX_CONF_FILE_SIZE + 1)
        .read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    if text.len() as u64 > MAX_CONF_FILE_SIZE {
        return Err(fail(format!("larger than {MAX_CONF_FILE_SIZE} bytes")));
    }
    Ok(Some(text))
}

/// Parses and checks the text of `path`. A drop-in (`drop_in`) must be in
/// the version 2 format. Every error is `INVALID_ARGUMENT` and starts with
/// the file's path (and the line, for TOML errors).
pub(crate) fn parse_conf(path: &Path, text: &str, drop_in: bool) -> Result<ConfFile> {
    let fail = |why: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: {why}", path.display()),
        )
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let before = text.get(..span.start).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {column}: ")
            })
            .unwrap_or_default();
        fail(format!("TOML error: {at}{}", e.message().trim()))
    })?;
    let mut raw = raw;
    if let Some(v1) = raw.registries.take() {
        if drop_in {
            return Err(fail(
                "registry must be in v2 format but is in v1".to_string(),
            ));
        }
        if !raw.registry.is_empty()
            || raw.unqualified_search_registries.is_some()
            || raw.short_name_mode.is_some()
            || raw.aliases.is_some()
        {
            return Err(fail(
                "mixing sysregistry v1/v2 is not supported".to_string(),
            ));
        }
        convert_v1(&v1, &mut raw).map_err(fail)?;
    }
    let registries = post_process(raw.registry, path).map_err(fail)?;
    let unqualified_search_registries = match raw.unqualified_search_registries {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|r| {
                    let r = parse_location(r)?;
                    if crate::registry::check(&r).is_err() {
                        return Err(format!(
                            "invalid unqualified-search-registries entry {}",
                            shown(&r)
                        ));
                    }
                    Ok(r)
                })
                .collect::<std::result::Result<Vec<_>, String>>()
                .map_err(fail)?,
        ),
    };
    let short_name_mode = match raw.short_name_mode.as_deref() {
        None | Some("") => None,
        Some(mode) => Some(ShortNameMode::parse(mode).map_err(fail)?),
    };
    let aliases = parse_aliases(raw.aliases.unwrap_or_default()).map_err(|why| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: validating short-name aliases: {why}", path.display()),
        )
    })?;
    Ok(ConfFile {
        registries,
        unqualified_search_registries,
        short_name_mode,
        aliases,
    })
}

/// Checks the aliases of one file (every error, one per line, as
/// containers/image reports them).
pub(crate) fn parse_aliases(
    raw: BTreeMap<String, String>,
) -> std::result::Result<BTreeMap<String, Option<String>>, String> {
    let mut errors = Vec::new();
    let mut aliases = BTreeMap::new();
    for (name, value) in raw {
        if let Err(e) = validate_short_name(&name) {
            errors.push(e);
            continue;
        }
        if value.is_empty() {
            aliases.insert(name, None);
            continue;
        }
        match parse_alias_value(&value) {
            Ok(value) => {
                aliases.insert(name, Some(value));
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(aliases)
    } else {
        Err(errors.join("\n"))
    }
}

/// A location or prefix without trailing `/`; URL schemes are refused.
fn parse_location(input: &str) -> std::result::Result<String, String> {
    let trimmed = input.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        return Err(format!(
            "invalid location {}: URI schemes are not supported",
            shown(input)
        ));
    }
    Ok(trimmed.to_string())
}

fn pull_from_mirror(value: &str, location: &str) -> std::result::Result<PullFromMirror, String> {
    match value {
        "" | "all" => Ok(PullFromMirror::All),
        "digest-only" => Ok(PullFromMirror::DigestOnly),
        "tag-only" => Ok(PullFromMirror::TagOnly),
        other => Err(format!(
            "unsupported pull-from-mirror value {} for mirror {} (all, digest-only or tag-only)",
            shown(other),
            shown(location)
        )),
    }
}

/// containers/image's `postProcessRegistries`: prefixes and locations made
/// valid, mirrors checked, conflicting settings for one location refused,
/// and of several entries with one prefix the first kept (as
/// containers/image does: the first longest prefix always won), sorted by
/// prefix.
fn post_process(
    raw: Vec<RawRegistry>,
    origin: &Path,
) -> std::result::Result<Vec<RegistryEntry>, String> {
    let mut entries: Vec<RegistryEntry> = Vec::new();
    for reg in raw {
        let location = parse_location(&reg.location)?;
        let prefix = if reg.prefix.is_empty() {
            if location.is_empty() {
                return Err("invalid condition: both location and prefix are unset".to_string());
            }
            location.clone()
        } else {
            let prefix = parse_location(&reg.prefix)?;
            if !prefix.starts_with("*.") && location.is_empty() {
                return Err(
                    "invalid condition: location is unset and prefix is not in the format: *.example.com"
                        .to_string(),
                );
            }
            prefix
        };
        if prefix.starts_with("*.") && prefix.contains(['/', '@', ':']) {
            return Err(format!(
                "wildcarded prefix should be in the format: *.example.com; prefix {} is not",
                shown(&prefix)
            ));
        }
        if !reg.pull_from_mirror.is_empty() {
            return Err(format!(
                "pull-from-mirror must not be set for a non-mirror registry {}",
                shown(&prefix)
            ));
        }
        let mut mirrors = Vec::new();
        for m in reg.mirror {
            let location = parse_location(&m.location)?;
            if location.is_empty() {
                return Err("invalid condition: mirror location is unset".to_string());
            }
            if reg.mirror_by_digest_only && !m.pull_from_mirror.is_empty() {
                return Err(format!(
                    "cannot set mirror usage mirror-by-digest-only for the registry ({}) and \
                     pull-from-mirror for per-mirror ({}) at the same time",
                    shown(&prefix),
                    shown(&location)
                ));
            }
            let pull_from_mirror = pull_from_mirror(&m.pull_from_mirror, &location)?;
            mirrors.push(Mirror {
                location,
                insecure: m.insecure,
                pull_from_mirror,
            });
        }
        entries.push(RegistryEntry {
            prefix,
            location,
            insecure: reg.insecure,
            blocked: reg.blocked,
            mirror_by_digest_only: reg.mirror_by_digest_only,
            mirrors,
            origin: origin.to_path_buf(),
        });
    }
    // One location (or wildcard prefix) named several times must agree on
    // `insecure` and `blocked`.
    let key = |e: &RegistryEntry| {
        if e.location.is_empty() {
            e.prefix.clone()
        } else {
            e.location.clone()
        }
    };
    for (i, a) in entries.iter().enumerate() {
        for b in entries.iter().skip(i + 1).filter(|b| key(b) == key(a)) {
            for (setting, differs) in [
                ("insecure", a.insecure != b.insecure),
                ("blocked", a.blocked != b.blocked),
            ] {
                if differs {
                    return Err(format!(
                        "registry {} is defined multiple times with conflicting '{setting}' setting",
                        shown(&key(a))
                    ));
                }
            }
        }
    }
    let mut unique: BTreeMap<String, RegistryEntry> = BTreeMap::new();
    for e in entries {
        unique.entry(e.prefix.clone()).or_insert(e);
    }
    Ok(unique.into_values().collect())
}

/// Version 1 (`[registries.search] registries = [...]`, `insecure`, `block`)
/// turned into version 2, as containers/image's `ConvertToV2`.
fn convert_v1(v1: &toml::Table, raw: &mut RawFile) -> std::result::Result<(), String> {
    let list = |table: &str| -> std::result::Result<Vec<String>, String> {
        let Some(value) = v1.get(table) else {
            return Ok(Vec::new());
        };
        let registries = value
            .get("registries")
            .and_then(toml::Value::as_array)
            .ok_or_else(|| format!("[registries.{table}] needs a `registries` list"))?;
        registries
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("[registries.{table}] lists a non-string"))
            })
            .collect()
    };
    let search = list("search")?;
    let mut order: Vec<String> = Vec::new();
    let mut by_location: BTreeMap<String, RawRegistry> = BTreeMap::new();
    for (table, insecure, blocked) in [
        ("search", false, false),
        ("insecure", true, false),
        ("block", false, true),
    ] {
        for location in list(table)? {
            let entry = by_location.entry(location.clone()).or_insert_with(|| {
                order.push(location.clone());
                RawRegistry {
                    location: location.clone(),
                    ..Default::default()
                }
            });
            entry.insecure |= insecure;
            entry.blocked |= blocked;
        }
    }
    raw.registry = order.iter().filter_map(|l| by_location.remove(l)).collect();
    raw.unqualified_search_registries = Some(search);
    Ok(())
}
