//! The `registries.d` configuration of containers/image
//! (containers-registries.d(5)): YAML files that say, per registry,
//! namespace or image, where lookaside signatures are read
//! (`lookaside`, formerly `sigstore`) and written (`lookaside-staging`,
//! formerly `sigstore-staging`), and whether sigstore signatures are kept
//! as `.sig` attachments (`use-sigstore-attachments`).
//!
//! As containers/image (`docker/registries_d.go`) does:
//! - one directory is read: the caller's, else
//!   `$HOME/.config/containers/registries.d` when it exists, else
//!   `/etc/containers/registries.d` (a missing directory is an empty
//!   configuration);
//! - every `*.yaml` file in it is merged; `default-docker` in two files, or
//!   one `docker` key in two files, is an error naming both files;
//! - the most precise scope wins: the image itself (`host/repo:tag` or
//!   `host/repo@digest`), then `host/repo`, its parent namespaces, `host`,
//!   and `default-docker` last; a scope that does not set the value looked
//!   for passes the search on to the next one.
//!
//! Unlike containers/image, nothing is read or written in a built-in
//! default lookaside (`/var/lib/containers/sigstore`) when nothing is
//! configured: ocireg touches only the locations its configuration names.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

/// The system-wide registries.d directory.
pub const SYSTEM_REGISTRIES_D: &str = "/etc/containers/registries.d";
/// The per-user registries.d directory, under `$HOME`.
pub const USER_REGISTRIES_D: &str = ".config/containers/registries.d";
/// The most `*.yaml` files read from one directory.
pub const MAX_CONFIG_FILES: usize = 1000;
/// The largest configuration file read, in bytes.
pub const MAX_CONFIG_FILE_SIZE: u64 = 1024 * 1024;

/// One configuration section: the settings for a registry, a namespace, an
/// image, or the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NamespaceConfig {
    /// Where signatures are read (and written when there is no staging
    /// location).
    #[serde(default)]
    pub lookaside: Option<String>,
    /// Where signatures are written.
    #[serde(default, rename = "lookaside-staging")]
    pub lookaside_staging: Option<String>,
    /// The old name of `lookaside`.
    #[serde(default)]
    pub sigstore: Option<String>,
    /// The old name of `lookaside-staging`.
    #[serde(default, rename = "sigstore-staging")]
    pub sigstore_staging: Option<String>,
    /// Whether sigstore signatures are read from and written to the image's
    /// `sha256-<hex>.sig` attachment.
    #[serde(default, rename = "use-sigstore-attachments")]
    pub use_sigstore_attachments: Option<bool>,
}

impl NamespaceConfig {
    /// The lookaside URL this section sets for reading, or for writing when
    /// `write` (the staging location first).
    fn lookaside_url(&self, write: bool) -> Option<&str> {
        fn non_empty(s: &Option<String>) -> Option<&str> {
            s.as_deref().filter(|s| !s.is_empty())
        }
        let staging = if write {
            non_empty(&self.lookaside_staging).or_else(|| non_empty(&self.sigstore_staging))
        } else {
            None
        };
        staging
            .or_else(|| non_empty(&self.lookaside))
            .or_else(|| non_empty(&self.sigstore))
    }
}

/// One file's content.
#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default, rename = "default-docker")]
    default_docker: Option<Option<NamespaceConfig>>,
    #[serde(default)]
    docker: Option<BTreeMap<String, Option<NamespaceConfig>>>,
}

/// A merged registries.d configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistriesD {
    default_docker: Option<NamespaceConfig>,
    docker: BTreeMap<String, NamespaceConfig>,
}

impl RegistriesD {
    /// The directory read when the caller names none:
    /// `$HOME/.config/containers/registries.d` if it exists, else
    /// `/etc/containers/registries.d`.
    #[must_use]
    pub fn default_dir() -> PathBuf {
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            let user = Path::new(&home).join(USER_REGISTRIES_D);
            if fs::metadata(&user).is_ok() {
                return user;
            }
        }
        PathBuf::from(SYSTEM_REGISTRIES_D)
    }

    /// Loads `dir`, or [`RegistriesD::default_dir`] when `None`.
    pub fn load(dir: Option<&Path>) -> Result<RegistriesD> {
        match dir {
            Some(dir) => RegistriesD::load_dir(dir),
            None => RegistriesD::load_dir(&RegistriesD::default_dir()),
        }
    }

    /// Loads and merges every `*.yaml` file of `dir` (in name order). A
    /// missing directory is an empty configuration; an unreadable or
    /// malformed file, or a section defined in two files, is an
    /// `INVALID_ARGUMENT` error naming the file(s) (and the line, for YAML
    /// errors).
    pub fn load_dir(dir: &Path) -> Result<RegistriesD> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(RegistriesD::default());
            }
            Err(e) => return Err(io_error(dir, "reading the directory", &e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(dir, "reading the directory", &e))?;
            let name = entry.file_name();
            if name.to_string_lossy().ends_with(".yaml") {
                if names.len() == MAX_CONFIG_FILES {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "{} has more than {MAX_CONFIG_FILES} .yaml files",
                            dir.display()
                        ),
                    ));
                }
                names.push(name);
            }
        }
        names.sort();
        let mut merged = RegistriesD::default();
        let mut default_from: Option<PathBuf> = None;
        let mut namespace_from: BTreeMap<String, PathBuf> = BTreeMap::new();
        for name in names {
            let path = dir.join(name);
            let file = parse_file(&path)?;
            if let Some(section) = file.default_docker {
                if let Some(first) = &default_from {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "signature storage configuration: \"default-docker\" is defined both in {} and {}",
                            first.display(),
                            path.display()
                        ),
                    ));
                }
                merged.default_docker = Some(section.unwrap_or_default());
                default_from = Some(path.clone());
            }
            for (scope, section) in file.docker.unwrap_or_default() {
                if let Some(first) = namespace_from.get(&scope) {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "signature storage configuration: \"docker\" namespace {scope:?} is defined both in {} and {}",
                            first.display(),
                            path.display()
                        ),
                    ));
                }
                merged
                    .docker
                    .insert(scope.clone(), section.unwrap_or_default());
                namespace_from.insert(scope, path.clone());
            }
        }
        Ok(merged)
    }

    /// The configured lookaside URL for `reference`, for writing when
    /// `write` (`lookaside-staging` before `lookaside`), if any.
    #[must_use]
    pub fn lookaside_url(&self, reference: &Reference, write: bool) -> Option<&str> {
        self.sections(reference)
            .find_map(|section| section.lookaside_url(write))
    }

    /// Whether sigstore signatures of `reference` live in its
    /// `sha256-<hex>.sig` attachment (`use-sigstore-attachments`; false
    /// when no scope says).
    #[must_use]
    pub fn use_sigstore_attachments(&self, reference: &Reference) -> bool {
        self.sections(reference)
            .find_map(|section| section.use_sigstore_attachments)
            .unwrap_or(false)
    }

    /// The sections that apply to `reference`, most precise first.
    fn sections<'a>(&'a self, reference: &Reference) -> impl Iterator<Item = &'a NamespaceConfig> {
        scopes(reference)
            .into_iter()
            .filter_map(|scope| self.docker.get(&scope))
            .chain(self.default_docker.iter())
    }
}

/// The scopes of `reference`, most precise first: the image with its tag
/// and with its digest, the repository, each parent namespace, the
/// registry.
fn scopes(reference: &Reference) -> Vec<String> {
    let name = format!("{}/{}", reference.registry(), reference.repository());
    let mut scopes = Vec::new();
    if let Some(tag) = reference.tag() {
        scopes.push(format!("{name}:{tag}"));
    }
    if let Some(digest) = reference.digest() {
        scopes.push(format!("{name}@{digest}"));
    }
    let mut namespace = name.as_str();
    loop {
        scopes.push(namespace.to_string());
        match namespace.rfind('/') {
            Some(slash) => namespace = &namespace[..slash],
            None => break,
        }
    }
    scopes
}

/// Reads and parses one configuration file (a regular file, bounded).
fn parse_file(path: &Path) -> Result<ConfigFile> {
    let file = fs::File::open(path).map_err(|e| io_error(path, "opening", &e))?;
    let metadata = file.metadata().map_err(|e| io_error(path, "reading", &e))?;
    if !metadata.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{} is not a regular file", path.display()),
        ));
    }
    let mut text = String::new();
    file.take(MAX_CONFIG_FILE_SIZE + 1)
        .read_to_string(&mut text)
        .map_err(|e| io_error(path, "reading", &e))?;
    if text.len() as u64 > MAX_CONFIG_FILE_SIZE {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "{} is larger than {MAX_CONFIG_FILE_SIZE} bytes",
                path.display()
            ),
        ));
    }
    if text.trim().is_empty() {
        return Ok(ConfigFile {
            default_docker: None,
            docker: None,
        });
    }
    serde_norway::from_str(&text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("parsing {}: {e}", path.display()),
        )
    })
}

fn io_error(path: &Path, doing: &str, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("{doing} {}: {e}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(files: &[(&str, &str)]) -> (tempdir::Dir, Result<RegistriesD>) {
        let dir = tempdir::Dir::new();
        for (name, text) in files {
            fs::write(dir.path().join(name), text).unwrap();
        }
        let loaded = RegistriesD::load_dir(dir.path());
        (dir, loaded)
    }

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn the_most_precise_scope_wins_and_passes_on_what_it_does_not_set() {
        let (_d, c) = config(&[(
            "a.yaml",
            "default-docker:\n  lookaside: https://default.example/sigs\n\
             docker:\n  reg.example:\n    lookaside: https://reg.example/sigs\n    use-sigstore-attachments: true\n\
             \x20 reg.example/team:\n    lookaside-staging: file:///staging/team\n\
             \x20 reg.example/team/app:v1:\n    sigstore: https://v1.example/sigs\n    use-sigstore-attachments: false\n",
        )]);
        let c = c.unwrap();
        let app = r("reg.example/team/app:v2");
        // reg.example/team sets only staging: reading passes on to reg.example.
        assert_eq!(
            c.lookaside_url(&app, false),
            Some("https://reg.example/sigs")
        );
        assert_eq!(c.lookaside_url(&app, true), Some("file:///staging/team"));
        assert!(c.use_sigstore_attachments(&app));
        let v1 = r("reg.example/team/app:v1");
        assert_eq!(c.lookaside_url(&v1, false), Some("https://v1.example/sigs"));
        // Its own `sigstore` serves for writing too, before any parent's staging.
        assert_eq!(c.lookaside_url(&v1, true), Some("https://v1.example/sigs"));
        assert!(!c.use_sigstore_attachments(&v1));
        let other = r("other.example/x:1");
        assert_eq!(
            c.lookaside_url(&other, true),
            Some("https://default.example/sigs")
        );
        assert!(!c.use_sigstore_attachments(&other));
        // A prefix that is not a path component does not match.
        let teamx = r("reg.example/teamx/app:1");
        assert_eq!(
            c.lookaside_url(&teamx, true),
            Some("https://reg.example/sigs")
        );
    }

    #[test]
    fn docker_hub_scopes_use_the_expanded_name() {
        let (_d, c) = config(&[(
            "hub.yaml",
            "docker:\n  docker.io/library:\n    lookaside: file:///hub\n",
        )]);
        let c = c.unwrap();
        assert_eq!(c.lookaside_url(&r("busybox"), false), Some("file:///hub"));
        assert_eq!(c.lookaside_url(&r("user/app"), false), None);
    }

    #[test]
    fn files_merge_and_duplicates_name_both_files() {
        let (_d, c) = config(&[
            (
                "a.yaml",
                "docker:\n  one.example:\n    lookaside: file:///one\n",
            ),
            (
                "b.yaml",
                "docker:\n  two.example:\n    lookaside: file:///two\n",
            ),
            ("ignored.yml", "not: [valid"),
        ]);
        let c = c.unwrap();
        assert_eq!(
            c.lookaside_url(&r("one.example/a:1"), false),
            Some("file:///one")
        );
        assert_eq!(
            c.lookaside_url(&r("two.example/a:1"), false),
            Some("file:///two")
        );

        let (_d, c) = config(&[
            (
                "a.yaml",
                "docker:\n  one.example:\n    lookaside: file:///one\n",
            ),
            (
                "b.yaml",
                "docker:\n  one.example:\n    lookaside: file:///other\n",
            ),
        ]);
        let e = c.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("\"one.example\""), "{}", e.message());
        assert!(e.message().contains("a.yaml") && e.message().contains("b.yaml"));

        let (_d, c) = config(&[
            ("a.yaml", "default-docker:\n  lookaside: file:///one\n"),
            ("b.yaml", "default-docker:\n  sigstore: file:///two\n"),
        ]);
        let e = c.unwrap_err();
        assert!(e.message().contains("default-docker"), "{}", e.message());
        assert!(e.message().contains("a.yaml") && e.message().contains("b.yaml"));
    }

    #[test]
    fn malformed_yaml_names_the_file_and_line() {
        let (_d, c) = config(&[(
            "bad.yaml",
            "docker:\n  one.example:\n    lookaside: [unclosed\n",
        )]);
        let e = c.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("bad.yaml"), "{}", e.message());
        assert!(e.message().contains("line 3"), "{}", e.message());
    }

    #[test]
    fn a_missing_directory_is_empty_and_empty_files_are_fine() {
        let c = RegistriesD::load_dir(Path::new("/nonexistent/registries.d")).unwrap();
        assert_eq!(c, RegistriesD::default());
        let (_d, c) = config(&[("empty.yaml", ""), ("null.yaml", "docker:\n")]);
        assert_eq!(c.unwrap(), RegistriesD::default());
    }

    #[test]
    fn old_names_and_staging_order() {
        let ns = NamespaceConfig {
            sigstore: Some("https://read".into()),
            sigstore_staging: Some("file:///old-staging".into()),
            ..Default::default()
        };
        assert_eq!(ns.lookaside_url(false), Some("https://read"));
        assert_eq!(ns.lookaside_url(true), Some("file:///old-staging"));
        let ns = NamespaceConfig {
            lookaside: Some("https://new".into()),
            sigstore: Some("https://old".into()),
            lookaside_staging: Some("file:///new-staging".into()),
            sigstore_staging: Some("file:///old-staging".into()),
            ..Default::default()
        };
        assert_eq!(ns.lookaside_url(false), Some("https://new"));
        assert_eq!(ns.lookaside_url(true), Some("file:///new-staging"));
    }

    /// A temporary directory removed on drop (no tempfile crate here).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub struct Dir(PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!(
                    "ocireg-registries-d-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
