//! Running skopeo 1.9.3 (and other peer commands) from tests, and comparing
//! what the tools wrote.

use std::path::Path;
use std::process::Command;

use ocireg::Digest;

/// Runs `cmd`; its standard output. Panics with both outputs on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `skopeo --insecure-policy ARGS`; its standard output.
pub fn skopeo(args: &[&str]) -> String {
    run(Command::new("skopeo").arg("--insecure-policy").args(args))
}

/// `skopeo --insecure-policy ARGS` expected to fail; its standard error.
pub fn skopeo_refuses(args: &[&str]) -> String {
    let mut cmd = Command::new("skopeo");
    cmd.arg("--insecure-policy").args(args);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(!out.status.success(), "{cmd:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// skopeo's arguments for reading `location` (plain HTTP for a registry).
pub fn reading(location: &str) -> Vec<&str> {
    if location.starts_with("docker://") {
        vec!["--tls-verify=false", location]
    } else {
        vec![location]
    }
}

/// The raw manifest skopeo reads at `location` (`skopeo inspect --raw`).
pub fn raw_manifest(location: &str) -> String {
    let mut args = vec!["inspect", "--raw"];
    args.extend(reading(location));
    skopeo(&args)
}

/// The digest of the raw manifest skopeo reads at `location`.
pub fn skopeo_digest(location: &str) -> String {
    Digest::sha256_of(raw_manifest(location).as_bytes()).to_string()
}

/// The names and contents of the regular files of `dir`, sorted.
pub fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| {
            let e = e.expect("directory entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read a file"),
            )
        })
        .collect();
    out.sort();
    out
}

/// Whatever the temporary files of a failed write were, none are left.
pub fn assert_no_temporaries(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// What skopeo sees at `location` that survives a recompression: the
/// config digest, the diff IDs and the layers' media types.
pub fn image_summary(location: &str) -> (String, Vec<String>, Vec<String>) {
    let manifest: serde_json::Value =
        serde_json::from_str(&raw_manifest(location)).expect("manifest JSON");
    let mut args = vec!["inspect", "--config"];
    args.extend(reading(location));
    let config: serde_json::Value = serde_json::from_str(&skopeo(&args)).expect("config JSON");
    let strings = |list: &serde_json::Value, field: Option<&str>| -> Vec<String> {
        list.as_array()
            .unwrap_or_else(|| panic!("{location}: not a list: {list}"))
            .iter()
            .map(|v| {
                let v = field.map_or(v, |f| &v[f]);
                v.as_str().expect("a string").to_string()
            })
            .collect()
    };
    (
        manifest["config"]["digest"]
            .as_str()
            .expect("config digest")
            .to_string(),
        strings(&config["rootfs"]["diff_ids"], None),
        strings(&manifest["layers"], Some("mediaType")),
    )
}
