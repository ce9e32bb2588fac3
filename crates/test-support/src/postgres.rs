//! Real PostgreSQL for the suites: a fresh database per test, in the cluster that
//! `FYD_TEST_DATABASE_URL` names (`.ci/run` starts one and sets it), or else in a throwaway
//! cluster this test process starts itself (`scripts/pg-cluster`, as an unprivileged user, in
//! a temporary directory, on a free port), stopped and removed when the process ends however
//! it ends: a watchdog started with it waits for this process to exit.
//!
//! Where neither can be had (no PostgreSQL installed), [`TestDatabase::create`] says so and
//! returns `None` so the test can skip — except under CI (`CI` set), where it panics: CI
//! installs PostgreSQL, so a missing one there is a failure, never a silent skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tokio_postgres::NoTls;

/// The script that starts, crashes, restarts and stops clusters.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-cluster")
}

/// A cluster of this process's own: [`Cluster::start`] makes it, dropping it removes it.
pub struct Cluster {
    dir: PathBuf,
    /// Server URL of the `postgres` database (superuser, trusted).
    pub url: String,
}

impl Cluster {
    /// Starts a new cluster; `None` when PostgreSQL is not installed here.
    pub fn start() -> Option<Self> {
        let _ = Command::new(script()).arg("sweep").status();
        let dir = std::env::temp_dir().join(format!("fyd-pg-{:016x}", rand_u64()));
        let output =
            Command::new(script()).arg("start").arg(&dir).arg(std::process::id().to_string()).output().expect("scripts/pg-cluster runs");
        if !output.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("no PostgreSQL cluster could be started: {}", String::from_utf8_lossy(&output.stderr));
            return None;
        }
        let url = String::from_utf8(output.stdout).expect("a URL").trim().to_owned();
        Some(Self { dir, url })
    }

    fn run(&self, action: &str) {
        let status = Command::new(script()).arg(action).arg(&self.dir).status().expect("scripts/pg-cluster runs");
        assert!(status.success(), "pg-cluster {action} failed");
    }

    /// Serves TLS from now on with `cert_pem` (the chain) and `key_pem`; restarts the cluster.
    pub fn serve_tls(&self, cert_pem: &str, key_pem: &str) {
        let files = tempfile::tempdir().expect("a temporary directory");
        let (cert, key) = (files.path().join("server.crt"), files.path().join("server.key"));
        std::fs::write(&cert, cert_pem).expect("the certificate is written");
        std::fs::write(&key, key_pem).expect("the key is written");
        let status = Command::new(script()).arg("tls").arg(&self.dir).arg(&cert).arg(&key).status().expect("scripts/pg-cluster runs");
        assert!(status.success(), "pg-cluster tls failed");
    }

    /// Stops PostgreSQL as a crash would (no checkpoint, no clean shutdown), then starts it
    /// again: it recovers from its WAL, so only what was committed durably is there.
    pub fn crash_and_restart(&self) {
        self.run("crash");
        self.run("restart");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).status();
    }
}

/// The cluster the tests of this process share: `FYD_TEST_DATABASE_URL`'s, else one started
/// on first use. `None`: no PostgreSQL here.
fn server_url() -> Option<&'static str> {
    static SHARED: OnceLock<Option<String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            if let Some(url) = std::env::var("FYD_TEST_DATABASE_URL").ok().filter(|url| !url.is_empty()) {
                return Some(url);
            }
            // Never dropped: the watchdog removes it when this process exits.
            let cluster = Cluster::start()?;
            let url = cluster.url.clone();
            std::mem::forget(cluster);
            Some(url)
        })
        .as_deref()
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a PostgreSQL URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// A database of one test's own, dropped with it.
pub struct TestDatabase {
    /// Its URL, for `--database-url`.
    pub url: String,
    server: String,
    name: String,
}

impl TestDatabase {
    /// A fresh, empty database; `None` (after saying why) where PostgreSQL cannot be had,
    /// which fails the test under CI instead.
    pub async fn create() -> Option<Self> {
        let Some(server) = server_url() else {
            assert!(std::env::var_os("CI").is_none(), "CI must run the PostgreSQL suites: install postgresql or set FYD_TEST_DATABASE_URL");
            eprintln!("skipped: no PostgreSQL (install it, or set FYD_TEST_DATABASE_URL)");
            return None;
        };
        Some(Self::create_in(server).await)
    }

    /// A fresh database in the cluster at `server`.
    pub async fn create_in(server: &str) -> Self {
        let name = format!("fyd_test_{:016x}", rand_u64());
        execute(server, &format!("CREATE DATABASE {name}")).await;
        Self { url: with_database(server, &name), server: server.to_owned(), name }
    }

    /// As [`TestDatabase::create`] for synchronous callers.
    pub fn create_blocking() -> Option<Self> {
        on_own_runtime(Self::create())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, sql) = (self.server.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        // Drop may run inside a runtime, which cannot block: a thread of its own does it.
        let _ = std::thread::spawn(move || on_own_runtime(execute(&server, &sql))).join();
    }
}

fn on_own_runtime<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(future)
}

async fn execute(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("the test cluster answers");
    let connection = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
    drop(client);
    let _ = connection.await;
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.finish()
}
