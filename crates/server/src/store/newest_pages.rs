//! A read cache of each author's newest courses, the page the list answers by default.
//!
//! The list is the hot read, and sled's iterator costs about 0.3 µs a course; the page rarely
//! changes between reads. Every course write for an author invalidates that author's page. A
//! fill may only land if no write invalidated anything while its read ran: fills and
//! invalidations take one short lock and compare a write counter, so a page read before a
//! write can never be cached after it.

use std::sync::{Arc, Mutex};

use super::CourseJson;

/// How many newest courses a cached page holds: the largest page (100) plus one, which tells
/// the list whether there is a next page.
pub const DEPTH: usize = 101;

/// Upper bound on the bytes of course JSON held; pages of very large courses are not cached.
const CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

pub type Page = Arc<[CourseJson]>;

#[derive(Clone)]
struct PageBytes;

impl quick_cache::Weighter<u64, Page> for PageBytes {
    fn weight(&self, _author: &u64, page: &Page) -> u64 {
        page.iter().map(|course| course.json.len() as u64 + 64).sum::<u64>().max(1)
    }
}

pub struct NewestPages {
    pages: quick_cache::sync::Cache<u64, Page, PageBytes>,
    /// Course writes so far. Under the lock, so "check, then insert" and "count, then remove"
    /// cannot interleave.
    writes: Mutex<u64>,
}

/// Taken before reading the store; a fill with a stale ticket is dropped.
#[derive(Clone, Copy)]
pub struct FillTicket(u64);

impl NewestPages {
    pub fn new() -> Self {
        Self { pages: quick_cache::sync::Cache::with_weighter(1024, CAPACITY_BYTES, PageBytes), writes: Mutex::new(0) }
    }

    pub fn get(&self, author: u64) -> Option<Page> {
        self.pages.get(&author)
    }

    pub fn ticket(&self) -> FillTicket {
        FillTicket(*self.writes.lock().expect("the counter lock is never poisoned"))
    }

    /// Caches `page` (the author's newest courses, read after `ticket` was taken) unless a
    /// course was written since.
    pub fn fill(&self, author: u64, ticket: FillTicket, page: Page) {
        let writes = self.writes.lock().expect("the counter lock is never poisoned");
        if *writes == ticket.0 {
            self.pages.insert(author, page);
        }
    }

    /// Call after writing one of `author`'s courses, before acknowledging it.
    pub fn invalidate(&self, author: u64) {
        let mut writes = self.writes.lock().expect("the counter lock is never poisoned");
        *writes += 1;
        self.pages.remove(&author);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[u64]) -> Page {
        ids.iter().map(|&id| CourseJson { id, author: 1, json: format!("{{\"id\":{id}}}").into() }).collect()
    }

    #[test]
    fn a_page_read_before_a_write_is_never_cached_after_it() {
        let pages = NewestPages::new();
        let ticket = pages.ticket();
        // The read sees courses [2, 1]; meanwhile course 3 is written.
        pages.invalidate(1);
        pages.fill(1, ticket, page(&[2, 1]));
        assert!(pages.get(1).is_none(), "the stale page was cached");

        let ticket = pages.ticket();
        pages.fill(1, ticket, page(&[3, 2, 1]));
        assert_eq!(pages.get(1).unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), vec![3, 2, 1]);
        pages.invalidate(1);
        assert!(pages.get(1).is_none(), "a write leaves no page behind");
    }
}
