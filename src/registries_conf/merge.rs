//! Which files make the configuration, and how they merge: containers/
//! image's `newConfigWrapper`, `dropInConfigs` and
//! `updateWithConfigurationFrom`.
//!
//! - The main file: `$CONTAINERS_REGISTRIES_CONF` (or
//!   `$REGISTRIES_CONFIG_PATH`) or a caller's path when set, which must
//!   exist; else `$HOME/.config/containers/registries.conf` when it exists
//!   (and then the system file and its drop-in directory are not read);
//!   else `/etc/containers/registries.conf` (missing is no configuration).
//! - Drop-ins: `*.conf` files of `/etc/containers/registries.conf.d`, then
//!   of `$HOME/.config/containers/registries.conf.d`, each directory in
//!   lexical order, not recursing; they must be version 2.
//! - A drop-in's `[[registry]]` replaces the entry with the same prefix
//!   (whole) or adds one; its `unqualified-search-registries` and
//!   `short-name-mode` replace the earlier ones when present (an empty
//!   list too); its aliases are merged, later ones winning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::parse::{ConfFile, parse_conf, read_conf_file};
use super::short_names::{alias_cache_path, load_alias_cache};
use super::{Alias, RegistriesConf, ShortNameMode};
use crate::error::{Error, ErrorKind, Result};

/// The system registries.conf.
pub const SYSTEM_REGISTRIES_CONF: &str = "/etc/containers/registries.conf";
/// The system drop-in directory.
pub const SYSTEM_REGISTRIES_CONF_DIR: &str = "/etc/containers/registries.conf.d";
/// The user's registries.conf, under `$HOME`.
const USER_REGISTRIES_CONF: &str = ".config/containers/registries.conf";
/// The user's drop-in directory, under `$HOME`.
const USER_REGISTRIES_CONF_DIR: &str = ".config/containers/registries.conf.d";
/// The most drop-in files read from one directory.
const MAX_DROP_INS: usize = 1000;

/// The files a configuration is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfPaths {
    /// The main file.
    pub main: PathBuf,
    /// Whether the main file must exist (an explicit path).
    pub main_required: bool,
    /// The drop-in directories, in order.
    pub drop_in_dirs: Vec<PathBuf>,
    /// The alias cache (read only).
    pub alias_cache: Option<PathBuf>,
}

impl ConfPaths {
    /// The files containers/image reads with no path given: the
    /// environment's, the user's or the system's (see the module docs).
    #[must_use]
    pub fn system() -> ConfPaths {
        let from_env = ["CONTAINERS_REGISTRIES_CONF", "REGISTRIES_CONFIG_PATH"]
            .iter()
            .find_map(|name| std::env::var_os(name).filter(|v| !v.is_empty()));
        if let Some(path) = from_env {
            return ConfPaths::explicit(PathBuf::from(path));
        }
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        if let Some(home) = &home {
            let user = home.join(USER_REGISTRIES_CONF);
            if user.exists() {
                return ConfPaths {
                    main: user,
                    main_required: false,
                    drop_in_dirs: vec![home.join(USER_REGISTRIES_CONF_DIR)],
                    alias_cache: alias_cache_path(),
                };
            }
        }
        ConfPaths {
            main: PathBuf::from(SYSTEM_REGISTRIES_CONF),
            main_required: false,
            drop_in_dirs: default_drop_in_dirs(home.as_deref()),
            alias_cache: alias_cache_path(),
        }
    }

    /// `path` as the main file (it must exist), with the system's and the
    /// user's drop-in directories, as skopeo's `--registries-conf` (and
    /// `$CONTAINERS_REGISTRIES_CONF`) reads it.
    #[must_use]
    pub fn explicit(path: PathBuf) -> ConfPaths {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        ConfPaths {
            main: path,
            main_required: true,
            drop_in_dirs: default_drop_in_dirs(home.as_deref()),
            alias_cache: alias_cache_path(),
        }
    }

    /// `path` alone: no drop-ins and no alias cache.
    #[must_use]
    pub fn only(path: PathBuf) -> ConfPaths {
        ConfPaths {
            main: path,
            main_required: true,
            drop_in_dirs: Vec::new(),
            alias_cache: None,
        }
    }

    /// Reads and merges the files. Every error names its file.
    pub fn load(&self) -> Result<RegistriesConf> {
        let mut conf = RegistriesConf {
            sources: std::iter::once(self.main.clone())
                .chain(self.drop_in_dirs.iter().cloned())
                .collect(),
            ..RegistriesConf::default()
        };
        match read_conf_file(&self.main)? {
            Some(text) => conf.merge(parse_conf(&self.main, &text, false)?, &self.main),
            None if self.main_required => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "loading registries configuration {}: no such file",
                        self.main.display()
                    ),
                ));
            }
            None => {}
        }
        for dir in &self.drop_in_dirs {
            for path in drop_ins(dir)? {
                // A file removed since the listing is skipped, as in
                // containers/image.
                if let Some(text) = read_conf_file(&path)? {
                    conf.merge(parse_conf(&path, &text, true)?, &path);
                }
            }
        }
        conf.check_aliases()?;
        if let Some(cache) = &self.alias_cache {
            conf.alias_cache = load_alias_cache(cache)?;
            conf.alias_cache_path = Some(cache.clone());
        }
        Ok(conf)
    }
}

fn default_drop_in_dirs(home: Option<&Path>) -> Vec<PathBuf> {
    std::iter::once(PathBuf::from(SYSTEM_REGISTRIES_CONF_DIR))
        .chain(home.map(|h| h.join(USER_REGISTRIES_CONF_DIR)))
        .collect()
}

/// The `*.conf` regular files directly in `dir`, sorted; none when the
/// directory does not exist.
fn drop_ins(dir: &Path) -> Result<Vec<PathBuf>> {
    let fail = |why: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("reading registries.conf.d {}: {why}", dir.display()),
        )
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fail(e.to_string())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| fail(e.to_string()))?;
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if !is_dir && path.extension().is_some_and(|e| e == "conf") {
            files.push(path);
            if files.len() > MAX_DROP_INS {
                return Err(fail(format!("more than {MAX_DROP_INS} drop-in files")));
            }
        }
    }
    files.sort();
    Ok(files)
}

impl RegistriesConf {
    /// Applies one file over what earlier files said.
    fn merge(&mut self, file: ConfFile, path: &Path) {
        let mut by_prefix: BTreeMap<String, _> = self
            .registries
            .drain(..)
            .map(|r| (r.prefix.clone(), r))
            .collect();
        for r in file.registries {
            by_prefix.insert(r.prefix.clone(), r);
        }
        self.registries = by_prefix.into_values().collect();
        if let Some(search) = file.unqualified_search_registries {
            self.unqualified_search_registries = search;
            self.search_origin = Some(path.to_path_buf());
        }
        if let Some(mode) = file.short_name_mode {
            self.short_name_mode = mode;
        }
        for (name, value) in file.aliases {
            self.aliases.insert(
                name,
                Alias {
                    value,
                    origin: path.to_path_buf(),
                },
            );
        }
    }

    /// Refuses an alias that leads to a blocked registry, naming the
    /// alias's file: a pull through it could never succeed.
    fn check_aliases(&self) -> Result<()> {
        for (name, alias) in &self.aliases {
            let Some(value) = &alias.value else { continue };
            if let Some(entry) = self.find_registry(value)
                && entry.blocked
            {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "{}: short-name alias {name:?} points to {value:?}, whose registry {:?} \
                         is blocked in {}",
                        alias.origin.display(),
                        entry.prefix,
                        entry.origin.display()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Default for ShortNameMode {
    /// `permissive`, containers/image's default.
    fn default() -> Self {
        ShortNameMode::Permissive
    }
}
