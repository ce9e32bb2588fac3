//! The PostgreSQL implementation of [`Store`], for any number of fyd-server replicas on one
//! database.
//!
//! - **Driver and pool**: tokio-postgres with deadpool-postgres; every statement is prepared
//!   once per connection (`prepare_cached`). Each connection runs with
//!   `synchronous_commit=on`, whatever the database's default, so a commit has reached the
//!   WAL on disk before a write is acknowledged (durable across `kill -9` of a replica, of the
//!   database, or a power cut).
//! - **Schema**: `migrations/*.sql`, embedded in the binary and applied by [`PgStore::connect`]
//!   under a transaction-independent advisory lock, so replicas starting together apply each
//!   migration once and wait for it, never half of it. `fyd_schema` records the versions.
//! - **Atomic steps**: the rules are the ones sled applies, written once in SQL-free Rust
//!   ([`present_refresh`], [`QuotaDay`]); here each runs between reading its row with a lock
//!   (`SELECT … FOR UPDATE`, or `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which locks
//!   the row it returns) and writing it back, in one transaction. Uniqueness is the
//!   database's: unique keys on the lower-cased email and nickname.
//! - **Nothing in process memory** that another replica would need: no page cache (sled's
//!   `newest_pages` could not see another replica's writes), holds only lapse at their
//!   deadline (another replica may be working under one), and failed logins are a table.
//!
//! Timestamps come from the caller (the injected clock), never from the database's `now()`.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use fyd_core::account::email_key;
use fyd_core::course::{Course, CourseContent};
use jiff::Timestamp;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::net::IpAddr;
use tokio_postgres::config::Host;
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::quota_day::QuotaDay;
use super::url::{postgres_config, PgTls, SslMode};
use super::{
    present_refresh, CourseJson, DeleteOutcome, KeptQuota, NewCourse, NewUser, QuotaHold, QuotaReservation, RefreshOutcome, SessionChange,
    SessionRecord, ShareOutcome, ShareRecord, ShareTokenHash, Store, StoreError, StoreResult, UserRecord,
};
use crate::config::Secret;

/// The schema's migrations, in order: (version, SQL). Append; never edit one that shipped.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("migrations/0001_schema.sql"))];

/// The advisory lock migrations run under (any constant; "fyd" in ASCII).
const MIGRATION_LOCK: i64 = 0x0066_7964;

/// How long a request waits for a free connection before it fails (503-free: a 500 with a log).
const POOL_WAIT: Duration = Duration::from_secs(10);

pub struct PgStore {
    pool: Pool,
}

#[derive(Debug, thiserror::Error)]
enum PgError {
    #[error("PostgreSQL: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("PostgreSQL pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
}

impl From<PgError> for StoreError {
    /// The message with its causes: the driver says "error performing TLS handshake" and
    /// leaves why (an untrusted certificate, another host name) to its source.
    fn from(err: PgError) -> Self {
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            source = cause.source();
        }
        StoreError::Backend(message)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        PgError::from(err).into()
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        PgError::from(err).into()
    }
}

/// The TLS connector `tls` asks for towards `config`'s hosts, with the driver told to use it or
/// not to try: see [`SslMode`]. TLS is always verified (the chain against the public roots and
/// `sslrootcert`, and the host name), as libpq's `verify-full`.
fn connector(config: &mut tokio_postgres::Config, tls: &PgTls) -> StoreResult<Option<MakeRustlsConnect>> {
    let loopback = |ip: &IpAddr| ip.is_loopback();
    let on_this_machine = config.get_hosts().iter().all(|host| match host {
        Host::Tcp(name) => name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| loopback(&ip)),
        Host::Unix(_) => true,
    }) && config.get_hostaddrs().iter().all(loopback);
    // PostgreSQL offers no TLS on a Unix socket; libpq connects there in the clear whatever
    // the mode, and so does fyd.
    let sockets_only = !config.get_hosts().is_empty() && config.get_hosts().iter().all(|host| matches!(host, Host::Unix(_)));
    let encrypted = match tls.mode {
        _ if sockets_only => false,
        SslMode::Disable => false,
        SslMode::Prefer => !on_this_machine,
        SslMode::Verify => true,
    };
    if !encrypted {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        return Ok(None);
    }
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = &tls.root_cert {
        let unusable = |why: String| StoreError::Backend(format!("sslrootcert {}: {why}", path.display()));
        let pem = std::fs::read(path).map_err(|err| unusable(err.to_string()))?;
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(&pem) {
            roots.add(certificate.map_err(|err| unusable(err.to_string()))?).map_err(|err| unusable(err.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(unusable("holds no PEM certificate".to_owned()));
        }
    }
    let client = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(client)))
}

impl PgStore {
    /// Connects to `url` with a pool of at most `pool_size` connections, and brings the
    /// schema up to date (waiting for another replica doing the same).
    pub async fn connect(url: &Secret, pool_size: usize) -> StoreResult<Self> {
        let (mut config, tls) = postgres_config(url.expose()).map_err(|err| StoreError::Backend(err.to_string()))?;
        let options = config.get_options().map(|o| format!("{o} ")).unwrap_or_default();
        config.options(format!("{options}-c synchronous_commit=on"));
        if config.get_application_name().is_none() {
            config.application_name("fyd-server");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(POOL_WAIT);
        }
        let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match connector(&mut config, &tls)? {
            Some(tls) => Manager::from_config(config, tls, recycling),
            None => Manager::from_config(config, NoTls, recycling),
        };
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|err| StoreError::Backend(err.to_string()))?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> StoreResult<Object> {
        Ok(self.pool.get().await?)
    }

    /// Applies the migrations this database lacks, under [`MIGRATION_LOCK`].
    async fn migrate(&self) -> StoreResult<()> {
        let client = self.client().await?;
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await?;
        let migrated = apply_migrations(client).await;
        // The lock is the session's: a connection that failed halfway is dropped, which frees it.
        if let Ok(client) = &migrated {
            client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await?;
        }
        migrated.map(drop)
    }

    /// Whether the database holds any user, course or session yet.
    pub(super) async fn is_empty(&self) -> StoreResult<bool> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM courses) AND NOT EXISTS (SELECT 1 FROM sessions)",
                &[],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Whether a copy from `source` was started here (finished or not), and notes that one
    /// starts now.
    pub(super) async fn begin_import(&self, source: &str) -> StoreResult<bool> {
        let client = self.client().await?;
        let started = client.query_opt("SELECT 1 FROM sled_imports WHERE source = $1", &[&source]).await?.is_some();
        client.execute("INSERT INTO sled_imports (source) VALUES ($1) ON CONFLICT DO NOTHING", &[&source]).await?;
        Ok(started)
    }

    pub(super) async fn finish_import(&self, source: &str) -> StoreResult<()> {
        self.client().await?.execute("UPDATE sled_imports SET finished_at = now() WHERE source = $1", &[&source]).await?;
        Ok(())
    }

    /// Copies users as they are (ids and password hashes); rows whose id is already here are
    /// skipped. Returns how many were new.
    pub(super) async fn import_users(&self, users: &[UserRecord]) -> StoreResult<u64> {
        let ids: Vec<i64> = users.iter().map(|u| u.id as i64).collect();
        let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
        let keys: Vec<String> = users.iter().map(|u| email_key(&u.email)).collect();
        let nicknames: Vec<&str> = users.iter().map(|u| u.nickname.as_str()).collect();
        let nickname_keys: Vec<String> = users.iter().map(|u| u.nickname.to_lowercase()).collect();
        let hashes: Vec<&str> = users.iter().map(|u| u.password_hash.as_str()).collect();
        let created: Vec<&str> = users.iter().map(|u| u.created_at.as_str()).collect();
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO users (id, email, email_key, nickname, nickname_key, password_hash, created_at)
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                 ON CONFLICT (id) DO NOTHING",
            )
            .await?;
        Ok(client.execute(&statement, &[&ids, &emails, &keys, &nicknames, &nickname_keys, &hashes, &created]).await?)
    }

    pub(super) async fn import_sessions(&self, sessions: &[SessionRecord]) -> StoreResult<u64> {
        let ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
        let users: Vec<i64> = sessions.iter().map(|s| s.user_id as i64).collect();
        let generations: Vec<i64> = sessions.iter().map(|s| i64::from(s.refresh_generation)).collect();
        let client = self.client().await?;
        Ok(client
            .execute(
                "INSERT INTO sessions (id, user_id, refresh_generation) SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[])
                 ON CONFLICT (id) DO NOTHING",
                &[&ids, &users, &generations],
            )
            .await?)
    }

    /// Copies courses with their ids and their JSON byte for byte.
    pub(super) async fn import_courses(&self, courses: &[CourseJson]) -> StoreResult<u64> {
        let ids: Vec<i64> = courses.iter().map(|c| c.id as i64).collect();
        let authors: Vec<i64> = courses.iter().map(|c| c.author as i64).collect();
        let json = courses.iter().map(|c| std::str::from_utf8(&c.json)).collect::<Result<Vec<&str>, _>>().map_err(corrupt)?;
        let client = self.client().await?;
        Ok(client
            .execute(
                "INSERT INTO courses (id, author, json) SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[])
                 ON CONFLICT (id) DO NOTHING",
                &[&ids, &authors, &json],
            )
            .await?)
    }

    pub(super) async fn import_shares(&self, shares: &[(ShareTokenHash, ShareRecord)]) -> StoreResult<u64> {
        let hashes: Vec<&[u8]> = shares.iter().map(|(hash, _)| hash.as_slice()).collect();
        let courses: Vec<i64> = shares.iter().map(|(_, s)| s.course as i64).collect();
        let created: Vec<&str> = shares.iter().map(|(_, s)| s.created_at.as_str()).collect();
        let expires: Vec<Option<i64>> = shares.iter().map(|(_, s)| s.expires_at).collect();
        let nicknames: Vec<bool> = shares.iter().map(|(_, s)| s.show_nickname).collect();
        let client = self.client().await?;
        Ok(client
            .execute(
                "INSERT INTO shares (token_hash, course, created_at, expires_at, show_nickname)
                 SELECT * FROM UNNEST($1::bytea[], $2::bigint[], $3::text[], $4::bigint[], $5::boolean[])
                 ON CONFLICT DO NOTHING",
                &[&hashes, &courses, &created, &expires, &nicknames],
            )
            .await?)
    }

    /// Copies quota days (their spent units; holds are the copying store's, whose process has
    /// stopped, so they are given back first).
    pub(super) async fn import_quota_days(&self, days: Vec<(u64, String, QuotaDay)>) -> StoreResult<u64> {
        let (mut users, mut dates, mut records) = (Vec::with_capacity(days.len()), Vec::with_capacity(days.len()), Vec::new());
        for (user, day, mut record) in days {
            record.release_all();
            users.push(user as i64);
            dates.push(day);
            records.push(record.encode());
        }
        let client = self.client().await?;
        Ok(client
            .execute(
                "INSERT INTO quota_days (user_id, day, record) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bytea[])
                 ON CONFLICT DO NOTHING",
                &[&users, &dates, &records],
            )
            .await?)
    }

    /// Moves the id sequences past `users` and `courses` (the source's last ids handed out),
    /// never back.
    pub(super) async fn advance_ids(&self, users: u64, courses: u64) -> StoreResult<()> {
        let client = self.client().await?;
        for (sequence, table, last) in [("user_ids", "users", users), ("course_ids", "courses", courses)] {
            let sql = format!(
                "SELECT setval('{sequence}', GREATEST((SELECT last_value FROM {sequence}), (SELECT COALESCE(max(id), 0) FROM {table}), $1, 1))"
            );
            client.execute(&sql, &[&(last as i64)]).await?;
        }
        Ok(())
    }

    /// Stores a new course of `author` with the next id, on `client` (in a transaction or not).
    async fn insert_course(client: &impl GenericClient, author: u64, created_at: String, content: CourseContent) -> StoreResult<Course> {
        let next = client.prepare_cached("SELECT nextval('course_ids')").await?;
        let id: i64 = client.query_one(&next, &[]).await?.get(0);
        let course = Course { id: id as u64, author, created_at, content };
        let json = serde_json::to_string(&course).expect("courses serialise to JSON");
        let insert = client.prepare_cached("INSERT INTO courses (id, author, json) VALUES ($1, $2, $3)").await?;
        client.execute(&insert, &[&id, &(author as i64), &json]).await?;
        Ok(course)
    }

    /// Course `id`'s author, read with a lock until the transaction ends; `None`: no such course.
    async fn lock_course_author(client: &impl GenericClient, id: u64) -> StoreResult<Option<u64>> {
        let statement = client.prepare_cached("SELECT author FROM courses WHERE id = $1 FOR UPDATE").await?;
        Ok(client.query_opt(&statement, &[&(id as i64)]).await?.map(|row| row.get::<_, i64>(0) as u64))
    }

    /// `user`'s day record, locked until the transaction ends (created empty if absent).
    async fn lock_quota_day(client: &impl GenericClient, user: u64, day: &str) -> StoreResult<QuotaDay> {
        let statement = client
            .prepare_cached(
                "INSERT INTO quota_days (user_id, day, record) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, day) DO UPDATE SET record = quota_days.record RETURNING record",
            )
            .await?;
        let row = client.query_one(&statement, &[&(user as i64), &day, &QuotaDay::default().encode()]).await?;
        QuotaDay::decode(Some(row.get::<_, &[u8]>(0)))
    }

    async fn write_quota_day(client: &impl GenericClient, user: u64, day: &str, record: &QuotaDay) -> StoreResult<()> {
        let statement = client.prepare_cached("UPDATE quota_days SET record = $3 WHERE user_id = $1 AND day = $2").await?;
        client.execute(&statement, &[&(user as i64), &day, &record.encode()]).await?;
        Ok(())
    }
}

/// Runs every migration `client`'s database lacks, each in its own transaction with its
/// version noted; the caller holds the migration lock.
async fn apply_migrations(mut client: Object) -> StoreResult<Object> {
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS fyd_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        .await?;
    let applied: Vec<i32> = client.query("SELECT version FROM fyd_schema", &[]).await?.iter().map(|row| row.get(0)).collect();
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let transaction = client.transaction().await?;
        transaction.batch_execute(sql).await?;
        transaction.execute("INSERT INTO fyd_schema (version) VALUES ($1)", &[version]).await?;
        transaction.commit().await?;
        tracing::info!(version, "applied a schema migration");
    }
    if let Some(newer) = applied.iter().filter(|v| !MIGRATIONS.iter().any(|(known, _)| known == *v)).max() {
        tracing::warn!(version = newer, "the database has a newer schema than this fyd-server knows; run the newer release");
    }
    Ok(client)
}

fn corrupt(err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(err.to_string())
}

fn user_from(row: &tokio_postgres::Row) -> UserRecord {
    UserRecord {
        id: row.get::<_, i64>("id") as u64,
        email: row.get("email"),
        nickname: row.get("nickname"),
        password_hash: row.get("password_hash"),
        created_at: row.get("created_at"),
    }
}

fn session_from(row: &tokio_postgres::Row) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: row.get("id"),
        user_id: row.get::<_, i64>("user_id") as u64,
        refresh_generation: u32::try_from(row.get::<_, i64>("refresh_generation")).map_err(corrupt)?,
    })
}

fn course_from(row: &tokio_postgres::Row, author: u64) -> CourseJson {
    CourseJson { id: row.get::<_, i64>("id") as u64, author, json: bytes::Bytes::from(row.get::<_, String>("json")) }
}

#[async_trait]
impl Store for PgStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO users (email, email_key, nickname, nickname_key, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
            )
            .await?;
        let row = client
            .query_opt(
                &statement,
                &[
                    &user.email,
                    &email_key(&user.email),
                    &user.nickname,
                    &user.nickname.to_lowercase(),
                    &user.password_hash,
                    &user.created_at,
                ],
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::AlreadyRegistered);
        };
        let NewUser { email, nickname, password_hash, created_at } = user;
        Ok(UserRecord { id: row.get::<_, i64>(0) as u64, email, nickname, password_hash, created_at })
    }

    async fn user(&self, id: u64) -> StoreResult<Option<UserRecord>> {
        let client = self.client().await?;
        let statement = client.prepare_cached("SELECT id, email, nickname, password_hash, created_at FROM users WHERE id = $1").await?;
        Ok(client.query_opt(&statement, &[&(id as i64)]).await?.as_ref().map(user_from))
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let client = self.client().await?;
        let statement =
            client.prepare_cached("SELECT id, email, nickname, password_hash, created_at FROM users WHERE email_key = $1").await?;
        Ok(client.query_opt(&statement, &[&email_key(email)]).await?.as_ref().map(user_from))
    }

    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO sessions (id, user_id, refresh_generation) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, refresh_generation = EXCLUDED.refresh_generation",
            )
            .await?;
        client.execute(&statement, &[&session.id, &(session.user_id as i64), &i64::from(session.refresh_generation)]).await?;
        Ok(())
    }

    async fn session(&self, id: &str) -> StoreResult<Option<SessionRecord>> {
        let client = self.client().await?;
        let statement = client.prepare_cached("SELECT id, user_id, refresh_generation FROM sessions WHERE id = $1").await?;
        client.query_opt(&statement, &[&id]).await?.as_ref().map(session_from).transpose()
    }

    async fn present_refresh(&self, session_id: &str, user_id: u64, generation: u32, rotate: bool) -> StoreResult<RefreshOutcome> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await?;
        let read = transaction.prepare_cached("SELECT id, user_id, refresh_generation FROM sessions WHERE id = $1 FOR UPDATE").await?;
        let stored = transaction.query_opt(&read, &[&session_id]).await?.as_ref().map(session_from).transpose()?;
        let (outcome, change) = present_refresh(stored, user_id, generation, rotate);
        match change {
            SessionChange::None => {}
            SessionChange::Remove => {
                transaction.execute("DELETE FROM sessions WHERE id = $1", &[&session_id]).await?;
            }
            SessionChange::Write(session) => {
                transaction
                    .execute(
                        "UPDATE sessions SET refresh_generation = $2 WHERE id = $1",
                        &[&session_id, &i64::from(session.refresh_generation)],
                    )
                    .await?;
            }
        }
        transaction.commit().await?;
        Ok(outcome)
    }

    async fn revoke_session(&self, id: &str) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client.prepare_cached("DELETE FROM sessions WHERE id = $1").await?;
        client.execute(&statement, &[&id]).await?;
        Ok(())
    }

    async fn create_course(&self, author: u64, created_at: String, content: CourseContent) -> StoreResult<Course> {
        Self::insert_course(&self.client().await?, author, created_at, content).await
    }

    async fn course(&self, id: u64) -> StoreResult<Option<CourseJson>> {
        let client = self.client().await?;
        let statement = client.prepare_cached("SELECT id, author, json FROM courses WHERE id = $1").await?;
        Ok(client.query_opt(&statement, &[&(id as i64)]).await?.map(|row| course_from(&row, row.get::<_, i64>("author") as u64)))
    }

    async fn list_courses(&self, author: u64, before: Option<u64>, limit: usize) -> StoreResult<Vec<CourseJson>> {
        let client = self.client().await?;
        let statement =
            client.prepare_cached("SELECT id, json FROM courses WHERE author = $1 AND id < $2 ORDER BY id DESC LIMIT $3").await?;
        let before = before.map_or(i64::MAX, |before| i64::try_from(before).unwrap_or(i64::MAX));
        let rows = client.query(&statement, &[&(author as i64), &before, &(limit as i64)]).await?;
        Ok(rows.iter().map(|row| course_from(row, author)).collect())
    }

    async fn delete_course(&self, id: u64, requester: u64) -> StoreResult<DeleteOutcome> {
        let client = self.client().await?;
        // Its share link goes with it (ON DELETE CASCADE), in the same statement.
        let delete = client.prepare_cached("DELETE FROM courses WHERE id = $1 AND author = $2").await?;
        if client.execute(&delete, &[&(id as i64), &(requester as i64)]).await? == 1 {
            return Ok(DeleteOutcome::Deleted);
        }
        let exists = client.prepare_cached("SELECT 1 FROM courses WHERE id = $1").await?;
        Ok(match client.query_opt(&exists, &[&(id as i64)]).await? {
            Some(_) => DeleteOutcome::NotOwner,
            None => DeleteOutcome::NotFound,
        })
    }

    async fn put_share(&self, token_hash: ShareTokenHash, share: ShareRecord, requester: u64) -> StoreResult<ShareOutcome> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await?;
        match Self::lock_course_author(&transaction, share.course).await? {
            None => return Ok(ShareOutcome::NotFound),
            Some(author) if author != requester => return Ok(ShareOutcome::NotOwner),
            Some(_) => {}
        }
        let course = share.course as i64;
        let had_link = transaction.execute("DELETE FROM shares WHERE course = $1", &[&course]).await? > 0;
        transaction
            .execute(
                "INSERT INTO shares (token_hash, course, created_at, expires_at, show_nickname) VALUES ($1, $2, $3, $4, $5)",
                &[&token_hash.as_slice(), &course, &share.created_at, &share.expires_at, &share.show_nickname],
            )
            .await?;
        transaction.commit().await?;
        Ok(ShareOutcome::Done { had_link })
    }

    async fn share(&self, token_hash: &ShareTokenHash) -> StoreResult<Option<ShareRecord>> {
        let client = self.client().await?;
        let statement =
            client.prepare_cached("SELECT course, created_at, expires_at, show_nickname FROM shares WHERE token_hash = $1").await?;
        Ok(client.query_opt(&statement, &[&token_hash.as_slice()]).await?.map(|row| ShareRecord {
            course: row.get::<_, i64>("course") as u64,
            created_at: row.get("created_at"),
            expires_at: row.get("expires_at"),
            show_nickname: row.get("show_nickname"),
        }))
    }

    async fn revoke_share(&self, course: u64, requester: u64) -> StoreResult<ShareOutcome> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await?;
        match Self::lock_course_author(&transaction, course).await? {
            None => return Ok(ShareOutcome::NotFound),
            Some(author) if author != requester => return Ok(ShareOutcome::NotOwner),
            Some(_) => {}
        }
        let had_link = transaction.execute("DELETE FROM shares WHERE course = $1", &[&(course as i64)]).await? > 0;
        transaction.commit().await?;
        Ok(ShareOutcome::Done { had_link })
    }

    async fn reserve_quota(&self, user: u64, day: &str, limit: u32, now: Timestamp, deadline: Timestamp) -> StoreResult<QuotaReservation> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await?;
        let mut record = Self::lock_quota_day(&transaction, user, day).await?;
        let before = record.clone();
        let held = record.hold(limit, now, deadline);
        if record != before {
            Self::write_quota_day(&transaction, user, day, &record).await?;
        }
        transaction.commit().await?;
        Ok(match held {
            Some(id) => QuotaReservation::Granted {
                hold: QuotaHold { id: id.into(), user, day: day.to_owned(), deadline },
                remaining: limit - record.used(now),
            },
            None => QuotaReservation::Exhausted,
        })
    }

    async fn release_quota(&self, hold: &QuotaHold) -> StoreResult<()> {
        let Ok(id) = u32::try_from(hold.id) else {
            return Ok(()); // not a hold this store handed out
        };
        let mut client = self.client().await?;
        let transaction = client.transaction().await?;
        let mut record = Self::lock_quota_day(&transaction, hold.user, &hold.day).await?;
        if record.release(id) {
            Self::write_quota_day(&transaction, hold.user, &hold.day, &record).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn keep_quota(&self, hold: &QuotaHold, now: Timestamp, course: Option<NewCourse>) -> StoreResult<KeptQuota> {
        let Ok(id) = u32::try_from(hold.id) else {
            return Ok(KeptQuota::Lapsed);
        };
        let mut client = self.client().await?;
        let transaction = client.transaction().await?;
        let mut record = Self::lock_quota_day(&transaction, hold.user, &hold.day).await?;
        let before = record.clone();
        let live = record.keep(id, now);
        if record != before {
            Self::write_quota_day(&transaction, hold.user, &hold.day, &record).await?;
        }
        let kept = match (live, course) {
            (false, _) => KeptQuota::Lapsed,
            (true, None) => KeptQuota::Kept(None),
            (true, Some(new)) => {
                KeptQuota::Kept(Some(Box::new(Self::insert_course(&transaction, hold.user, new.created_at, new.content).await?)))
            }
        };
        transaction.commit().await?;
        Ok(kept)
    }

    async fn quota_used(&self, user: u64, day: &str, now: Timestamp) -> StoreResult<u32> {
        let client = self.client().await?;
        let statement = client.prepare_cached("SELECT record FROM quota_days WHERE user_id = $1 AND day = $2").await?;
        let row = client.query_opt(&statement, &[&(user as i64), &day]).await?;
        Ok(QuotaDay::decode(row.as_ref().map(|row| row.get::<_, &[u8]>(0)))?.used(now))
    }

    async fn login_failures(&self, email_key: &str, since: Timestamp) -> StoreResult<Vec<Timestamp>> {
        let client = self.client().await?;
        let statement =
            client.prepare_cached("SELECT at_ms FROM login_failures WHERE email_key = $1 AND at_ms > $2 ORDER BY at_ms").await?;
        let rows = client.query(&statement, &[&email_key, &since.as_millisecond()]).await?;
        rows.iter().map(|row| Timestamp::from_millisecond(row.get(0)).map_err(corrupt)).collect()
    }

    async fn record_login_failure(&self, email_key: &str, at: Timestamp, forget_before: Timestamp) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "WITH forgotten AS (DELETE FROM login_failures WHERE at_ms <= $3)
                 INSERT INTO login_failures (email_key, at_ms) VALUES ($1, $2)",
            )
            .await?;
        client.execute(&statement, &[&email_key, &at.as_millisecond(), &forget_before.as_millisecond()]).await?;
        Ok(())
    }

    async fn clear_login_failures(&self, email_key: &str) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client.prepare_cached("DELETE FROM login_failures WHERE email_key = $1").await?;
        client.execute(&statement, &[&email_key]).await?;
        Ok(())
    }

    /// Every write was committed with `synchronous_commit=on` before it returned.
    async fn flush(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether fyd encrypts a connection to `url`, and what it tells the driver.
    fn encrypts(url: &str) -> (bool, tokio_postgres::config::SslMode) {
        let (mut config, tls) = postgres_config(url).unwrap();
        let connector = connector(&mut config, &tls).unwrap();
        (connector.is_some(), config.get_ssl_mode())
    }

    #[test]
    fn tls_is_verified_off_this_machine_unless_disabled_and_never_attempted_when_not_used() {
        use tokio_postgres::config::SslMode::{Disable, Require};
        for (url, expected) in [
            ("postgres://fyd@db.internal/fyd", (true, Require)),
            ("postgres://fyd@10.0.0.5:5432/fyd?sslmode=prefer", (true, Require)),
            ("postgres://fyd@db.internal/fyd?sslmode=disable", (false, Disable)),
            ("postgres://fyd@localhost/fyd", (false, Disable)),
            ("postgres://fyd@127.0.0.1:5432/fyd", (false, Disable)),
            ("postgres://fyd@[::1]/fyd", (false, Disable)),
            ("postgres://fyd@%2Fvar%2Frun%2Fpostgresql/fyd", (false, Disable)),
            ("postgres:///fyd?host=/run/postgresql&sslmode=require", (false, Disable)),
            ("postgres://fyd@localhost/fyd?sslmode=require", (true, Require)),
            ("postgres://fyd@127.0.0.1/fyd?sslmode=verify-full", (true, Require)),
        ] {
            assert_eq!(encrypts(url), expected, "{url}");
        }
    }
}
