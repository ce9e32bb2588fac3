//! The storage trait the HTTP handlers talk to, its records, and [`open`], which picks the
//! backend `--database-url` names.
//!
//! The trait is backend-neutral (no sled or SQL types cross it): [`SledStore`] keeps one
//! process's data in a directory, [`PgStore`] keeps the data of any number of replicas in
//! PostgreSQL, and the handlers cannot tell them apart. Every method that writes returns only
//! once the write is durable: an acknowledged write survives `kill -9`. What the two backends
//! decide alike without SQL lives here and in `quota_day.rs` ([`present_refresh`], the
//! quota's day record), so the rules are written once.
//!
//! The contract every backend keeps is tested once, against the trait, in
//! `crates/server/tests/store/` (run on sled always, on PostgreSQL where one is reachable).

mod group_commit;
mod login_failures;
pub mod migrate;
mod newest_pages;
mod postgres;
mod quota_day;
mod sled_store;
pub mod url;

use std::sync::Arc;

use async_trait::async_trait;
use fyd_core::course::{Course, CourseContent};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use postgres::PgStore;
pub use sled_store::SledStore;
pub use url::DatabaseUrl;

/// Opens the store `settings` name (`--database-url`, else sled in the data dir): sled with
/// its page cache, or a PostgreSQL pool with the schema migrated. The log names the store
/// without its password.
pub async fn open(settings: &crate::Settings) -> StoreResult<Arc<dyn Store>> {
    let url = settings.database();
    let store: Arc<dyn Store> = match &url {
        DatabaseUrl::Sled(dir) => {
            let (dir, cache) = (dir.clone(), settings.cache_mb * 1024 * 1024);
            Arc::new(tokio::task::spawn_blocking(move || SledStore::open(&dir, cache)).await.map_err(backend)??)
        }
        DatabaseUrl::Postgres(secret) => Arc::new(PgStore::connect(secret, settings.database_pool).await?),
    };
    tracing::info!(database = %url, "store open");
    Ok(store)
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a user with that email or nickname already exists")]
    AlreadyRegistered,
    #[error("storage failure: {0}")]
    Backend(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: u64,
    /// As the user typed it; uniqueness is on its lower-cased form.
    pub email: String,
    pub nickname: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub nickname: String,
    pub password_hash: String,
    pub created_at: String,
}

/// A login session: one refresh token lineage. Revoking it kills its access tokens too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: u64,
    /// Generation of the only refresh token that is still valid; rotation increments it.
    pub refresh_generation: u32,
}

/// What presenting a refresh token does to its stored session: the rule both backends apply
/// inside their atomic step. `stored` is the session as read (locked); the answer is the
/// outcome and the change to write, if any.
pub(crate) fn present_refresh(
    stored: Option<SessionRecord>,
    user_id: u64,
    generation: u32,
    rotate: bool,
) -> (RefreshOutcome, SessionChange) {
    let Some(mut session) = stored else {
        return (RefreshOutcome::NoSession, SessionChange::None);
    };
    if session.user_id != user_id {
        return (RefreshOutcome::NoSession, SessionChange::None);
    }
    if generation < session.refresh_generation {
        return (RefreshOutcome::ReuseDetected, SessionChange::Remove);
    }
    if generation > session.refresh_generation {
        return (RefreshOutcome::NoSession, SessionChange::None);
    }
    if !rotate {
        return (RefreshOutcome::Kept(session), SessionChange::None);
    }
    session.refresh_generation += 1;
    (RefreshOutcome::Rotated(session.clone()), SessionChange::Write(session))
}

/// The write [`present_refresh`] asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SessionChange {
    None,
    /// Revoke the session (a retired token came back).
    Remove,
    /// Store the session with its new generation.
    Write(SessionRecord),
}

/// What presenting a refresh token of generation `g` did to its session.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshOutcome {
    /// The token is current and stays valid (no rotation asked).
    Kept(SessionRecord),
    /// The token was current and is now retired; the record holds the new generation.
    Rotated(SessionRecord),
    /// The token had already been rotated away: the session is now revoked.
    ReuseDetected,
    /// No such session (logged out, revoked, or never existed), or not the token's user's.
    NoSession,
}

/// A stored course as its wire JSON: exactly the bytes `Course` serialises to. Reads hand
/// these to the client as they are, so the hot read paths neither decode nor re-encode.
#[derive(Debug, Clone)]
pub struct CourseJson {
    pub id: u64,
    pub author: u64,
    pub json: bytes::Bytes,
}

/// Whether a course could be deleted by the user who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    NotOwner,
}

/// A course's share link as stored. The token itself is never stored: the store is keyed by
/// its SHA-256 ([`ShareTokenHash`]), so a copy of the database opens no course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    pub course: u64,
    /// ISO 8601 with the Seoul offset.
    pub created_at: String,
    /// Unix time (seconds) after which the link no longer opens; `None`: until revoked.
    pub expires_at: Option<i64>,
    /// Whether the page names the owner by nickname (never by email).
    pub show_nickname: bool,
}

/// SHA-256 of a share token: the key a share link is stored and looked up by.
pub type ShareTokenHash = [u8; 32];

/// What became of a course's share link when its owner changed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareOutcome {
    /// Done. `had_link`: the course had a link before, which no longer opens (it was replaced
    /// or revoked).
    Done {
        had_link: bool,
    },
    NotFound,
    NotOwner,
}

/// One unit of a user's quota for a Seoul day, held by [`Store::reserve_quota`] for work in
/// flight until that work succeeds ([`Store::keep_quota`]: the unit is spent), fails
/// ([`Store::release_quota`]: it is given back) or its deadline passes.
///
/// A hold is a record in the store with its deadline, not a count in some process: a request
/// that never finishes (its process killed, its task dropped) cannot keep the unit. From its
/// deadline on a hold counts for nothing, in every backend, whether or not anything removed it
/// yet; and a store that knows no other process can hold its units (sled, whose directory is
/// locked while open) releases every hold it finds when it opens, since they belong to a
/// process that is gone. A store shared by several processes (PostgreSQL) only lets holds lapse
/// at their deadline, because another live process may be working under them.
///
/// Keep, release and lapse are exclusive, and each happens at most once: a unit is spent
/// once or given back once, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaHold {
    /// Unique among the holds of its user and day; the store chooses it.
    pub id: u64,
    pub user: u64,
    /// The Seoul day, "YYYY-MM-DD".
    pub day: String,
    /// From this instant on the hold counts for nothing and can no longer be kept.
    pub deadline: Timestamp,
}

/// A day's quota was held (with what remains once it is spent) or is used up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaReservation {
    Granted { hold: QuotaHold, remaining: u32 },
    Exhausted,
}

/// A course to store with the unit that paid for it ([`Store::keep_quota`]); its author is
/// the hold's user.
#[derive(Debug, Clone)]
pub struct NewCourse {
    pub created_at: String,
    pub content: CourseContent,
}

/// What [`Store::keep_quota`] did.
#[derive(Debug, Clone)]
pub enum KeptQuota {
    /// The unit is spent, and the course stored if one was given.
    Kept(Option<Box<Course>>),
    /// The hold had passed its deadline or was released: nothing was spent or stored.
    Lapsed,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates a user, atomically refusing a taken email (case-insensitive) or nickname.
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    async fn user(&self, id: u64) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;

    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;
    async fn session(&self, id: &str) -> StoreResult<Option<SessionRecord>>;
    /// Atomically checks a refresh token's user and generation against its session and rotates
    /// it when asked; a retired generation revokes the session (reuse detection). A token
    /// naming another user than the session's is `NoSession` and changes nothing.
    async fn present_refresh(&self, session_id: &str, user_id: u64, generation: u32, rotate: bool) -> StoreResult<RefreshOutcome>;
    async fn revoke_session(&self, id: &str) -> StoreResult<()>;

    async fn create_course(&self, author: u64, created_at: String, content: CourseContent) -> StoreResult<Course>;
    async fn course(&self, id: u64) -> StoreResult<Option<CourseJson>>;
    /// The author's courses, newest first, with ids below `before` when given.
    async fn list_courses(&self, author: u64, before: Option<u64>, limit: usize) -> StoreResult<Vec<CourseJson>>;
    /// Deletes a course of `requester`'s, and its share link with it, atomically.
    async fn delete_course(&self, id: u64, requester: u64) -> StoreResult<DeleteOutcome>;

    /// Makes `token_hash` the one share link of course `share.course`, atomically with
    /// checking that the course exists and is `requester`'s; an earlier link of the course is
    /// removed in the same step (it stops opening). Nothing changes unless the outcome is `Done`.
    async fn put_share(&self, token_hash: ShareTokenHash, share: ShareRecord, requester: u64) -> StoreResult<ShareOutcome>;
    /// The share link stored under `token_hash`, expired or not (callers check `expires_at`).
    async fn share(&self, token_hash: &ShareTokenHash) -> StoreResult<Option<ShareRecord>>;
    /// Removes the share link of course `course` if it is `requester`'s; `Done` also when
    /// the course had no link.
    async fn revoke_share(&self, course: u64, requester: u64) -> StoreResult<ShareOutcome>;

    /// Holds one unit of `user`'s quota for `day` until `deadline` if fewer than `limit` are
    /// spent or held at `now`, atomically with respect to every other quota operation.
    async fn reserve_quota(&self, user: u64, day: &str, limit: u32, now: Timestamp, deadline: Timestamp) -> StoreResult<QuotaReservation>;
    /// Gives back the unit `hold` took (its work failed). A hold already released, kept or
    /// lapsed is left as it is.
    async fn release_quota(&self, hold: &QuotaHold) -> StoreResult<()>;
    /// Spends the unit `hold` took (its work succeeded) and, with `course`, stores that course
    /// in the same atomic, durable write: after a crash both are there or neither. A hold past
    /// its deadline at `now`, or no longer there, spends and stores nothing.
    async fn keep_quota(&self, hold: &QuotaHold, now: Timestamp, course: Option<NewCourse>) -> StoreResult<KeptQuota>;
    /// Units of `user`'s quota for `day` spent, plus those held at `now`.
    async fn quota_used(&self, user: u64, day: &str, now: Timestamp) -> StoreResult<u32>;

    /// The failed logins recorded for `email_key` after `since`, oldest first: what the
    /// login throttle counts, seen alike by every process that shares the store.
    async fn login_failures(&self, email_key: &str, since: Timestamp) -> StoreResult<Vec<Timestamp>>;
    /// Records a failed login for `email_key` at `at`; failures at or before `forget_before`
    /// (of any email) no longer count and may be dropped.
    async fn record_login_failure(&self, email_key: &str, at: Timestamp, forget_before: Timestamp) -> StoreResult<()>;
    /// Forgets `email_key`'s failed logins (it just logged in).
    async fn clear_login_failures(&self, email_key: &str) -> StoreResult<()>;

    /// Makes every write so far durable (used at shutdown; write methods already do it).
    async fn flush(&self) -> StoreResult<()>;
}
