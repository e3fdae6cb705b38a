//! Per-subject async locks: within one client, updates of one subject's
//! referrers fallback index (or of its `.sig` manifest) run one at a time,
//! so concurrent pushes through one client never overwrite each other's
//! entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::Client;

/// The locks, by key (registry, repository and subject digest). An entry
/// lives while someone holds or waits for its lock; dead entries are
/// dropped whenever a lock is taken, so the map stays as small as the
/// number of subjects being updated at once.
#[derive(Default)]
pub(crate) struct SubjectLocks {
    locks: Mutex<HashMap<String, Weak<AsyncMutex<()>>>>,
}

impl SubjectLocks {
    /// Waits for the lock of `key` and returns its guard; the lock is
    /// released when the guard drops.
    pub(crate) async fn lock(&self, key: &str) -> OwnedMutexGuard<()> {
        let lock = {
            // A poisoned map only means another thread panicked while
            // holding it; the map itself is always consistent.
            let mut locks = self
                .locks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.retain(|_, weak| weak.strong_count() > 0);
            match locks.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(AsyncMutex::new(()));
                    locks.insert(key.to_string(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }

    /// How many keys have a live lock (for tests).
    #[cfg(test)]
    fn live(&self) -> usize {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.retain(|_, weak| weak.strong_count() > 0);
        locks.len()
    }
}

impl Client {
    /// Waits for the client's lock of `key` (a registry, repository and
    /// what is updated there), for read-modify-write updates outside
    /// `client/` such as appends to a `.sig` manifest.
    pub(crate) async fn lock_key(&self, key: &str) -> OwnedMutexGuard<()> {
        self.subject_locks.lock(key).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_key_is_serialized_and_cleaned_up() {
        let locks = Arc::new(SubjectLocks::default());
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (locks, inside, most) = (locks.clone(), inside.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let _guard = locks.lock("a").await;
                let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(locks.live(), 0, "unused locks are dropped");
    }

    #[tokio::test]
    async fn different_keys_do_not_wait_for_each_other() {
        let locks = SubjectLocks::default();
        let _a = locks.lock("a").await;
        let b = tokio::time::timeout(Duration::from_secs(5), locks.lock("b")).await;
        assert!(b.is_ok(), "key b must not wait for key a");
        assert_eq!(locks.live(), 2);
    }
}
