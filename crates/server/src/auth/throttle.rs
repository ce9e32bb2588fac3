//! Slows down password guessing: after `max_failures` failed logins for one email within
//! `window`, further attempts for that email are refused until the oldest of those failures
//! ages out.
//!
//! The failures are the store's ([`Store::login_failures`]): with sled, one process's memory;
//! with PostgreSQL, a table every replica writes, so guesses spread over replicas behind a
//! load balancer count together. The rule itself is here, once. It is a brake on guessing,
//! not an account lock: the real user is never locked out for longer than `window`.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::store::{Store, StoreResult};

pub struct LoginThrottle {
    store: Arc<dyn Store>,
    max_failures: usize,
    window: SignedDuration,
}

impl LoginThrottle {
    pub fn new(store: Arc<dyn Store>, max_failures: usize, window: SignedDuration) -> Self {
        Self { store, max_failures: max_failures.max(1), window }
    }

    /// `Some(seconds to wait)` when `email_key` is throttled at `now`.
    pub async fn retry_after(&self, email_key: &str, now: Timestamp) -> StoreResult<Option<u64>> {
        let recent = self.store.login_failures(email_key, now - self.window).await?;
        if recent.len() < self.max_failures {
            return Ok(None);
        }
        // Free once all but `max_failures - 1` of them have aged out.
        let free_at = recent[recent.len() - self.max_failures] + self.window;
        Ok(Some((free_at.as_second() - now.as_second()).max(1) as u64))
    }

    pub async fn record_failure(&self, email_key: &str, now: Timestamp) -> StoreResult<()> {
        self.store.record_login_failure(email_key, now, now - self.window).await
    }

    pub async fn clear(&self, email_key: &str) -> StoreResult<()> {
        self.store.clear_login_failures(email_key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    #[tokio::test]
    async fn blocks_after_max_failures_and_frees_after_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
        let throttle = LoginThrottle::new(store, 3, SignedDuration::from_mins(15));
        let t0: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        for i in 0..3 {
            assert_eq!(throttle.retry_after("a@b.c", t0).await.unwrap(), None, "attempt {i}");
            throttle.record_failure("a@b.c", t0 + SignedDuration::from_secs(i)).await.unwrap();
        }
        assert_eq!(throttle.retry_after("a@b.c", t0).await.unwrap(), Some(900));
        assert_eq!(throttle.retry_after("other@b.c", t0).await.unwrap(), None);
        assert_eq!(throttle.retry_after("a@b.c", t0 + SignedDuration::from_mins(15)).await.unwrap(), None);
        throttle.clear("a@b.c").await.unwrap();
        assert_eq!(throttle.retry_after("a@b.c", t0 + SignedDuration::from_secs(3)).await.unwrap(), None);
    }
}
