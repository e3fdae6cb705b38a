//! Diagnostics, handed to a sink the host sets; nothing is printed by
//! default.
//!
//! There is one sink per process ([`set_log_sink`]), like libcurl's debug
//! function and rustls-ffi's log callback. ocireg does not use the `log`
//! facade: its logger can be set only once per process and belongs to the
//! host program, which a library must not take over; and C, Go and Python
//! hosts need a callback they can set, replace and clear at any time.
//!
//! Messages never carry credentials: no header is ever logged, URLs lose
//! their userinfo and the values of query parameters that sign or
//! authorize a request (see [`redact_url`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// How much a message matters; a sink set for one level gets the messages
/// of that level and of the levels above it.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// A failure inside ocireg that the call could not report otherwise
    /// (a panic caught at the C boundary).
    Error = 1,
    /// Something a caller may want to look at.
    Warn = 2,
    /// Milestones of an operation.
    Info = 3,
    /// One line per HTTP request: method, URL, status, elapsed time, retry.
    Debug = 4,
}

impl LogLevel {
    /// The lower-case name: `error`, `warn`, `info` or `debug`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// A function that receives log messages. It may be called from any
/// thread, ocireg's own included, and from several at once.
pub type LogSink = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// The sink and its level.
static SINK: RwLock<Option<(LogLevel, LogSink)>> = RwLock::new(None);
/// The level of the sink, 0 when there is none: the cheap check made
/// before a message is even formatted.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

/// Sets the process-wide log sink: `sink` receives every message of
/// `level` or above, from any thread, until it is replaced. `None` turns
/// logging off (the default). Safe to call from any thread at any time,
/// from inside a sink too; a message being delivered while the sink is
/// replaced may still reach the old one.
pub fn set_log_sink(level: LogLevel, sink: Option<LogSink>) {
    let mut slot = SINK.write().unwrap_or_else(PoisonError::into_inner);
    let max = if sink.is_some() { level as u8 } else { 0 };
    *slot = sink.map(|s| (level, s));
    MAX_LEVEL.store(max, Ordering::Release);
}

/// Whether a message of `level` would reach a sink.
pub(crate) fn enabled(level: LogLevel) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Acquire)
}

/// Hands the message `make` builds to the sink, if one wants `level`
/// (`make` is not called otherwise).
pub(crate) fn log(level: LogLevel, make: impl FnOnce() -> String) {
    if !enabled(level) {
        return;
    }
    let sink = {
        let slot = SINK.read().unwrap_or_else(PoisonError::into_inner);
        match slot.as_ref() {
            Some((max, sink)) if level <= *max => Arc::clone(sink),
            _ => return,
        }
    };
    // Called without the lock held: the sink may set another sink.
    sink(level, &make());
}

thread_local! {
    /// Whether this thread is one of ocireg's own (a runtime worker).
    static LIBRARY_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the calling thread as one of ocireg's own, for its whole life.
pub(crate) fn mark_library_thread() {
    LIBRARY_THREAD.with(|t| t.set(true));
}

/// Whether the calling thread is one of ocireg's own.
pub(crate) fn is_library_thread() -> bool {
    LIBRARY_THREAD
        .try_with(std::cell::Cell::get)
        .unwrap_or(false)
}

/// Query parameters whose values sign or authorize a request (presigned
/// storage URLs, tokens passed in the query): their values are redacted.
const SECRET_PARAMS: [&str; 8] = [
    "signature",
    "sig",
    "token",
    "credential",
    "password",
    "secret",
    "key",
    "auth",
];

/// `url` as it may appear in a log line: without userinfo, and with the
/// values of query parameters whose names mention a signature, token,
/// credential, password, secret, key or auth replaced by `REDACTED` (the
/// query is kept as it was when it has none).
#[must_use]
pub fn redact_url(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let has_secret = url.query_pairs().any(|(k, _)| is_secret(&k));
    if has_secret {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let value = if is_secret(&k) {
                    "REDACTED".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Whether query parameter `name` carries a secret.
fn is_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_userinfo_and_signed_query_values() {
        let url = reqwest::Url::parse(
            "https://user:hunter2@s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=AKIA&n=10&last=b",
        )
        .unwrap();
        let shown = redact_url(&url);
        assert_eq!(
            shown,
            "https://s3.example/blob?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&n=10&last=b"
        );
        let plain =
            reqwest::Url::parse("http://127.0.0.1:5000/token?scope=repository:a/b:pull&n=5")
                .unwrap();
        assert_eq!(
            redact_url(&plain),
            "http://127.0.0.1:5000/token?scope=repository:a/b:pull&n=5"
        );
    }

    #[test]
    fn levels_order_from_error_to_debug() {
        assert!(LogLevel::Error < LogLevel::Warn);
        assert!(LogLevel::Info < LogLevel::Debug);
        assert_eq!(LogLevel::Debug.name(), "debug");
    }
}
