//! Registry rate limits as Docker Hub reports them on manifest responses:
//! `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 76;w=21600` and
//! `docker-ratelimit-source: <the address or account counted>`.
//!
//! The values follow the IETF RateLimit header draft: a list whose first
//! element is the quota that applies now, a count with an optional
//! `;w=SECONDS` window. Headers that are absent or unparsable are unknown
//! (`None`), never zero.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// The longest `docker-ratelimit-source` kept, in bytes.
const MAX_SOURCE_LEN: usize = 256;

/// One quota: a request count and the window it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// The number of requests.
    pub count: u64,
    /// The window of `;w=SECONDS`, when the registry sent one.
    pub window: Option<Duration>,
}

/// What a registry said about its rate limit on one manifest response.
/// Each field is `None` when the registry did not say (unknown, not zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `ratelimit-limit`: the requests allowed per window.
    pub limit: Option<RateQuota>,
    /// `ratelimit-remaining`: the requests left in the current window.
    pub remaining: Option<RateQuota>,
    /// `docker-ratelimit-source`: what the registry counts the requests
    /// against (an address or an account id).
    pub source: Option<String>,
}

impl RateLimit {
    /// The rate limit the headers of a response carry.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap) -> RateLimit {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        RateLimit {
            limit: text("ratelimit-limit").and_then(parse_quota),
            remaining: text("ratelimit-remaining").and_then(parse_quota),
            source: text("docker-ratelimit-source")
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= MAX_SOURCE_LEN)
                .map(str::to_string),
        }
    }

    /// Whether the registry said nothing about its rate limit.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.source.is_none()
    }
}

/// Parses `COUNT[;w=SECONDS][;other=...]`, the first element of a list.
fn parse_quota(value: &str) -> Option<RateQuota> {
    let first = value.split(',').next()?;
    let mut parts = first.split(';').map(str::trim);
    let count = parse_number(parts.next()?)?;
    let mut window = None;
    for param in parts {
        if let Some((name, v)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("w")
        {
            window = Some(Duration::from_secs(parse_number(v.trim())?));
        }
    }
    Some(RateQuota { count, window })
}

/// A decimal count: digits only (no sign, no fraction).
fn parse_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn docker_hub_headers() {
        let limit = RateLimit::from_headers(&headers(&[
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "76;w=21600"),
            ("docker-ratelimit-source", "192.0.2.7"),
        ]));
        let window = Some(Duration::from_secs(21600));
        assert_eq!(limit.limit, Some(RateQuota { count: 100, window }));
        assert_eq!(limit.remaining, Some(RateQuota { count: 76, window }));
        assert_eq!(limit.source.as_deref(), Some("192.0.2.7"));
        assert!(!limit.is_unknown());
    }

    #[test]
    fn absent_headers_are_unknown_not_zero() {
        let limit = RateLimit::from_headers(&HeaderMap::new());
        assert_eq!(limit, RateLimit::default());
        assert!(limit.is_unknown());
    }

    #[test]
    fn lists_params_and_garbage() {
        assert_eq!(
            parse_quota("10, 10;w=1, 50;w=60"),
            Some(RateQuota {
                count: 10,
                window: None
            })
        );
        assert_eq!(
            parse_quota(" 5 ; comment=x ; W=30"),
            Some(RateQuota {
                count: 5,
                window: Some(Duration::from_secs(30))
            })
        );
        assert_eq!(parse_quota("0;w=60").map(|q| q.count), Some(0));
        for bad in ["", "-1", "1.5", "abc", "5;w=x", "99999999999999999999999"] {
            assert_eq!(parse_quota(bad), None, "{bad:?}");
        }
        let long = "x".repeat(MAX_SOURCE_LEN + 1);
        let mut map = HeaderMap::new();
        map.insert(
            "docker-ratelimit-source",
            HeaderValue::from_str(&long).unwrap(),
        );
        assert_eq!(RateLimit::from_headers(&map).source, None);
    }
}
