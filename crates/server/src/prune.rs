//! When an in-memory map of per-client records (the share pages' rate limit, sled's failed
//! logins) drops the records that no longer count.
//!
//! Pruning scans the whole map. Done whenever the map is over a fixed size, a flood of clients
//! that are all still live would make every request scan a map it cannot shrink; so the next
//! prune waits until the map has doubled since the last one kept what it kept, which costs each
//! request O(1) amortised however many clients there are.

use std::sync::atomic::{AtomicUsize, Ordering};

/// No pruning below this many tracked keys.
const PRUNE_ABOVE: usize = 10_000;

pub struct PruneSchedule {
    due_above: AtomicUsize,
}

impl Default for PruneSchedule {
    fn default() -> Self {
        Self { due_above: AtomicUsize::new(PRUNE_ABOVE) }
    }
}

impl PruneSchedule {
    /// Calls `prune` (which returns how many keys it kept) when a map of `tracked` keys is
    /// due for it.
    pub fn maybe_prune(&self, tracked: usize, prune: impl FnOnce() -> usize) {
        if tracked > self.due_above.load(Ordering::Relaxed) {
            let kept = prune();
            self.due_above.store(PRUNE_ABOVE.max(kept.saturating_mul(2)), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_keys_push_the_next_prune_to_twice_what_was_kept() {
        let schedule = PruneSchedule::default();
        let prunes = std::cell::Cell::new(0);
        let prunes = &prunes;
        let prune_keeping = |kept: usize| {
            move || {
                prunes.set(prunes.get() + 1);
                kept
            }
        };
        schedule.maybe_prune(PRUNE_ABOVE, prune_keeping(0));
        assert_eq!(prunes.get(), 0, "not over the floor");
        schedule.maybe_prune(PRUNE_ABOVE + 1, prune_keeping(PRUNE_ABOVE + 1));
        assert_eq!(prunes.get(), 1);
        // Every key was live: no scan again until the map has doubled.
        schedule.maybe_prune(PRUNE_ABOVE + 2, prune_keeping(0));
        schedule.maybe_prune(2 * (PRUNE_ABOVE + 1), prune_keeping(0));
        assert_eq!(prunes.get(), 1);
        schedule.maybe_prune(2 * (PRUNE_ABOVE + 1) + 1, prune_keeping(5));
        assert_eq!(prunes.get(), 2);
        // That prune left 5: the floor again.
        schedule.maybe_prune(PRUNE_ABOVE + 1, prune_keeping(0));
        assert_eq!(prunes.get(), 3);
    }
}
