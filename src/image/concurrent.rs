//! Running independent transfers at once, on the runtime's worker threads.

use std::future::Future;

use tokio::task::JoinSet;

use crate::cancel::CancelToken;
use crate::error::{Error, ErrorKind, Result};

/// Runs `job(item)` for every item, at most `limit` at a time, each as its
/// own task. The first failure, or `cancel`, stops the rest and waits for
/// them to wind down (so their temporary files are gone) before returning.
pub(crate) async fn run_all<T, F, Fut>(
    items: Vec<T>,
    limit: usize,
    cancel: Option<&CancelToken>,
    job: F,
) -> Result<()>
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut pending = items.into_iter();
    let limit = limit.max(1);
    loop {
        while set.len() < limit {
            match pending.next() {
                Some(item) => {
                    set.spawn(job(item));
                }
                None => break,
            }
        }
        let next = async {
            match cancel {
                Some(token) => tokio::select! {
                    joined = set.join_next() => Some(joined),
                    () = token.cancelled() => None,
                },
                None => Some(set.join_next().await),
            }
        };
        let failure = match next.await {
            None => CancelToken::error(),
            Some(None) => return Ok(()),
            Some(Some(Ok(Ok(())))) => continue,
            Some(Some(Ok(Err(e)))) => e,
            Some(Some(Err(join))) => Error::new(
                ErrorKind::Internal,
                format!("a transfer task failed: {join}"),
            ),
        };
        set.shutdown().await;
        return Err(failure);
    }
}
