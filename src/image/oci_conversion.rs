//! A Docker schema 2 image converted to OCI the way skopeo converts it for
//! an `oci:` or `oci-archive:` destination (containers/image
//! `manifestSchema2.convertToManifestOCI1`), byte for byte: the config is
//! read into the OCI image config's fields and written back as Go's
//! `encoding/json` writes them (Docker-only fields such as
//! `container_config` dropped), and the manifest becomes an OCI manifest
//! naming that config, its layers' media types mapped to OCI's. skopeo's
//! OCI layout reader ignores `index.json` entries of other media types, so
//! an unconverted Docker manifest there is an image skopeo and umoci
//! cannot find.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::go_json::{push_map, push_str};
use crate::client::Manifest;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type;

/// A converted image: the OCI manifest and the config it names.
pub(crate) struct Converted {
    pub manifest: Manifest,
    pub config: Bytes,
    pub config_digest: Digest,
}

/// Converts the Docker schema 2 image `manifest` whose config is
/// `config`.
pub(crate) fn docker_to_oci(manifest: &Manifest, config: &[u8]) -> Result<Converted> {
    let docker: DockerManifest = serde_json::from_slice(&manifest.bytes).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("manifest {}: {e}", manifest.digest),
        )
    })?;
    let config = Bytes::from(oci_config(config)?);
    let config_digest = Digest::sha256_of(&config);
    let mut out = String::new();
    out.push_str(r#"{"schemaVersion":2,"mediaType":"#);
    push_str(&mut out, media_type::OCI_MANIFEST);
    out.push_str(r#","config":"#);
    push_descriptor(
        &mut out,
        media_type::OCI_CONFIG,
        config_digest.as_str(),
        config.len() as u64,
        &[],
    );
    out.push_str(r#","layers":["#);
    for (i, layer) in docker.layers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let oci_type = oci_layer_type(&layer.media_type)?;
        push_descriptor(&mut out, oci_type, &layer.digest, layer.size, &layer.urls);
    }
    out.push_str("]}");
    let bytes = Bytes::from(out);
    Ok(Converted {
        manifest: Manifest {
            digest: Digest::sha256_of(&bytes),
            bytes,
            media_type: media_type::OCI_MANIFEST.to_string(),
            source: None,
        },
        config,
        config_digest,
    })
}

/// The OCI index of the Docker manifest list `list`, its instances
/// replaced by `converted` (old digest to the new manifest), as skopeo
/// writes it (containers/image `Schema2List.ToOCI1Index`): every entry
/// gets a platform, Docker's `features` are dropped.
pub(crate) fn docker_list_to_oci(
    list: &Manifest,
    converted: &HashMap<Digest, Manifest>,
) -> Result<Manifest> {
    let docker: DockerList = serde_json::from_slice(&list.bytes).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("manifest list {}: {e}", list.digest),
        )
    })?;
    let mut out = String::new();
    out.push_str(r#"{"schemaVersion":2,"mediaType":"#);
    push_str(&mut out, media_type::OCI_INDEX);
    out.push_str(r#","manifests":["#);
    for (i, entry) in docker.manifests.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let old = Digest::parse(&entry.digest)?;
        let (media, digest, size) = match converted.get(&old) {
            Some(m) => (
                m.media_type.as_str(),
                m.digest.as_str(),
                m.bytes.len() as u64,
            ),
            None => (entry.media_type.as_str(), entry.digest.as_str(), entry.size),
        };
        out.push_str(r#"{"mediaType":"#);
        push_str(&mut out, media);
        out.push_str(r#","digest":"#);
        push_str(&mut out, digest);
        let _ = write!(out, r#","size":{size}"#);
        if !entry.urls.is_empty() {
            out.push_str(r#","urls":"#);
            push_strings(&mut out, &entry.urls);
        }
        let p = entry.platform.as_ref();
        let text = |f: fn(&DockerPlatform) -> &Option<String>| {
            p.and_then(|p| f(p).clone()).unwrap_or_default()
        };
        out.push_str(r#","platform":{"architecture":"#);
        push_str(&mut out, &text(|p| &p.architecture));
        out.push_str(r#","os":"#);
        push_str(&mut out, &text(|p| &p.os));
        let mut platform_tail = String::from("{");
        optional_str(
            &mut platform_tail,
            "os.version",
            &p.and_then(|p| p.os_version.clone()),
        );
        optional_strings(
            &mut platform_tail,
            "os.features",
            &p.and_then(|p| p.os_features.clone()),
        );
        optional_str(
            &mut platform_tail,
            "variant",
            &p.and_then(|p| p.variant.clone()),
        );
        if platform_tail.len() > 1 {
            out.push(',');
            out.push_str(&platform_tail[1..]);
        }
        out.push_str("}}");
    }
    out.push_str("]}");
    let bytes = Bytes::from(out);
    Ok(Manifest {
        digest: Digest::sha256_of(&bytes),
        bytes,
        media_type: media_type::OCI_INDEX.to_string(),
        source: None,
    })
}

#[derive(Deserialize)]
struct DockerList {
    #[serde(default)]
    manifests: Vec<DockerListEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerListEntry {
    media_type: String,
    size: u64,
    digest: String,
    #[serde(default)]
    urls: Vec<String>,
    platform: Option<DockerPlatform>,
}

#[derive(Deserialize)]
struct DockerPlatform {
    architecture: Option<String>,
    os: Option<String>,
    #[serde(rename = "os.version")]
    os_version: Option<String>,
    #[serde(rename = "os.features")]
    os_features: Option<Vec<String>>,
    variant: Option<String>,
}

/// The OCI media type of a Docker schema 2 layer, as skopeo maps it.
fn oci_layer_type(docker: &str) -> Result<&'static str> {
    Ok(match docker {
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => {
            "application/vnd.oci.image.layer.v1.tar+gzip"
        }
        "application/vnd.docker.image.rootfs.diff.tar" => "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => {
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        }
        "application/vnd.docker.image.rootfs.foreign.diff.tar" => {
            "application/vnd.oci.image.layer.nondistributable.v1.tar"
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("a layer of media type {other:?} has no OCI equivalent"),
            ));
        }
    })
}

fn push_descriptor(out: &mut String, media: &str, digest: &str, size: u64, urls: &[String]) {
    out.push_str(r#"{"mediaType":"#);
    push_str(out, media);
    out.push_str(r#","digest":"#);
    push_str(out, digest);
    let _ = write!(out, r#","size":{size}"#);
    if !urls.is_empty() {
        out.push_str(r#","urls":"#);
        push_strings(out, urls);
    }
    out.push('}');
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerManifest {
    #[serde(default)]
    layers: Vec<DockerLayer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerLayer {
    media_type: String,
    size: u64,
    digest: String,
    #[serde(default)]
    urls: Vec<String>,
}

/// The fields of an OCI image config (image-spec v1.1), read from a Docker
/// config; everything else is dropped.
#[derive(Deserialize)]
struct ImageConfig {
    created: Option<String>,
    author: Option<String>,
    architecture: Option<String>,
    variant: Option<String>,
    os: Option<String>,
    #[serde(rename = "os.version")]
    os_version: Option<String>,
    #[serde(rename = "os.features")]
    os_features: Option<Vec<String>>,
    config: Option<RunConfig>,
    rootfs: Option<RootFs>,
    history: Option<Vec<History>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    user: Option<String>,
    exposed_ports: Option<BTreeMap<String, IgnoredAny>>,
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    volumes: Option<BTreeMap<String, IgnoredAny>>,
    working_dir: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    stop_signal: Option<String>,
    args_escaped: Option<bool>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: Option<String>,
    diff_ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct History {
    created: Option<String>,
    created_by: Option<String>,
    author: Option<String>,
    comment: Option<String>,
    empty_layer: Option<bool>,
}

/// The OCI config of the Docker config `docker`, as Go writes
/// `imgspecv1.Image`: fields in declaration order, empty optional ones
/// left out, maps sorted, times as RFC 3339 with trailing zeros trimmed.
fn oci_config(docker: &[u8]) -> Result<Vec<u8>> {
    let c: ImageConfig = serde_json::from_slice(docker)
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("image config: {e}")))?;
    let mut out = String::from("{");
    if let Some(created) = &c.created {
        field(&mut out, "created");
        push_str(&mut out, &go_time(created)?);
    }
    optional_str(&mut out, "author", &c.author);
    field(&mut out, "architecture");
    push_str(&mut out, c.architecture.as_deref().unwrap_or(""));
    optional_str(&mut out, "variant", &c.variant);
    field(&mut out, "os");
    push_str(&mut out, c.os.as_deref().unwrap_or(""));
    optional_str(&mut out, "os.version", &c.os_version);
    optional_strings(&mut out, "os.features", &c.os_features);
    field(&mut out, "config");
    out.push('{');
    if let Some(run) = &c.config {
        optional_str(&mut out, "User", &run.user);
        optional_set(&mut out, "ExposedPorts", &run.exposed_ports);
        optional_strings(&mut out, "Env", &run.env);
        optional_strings(&mut out, "Entrypoint", &run.entrypoint);
        optional_strings(&mut out, "Cmd", &run.cmd);
        optional_set(&mut out, "Volumes", &run.volumes);
        optional_str(&mut out, "WorkingDir", &run.working_dir);
        if let Some(labels) = run.labels.as_ref().filter(|l| !l.is_empty()) {
            field(&mut out, "Labels");
            push_map(&mut out, labels);
        }
        optional_str(&mut out, "StopSignal", &run.stop_signal);
        if run.args_escaped == Some(true) {
            field(&mut out, "ArgsEscaped");
            out.push_str("true");
        }
    }
    out.push('}');
    field(&mut out, "rootfs");
    out.push('{');
    let rootfs = c.rootfs.as_ref();
    field(&mut out, "type");
    push_str(
        &mut out,
        rootfs.and_then(|r| r.kind.as_deref()).unwrap_or(""),
    );
    field(&mut out, "diff_ids");
    match rootfs.and_then(|r| r.diff_ids.as_ref()) {
        Some(ids) => push_strings(&mut out, ids),
        None => out.push_str("null"),
    }
    out.push('}');
    if let Some(history) = c.history.as_ref().filter(|h| !h.is_empty()) {
        field(&mut out, "history");
        out.push('[');
        for (i, h) in history.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            if let Some(created) = &h.created {
                field(&mut out, "created");
                push_str(&mut out, &go_time(created)?);
            }
            optional_str(&mut out, "created_by", &h.created_by);
            optional_str(&mut out, "author", &h.author);
            optional_str(&mut out, "comment", &h.comment);
            if h.empty_layer == Some(true) {
                field(&mut out, "empty_layer");
                out.push_str("true");
            }
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
    Ok(out.into_bytes())
}

/// Starts field `name` of an object (a comma unless it is the first).
fn field(out: &mut String, name: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    push_str(out, name);
    out.push(':');
}

fn optional_str(out: &mut String, name: &str, value: &Option<String>) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        field(out, name);
        push_str(out, v);
    }
}

fn optional_strings(out: &mut String, name: &str, value: &Option<Vec<String>>) {
    if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
        field(out, name);
        push_strings(out, v);
    }
}

/// A Go `map[string]struct{}`: every value is `{}`.
fn optional_set(out: &mut String, name: &str, value: &Option<BTreeMap<String, IgnoredAny>>) {
    if let Some(set) = value.as_ref().filter(|s| !s.is_empty()) {
        field(out, name);
        out.push('{');
        for (i, key) in set.keys().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, key);
            out.push_str(":{}");
        }
        out.push('}');
    }
}

fn push_strings(out: &mut String, list: &[String]) {
    out.push('[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

/// An RFC 3339 time as Go's `time.Time` writes it back after reading it:
/// the fraction without trailing zeros, a zero offset as `Z`.
fn go_time(text: &str) -> Result<String> {
    let bad = || {
        Error::new(
            ErrorKind::Protocol,
            format!("image config: {text:?} is not an RFC 3339 time"),
        )
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (date, rest) = text.split_at_checked(10).ok_or_else(bad)?;
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return Err(bad());
    }
    let rest = rest.strip_prefix('T').ok_or_else(bad)?;
    let (clock, rest) = rest.split_at_checked(8).ok_or_else(bad)?;
    let t: Vec<&str> = clock.split(':').collect();
    if t.len() != 3 || !d.iter().chain(t.iter()).all(|p| digits(p) && p.len() >= 2) {
        return Err(bad());
    }
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(after) => {
            let end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let (f, zone) = after.split_at(end);
            if !digits(f) || f.len() > 9 {
                return Err(bad());
            }
            (f.trim_end_matches('0'), zone)
        }
        None => ("", rest),
    };
    let zone = match zone {
        "Z" | "+00:00" | "-00:00" => "Z",
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && &z[3..4] == ":"
            && digits(&z[1..3])
            && digits(&z[4..6]) =>
        {
            z
        }
        _ => return Err(bad()),
    };
    let mut out = format!("{date}T{clock}");
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out.push_str(zone);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_back_as_go_writes_them() {
        for (given, written) in [
            ("2026-12-01T10:20:30Z", "2026-12-01T10:20:30Z"),
            (
                "2026-12-01T10:20:30.123400000+02:00",
                "2026-12-01T10:20:30.1234+02:00",
            ),
            ("2026-12-01T10:20:30.000Z", "2026-12-01T10:20:30Z"),
            ("2026-12-01T10:20:30+00:00", "2026-12-01T10:20:30Z"),
        ] {
            assert_eq!(go_time(given).unwrap(), written);
        }
        for bad in [
            "",
            "2026-12-01",
            "2026-12-01 10:20:30Z",
            "2026-12-01T10:20:30",
            "x",
        ] {
            assert!(go_time(bad).is_err(), "{bad}");
        }
    }

    /// What skopeo 1.9.3 wrote for this Docker config (`skopeo copy
    /// dir:D oci:L`, then `skopeo inspect --config --raw oci:L`).
    #[test]
    fn a_docker_config_becomes_skopeos_oci_config() {
        let docker = br#"{"architecture":"arm64","variant":"v8","author":"me <a&b>","config":{"Hostname":"","Domainname":"","User":"1000","AttachStdin":false,"ExposedPorts":{"80/tcp":{},"443/tcp":{}},"Tty":false,"Env":["PATH=/bin","X=<y>"],"Cmd":["sh"],"ArgsEscaped":true,"Image":"sha256:abc","Volumes":{"/data":{}},"WorkingDir":"/w","Entrypoint":null,"OnBuild":null,"Labels":{"b":"2","a":"1"},"StopSignal":"SIGTERM","Healthcheck":{"Test":["CMD","true"]},"Shell":["/bin/sh"]},"container":"abc","container_config":{"Hostname":"x"},"created":"2026-12-01T10:20:30.123400000+02:00","docker_version":"20.10","history":[{"created":"2026-12-01T10:20:30Z","created_by":"/bin/sh -c #(nop) ADD","empty_layer":false},{"created":"2026-12-01T10:20:31.5Z","created_by":"CMD","comment":"c","author":"x","empty_layer":true},{"created_by":"RUN"}],"os":"linux","os.version":"10.0","os.features":["f1"],"rootfs":{"type":"layers","diff_ids":["sha256:d85b","sha256:86ca"]},"id":"zzz","parent":"p"}"#;
        let skopeo = r#"{"created":"2026-12-01T10:20:30.1234+02:00","author":"me \u003ca\u0026b\u003e","architecture":"arm64","variant":"v8","os":"linux","os.version":"10.0","os.features":["f1"],"config":{"User":"1000","ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["PATH=/bin","X=\u003cy\u003e"],"Cmd":["sh"],"Volumes":{"/data":{}},"WorkingDir":"/w","Labels":{"a":"1","b":"2"},"StopSignal":"SIGTERM","ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":["sha256:d85b","sha256:86ca"]},"history":[{"created":"2026-12-01T10:20:30Z","created_by":"/bin/sh -c #(nop) ADD"},{"created":"2026-12-01T10:20:31.5Z","created_by":"CMD","author":"x","comment":"c","empty_layer":true},{"created_by":"RUN"}]}"#;
        assert_eq!(
            String::from_utf8(oci_config(docker).unwrap()).unwrap(),
            skopeo
        );
    }

    /// What skopeo 1.9.3 wrote for this Docker manifest list (`skopeo copy
    /// --all dir:D oci:L`, then `skopeo inspect --raw oci:L`), its two
    /// instances converted to the digests given.
    #[test]
    fn a_docker_list_becomes_skopeos_oci_index() {
        let list = Bytes::from_static(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":577,"digest":"sha256:0a44a42ac2a78b8e3d124cc6f33cf99106e88cd5ed024218afc39c7c33a3b6a5","platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":577,"digest":"sha256:f70bad059e80126e3de0f53141266b34a58b686ff0c523ede95ccac702d090bc","platform":{"architecture":"arm64","os":"linux","os.version":"10.1","os.features":["win32k"],"variant":"v8","features":["sse4"]}}]}"#,
        );
        let list = Manifest {
            digest: Digest::sha256_of(&list),
            bytes: list,
            media_type: media_type::DOCKER_MANIFEST_LIST.to_string(),
            source: None,
        };
        let instance = |digest: &str| Manifest {
            digest: Digest::parse(digest).unwrap(),
            bytes: Bytes::from(vec![b' '; 559]),
            media_type: media_type::OCI_MANIFEST.to_string(),
            source: None,
        };
        let converted = HashMap::from([
            (
                Digest::parse(
                    "sha256:0a44a42ac2a78b8e3d124cc6f33cf99106e88cd5ed024218afc39c7c33a3b6a5",
                )
                .unwrap(),
                instance("sha256:c4ddf850764787e5dac480dd255ea856d5f00848de5b3400b62a35576184c08f"),
            ),
            (
                Digest::parse(
                    "sha256:f70bad059e80126e3de0f53141266b34a58b686ff0c523ede95ccac702d090bc",
                )
                .unwrap(),
                instance("sha256:99182a8e9f8fb0384f3f0802a9033abd99dc1570e225687002745f100ad2d1be"),
            ),
        ]);
        let index = docker_list_to_oci(&list, &converted).unwrap();
        assert_eq!(
            std::str::from_utf8(&index.bytes).unwrap(),
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:c4ddf850764787e5dac480dd255ea856d5f00848de5b3400b62a35576184c08f","size":559,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:99182a8e9f8fb0384f3f0802a9033abd99dc1570e225687002745f100ad2d1be","size":559,"platform":{"architecture":"arm64","os":"linux","os.version":"10.1","os.features":["win32k"],"variant":"v8"}}]}"#
        );
        assert_eq!(index.media_type, media_type::OCI_INDEX);
    }
}
