//! The sled implementation of [`Store`].
//!
//! Layout (all integers big-endian, so byte order is numeric order):
//! - `users`: user id → `UserRecord` (JSON); `user_emails`: lower-cased email → user id;
//!   `user_nicknames`: lower-cased nickname → user id. The three change in one transaction.
//! - `sessions`: session id → `SessionRecord` (JSON). A revoked session is removed.
//! - `courses`: author id ++ course id → `Course` as its wire JSON (served without decoding),
//!   so a user's newest courses are one reverse range scan; `course_owners`: course id →
//!   author id, for lookups by id.
//! - `shares`: SHA-256 of a share token → `ShareRecord` (JSON); `course_shares`: course id →
//!   that hash, so a course has at most one link. Both change in one transaction with
//!   `course_owners` (the owner check), and deleting a course removes its link.
//! - `quota`: user id ++ Seoul day ("YYYY-MM-DD") → units spent and the holds of requests in
//!   flight with their deadlines (`quota_day.rs`). sled locks its directory, so no other
//!   process can be working under a hold: [`SledStore::open`] gives back every hold it finds
//!   (a crash left them), and a hold past its deadline counts for nothing before that.
//! - `ids`: `users` and `courses` → the last id of that kind handed out (u64). Each kind counts
//!   from 1 on a fresh store, as the service fyd replaces did; the counter moves in the same
//!   transaction as the record it numbers. A store from before these counters (ids drawn from
//!   sled's one generator for both kinds) starts both just above every id it ever gave out.
//!
//! An author's newest courses are also held in a read cache (`newest_pages.rs`), invalidated
//! by each of that author's course writes.
//!
//! Every write waits for a sled `flush` that started after it (on the blocking pool) before it
//! returns; concurrent writers share flushes through [`GroupCommit`].

use std::ops::Bound;
use std::path::Path;

use async_trait::async_trait;
use fyd_core::account::email_key;
use fyd_core::course::{Course, CourseContent};
use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{ConflictableTransactionError, ConflictableTransactionResult, TransactionError, Transactional, TransactionalTree};

use jiff::Timestamp;

use super::backend;
use super::group_commit::GroupCommit;
use super::login_failures::FailureLog;
use super::newest_pages::{self, NewestPages};
use super::quota_day::QuotaDay;
use super::{
    present_refresh, CourseJson, DeleteOutcome, KeptQuota, NewCourse, NewUser, QuotaHold, QuotaReservation, RefreshOutcome, SessionChange,
    SessionRecord, ShareOutcome, ShareRecord, ShareTokenHash, Store, StoreError, StoreResult, UserRecord,
};

pub struct SledStore {
    db: sled::Db,
    users: sled::Tree,
    user_emails: sled::Tree,
    user_nicknames: sled::Tree,
    sessions: sled::Tree,
    courses: sled::Tree,
    course_owners: sled::Tree,
    shares: sled::Tree,
    course_shares: sled::Tree,
    quota: sled::Tree,
    ids: sled::Tree,
    commits: GroupCommit,
    newest: NewestPages,
    login_failures: FailureLog,
}

impl SledStore {
    /// Opens (or creates) the store in `dir`, with a page cache of `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> StoreResult<Self> {
        let db = open_db(&sled::Config::new().path(dir).cache_capacity(cache_bytes))?;
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        let store = Self {
            users: tree("users")?,
            user_emails: tree("user_emails")?,
            user_nicknames: tree("user_nicknames")?,
            sessions: tree("sessions")?,
            courses: tree("courses")?,
            course_owners: tree("course_owners")?,
            shares: tree("shares")?,
            course_shares: tree("course_shares")?,
            quota: tree("quota")?,
            ids: tree("ids")?,
            newest: NewestPages::new(),
            login_failures: FailureLog::default(),
            commits: GroupCommit::new({
                let db = db.clone();
                move || db.flush().map(drop).map_err(|err| err.to_string())
            }),
            db,
        };
        store.start_id_counters()?;
        store.release_holds_left_open()?;
        Ok(store)
    }

    /// Gives back every quota hold in the store: it is open in this process alone, so each
    /// was taken by a process that ended (a crash, a kill) before its request finished.
    fn release_holds_left_open(&self) -> StoreResult<()> {
        let mut released = 0;
        for entry in self.quota.iter() {
            let (key, value) = entry.map_err(backend)?;
            let mut day = QuotaDay::decode(Some(&value))?;
            if day.has_holds() {
                day.release_all();
                self.quota.insert(key, day.encode()).map_err(backend)?;
                released += 1;
            }
        }
        if released > 0 {
            self.db.flush().map_err(backend)?;
            tracing::info!(user_days = released, "gave back the quota holds of requests a crash cut off");
        }
        Ok(())
    }

    /// A store written before the per-kind counters numbered users and courses from sled's
    /// one generator: both counters start above its current value, so no id is handed out
    /// twice. A fresh store needs nothing (an absent counter is 0).
    fn start_id_counters(&self) -> StoreResult<()> {
        let fresh = self.users.is_empty() && self.course_owners.is_empty();
        if fresh || !self.ids.is_empty() {
            return Ok(());
        }
        // Old ids were `generate_id() + 1`; the generator never goes back, even across restarts.
        let above_every_old_id = (self.db.generate_id().map_err(backend)? + 1).to_be_bytes();
        let mut batch = sled::Batch::default();
        batch.insert(USER_IDS, &above_every_old_id);
        batch.insert(COURSE_IDS, &above_every_old_id);
        self.ids.apply_batch(batch).map_err(backend)?;
        self.db.flush().map_err(backend)?;
        Ok(())
    }

    /// Bulk load for benchmarks and migrations: users (password hashes as given) and, per
    /// user, `courses_per_user` courses from `course`, in batches, flushed once at the end.
    /// Not for a running server: it skips the per-write flush and the uniqueness transaction.
    /// Its courses belong to new users only, so no cached newest page can go stale.
    pub fn import(&self, users: Vec<NewUser>, courses_per_user: usize, course: impl Fn(usize) -> CourseContent) -> StoreResult<()> {
        for chunk in users.chunks(1_000) {
            let mut user_ids = self.reserve_ids(USER_IDS, chunk.len())?;
            let mut course_ids = self.reserve_ids(COURSE_IDS, chunk.len() * courses_per_user)?;
            let (mut user_batch, mut email_batch, mut nickname_batch, mut course_batch, mut owner_batch) =
                (sled::Batch::default(), sled::Batch::default(), sled::Batch::default(), sled::Batch::default(), sled::Batch::default());
            for user in chunk {
                let record = UserRecord {
                    id: user_ids.next().expect("one id reserved per user"),
                    email: user.email.clone(),
                    nickname: user.nickname.clone(),
                    password_hash: user.password_hash.clone(),
                    created_at: user.created_at.clone(),
                };
                let id = record.id.to_be_bytes();
                email_batch.insert(email_key(&record.email).as_bytes(), &id);
                nickname_batch.insert(record.nickname.to_lowercase().as_bytes(), &id);
                user_batch.insert(&id, encode(&record));
                for i in 0..courses_per_user {
                    let course_id = course_ids.next().expect("one id reserved per course");
                    let course = Course { id: course_id, author: record.id, created_at: record.created_at.clone(), content: course(i) };
                    course_batch.insert(&course_key(record.id, course.id), encode(&course));
                    owner_batch.insert(&course.id.to_be_bytes(), &id);
                }
            }
            self.users.apply_batch(user_batch).map_err(backend)?;
            self.user_emails.apply_batch(email_batch).map_err(backend)?;
            self.user_nicknames.apply_batch(nickname_batch).map_err(backend)?;
            self.courses.apply_batch(course_batch).map_err(backend)?;
            self.course_owners.apply_batch(owner_batch).map_err(backend)?;
        }
        self.db.flush().map_err(backend)?;
        Ok(())
    }

    /// The author's courses, newest first, read from the tree.
    fn scan_courses(&self, author: u64, before: Option<u64>, limit: usize) -> StoreResult<Vec<CourseJson>> {
        let start = Bound::Included(course_key(author, 0));
        let end = match before {
            Some(before) => Bound::Excluded(course_key(author, before)),
            None => Bound::Included(course_key(author, u64::MAX)),
        };
        self.courses
            .range::<[u8; 16], _>((start, end))
            .rev()
            .take(limit)
            .map(|entry| {
                let (key, json) = entry.map_err(backend)?;
                Ok(CourseJson { id: read_u64(&key[8..])?, author, json: bytes::Bytes::from_owner(json) })
            })
            .collect()
    }

    /// `count` consecutive ids of one kind, for the bulk import (outside any transaction).
    fn reserve_ids(&self, kind: &[u8], count: usize) -> StoreResult<std::ops::RangeInclusive<u64>> {
        let count = count as u64;
        let last = self
            .ids
            .transaction(|ids| {
                let last = last_id(ids, kind)? + count;
                ids.insert(kind, &last.to_be_bytes())?;
                Ok(last)
            })
            .map_err(transaction_error)?;
        Ok(last + 1 - count..=last)
    }

    async fn durable(&self) -> StoreResult<()> {
        // Group commit over sled's blocking `flush`. Not `flush_async`: awaited concurrently
        // it can deadlock in sled 0.34 (sled#1308, fixed only on unreleased main).
        self.commits.durable().await.map_err(StoreError::Backend)
    }
}

/// What `fyd-server migrate` reads: every record as stored, in key order. The store must not
/// serve meanwhile (sled's directory lock sees to that across processes).
impl SledStore {
    /// Users, sessions, courses and share links stored.
    pub(super) fn counts(&self) -> [u64; 4] {
        [self.users.len(), self.sessions.len(), self.course_owners.len(), self.shares.len()].map(|n| n as u64)
    }

    pub(super) fn export_users(&self) -> impl Iterator<Item = StoreResult<UserRecord>> + '_ {
        self.users.iter().map(|entry| decode(&entry.map_err(backend)?.1))
    }

    pub(super) fn export_sessions(&self) -> impl Iterator<Item = StoreResult<SessionRecord>> + '_ {
        self.sessions.iter().map(|entry| decode(&entry.map_err(backend)?.1))
    }

    pub(super) fn export_courses(&self) -> impl Iterator<Item = StoreResult<CourseJson>> + '_ {
        self.courses.iter().map(|entry| {
            let (key, json) = entry.map_err(backend)?;
            Ok(CourseJson { author: read_u64(&key[..8])?, id: read_u64(&key[8..])?, json: bytes::Bytes::from_owner(json) })
        })
    }

    pub(super) fn export_shares(&self) -> impl Iterator<Item = StoreResult<(ShareTokenHash, ShareRecord)>> + '_ {
        self.shares.iter().map(|entry| {
            let (key, value) = entry.map_err(backend)?;
            let hash = ShareTokenHash::try_from(key.as_ref()).map_err(|_| StoreError::Corrupt("a share key is not 32 bytes".into()))?;
            Ok((hash, decode(&value)?))
        })
    }

    /// Every user's quota record for the Seoul day `day`.
    pub(super) fn export_quota_days(&self, day: &str) -> StoreResult<Vec<(u64, String, QuotaDay)>> {
        let mut days = Vec::new();
        for entry in self.quota.iter() {
            let (key, value) = entry.map_err(backend)?;
            if key.len() > 8 && &key[8..] == day.as_bytes() {
                days.push((read_u64(&key[..8])?, day.to_owned(), QuotaDay::decode(Some(&value))?));
            }
        }
        Ok(days)
    }

    /// The last user and course ids handed out (deleted ones included).
    pub(super) fn last_ids(&self) -> StoreResult<(u64, u64)> {
        let last = |kind: &[u8]| self.ids.get(kind).map_err(backend)?.map_or(Ok(0), |id| read_u64(&id));
        Ok((last(USER_IDS)?, last(COURSE_IDS)?))
    }
}

/// How long [`open_db`] waits for the directory lock of a store this process has just closed.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens the database, waiting a moment for its directory lock. sled finishes its last writes
/// in background threads of its own, which keep a store this process has just dropped locked
/// for a few milliseconds more: a restart, or a test reopening its directory, found it locked
/// in about 1 run in 20 of the store's tests (always free again within 10 ms). Another
/// process holding the lock is still refused, after the wait. sled 0.34.7 reports the lock as
/// an `Other` I/O error with this message (config.rs), hence the match on its text.
fn open_db(config: &sled::Config) -> StoreResult<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        match config.open() {
            Err(sled::Error::Io(err)) if err.to_string().starts_with("could not acquire lock") && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            opened => return opened.map_err(backend),
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialise to JSON")
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|err| StoreError::Corrupt(err.to_string()))
}

/// Keys of the `ids` tree.
const USER_IDS: &[u8] = b"users";
const COURSE_IDS: &[u8] = b"courses";

fn course_key(author: u64, id: u64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&author.to_be_bytes());
    key[8..].copy_from_slice(&id.to_be_bytes());
    key
}

fn quota_key(user: u64, day: &str) -> Vec<u8> {
    let mut key = user.to_be_bytes().to_vec();
    key.extend_from_slice(day.as_bytes());
    key
}

fn read_u64(bytes: &[u8]) -> StoreResult<u64> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| StoreError::Corrupt("id is not 8 bytes".into()))?;
    Ok(u64::from_be_bytes(array))
}

/// The next id of one kind (`USER_IDS`, `COURSE_IDS`), counted inside the transaction that
/// stores the record it numbers: an aborted transaction hands out nothing.
fn take_id(ids: &TransactionalTree, kind: &[u8]) -> ConflictableTransactionResult<u64, StoreError> {
    let id = last_id(ids, kind)? + 1;
    ids.insert(kind, &id.to_be_bytes())?;
    Ok(id)
}

/// Stores a new course of `author` with the next course id, inside a transaction.
fn insert_course(
    (courses, owners, ids): (&TransactionalTree, &TransactionalTree, &TransactionalTree),
    author: u64,
    created_at: &str,
    content: &CourseContent,
) -> ConflictableTransactionResult<Course, StoreError> {
    let course = Course { id: take_id(ids, COURSE_IDS)?, author, created_at: created_at.to_owned(), content: content.clone() };
    courses.insert(&course_key(author, course.id), encode(&course))?;
    owners.insert(&course.id.to_be_bytes(), &author.to_be_bytes())?;
    Ok(course)
}

/// One user's day of quota, read inside a transaction.
fn quota_day(quota: &TransactionalTree, key: &[u8]) -> ConflictableTransactionResult<QuotaDay, StoreError> {
    QuotaDay::decode(quota.get(key)?.as_deref()).map_err(ConflictableTransactionError::Abort)
}

/// The last id of one kind handed out; 0 before the first.
fn last_id(ids: &TransactionalTree, kind: &[u8]) -> ConflictableTransactionResult<u64, StoreError> {
    ids.get(kind)?.map_or(Ok(0), |last| read_u64(&last)).map_err(ConflictableTransactionError::Abort)
}

/// Whether course `id` exists and is `requester`'s, inside a transaction: `Done` (with
/// `had_link: false`, which callers ignore) when it is.
fn owner_check(owners: &TransactionalTree, id: u64, requester: u64) -> ConflictableTransactionResult<ShareOutcome, StoreError> {
    let Some(author) = owners.get(id.to_be_bytes())? else {
        return Ok(ShareOutcome::NotFound);
    };
    let author = read_u64(&author).map_err(ConflictableTransactionError::Abort)?;
    Ok(if author == requester { ShareOutcome::Done { had_link: false } } else { ShareOutcome::NotOwner })
}

/// Removes course `course`'s share link, if it has one; whether it had.
fn remove_share(
    shares: &TransactionalTree,
    course_shares: &TransactionalTree,
    course: u64,
) -> ConflictableTransactionResult<bool, StoreError> {
    let Some(hash) = course_shares.remove(&course.to_be_bytes())? else {
        return Ok(false);
    };
    shares.remove(hash)?;
    Ok(true)
}

fn transaction_error(err: TransactionError<StoreError>) -> StoreError {
    match err {
        TransactionError::Abort(err) => err,
        TransactionError::Storage(err) => backend(err),
    }
}

#[async_trait]
impl Store for SledStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let email = email_key(&user.email);
        let nickname = user.nickname.to_lowercase();
        let record = (&self.users, &self.user_emails, &self.user_nicknames, &self.ids)
            .transaction(|(users, emails, nicknames, ids)| {
                if emails.get(email.as_bytes())?.is_some() || nicknames.get(nickname.as_bytes())?.is_some() {
                    return Err(ConflictableTransactionError::Abort(StoreError::AlreadyRegistered));
                }
                let record = UserRecord {
                    id: take_id(ids, USER_IDS)?,
                    email: user.email.clone(),
                    nickname: user.nickname.clone(),
                    password_hash: user.password_hash.clone(),
                    created_at: user.created_at.clone(),
                };
                let id = record.id.to_be_bytes();
                emails.insert(email.as_bytes(), &id)?;
                nicknames.insert(nickname.as_bytes(), &id)?;
                users.insert(&id, encode(&record))?;
                Ok(record)
            })
            .map_err(transaction_error)?;
        self.durable().await?;
        Ok(record)
    }

    async fn user(&self, id: u64) -> StoreResult<Option<UserRecord>> {
        self.users.get(id.to_be_bytes()).map_err(backend)?.map(|v| decode(&v)).transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        match self.user_emails.get(email_key(email).as_bytes()).map_err(backend)? {
            Some(id) => self.user(read_u64(&id)?).await,
            None => Ok(None),
        }
    }

    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.sessions.insert(session.id.as_bytes(), encode(session)).map_err(backend)?;
        self.durable().await
    }

    async fn session(&self, id: &str) -> StoreResult<Option<SessionRecord>> {
        self.sessions.get(id.as_bytes()).map_err(backend)?.map(|v| decode(&v)).transpose()
    }

    async fn present_refresh(&self, session_id: &str, user_id: u64, generation: u32, rotate: bool) -> StoreResult<RefreshOutcome> {
        let key = session_id.as_bytes();
        let outcome = self
            .sessions
            .transaction(|sessions| {
                let stored = sessions.get(key)?.map(|raw| decode(&raw)).transpose().map_err(ConflictableTransactionError::Abort)?;
                let (outcome, change) = present_refresh(stored, user_id, generation, rotate);
                match change {
                    SessionChange::None => {}
                    SessionChange::Remove => {
                        sessions.remove(key)?;
                    }
                    SessionChange::Write(session) => {
                        sessions.insert(key, encode(&session))?;
                    }
                }
                Ok(outcome)
            })
            .map_err(transaction_error)?;
        if matches!(outcome, RefreshOutcome::Rotated(_) | RefreshOutcome::ReuseDetected) {
            self.durable().await?;
        }
        Ok(outcome)
    }

    async fn revoke_session(&self, id: &str) -> StoreResult<()> {
        self.sessions.remove(id.as_bytes()).map_err(backend)?;
        self.durable().await
    }

    async fn create_course(&self, author: u64, created_at: String, content: CourseContent) -> StoreResult<Course> {
        let course = (&self.courses, &self.course_owners, &self.ids)
            .transaction(|(courses, owners, ids)| insert_course((courses, owners, ids), author, &created_at, &content))
            .map_err(transaction_error)?;
        self.newest.invalidate(author);
        self.durable().await?;
        Ok(course)
    }

    async fn course(&self, id: u64) -> StoreResult<Option<CourseJson>> {
        let Some(author) = self.course_owners.get(id.to_be_bytes()).map_err(backend)? else {
            return Ok(None);
        };
        let author = read_u64(&author)?;
        let json = self.courses.get(course_key(author, id)).map_err(backend)?;
        Ok(json.map(|json| CourseJson { id, author, json: bytes::Bytes::from_owner(json) }))
    }

    async fn list_courses(&self, author: u64, before: Option<u64>, limit: usize) -> StoreResult<Vec<CourseJson>> {
        if before.is_some() || limit > newest_pages::DEPTH {
            return self.scan_courses(author, before, limit);
        }
        let page = match self.newest.get(author) {
            Some(page) => page,
            None => {
                let ticket = self.newest.ticket();
                let page: newest_pages::Page = self.scan_courses(author, None, newest_pages::DEPTH)?.into();
                self.newest.fill(author, ticket, page.clone());
                page
            }
        };
        Ok(page[..limit.min(page.len())].to_vec())
    }

    async fn delete_course(&self, id: u64, requester: u64) -> StoreResult<DeleteOutcome> {
        let id_key = id.to_be_bytes();
        let outcome = (&self.courses, &self.course_owners, &self.shares, &self.course_shares)
            .transaction(|(courses, owners, shares, course_shares)| {
                match owner_check(owners, id, requester)? {
                    ShareOutcome::NotFound => return Ok(DeleteOutcome::NotFound),
                    ShareOutcome::NotOwner => return Ok(DeleteOutcome::NotOwner),
                    ShareOutcome::Done { .. } => {}
                }
                owners.remove(&id_key)?;
                courses.remove(&course_key(requester, id))?;
                remove_share(shares, course_shares, id)?;
                Ok(DeleteOutcome::Deleted)
            })
            .map_err(transaction_error)?;
        if outcome == DeleteOutcome::Deleted {
            self.newest.invalidate(requester);
            self.durable().await?;
        }
        Ok(outcome)
    }

    async fn put_share(&self, token_hash: ShareTokenHash, share: ShareRecord, requester: u64) -> StoreResult<ShareOutcome> {
        let record = encode(&share);
        let outcome = (&self.course_owners, &self.shares, &self.course_shares)
            .transaction(|(owners, shares, course_shares)| {
                if let outcome @ (ShareOutcome::NotFound | ShareOutcome::NotOwner) = owner_check(owners, share.course, requester)? {
                    return Ok(outcome);
                }
                let had_link = remove_share(shares, course_shares, share.course)?;
                shares.insert(&token_hash, record.as_slice())?;
                course_shares.insert(&share.course.to_be_bytes(), &token_hash)?;
                Ok(ShareOutcome::Done { had_link })
            })
            .map_err(transaction_error)?;
        if let ShareOutcome::Done { .. } = outcome {
            self.durable().await?;
        }
        Ok(outcome)
    }

    async fn share(&self, token_hash: &ShareTokenHash) -> StoreResult<Option<ShareRecord>> {
        self.shares.get(token_hash).map_err(backend)?.map(|v| decode(&v)).transpose()
    }

    async fn revoke_share(&self, course: u64, requester: u64) -> StoreResult<ShareOutcome> {
        let outcome = (&self.course_owners, &self.shares, &self.course_shares)
            .transaction(|(owners, shares, course_shares)| {
                if let outcome @ (ShareOutcome::NotFound | ShareOutcome::NotOwner) = owner_check(owners, course, requester)? {
                    return Ok(outcome);
                }
                Ok(ShareOutcome::Done { had_link: remove_share(shares, course_shares, course)? })
            })
            .map_err(transaction_error)?;
        if let ShareOutcome::Done { had_link: true } = outcome {
            self.durable().await?;
        }
        Ok(outcome)
    }

    async fn reserve_quota(&self, user: u64, day: &str, limit: u32, now: Timestamp, deadline: Timestamp) -> StoreResult<QuotaReservation> {
        let key = quota_key(user, day);
        let reservation = self
            .quota
            .transaction(|quota| {
                let mut record = quota_day(quota, &key)?;
                let Some(id) = record.hold(limit, now, deadline) else {
                    return Ok(QuotaReservation::Exhausted);
                };
                quota.insert(key.as_slice(), record.encode())?;
                let hold = QuotaHold { id: id.into(), user, day: day.to_owned(), deadline };
                Ok(QuotaReservation::Granted { hold, remaining: limit - record.used(now) })
            })
            .map_err(transaction_error)?;
        if let QuotaReservation::Granted { .. } = &reservation {
            self.durable().await?;
        }
        Ok(reservation)
    }

    async fn release_quota(&self, hold: &QuotaHold) -> StoreResult<()> {
        let Ok(id) = u32::try_from(hold.id) else {
            return Ok(()); // not a hold this store handed out
        };
        let key = quota_key(hold.user, &hold.day);
        let released = self
            .quota
            .transaction(|quota| {
                let mut record = quota_day(quota, &key)?;
                let released = record.release(id);
                if released {
                    quota.insert(key.as_slice(), record.encode())?;
                }
                Ok(released)
            })
            .map_err(transaction_error)?;
        if released {
            self.durable().await?;
        }
        Ok(())
    }

    async fn keep_quota(&self, hold: &QuotaHold, now: Timestamp, course: Option<NewCourse>) -> StoreResult<KeptQuota> {
        let Ok(id) = u32::try_from(hold.id) else {
            return Ok(KeptQuota::Lapsed);
        };
        let key = quota_key(hold.user, &hold.day);
        let kept = (&self.quota, &self.courses, &self.course_owners, &self.ids)
            .transaction(|(quota, courses, owners, ids)| {
                let mut record = quota_day(quota, &key)?;
                let before = record.clone();
                let live = record.keep(id, now);
                if record != before {
                    quota.insert(key.as_slice(), record.encode())?;
                }
                if !live {
                    return Ok(KeptQuota::Lapsed);
                }
                let course = match &course {
                    Some(new) => Some(Box::new(insert_course((courses, owners, ids), hold.user, &new.created_at, &new.content)?)),
                    None => None,
                };
                Ok(KeptQuota::Kept(course))
            })
            .map_err(transaction_error)?;
        if let KeptQuota::Kept(Some(_)) = &kept {
            self.newest.invalidate(hold.user);
        }
        self.durable().await?;
        Ok(kept)
    }

    async fn quota_used(&self, user: u64, day: &str, now: Timestamp) -> StoreResult<u32> {
        Ok(QuotaDay::decode(self.quota.get(quota_key(user, day)).map_err(backend)?.as_deref())?.used(now))
    }

    async fn login_failures(&self, email_key: &str, since: Timestamp) -> StoreResult<Vec<Timestamp>> {
        Ok(self.login_failures.since(email_key, since))
    }

    async fn record_login_failure(&self, email_key: &str, at: Timestamp, forget_before: Timestamp) -> StoreResult<()> {
        self.login_failures.record(email_key, at, forget_before);
        Ok(())
    }

    async fn clear_login_failures(&self, email_key: &str) -> StoreResult<()> {
        self.login_failures.clear(email_key);
        Ok(())
    }

    async fn flush(&self) -> StoreResult<()> {
        self.durable().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant `second`s after a fixed moment on 2026-09-21.
    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + second).unwrap()
    }

    fn granted(reservation: QuotaReservation) -> QuotaHold {
        match reservation {
            QuotaReservation::Granted { hold, .. } => hold,
            QuotaReservation::Exhausted => panic!("the quota was used up"),
        }
    }

    fn user(n: u32) -> NewUser {
        NewUser {
            email: format!("user{n}@example.com"),
            nickname: format!("user{n}"),
            password_hash: "$argon2id$test".into(),
            created_at: "2026-11-26T12:00:00.000+09:00".into(),
        }
    }

    fn content(title: &str) -> CourseContent {
        serde_json::from_value(serde_json::json!({"title": title, "datetime": "d", "question": "q", "answer": "a"})).unwrap()
    }

    const CACHE: u64 = 1024 * 1024;

    #[tokio::test]
    async fn a_fresh_store_numbers_users_and_courses_from_one_each_and_keeps_counting_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), CACHE).unwrap();
        assert_eq!(store.create_user(user(1)).await.unwrap().id, 1);
        assert!(matches!(store.create_user(user(1)).await, Err(StoreError::AlreadyRegistered)));
        assert_eq!(store.create_user(user(2)).await.unwrap().id, 2, "a refused user takes no id");
        assert_eq!(store.create_course(1, "t".into(), content("a")).await.unwrap().id, 1);
        assert_eq!(store.create_course(2, "t".into(), content("b")).await.unwrap().id, 2);
        assert_eq!(store.delete_course(2, 2).await.unwrap(), DeleteOutcome::Deleted);
        drop(store);

        let store = SledStore::open(dir.path(), CACHE).unwrap();
        assert_eq!(store.create_course(1, "t".into(), content("c")).await.unwrap().id, 3, "a deleted id is not handed out again");
        assert_eq!(store.create_user(user(3)).await.unwrap().id, 3);
        store.import(vec![user(4), user(5)], 2, |i| content(&format!("imported {i}"))).unwrap();
        assert_eq!(store.user_by_email("user5@example.com").await.unwrap().unwrap().id, 5);
        let imported: Vec<u64> = store.list_courses(5, None, 10).await.unwrap().iter().map(|c| c.id).collect();
        assert_eq!(imported, [7, 6]);
        assert_eq!(store.create_course(1, "t".into(), content("d")).await.unwrap().id, 8);
    }

    #[test]
    fn a_store_still_open_is_refused_after_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let _open = SledStore::open(dir.path(), CACHE).unwrap();
        let started = std::time::Instant::now();
        let Err(err) = SledStore::open(dir.path(), CACHE) else { panic!("opened twice") };
        assert!(err.to_string().contains("could not acquire lock"), "{err}");
        assert!((LOCK_WAIT..LOCK_WAIT * 3).contains(&started.elapsed()), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn holds_a_crash_left_are_given_back_when_the_store_opens_and_spent_units_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), CACHE).unwrap();
        let day = "2026-11-26";
        let spent = granted(store.reserve_quota(7, day, 5, at(0), at(90)).await.unwrap());
        assert!(matches!(store.keep_quota(&spent, at(1), None).await.unwrap(), KeptQuota::Kept(None)));
        let cut_off = granted(store.reserve_quota(7, day, 5, at(0), at(90)).await.unwrap());
        granted(store.reserve_quota(8, day, 5, at(0), at(90)).await.unwrap());
        assert_eq!(store.quota_used(7, day, at(1)).await.unwrap(), 2);
        drop(store);

        let store = SledStore::open(dir.path(), CACHE).unwrap();
        assert_eq!(store.quota_used(7, day, at(1)).await.unwrap(), 1, "only the spent unit is left");
        assert_eq!(store.quota_used(8, day, at(1)).await.unwrap(), 0);
        assert!(matches!(store.keep_quota(&cut_off, at(1), None).await.unwrap(), KeptQuota::Lapsed), "its request is gone");
    }

    #[tokio::test]
    async fn a_share_link_leaves_no_index_entry_behind_its_course() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), CACHE).unwrap();
        let owner = store.create_user(user(1)).await.unwrap().id;
        let course = store.create_course(owner, "t".into(), content("a")).await.unwrap().id;
        let share = ShareRecord { course, created_at: "t".into(), expires_at: None, show_nickname: false };
        store.put_share([1; 32], share.clone(), owner).await.unwrap();
        store.put_share([2; 32], share, owner).await.unwrap();
        assert_eq!(store.delete_course(course, owner).await.unwrap(), DeleteOutcome::Deleted);
        assert!(store.course_shares.is_empty() && store.shares.is_empty());
    }

    #[tokio::test]
    async fn a_store_from_before_the_counters_keeps_its_ids_and_never_hands_one_out_again() {
        let dir = tempfile::tempdir().unwrap();
        // What the old scheme wrote: users and courses numbered by sled's one generator (+1).
        let old_ids = {
            let db = sled::Config::new().path(dir.path()).open().unwrap();
            let next = || db.generate_id().unwrap() + 1;
            let NewUser { email, nickname, password_hash, created_at } = user(1);
            let user = UserRecord { id: next(), email, nickname, password_hash, created_at };
            db.open_tree("users").unwrap().insert(user.id.to_be_bytes(), encode(&user)).unwrap();
            db.open_tree("user_emails").unwrap().insert(email_key(&user.email).as_bytes(), &user.id.to_be_bytes()).unwrap();
            db.open_tree("user_nicknames").unwrap().insert(user.nickname.as_bytes(), &user.id.to_be_bytes()).unwrap();
            let mut ids = vec![user.id];
            for title in ["first", "second", "deleted"] {
                let course = Course { id: next(), author: user.id, created_at: "t".into(), content: content(title) };
                ids.push(course.id);
                if title != "deleted" {
                    db.open_tree("courses").unwrap().insert(course_key(user.id, course.id), encode(&course)).unwrap();
                    db.open_tree("course_owners").unwrap().insert(course.id.to_be_bytes(), &user.id.to_be_bytes()).unwrap();
                }
            }
            db.flush().unwrap();
            ids
        };
        let highest = *old_ids.iter().max().unwrap();

        let store = SledStore::open(dir.path(), CACHE).unwrap();
        let kept: Vec<u64> = store.list_courses(old_ids[0], None, 10).await.unwrap().iter().map(|c| c.id).collect();
        assert_eq!(kept, [old_ids[2], old_ids[1]], "the old courses keep their ids");
        let newer = store.create_course(old_ids[0], "t".into(), content("new")).await.unwrap().id;
        assert!(newer > highest, "{newer} must be above every old id ({highest})");
        let list: Vec<u64> = store.list_courses(old_ids[0], None, 10).await.unwrap().iter().map(|c| c.id).collect();
        assert_eq!(list, [newer, old_ids[2], old_ids[1]], "still newest first");
        assert!(store.create_user(user(2)).await.unwrap().id > highest);
        drop(store);

        let store = SledStore::open(dir.path(), CACHE).unwrap();
        assert_eq!(store.create_course(old_ids[0], "t".into(), content("after")).await.unwrap().id, newer + 1, "counted on, not restarted");
    }
}
