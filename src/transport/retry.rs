//! When and how long to wait before retrying a request.
//!
//! Every wait has random jitter, so that many transfers failing at once
//! (one registry hiccup under a concurrent pull) do not retry in lock-step:
//!
//! - without `Retry-After`, exponential backoff with "equal jitter": retry
//!   `n` waits between half and all of `min(200 ms * 2^n, 10 s)`;
//! - with `Retry-After: d`, the wait is `d` plus a random extra of up to a
//!   fifth of `d` (at least 100 ms, at most 5 s). It is never shorter than
//!   what the server asked for.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};

/// The first backoff step.
const BASE_DELAY: Duration = Duration::from_millis(200);
/// The longest backoff step.
const MAX_DELAY: Duration = Duration::from_secs(10);
/// The least spread of the extra wait added to a `Retry-After`.
const MIN_AFTER_SPREAD: Duration = Duration::from_millis(100);
/// The most extra wait added to a `Retry-After`.
const MAX_AFTER_SPREAD: Duration = Duration::from_secs(5);

/// Whether a response status is worth retrying, as go-containerregistry's
/// retry transport does, but only where repeating the request is safe:
///
/// - 429 for every method: the server refused the request without acting
///   on it;
/// - 500, 502, 503 and 504 for GET and HEAD, which change nothing (a proxy
///   in front of a restarting registry, and distribution's transient 500
///   on blob HEADs when concurrent pushes race on its storage), and for
///   another method only when `repeatable` (the protocol makes sending it
///   twice harmless). A POST, PATCH or PUT of an upload may have been acted
///   on before the error: its caller recovers from the upload's state.
pub fn is_retryable(method: &Method, status: StatusCode, repeatable: bool) -> bool {
    match status.as_u16() {
        429 => true,
        500 | 502 | 503 | 504 => repeatable || *method == Method::GET || *method == Method::HEAD,
        _ => false,
    }
}

/// The wait before retry number `attempt` (0-based): the server's
/// `retry_after` with jitter added when it sent one, [`backoff`] otherwise.
pub fn delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(d) => after_retry_after(d),
        None => backoff(attempt),
    }
}

/// The delay before retry number `attempt` (0-based): exponential, capped,
/// with "equal jitter" (half fixed, half random) so that many clients
/// retrying at once spread out.
pub fn backoff(attempt: u32) -> Duration {
    let step = backoff_step(attempt);
    let half = step / 2;
    half + half.mul_f64(jitter())
}

/// The uncapped-jitter step of retry `attempt`: `min(200 ms * 2^n, 10 s)`.
fn backoff_step(attempt: u32) -> Duration {
    BASE_DELAY
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_DELAY)
}

/// A server's `Retry-After` plus a random extra in `[0, spread)`, the
/// spread being a fifth of the delay, at least 100 ms and at most 5 s.
pub fn after_retry_after(retry_after: Duration) -> Duration {
    retry_after + after_spread(retry_after).mul_f64(jitter())
}

/// The spread of the extra wait after `retry_after`.
fn after_spread(retry_after: Duration) -> Duration {
    (retry_after / 5).clamp(MIN_AFTER_SPREAD, MAX_AFTER_SPREAD)
}

/// Sleeps for [`backoff`]`(attempt)`.
pub async fn sleep_backoff(attempt: u32) {
    tokio::time::sleep(backoff(attempt)).await;
}

/// A number in [0, 1): `SipHash`, keyed by std's per-thread random keys
/// (`RandomState`, seeded from the OS and advanced on every use), of a
/// process-wide counter and the clock. Different calls, threads and
/// processes get unrelated values; good enough to de-synchronize retries,
/// not for anything secret.
pub(crate) fn jitter() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let x = RandomState::new().hash_one((n, nanos));
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 0..40 {
            let d = backoff(attempt);
            let step = backoff_step(attempt);
            assert!(d >= step / 2 && d <= step, "attempt {attempt}: {d:?}");
        }
        assert_eq!(backoff_step(0), Duration::from_millis(200));
        assert_eq!(backoff_step(3), Duration::from_millis(1600));
        assert_eq!(backoff_step(40), MAX_DELAY);
    }

    #[test]
    fn backoff_delays_vary() {
        for attempt in [0, 3, 10] {
            let delays: HashSet<Duration> = (0..200).map(|_| backoff(attempt)).collect();
            assert!(
                delays.len() > 150,
                "attempt {attempt}: only {} distinct delays in 200",
                delays.len()
            );
            let step = backoff_step(attempt);
            // Spread over the whole band, not bunched at one end.
            assert!(delays.iter().any(|d| *d < step / 2 + step / 8));
            assert!(delays.iter().any(|d| *d > step - step / 8));
        }
    }

    #[test]
    fn retry_after_is_never_shortened_and_stays_bounded() {
        for secs in [0, 1, 2, 10, 60, 3600] {
            let asked = Duration::from_secs(secs);
            let spread = after_spread(asked);
            assert!(spread >= MIN_AFTER_SPREAD && spread <= MAX_AFTER_SPREAD);
            let delays: HashSet<Duration> = (0..200).map(|_| delay(0, Some(asked))).collect();
            assert!(delays.len() > 150, "Retry-After {secs}: too few distinct");
            for d in &delays {
                assert!(*d >= asked, "Retry-After {secs}: waited only {d:?}");
                assert!(*d < asked + spread, "Retry-After {secs}: {d:?}");
            }
        }
        assert_eq!(after_spread(Duration::ZERO), Duration::from_millis(100));
        assert_eq!(
            after_spread(Duration::from_secs(10)),
            Duration::from_secs(2)
        );
        assert_eq!(after_spread(Duration::from_secs(3600)), MAX_AFTER_SPREAD);
        // Without Retry-After, the exponential backoff.
        let d = delay(2, None);
        assert!(d >= Duration::from_millis(400) && d <= Duration::from_millis(800));
    }

    #[test]
    fn jitter_is_in_the_unit_interval() {
        for _ in 0..10_000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn retryable_statuses() {
        let status = |s| StatusCode::from_u16(s).unwrap();
        let writes = [Method::POST, Method::PATCH, Method::PUT, Method::DELETE];
        for m in [Method::GET, Method::HEAD].iter().chain(&writes) {
            for repeatable in [false, true] {
                assert!(is_retryable(m, status(429), repeatable), "{m} 429");
                for s in [400, 401, 404, 409, 416, 501] {
                    assert!(!is_retryable(m, status(s), repeatable), "{m} {s}");
                }
            }
        }
        for s in [500, 502, 503, 504] {
            for m in [Method::GET, Method::HEAD] {
                assert!(is_retryable(&m, status(s), false), "{m} {s}");
            }
            for m in &writes {
                assert!(!is_retryable(m, status(s), false), "{m} {s}");
                assert!(is_retryable(m, status(s), true), "repeatable {m} {s}");
            }
        }
    }
}
