//! Slows down password guessing: after `max_failures` failed logins for one email within
//! `window`, further attempts for that email are refused until the oldest failure ages out.
//!
//! Kept in memory per process: it is a brake on guessing, not an account lock, so a restart
//! forgetting it is harmless, and the real user is never locked out for longer than `window`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// Past this many tracked emails, entries whose failures have all aged out are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub struct LoginThrottle {
    max_failures: usize,
    window: SignedDuration,
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl LoginThrottle {
    pub fn new(max_failures: usize, window: SignedDuration) -> Self {
        Self { max_failures, window, failures: Mutex::new(HashMap::new()) }
    }

    /// `Some(seconds to wait)` when `email_key` is throttled at `now`.
    pub fn retry_after(&self, email_key: &str, now: Timestamp) -> Option<u64> {
        let mut failures = self.failures.lock().unwrap();
        let recent = failures.get_mut(email_key)?;
        self.forget_old(recent, now);
        if recent.len() < self.max_failures {
            return None;
        }
        let oldest = *recent.front()?;
        let free_at = oldest + self.window;
        Some((free_at.as_second() - now.as_second()).max(1) as u64)
    }

    pub fn record_failure(&self, email_key: &str, now: Timestamp) {
        let mut failures = self.failures.lock().unwrap();
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, times| times.back().is_some_and(|last| *last + self.window > now));
        }
        let recent = failures.entry(email_key.to_owned()).or_default();
        self.forget_old(recent, now);
        recent.push_back(now);
        while recent.len() > self.max_failures {
            recent.pop_front();
        }
    }

    pub fn clear(&self, email_key: &str) {
        self.failures.lock().unwrap().remove(email_key);
    }

    fn forget_old(&self, times: &mut VecDeque<Timestamp>, now: Timestamp) {
        while times.front().is_some_and(|t| *t + self.window <= now) {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_frees_after_the_window() {
        let throttle = LoginThrottle::new(3, SignedDuration::from_mins(15));
        let t0: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        for i in 0..3 {
            assert_eq!(throttle.retry_after("a@b.c", t0), None, "attempt {i}");
            throttle.record_failure("a@b.c", t0);
        }
        assert_eq!(throttle.retry_after("a@b.c", t0), Some(900));
        assert_eq!(throttle.retry_after("other@b.c", t0), None);
        assert_eq!(throttle.retry_after("a@b.c", t0 + SignedDuration::from_mins(15)), None);
    }
}
