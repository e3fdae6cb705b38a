//! Platforms (`os/arch[/variant]`) and choosing one from an index.

use std::fmt;

use serde::Deserialize;

use crate::descriptor::Descriptor;
use crate::error::{Error, ErrorKind, Result};

/// The most platforms one list names.
pub(crate) const MAX_PLATFORMS: usize = 256;

/// An image platform such as `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The operating system (`linux`, `windows`).
    pub os: String,
    /// The architecture in Go's names (`amd64`, `arm64`, `arm`).
    pub architecture: String,
    /// The variant (`v7`, `v8`), if any.
    pub variant: Option<String>,
}

#[derive(Deserialize)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("platform {s:?} is not os/arch[/variant]"),
            )
        };
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        Ok(Platform {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(std::string::ToString::to_string),
        })
    }

    /// A comma-separated list of `os/arch[/variant]`
    /// (`linux/amd64,linux/arm64`), as `--platform` takes it; each at most
    /// once, at most 256 of them.
    pub fn parse_list(s: &str) -> Result<Vec<Platform>> {
        let mut out: Vec<Platform> = Vec::new();
        for item in s.split(',') {
            let platform = Platform::parse(item.trim())?;
            if out.contains(&platform) {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("platform {platform} is listed twice"),
                ));
            }
            out.push(platform);
        }
        if out.len() > MAX_PLATFORMS {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("more than {MAX_PLATFORMS} platforms"),
            ));
        }
        Ok(out)
    }

    /// `os/arch[/variant]` parsed, or this process's platform when `None`
    /// (what the C API's optional platform arguments mean).
    pub fn parse_or_host(s: Option<&str>) -> Result<Platform> {
        s.map_or_else(|| Ok(Platform::host()), Platform::parse)
    }

    /// The platform of this process, in Go's names.
    pub fn host() -> Platform {
        let (architecture, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", Some("v8")),
            "arm" => ("arm", Some("v7")),
            "x86" => ("386", None),
            "powerpc64" => ("ppc64le", None),
            "s390x" => ("s390x", None),
            "riscv64" => ("riscv64", None),
            other => (other, None),
        };
        Platform {
            os: std::env::consts::OS.to_string(),
            architecture: architecture.to_string(),
            variant: variant.map(str::to_string),
        }
    }

    /// Whether an index entry with `platform` JSON runs here. A wanted
    /// variant must match, except that `arm64` without a variant is `v8`.
    fn matches(&self, platform: &serde_json::Value) -> bool {
        let Ok(p) = serde_json::from_value::<PlatformJson>(platform.clone()) else {
            return false;
        };
        self.matches_parts(&p.os, &p.architecture, p.variant.as_deref())
    }

    /// Whether a platform of `os`, `architecture` and `variant` is this
    /// one: os and architecture equal, and a wanted variant equal too,
    /// except that `arm64` without a variant is `v8`.
    pub(crate) fn matches_parts(
        &self,
        os: &str,
        architecture: &str,
        variant: Option<&str>,
    ) -> bool {
        if os != self.os || architecture != self.architecture {
            return false;
        }
        let normalize = |v: Option<&str>| match (self.architecture.as_str(), v) {
            ("arm64", None) => Some("v8".to_string()),
            (_, v) => v.map(str::to_string),
        };
        match &self.variant {
            None => true,
            Some(want) => normalize(variant).as_deref() == Some(want.as_str()),
        }
    }

    /// The entry of `manifests` for this platform: an exact variant match
    /// first, else the first entry whose os and architecture match.
    #[must_use]
    pub fn choose<'a>(&self, manifests: &'a [Descriptor]) -> Option<&'a Descriptor> {
        let with_platform = || {
            manifests
                .iter()
                .filter_map(|d| d.platform.as_ref().map(|p| (d, p)))
        };
        with_platform()
            .find(|(_, p)| self.matches(p))
            .or_else(|| {
                let loose = Platform {
                    variant: None,
                    ..self.clone()
                };
                with_platform().find(|(_, p)| loose.matches(p))
            })
            .map(|(d, _)| d)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(digest: &str, platform: serde_json::Value) -> Descriptor {
        Descriptor {
            media_type: crate::media_type::OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 1,
            artifact_type: None,
            annotations: None,
            platform: Some(platform),
        }
    }

    #[test]
    fn parses_and_prints() {
        let p = Platform::parse("linux/arm/v7").unwrap();
        assert_eq!(p.to_string(), "linux/arm/v7");
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", ""] {
            assert_eq!(
                Platform::parse(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn parses_lists() {
        let list = Platform::parse_list("linux/amd64, linux/arm64/v8").unwrap();
        let names: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["linux/amd64", "linux/arm64/v8"]);
        assert_eq!(Platform::parse_list("linux/amd64").unwrap().len(), 1);
        for bad in [
            "",
            "linux/amd64,",
            ",linux/amd64",
            "linux/amd64,linux/amd64",
            "linux",
        ] {
            assert_eq!(
                Platform::parse_list(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn chooses_by_os_arch_and_variant() {
        let list = vec![
            entry("amd", json!({"os": "linux", "architecture": "amd64"})),
            entry(
                "v6",
                json!({"os": "linux", "architecture": "arm", "variant": "v6"}),
            ),
            entry(
                "v7",
                json!({"os": "linux", "architecture": "arm", "variant": "v7"}),
            ),
            entry("arm64", json!({"os": "linux", "architecture": "arm64"})),
            entry("win", json!({"os": "windows", "architecture": "amd64"})),
        ];
        let pick = |s: &str| {
            Platform::parse(s)
                .unwrap()
                .choose(&list)
                .map(|d| d.digest.clone())
        };
        assert_eq!(pick("linux/amd64").as_deref(), Some("amd"));
        assert_eq!(pick("linux/arm/v7").as_deref(), Some("v7"));
        assert_eq!(pick("linux/arm").as_deref(), Some("v6"));
        assert_eq!(pick("linux/arm64/v8").as_deref(), Some("arm64"));
        assert_eq!(pick("windows/amd64").as_deref(), Some("win"));
        assert_eq!(pick("linux/s390x"), None);
    }
}
