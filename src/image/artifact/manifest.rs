//! The artifact manifest, written as oras writes it: Go's `encoding/json`
//! of image-spec's `Manifest` (fields in struct order, annotations sorted
//! by key, `<`, `>`, `&`, U+2028 and U+2029 escaped), compact.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::SystemTime;

use bytes::Bytes;

use super::TITLE;
use crate::client::EMPTY_CONFIG;
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::image::go_json::{push_map, push_str};
use crate::media_type::{OCI_EMPTY, OCI_MANIFEST};

/// One file of an artifact, as its layer names it.
#[derive(Debug, Clone)]
pub(super) struct FileLayer {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    pub title: String,
}

/// The manifest bytes (see the module documentation).
pub(super) fn artifact_manifest(
    artifact_type: &str,
    layers: &[FileLayer],
    subject: Option<&Descriptor>,
    annotations: &BTreeMap<String, String>,
) -> Bytes {
    let mut out = String::with_capacity(512 + 256 * layers.len());
    out.push_str("{\"schemaVersion\":2,\"mediaType\":");
    push_str(&mut out, OCI_MANIFEST);
    out.push_str(",\"artifactType\":");
    push_str(&mut out, artifact_type);
    out.push_str(",\"config\":{\"mediaType\":");
    push_str(&mut out, OCI_EMPTY);
    let _ = write!(
        out,
        ",\"digest\":\"{}\",\"size\":{},\"data\":\"e30=\"}},\"layers\":[",
        Digest::sha256_of(EMPTY_CONFIG),
        EMPTY_CONFIG.len()
    );
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"mediaType\":");
        push_str(&mut out, &layer.media_type);
        let _ = write!(
            out,
            ",\"digest\":\"{}\",\"size\":{},\"annotations\":{{",
            layer.digest, layer.size
        );
        push_str(&mut out, TITLE);
        out.push(':');
        push_str(&mut out, &layer.title);
        out.push_str("}}");
    }
    out.push(']');
    if let Some(subject) = subject {
        out.push_str(",\"subject\":{\"mediaType\":");
        push_str(&mut out, &subject.media_type);
        out.push_str(",\"digest\":");
        push_str(&mut out, &subject.digest);
        let _ = write!(out, ",\"size\":{}}}", subject.size);
    }
    if !annotations.is_empty() {
        out.push_str(",\"annotations\":");
        push_map(&mut out, annotations);
    }
    out.push('}');
    Bytes::from(out)
}

/// `time` as RFC 3339 in UTC to the second (`2006-01-02T15:04:05Z`), as Go's
/// `time.RFC3339` formats a UTC time.
pub(super) fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_format_as_go_rfc3339() {
        let at = |s: u64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_169_600 + 3_723), "2026-12-02T01:02:03Z");
    }

    #[test]
    fn the_manifest_matches_what_oras_pushed() {
        // `oras push --annotation k=v --annotation created=2020-...` of
        // a.txt ("hello\n") and b.bin:application/x-foo ("x<y&z"), as oras
        // v1.3.6 wrote it.
        let oras = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.unknown.artifact.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","size":6,"annotations":{"org.opencontainers.image.title":"a.txt"}},{"mediaType":"application/x-foo","digest":"sha256:3954746bcb18c785c64fe730abae50703d851234f82f86a71422a7f42cb2988f","size":5,"annotations":{"org.opencontainers.image.title":"b.bin"}}],"annotations":{"k":"v","org.opencontainers.image.created":"2020-01-01T00:00:00Z"}}"#;
        let layer = |mt: &str, data: &[u8], title: &str| FileLayer {
            media_type: mt.into(),
            digest: Digest::sha256_of(data),
            size: data.len() as u64,
            title: title.into(),
        };
        let layers = [
            layer(
                "application/vnd.oci.image.layer.v1.tar",
                b"hello\n",
                "a.txt",
            ),
            layer("application/x-foo", b"x<y&z", "b.bin"),
        ];
        let annotations = BTreeMap::from([
            (
                "org.opencontainers.image.created".to_string(),
                "2020-01-01T00:00:00Z".to_string(),
            ),
            ("k".to_string(), "v".to_string()),
        ]);
        let ours = artifact_manifest(
            "application/vnd.unknown.artifact.v1",
            &layers,
            None,
            &annotations,
        );
        assert_eq!(std::str::from_utf8(&ours).unwrap(), oras);
    }
}
