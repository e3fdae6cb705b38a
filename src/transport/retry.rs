//! When and how long to wait before retrying a request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;

/// The first backoff step.
const BASE_DELAY: Duration = Duration::from_millis(200);
/// The longest backoff step.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// Whether a response status is worth retrying: 429, 502, 503, 504.
pub fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// The delay before retry number `attempt` (0-based): exponential, capped,
/// with "equal jitter" (half fixed, half random) so that many clients
/// retrying at once spread out.
pub fn backoff(attempt: u32) -> Duration {
    let exp = BASE_DELAY.saturating_mul(1u32 << attempt.min(16));
    let step = exp.min(MAX_DELAY);
    let half = step / 2;
    half + half.mul_f64(jitter())
}

/// Sleeps for [`backoff`]`(attempt)`.
pub async fn sleep_backoff(attempt: u32) {
    tokio::time::sleep(backoff(attempt)).await;
}

/// A number in [0, 1) from a small xorshift seeded by the clock; good
/// enough to de-synchronize retries, not for anything secret.
fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut x = STATE.fetch_add(seed | 1, Ordering::Relaxed) ^ seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 0..40 {
            let d = backoff(attempt);
            let step = BASE_DELAY
                .saturating_mul(1u32 << attempt.min(16))
                .min(MAX_DELAY);
            assert!(d >= step / 2 && d <= step, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(s).unwrap()));
        }
        for s in [400, 401, 404, 500, 501] {
            assert!(!is_retryable(StatusCode::from_u16(s).unwrap()));
        }
    }
}
