//! A Docker image config converted to an OCI image config as
//! containers/image converts it when it turns a Docker schema 2 manifest
//! into an OCI manifest (skopeo 1.9.3 copying a docker-archive into an OCI
//! layout or oci-archive): the JSON read into image-spec's `Image` struct
//! (v1.1.0-rc2, as Debian bookworm builds skopeo) and written back by Go's
//! `json.Marshal` — fields the struct lacks dropped, the rest in the
//! struct's order, empty ones left out where the struct says `omitempty`,
//! map keys sorted, times in RFC 3339 with the fraction's trailing zeros
//! trimmed. Go matches keys case-insensitively; here they must be spelled
//! as Docker and the spec spell them.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::image::go_json::{push_map, push_str};

#[derive(Deserialize, Default)]
struct Image {
    created: Option<String>,
    author: Option<String>,
    architecture: Option<String>,
    variant: Option<String>,
    os: Option<String>,
    #[serde(rename = "os.version")]
    os_version: Option<String>,
    #[serde(rename = "os.features")]
    os_features: Option<Vec<String>>,
    config: Option<ImageConfig>,
    rootfs: Option<RootFs>,
    history: Option<Vec<History>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ImageConfig {
    user: Option<String>,
    exposed_ports: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    volumes: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    working_dir: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    stop_signal: Option<String>,
    args_escaped: Option<bool>,
}

#[derive(Deserialize, Default)]
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

/// Writes `"key":` after a comma when the object already has a member.
struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// A string member, left out when empty (`omitempty`).
    fn string(&mut self, key: &str, value: &Option<String>) {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            push_str(self.key(key), v);
        }
    }

    /// A list of strings, left out when empty (`omitempty`).
    fn strings(&mut self, key: &str, value: &Option<Vec<String>>) {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            push_list(self.key(key), v);
        }
    }

    /// A set (`map[string]struct{}`), left out when empty.
    fn set(&mut self, key: &str, value: &Option<BTreeMap<String, serde::de::IgnoredAny>>) {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            let out = self.key(key);
            out.push('{');
            for (i, k) in v.keys().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, k);
                out.push_str(":{}");
            }
            out.push('}');
        }
    }

    fn time(&mut self, key: &str, value: &Option<String>) -> Result<()> {
        if let Some(v) = value {
            let formatted = go_time(v)?;
            self.key(key).push_str(&format!("\"{formatted}\""));
        }
        Ok(())
    }

    fn flag(&mut self, key: &str, value: Option<bool>) {
        if value == Some(true) {
            self.key(key).push_str("true");
        }
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn push_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, item);
    }
    out.push(']');
}

/// The OCI config bytes containers/image writes for Docker config `docker`.
pub(crate) fn oci_config(docker: &[u8]) -> Result<Vec<u8>> {
    let image: Image = serde_json::from_slice(docker).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("the image config is not an image config: {e}"),
        )
    })?;
    let mut out = String::new();
    let mut top = Object::open(&mut out);
    top.time("created", &image.created)?;
    top.string("author", &image.author);
    push_str(
        top.key("architecture"),
        image.architecture.as_deref().unwrap_or(""),
    );
    top.string("variant", &image.variant);
    push_str(top.key("os"), image.os.as_deref().unwrap_or(""));
    top.string("os.version", &image.os_version);
    top.strings("os.features", &image.os_features);

    let config = image.config.unwrap_or_default();
    let mut c = Object::open(top.key("config"));
    c.string("User", &config.user);
    c.set("ExposedPorts", &config.exposed_ports);
    c.strings("Env", &config.env);
    c.strings("Entrypoint", &config.entrypoint);
    c.strings("Cmd", &config.cmd);
    c.set("Volumes", &config.volumes);
    c.string("WorkingDir", &config.working_dir);
    if let Some(labels) = config.labels.as_ref().filter(|l| !l.is_empty()) {
        push_map(c.key("Labels"), labels);
    }
    c.string("StopSignal", &config.stop_signal);
    c.flag("ArgsEscaped", config.args_escaped);
    c.close();

    let rootfs = image.rootfs.unwrap_or_default();
    let mut r = Object::open(top.key("rootfs"));
    push_str(r.key("type"), rootfs.kind.as_deref().unwrap_or(""));
    match &rootfs.diff_ids {
        Some(ids) => push_list(r.key("diff_ids"), ids),
        None => r.key("diff_ids").push_str("null"),
    }
    r.close();

    if let Some(history) = image.history.as_ref().filter(|h| !h.is_empty()) {
        let out = top.key("history");
        out.push('[');
        for (i, h) in history.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let mut e = Object::open(out);
            e.time("created", &h.created)?;
            e.string("created_by", &h.created_by);
            e.string("author", &h.author);
            e.string("comment", &h.comment);
            e.flag("empty_layer", h.empty_layer);
            e.close();
        }
        out.push(']');
    }
    top.close();
    Ok(out.into_bytes())
}

/// An RFC 3339 time as Go's `time.Time` writes it back: the fraction
/// without trailing zeros, a zero offset as `Z`.
fn go_time(text: &str) -> Result<String> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("the image config has a bad time {text:?}"),
        )
    };
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape_ok = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape_ok {
        return Err(bad());
    }
    let mut rest = &text[19..];
    let mut fraction = "";
    if let Some(after) = rest.strip_prefix('.') {
        let n = after.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        fraction = after[..n].trim_end_matches('0');
        rest = &after[n..];
    }
    let zone = match rest {
        "Z" => "Z".to_string(),
        _ => {
            let z = rest.as_bytes();
            let ok = z.len() == 6
                && (z[0] == b'+' || z[0] == b'-')
                && z[1..3].iter().all(u8::is_ascii_digit)
                && z[3] == b':'
                && z[4..6].iter().all(u8::is_ascii_digit);
            if !ok {
                return Err(bad());
            }
            if &rest[1..] == "00:00" {
                "Z".to_string()
            } else {
                rest.to_string()
            }
        }
    };
    let mut out = text[..19].to_string();
    if !fraction.is_empty() {
        let _ = write!(out, ".{fraction}");
    }
    out.push_str(&zone);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_go_writes_them() {
        assert_eq!(
            go_time("2026-12-01T00:00:00Z").unwrap(),
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(
            go_time("2026-12-01T00:00:00.000000000+01:00").unwrap(),
            "2026-12-01T00:00:00+01:00"
        );
        assert_eq!(
            go_time("2026-12-01T00:00:00.5100-00:00").unwrap(),
            "2026-12-01T00:00:00.51Z"
        );
        assert!(go_time("yesterday").is_err());
    }

    #[test]
    fn a_docker_config_becomes_what_skopeo_writes() {
        // Written by skopeo 1.9.3 for this config (docker-archive to oci:).
        let docker = br#"{"id":"x","zzz":1,"architecture":"arm64","variant":"v8","os":"linux","os.version":"10.0","os.features":["f"],"created":"2026-12-01T00:00:00.000000000+01:00","author":"me <a@b>","container_config":{"Hostname":"h"},"config":{"Hostname":"h","User":"u","ExposedPorts":{"80/tcp":{},"443/tcp":{}},"Env":["A=1"],"Cmd":["sh"],"Entrypoint":null,"ArgsEscaped":true,"Volumes":{"/v":{}},"WorkingDir":"/w","Labels":{"b":"2","a":"1"},"StopSignal":"SIGTERM","OnBuild":null,"Image":"sha256:00"},"rootfs":{"type":"layers","diff_ids":["sha256:a7ff6c87915b8cf5d6734a35a067d6361489be3a59be5762b0cf9d7c05df6232"]},"history":[{"created":"2026-12-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD <file>","empty_layer":true,"comment":"c"},{"created_by":"x"}]}"#;
        let skopeo = r#"{"created":"2026-12-01T00:00:00+01:00","author":"me \u003ca@b\u003e","architecture":"arm64","variant":"v8","os":"linux","os.version":"10.0","os.features":["f"],"config":{"User":"u","ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["A=1"],"Cmd":["sh"],"Volumes":{"/v":{}},"WorkingDir":"/w","Labels":{"a":"1","b":"2"},"StopSignal":"SIGTERM","ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":["sha256:a7ff6c87915b8cf5d6734a35a067d6361489be3a59be5762b0cf9d7c05df6232"]},"history":[{"created":"2026-12-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD \u003cfile\u003e","comment":"c","empty_layer":true},{"created_by":"x"}]}"#;
        assert_eq!(
            String::from_utf8(oci_config(docker).unwrap()).unwrap(),
            skopeo
        );
        let minimal = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#;
        assert_eq!(
            String::from_utf8(oci_config(minimal).unwrap()).unwrap(),
            r#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
        );
    }
}
