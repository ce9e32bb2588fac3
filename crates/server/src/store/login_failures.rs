//! The sled store's record of failed logins: in memory, since a sled store is open in one
//! process only and that process is the only one counting. A restart forgetting it is
//! harmless: the throttle is a brake on guessing, not an account lock. (PostgreSQL keeps the
//! same record in a table, so every replica counts every failure.)

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use jiff::Timestamp;

use crate::prune::PruneSchedule;

/// Emails whose failures have all aged out are dropped when [`PruneSchedule`] says so.
#[derive(Default)]
pub(super) struct FailureLog {
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
    pruning: PruneSchedule,
}

impl FailureLog {
    pub(super) fn since(&self, email_key: &str, since: Timestamp) -> Vec<Timestamp> {
        let failures = self.failures.lock().expect("the failure log's lock is never poisoned");
        failures.get(email_key).map(|times| times.iter().copied().filter(|t| *t > since).collect()).unwrap_or_default()
    }

    pub(super) fn record(&self, email_key: &str, at: Timestamp, forget_before: Timestamp) {
        let mut failures = self.failures.lock().expect("the failure log's lock is never poisoned");
        self.pruning.maybe_prune(failures.len(), || {
            failures.retain(|_, times| times.back().is_some_and(|last| *last > forget_before));
            failures.len()
        });
        let times = failures.entry(email_key.to_owned()).or_default();
        while times.front().is_some_and(|t| *t <= forget_before) {
            times.pop_front();
        }
        times.push_back(at);
    }

    pub(super) fn clear(&self, email_key: &str) {
        self.failures.lock().expect("the failure log's lock is never poisoned").remove(email_key);
    }
}
