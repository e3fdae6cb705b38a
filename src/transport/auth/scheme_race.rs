//! The scheme of an insecure registry found in one round trip (issue 16).
//!
//! An insecure registry may speak TLS or plain HTTP. Trying https first
//! and plain HTTP only once TLS has failed costs a whole round trip on a
//! plain-HTTP registry (the `ClientHello` goes out and a `400` or a reset
//! comes back): 150 ms over a 75 ms link, half of a `tags` call. So a first
//! contact that only reads (GET or HEAD, sent without credentials) goes out
//! over both schemes at once, and https wins whenever it works: plain
//! HTTP's answer is used only once https has failed to connect or to speak
//! TLS. The request the plain-HTTP copy reveals (its path) goes nowhere the
//! caller did not allow: the registry is one they marked insecure, which
//! already lets every request go over plain HTTP.

use std::future::Future;
use std::pin::pin;

use reqwest::Url;

use crate::error::Result;
use crate::transport::is_transport_failure;

/// Runs `https` and `http` (the same request over each scheme) at once and
/// returns https's outcome unless it is a transport failure, else plain
/// HTTP's. Plain HTTP's request is dropped (its connection closed) as soon
/// as https has answered.
pub(super) async fn prefer_https<S, P>(https: S, http: P) -> Result<(Url, reqwest::Response)>
where
    S: Future<Output = Result<(Url, reqwest::Response)>>,
    P: Future<Output = Result<(Url, reqwest::Response)>>,
{
    let mut https = pin!(https);
    let mut http = pin!(http);
    let mut plain = None;
    let secure = loop {
        tokio::select! {
            biased;
            outcome = &mut https => break outcome,
            outcome = &mut http, if plain.is_none() => plain = Some(outcome),
        }
    };
    match secure {
        Err(e) if is_transport_failure(&e) => match plain {
            Some(outcome) => outcome,
            None => http.await,
        },
        other => other,
    }
}
