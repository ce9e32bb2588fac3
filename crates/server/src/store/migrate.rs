//! `fyd-server migrate --from sled://… --to postgres://…`: the move from one machine to many.
//!
//! Copies users (with their password hashes, so everyone logs in as before), sessions (so
//! nobody is logged out), courses with their ids and JSON byte for byte, share links (so sent
//! links keep opening) and today's quota (units spent; holds were the stopped server's), then
//! moves PostgreSQL's id sequences past every id sled ever handed out.
//!
//! Safe to rerun and resumable: each batch is committed as it goes and rows whose id is
//! already there are skipped, and the target notes which sled store it is being filled from,
//! so running the same copy again after an interruption carries on. A target that holds data
//! from anywhere else is refused unless `into_non_empty` says otherwise.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use super::{DatabaseUrl, PgStore, SledStore, StoreError, StoreResult};
use crate::config::Secret;

/// Records per batch (one round trip and one commit each).
const BATCH: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from must be a sled:// store (got {0})")]
    NotSled(DatabaseUrl),
    #[error("--to must be a postgres:// database (got {0})")]
    NotPostgres(DatabaseUrl),
    #[error(
        "{0} already holds data that did not come from this sled store; pass --into-non-empty to copy into it anyway (rows whose id is taken are skipped)"
    )]
    NotEmpty(DatabaseUrl),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one kind of record came to: how many the source has, and how many were new to the
/// target (the rest were there already, from an earlier run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub read: u64,
    pub added: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub users: Copied,
    pub sessions: Copied,
    pub courses: Copied,
    pub shares: Copied,
    pub quota_days: Copied,
    /// Whether this run carried on a copy an earlier run began.
    pub resumed: bool,
}

/// Copies the sled store `from` into the PostgreSQL database `to`; `today` is the Seoul day
/// whose quota is copied. With `progress`, bars with counts are drawn on stderr (only on a
/// terminal).
pub async fn run(from: &DatabaseUrl, to: &DatabaseUrl, into_non_empty: bool, today: &str, progress: bool) -> Result<Report, MigrateError> {
    let DatabaseUrl::Sled(dir) = from else {
        return Err(MigrateError::NotSled(from.clone()));
    };
    let DatabaseUrl::Postgres(url) = to else {
        return Err(MigrateError::NotPostgres(to.clone()));
    };
    let source = open_source(dir)?;
    let identity = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()).display().to_string();
    copy(&source, &identity, url, to, into_non_empty, today, progress).await
}

fn open_source(dir: &Path) -> StoreResult<SledStore> {
    if !dir.join("conf").exists() {
        return Err(StoreError::Backend(format!("{} is not a sled store", dir.display())));
    }
    SledStore::open(dir, 64 * 1024 * 1024)
}

async fn copy(
    source: &SledStore,
    identity: &str,
    url: &Secret,
    to: &DatabaseUrl,
    into_non_empty: bool,
    today: &str,
    progress: bool,
) -> Result<Report, MigrateError> {
    let target = &PgStore::connect(url, 4).await?;
    let empty = target.is_empty().await?;
    let resumed = target.begin_import(identity).await?;
    if !empty && !resumed && !into_non_empty {
        return Err(MigrateError::NotEmpty(to.clone()));
    }
    let [users, sessions, courses, shares] = source.counts();
    let bar = |kind: &'static str, len: u64| -> ProgressBar {
        let bar = if progress { ProgressBar::new(len) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("{prefix:>9} {bar:40} {pos}/{len} ({per_sec}, {eta} left)").expect("the template is valid"),
        );
        bar.set_prefix(kind);
        bar
    };
    let mut report = Report { resumed, ..Report::default() };
    report.users = batches(source.export_users(), bar("users", users), |chunk| async move { target.import_users(&chunk).await }).await?;
    report.sessions =
        batches(source.export_sessions(), bar("sessions", sessions), |chunk| async move { target.import_sessions(&chunk).await }).await?;
    report.courses =
        batches(source.export_courses(), bar("courses", courses), |chunk| async move { target.import_courses(&chunk).await }).await?;
    report.shares =
        batches(source.export_shares(), bar("shares", shares), |chunk| async move { target.import_shares(&chunk).await }).await?;
    let days = source.export_quota_days(today)?;
    let read = days.len() as u64;
    report.quota_days = Copied { read, added: target.import_quota_days(days).await? };
    let (last_user, last_course) = source.last_ids()?;
    target.advance_ids(last_user, last_course).await?;
    target.finish_import(identity).await?;
    Ok(report)
}

/// Feeds `records` to `import` in batches of [`BATCH`], advancing `bar`.
async fn batches<T, F, Fut>(records: impl Iterator<Item = StoreResult<T>>, bar: ProgressBar, import: F) -> StoreResult<Copied>
where
    F: Fn(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<u64>>,
{
    let mut copied = Copied::default();
    let mut chunk = Vec::with_capacity(BATCH);
    let mut records = records.peekable();
    while let Some(record) = records.next() {
        chunk.push(record?);
        if chunk.len() == BATCH || records.peek().is_none() {
            let len = chunk.len() as u64;
            copied.added += import(std::mem::take(&mut chunk)).await?;
            copied.read += len;
            bar.inc(len);
        }
    }
    bar.finish();
    Ok(copied)
}
