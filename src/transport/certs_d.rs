//! Per-registry TLS material from `certs.d` directories, as
//! containers-certs.d(5) and docker's `certs.d` describe them.
//!
//! A directory holds `*.crt` files (CA certificates, trusted beside the
//! system's), and `*.cert` + `*.key` pairs (a client certificate and its
//! key, for mutual TLS; a `.cert` without its `.key`, or the reverse, is an
//! error naming the file). Other files are ignored.
//!
//! Which directory serves a registry (containers/image's `dockerCertDir`):
//! the client's `cert_dir` when set (skopeo's `--cert-dir`: one directory
//! for every registry); else the first `ROOT/HOST[:PORT]` that exists among
//! the client's `certs_d_roots`, in order. [`system_roots`] are the roots
//! containers tools search: `$HOME/.config/containers/certs.d`,
//! `/etc/containers/certs.d`, `/etc/docker/certs.d`. Docker Hub's directory
//! is named `docker.io`, as containers/image names it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::options::ClientOptions;
use crate::registry::credential_key;

/// The most entries read from one `certs.d` directory.
const MAX_ENTRIES: usize = 10_000;

/// The TLS material one connection pool uses: CA files trusted beside the
/// system's and an optional client certificate pair. Two registries with
/// equal material share one pool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsMaterial {
    /// PEM files of CA certificates, in the order they are added.
    pub ca_files: Vec<PathBuf>,
    /// A client certificate chain and its key (PEM files).
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl TlsMaterial {
    /// The client-wide material of `options` (`ca_files`, `client_cert`)
    /// with `cert_dir`'s added when one is set.
    pub fn for_client(options: &ClientOptions) -> Result<TlsMaterial> {
        let base = TlsMaterial {
            ca_files: options.ca_files.clone(),
            client_cert: options.client_cert.clone(),
        };
        match &options.cert_dir {
            Some(dir) => base.with_dir(dir, true),
            None => Ok(base),
        }
    }

    /// This material with the files of `dir` added: its CAs after the
    /// current ones, its client pair in place of the current one. A
    /// missing `dir` adds nothing, unless `required`.
    pub fn with_dir(mut self, dir: &Path, required: bool) -> Result<TlsMaterial> {
        let found = read_dir(dir, required)?;
        self.ca_files.extend(found.ca_files);
        if found.client_cert.is_some() {
            self.client_cert = found.client_cert;
        }
        Ok(self)
    }
}

/// The roots of per-host directories containers tools search, in order:
/// `$HOME/.config/containers/certs.d` (when `HOME` is set),
/// `/etc/containers/certs.d`, `/etc/docker/certs.d`.
#[must_use]
pub fn system_roots() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".config/containers/certs.d"));
    home.into_iter()
        .chain([
            PathBuf::from("/etc/containers/certs.d"),
            PathBuf::from("/etc/docker/certs.d"),
        ])
        .collect()
}

/// The per-host directory for `registry` (`host[:port]`) under `roots`:
/// the first `ROOT/HOST[:PORT]` that exists. One that cannot be examined
/// for lack of permission is passed over (as containers/image does); other
/// failures are errors naming the path.
pub fn host_dir(roots: &[PathBuf], registry: &str) -> Result<Option<PathBuf>> {
    let name = credential_key(registry);
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Ok(None);
    }
    for root in roots {
        let dir = root.join(name);
        match std::fs::metadata(&dir) {
            Ok(_) => return Ok(Some(dir)),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                ) => {}
            Err(e) => return Err(tls_error(&dir, &e.to_string())),
        }
    }
    Ok(None)
}

/// The CA files and the client pair of one directory, its entries taken in
/// name order; with several pairs, the first (by name) is used.
fn read_dir(dir: &Path, required: bool) -> Result<TlsMaterial> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(TlsMaterial::default());
        }
        Err(e) => return Err(tls_error(dir, &format!("cannot read the directory: {e}"))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| tls_error(dir, &format!("cannot list it: {e}")))?;
        if names.len() == MAX_ENTRIES {
            return Err(tls_error(
                dir,
                &format!("more than {MAX_ENTRIES} entries in a certs.d directory"),
            ));
        }
        names.push(entry.path());
    }
    names.sort();
    let mut material = TlsMaterial::default();
    for path in &names {
        match path.extension().and_then(OsStr::to_str) {
            Some("crt") => material.ca_files.push(regular_file(path)?),
            Some("cert") => {
                let key = path.with_extension("key");
                if !names.contains(&key) {
                    return Err(tls_error(
                        path,
                        &format!(
                            "client certificate without its key {} (CA certificates end in .crt)",
                            key.display()
                        ),
                    ));
                }
                if material.client_cert.is_none() {
                    material.client_cert = Some((regular_file(path)?, regular_file(&key)?));
                }
            }
            Some("key") => {
                let cert = path.with_extension("cert");
                if !names.contains(&cert) {
                    return Err(tls_error(
                        path,
                        &format!("key without its client certificate {}", cert.display()),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(material)
}

/// `path` when it is a regular file (symlinks followed: the directory's
/// owner chose them) this process can open, else an error naming it.
fn regular_file(path: &Path) -> Result<PathBuf> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(tls_error(path, "not a regular file")),
        Err(e) => return Err(tls_error(path, &e.to_string())),
    }
    std::fs::File::open(path).map_err(|e| tls_error(path, &e.to_string()))?;
    Ok(path.to_path_buf())
}

fn tls_error(path: &Path, why: &str) -> Error {
    Error::new(ErrorKind::Tls, format!("certs.d {}: {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let dir = std::env::temp_dir().join(format!(
                "ocireg-certs-d-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }

        fn touch(&self, relative: &str) -> PathBuf {
            let path = self.0.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"pem").unwrap();
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn reads_cas_and_the_client_pair_in_name_order() {
        let dir = Dir::new("read");
        let b = dir.touch("b.crt");
        let a = dir.touch("a.crt");
        let cert = dir.touch("client.cert");
        let key = dir.touch("client.key");
        dir.touch("README");
        let material = read_dir(&dir.0, true).unwrap();
        assert_eq!(material.ca_files, [a, b]);
        assert_eq!(material.client_cert, Some((cert, key)));
    }

    #[test]
    fn a_half_pair_is_an_error_naming_the_file() {
        let dir = Dir::new("half-cert");
        let cert = dir.touch("client.cert");
        let err = read_dir(&dir.0, true).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls);
        assert!(err.message().contains(&cert.display().to_string()), "{err}");
        assert!(err.message().contains("client.key"), "{err}");

        let dir = Dir::new("half-key");
        let key = dir.touch("client.key");
        let err = read_dir(&dir.0, true).unwrap_err();
        assert!(err.message().contains(&key.display().to_string()), "{err}");
        assert!(err.message().contains("client.cert"), "{err}");
    }

    #[test]
    fn a_ca_that_is_not_a_file_is_an_error() {
        let dir = Dir::new("not-file");
        std::fs::create_dir_all(dir.0.join("odd.crt")).unwrap();
        let err = read_dir(&dir.0, true).unwrap_err();
        assert!(err.message().contains("odd.crt"), "{err}");
        assert!(err.message().contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_missing_directory_is_empty_unless_required() {
        let dir = Dir::new("missing");
        let gone = dir.0.join("nope");
        assert_eq!(read_dir(&gone, false).unwrap(), TlsMaterial::default());
        let err = read_dir(&gone, true).unwrap_err();
        assert!(err.message().contains(&gone.display().to_string()), "{err}");
    }

    #[test]
    fn the_first_root_holding_the_host_wins() {
        let first = Dir::new("root1");
        let second = Dir::new("root2");
        second.touch("r.example:5000/ca.crt");
        second.touch("docker.io/ca.crt");
        first.touch("other.example/ca.crt");
        let roots = [first.0.clone(), second.0.clone()];
        assert_eq!(
            host_dir(&roots, "r.example:5000").unwrap(),
            Some(second.0.join("r.example:5000"))
        );
        first.touch("r.example:5000/ca.crt");
        assert_eq!(
            host_dir(&roots, "r.example:5000").unwrap(),
            Some(first.0.join("r.example:5000"))
        );
        assert_eq!(host_dir(&roots, "r.example").unwrap(), None);
        // Docker Hub's API host reads the docker.io directory.
        assert_eq!(
            host_dir(&roots, "registry-1.docker.io").unwrap(),
            Some(second.0.join("docker.io"))
        );
        assert_eq!(host_dir(&roots, "..").unwrap(), None);
    }

    #[test]
    fn a_client_dir_replaces_the_pair_and_adds_cas() {
        let dir = Dir::new("merge");
        let ca = dir.touch("ca.crt");
        let cert = dir.touch("c.cert");
        let key = dir.touch("c.key");
        let base = TlsMaterial {
            ca_files: vec![PathBuf::from("/opt/base.pem")],
            client_cert: Some((PathBuf::from("/a"), PathBuf::from("/b"))),
        };
        let merged = base.with_dir(&dir.0, true).unwrap();
        assert_eq!(merged.ca_files, [PathBuf::from("/opt/base.pem"), ca]);
        assert_eq!(merged.client_cert, Some((cert, key)));
    }
}
