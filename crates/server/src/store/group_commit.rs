//! Group commit: concurrent writers share flushes instead of queueing one each.
//!
//! A writer takes a ticket after its write and waits until a flush that *started* after the
//! ticket was taken has finished. At most one flush runs at a time; every writer that arrives
//! while it runs is covered by the next one, so N concurrent writes cost about two flushes,
//! not N. The flush runs in a task of its own, so a writer whose request is cancelled never
//! leaves the others waiting.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

use tokio::sync::watch;

type FlushFn = dyn Fn() -> Result<(), String> + Send + Sync;

#[derive(Clone)]
struct Flushed {
    /// Every ticket up to this one is covered by the flush that reported `result`.
    covered: u64,
    result: Result<(), Arc<str>>,
}

pub struct GroupCommit {
    inner: Arc<Inner>,
}

struct Inner {
    flush: Box<FlushFn>,
    tickets: AtomicU64,
    flushing: AtomicBool,
    /// Shared apart from the rest, so a flush can report after letting go of `flush`.
    flushed: Arc<watch::Sender<Flushed>>,
}

impl GroupCommit {
    /// `flush` makes every write that completed before it was called durable (blocking; it
    /// runs on tokio's blocking pool).
    pub fn new(flush: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> Self {
        let (flushed, _) = watch::channel(Flushed { covered: 0, result: Ok(()) });
        Self {
            inner: Arc::new(Inner {
                flush: Box::new(flush),
                tickets: AtomicU64::new(0),
                flushing: AtomicBool::new(false),
                flushed: Arc::new(flushed),
            }),
        }
    }

    /// Returns once every write the caller completed before calling this is durable.
    pub async fn durable(&self) -> Result<(), String> {
        let ticket = self.inner.tickets.fetch_add(1, SeqCst) + 1;
        let mut flushed = self.inner.flushed.subscribe();
        loop {
            let state = flushed.borrow_and_update().clone();
            if state.covered >= ticket {
                return state.result.map_err(|err| err.to_string());
            }
            if self.inner.flushing.compare_exchange(false, true, SeqCst, SeqCst).is_ok() {
                tokio::spawn(Inner::flush_once(self.inner.clone()));
            }
            // Whoever holds `flushing` publishes after releasing it, so this always wakes.
            flushed.changed().await.map_err(|_| "the flusher is gone".to_owned())?;
        }
    }
}

impl Inner {
    async fn flush_once(self: Arc<Self>) {
        // Read before the flush starts: every ticket up to here belongs to a finished write.
        let covered = self.tickets.load(SeqCst);
        let this = self.clone();
        let result = match tokio::task::spawn_blocking(move || (this.flush)()).await {
            Ok(result) => result.map_err(Arc::from),
            Err(err) => Err(Arc::from(err.to_string())),
        };
        self.flushing.store(false, SeqCst);
        // Let go of `flush` (which holds the database) before waking anyone: a writer woken
        // here may be the last user of the store, and a store being dropped must release its
        // files by the time its owner is done with it (a restart opens them again at once).
        let flushed = self.flushed.clone();
        drop(self);
        flushed.send_replace(Flushed { covered, result });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// A flush that records how many writes had finished when it started, and takes a while.
    fn recording_flush(
        writes: Arc<AtomicU64>,
        flushes: Arc<AtomicUsize>,
        log: Arc<std::sync::Mutex<Vec<(u64, u64)>>>,
    ) -> impl Fn() -> Result<(), String> {
        move || {
            let seen_at_start = writes.load(SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            flushes.fetch_add(1, SeqCst);
            log.lock().unwrap().push((seen_at_start, writes.load(SeqCst)));
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_flushes_and_each_waits_for_one_that_saw_its_write() {
        let writes = Arc::new(AtomicU64::new(0));
        let flushes = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let commit = Arc::new(GroupCommit::new(recording_flush(writes.clone(), flushes.clone(), log.clone())));
        let writers: Vec<_> = (0..200)
            .map(|_| {
                let (commit, writes, log) = (commit.clone(), writes.clone(), log.clone());
                tokio::spawn(async move {
                    let my_write = writes.fetch_add(1, SeqCst) + 1;
                    commit.durable().await.unwrap();
                    // Some finished flush must have started after this write completed.
                    assert!(
                        log.lock().unwrap().iter().any(|&(seen, _)| seen >= my_write),
                        "write {my_write} acknowledged before a flush saw it"
                    );
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let flushes = flushes.load(SeqCst);
        assert!((1..50).contains(&flushes), "200 concurrent writers took {flushes} flushes");
    }

    #[tokio::test]
    async fn a_failed_flush_fails_its_writers_and_the_next_one_recovers() {
        let fail = Arc::new(AtomicBool::new(true));
        let commit = GroupCommit::new({
            let fail = fail.clone();
            move || if fail.load(SeqCst) { Err("disk full".into()) } else { Ok(()) }
        });
        assert_eq!(commit.durable().await, Err("disk full".into()));
        fail.store(false, SeqCst);
        assert_eq!(commit.durable().await, Ok(()));
    }

    /// The writer that started a flush is cancelled while the flush runs: the flush still
    /// finishes, and a writer that came after it is not stranded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_writer_does_not_strand_the_others() {
        let (started, finished, open) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let commit = Arc::new(GroupCommit::new({
            let (started, finished, open) = (started.clone(), finished.clone(), open.clone());
            move || {
                started.fetch_add(1, SeqCst);
                while !open.load(SeqCst) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                finished.fetch_add(1, SeqCst);
                Ok(())
            }
        }));
        let first = tokio::spawn({
            let commit = commit.clone();
            async move { commit.durable().await }
        });
        tokio::time::timeout(Duration::from_secs(5), async {
            while started.load(SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("the first writer starts a flush");
        first.abort();
        let cancelled = first.await.expect_err("the first writer was waiting on its flush");
        assert!(cancelled.is_cancelled(), "{cancelled}");
        assert_eq!(finished.load(SeqCst), 0, "cancelled while its flush ran");

        let second = tokio::spawn({
            let commit = commit.clone();
            async move { commit.durable().await }
        });
        open.store(true, SeqCst);
        let second = tokio::time::timeout(Duration::from_secs(5), second).await.expect("the second writer was stranded");
        assert_eq!(second.unwrap(), Ok(()));
        // The cancelled writer's flush ran to its end, and the second writer, whose write came
        // after that flush began, waited for one more.
        assert_eq!((started.load(SeqCst), finished.load(SeqCst)), (2, 2));
    }

    /// What the flush holds (the database) is let go before any writer is woken: once the
    /// last writer drops the group commit, nothing of it is left (a restart reopens the files
    /// at once). The race it guards against is short, so this tries it many times.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_flush_lets_go_of_what_it_holds_before_writers_wake() {
        for round in 0..2_000 {
            let database = Arc::new(());
            let held = database.clone();
            let commit = GroupCommit::new(move || {
                let _still_open = &held;
                Ok(())
            });
            commit.durable().await.unwrap();
            drop(commit);
            assert_eq!(Arc::strong_count(&database), 1, "round {round}: the flush task still held the database");
        }
    }
}
