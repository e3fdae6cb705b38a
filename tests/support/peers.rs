//! Peer tools and registries built from the Go module proxy: crane, oras,
//! regctl, distribution v3's `registry`, toxiproxy, cosign, installed in
//! `$(go env GOPATH)/bin` by `make peers` (scripts/install-peers.sh), and
//! go-containerregistry's registry with the referrers API, built here from
//! tests/support/ggcr_registry when missing or older than its source, and
//! the pgzip oracle (tests/support/pgzip_oracle), built the same way.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `$(go env GOBIN)`, else `$(go env GOPATH)/bin`.
pub fn go_bin_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let gobin = go_env("GOBIN");
        if gobin.is_empty() {
            PathBuf::from(go_env("GOPATH")).join("bin")
        } else {
            PathBuf::from(gobin)
        }
    })
    .clone()
}

fn go_env(name: &str) -> String {
    let out = Command::new("go")
        .args(["env", name])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `go env {name}` (is Go installed?): {e}"));
    assert!(out.status.success(), "`go env {name}` failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The path of peer tool `name` (`crane`, `oras`, `regctl`,
/// `registry`, `toxiproxy-server`, `cosign`). Panics, naming the command that installs
/// it, when it is missing: tests fail, they never skip.
pub fn tool(name: &str) -> PathBuf {
    let path = go_bin_dir().join(name);
    assert!(
        path.is_file(),
        "{} not found: run `make peers` (scripts/install-peers.sh installs the peer tools \
         from the Go module proxy)",
        path.display()
    );
    path
}

/// The go-containerregistry registry with referrers support
/// (tests/support/ggcr_registry), built into the Go bin directory as
/// `ocireg-ggcr-registry` when missing or older than its source.
pub fn ggcr_registry() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/ggcr_registry");
            let binary = go_bin_dir().join("ocireg-ggcr-registry");
            if !is_newer_than_sources(&binary, &source) {
                build_go_main(&source, &binary);
            }
            binary
        })
        .clone()
}

/// The gzip oracle (tests/support/pgzip_oracle): standard input gzipped
/// to standard output as skopeo 1.9.3 compresses a layer (pgzip v1.2.5
/// over klauspost/compress v1.15.12), built into the Go bin directory as
/// `ocireg-pgzip-oracle` when missing or older than its source.
pub fn pgzip_oracle() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pgzip_oracle");
            let binary = go_bin_dir().join("ocireg-pgzip-oracle");
            if !is_newer_than_sources(&binary, &source) {
                build_go_main(&source, &binary);
            }
            binary
        })
        .clone()
}

fn is_newer_than_sources(binary: &Path, source: &Path) -> bool {
    let Ok(built) = binary.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    ["main.go", "go.mod", "go.sum"].iter().all(|f| {
        source
            .join(f)
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|changed| changed <= built)
    })
}

/// `go build` into a temporary name, then renamed: test processes that build
/// at once never run a half-written binary.
fn build_go_main(source: &Path, binary: &Path) {
    std::fs::create_dir_all(binary.parent().expect("bin dir")).expect("create the Go bin dir");
    let temp = binary.with_extension(format!("tmp{}", std::process::id()));
    let out = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&temp)
        .arg(".")
        .current_dir(source)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `go build` in {}: {e}", source.display()));
    assert!(
        out.status.success(),
        "`go build` of {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&temp, binary).expect("rename the built program into place");
}
