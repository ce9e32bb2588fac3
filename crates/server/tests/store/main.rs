//! The `Store` conformance suite: the contract (`contract.rs`) run against every backend —
//! sled always, PostgreSQL where one can be had (`FYD_TEST_DATABASE_URL`, or a throwaway
//! cluster the suite starts itself; under CI a missing one fails instead of skipping) — and
//! what only one backend has: PostgreSQL's migrations racing at start, a crash of the
//! database server itself, `fyd-server migrate` from sled, and TLS to the database.

mod contract;
mod migrate;
mod tls;

use std::sync::Arc;

use fyd_server::config::Secret;
use fyd_server::store::{PgStore, SledStore, Store};
use fyd_test_support::postgres::{Cluster, TestDatabase};

const CACHE: u64 = 1024 * 1024;

pub async fn postgres_store(url: &str) -> Arc<dyn Store> {
    Arc::new(PgStore::connect(&Secret::new(url), 8).await.expect("PostgreSQL store opens"))
}

/// Each contract test, once per backend.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod sled {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let dir = tempfile::tempdir().unwrap();
                    crate::contract::$test(std::sync::Arc::new(crate::SledStore::open(dir.path(), crate::CACHE).unwrap())).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(database) = crate::TestDatabase::create().await else { return };
                    crate::contract::$test(crate::postgres_store(&database.url).await).await;
                }
            )*
        }
    };
}

conformance!(
    quota_holds_are_spent_with_their_course_or_given_back_once_and_lapse_at_their_deadline,
    the_quota_is_exact_under_concurrency,
    emails_and_nicknames_are_unique_case_insensitively_even_when_joins_race,
    courses_page_newest_first_read_back_byte_for_byte_and_only_their_owner_deletes_them,
    sessions_rotate_detect_reuse_and_end_with_revocation,
    a_course_has_one_share_link_which_only_its_owner_changes_and_which_goes_with_the_course,
    failed_logins_are_counted_per_email_within_their_window,
);

/// sled: acknowledged writes are there after the store is closed and opened again (the
/// `kill -9` of the real binary is `tests/crash.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_keeps_every_acknowledged_write_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), CACHE).unwrap());
    let courses = contract::write_before_a_crash(store.clone()).await;
    drop(store);
    contract::check_after_a_crash(Arc::new(SledStore::open(dir.path(), CACHE).unwrap()), &courses).await;
}

/// PostgreSQL: acknowledged writes survive the database server crashing (an immediate stop:
/// no checkpoint, recovery from the WAL), since each was committed with
/// `synchronous_commit=on` before it returned. Runs on a cluster of its own, which it crashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_write_across_a_crash_of_the_database() {
    let Some(cluster) = Cluster::start() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the PostgreSQL suites");
        return;
    };
    let database = TestDatabase::create_in(&cluster.url).await;
    let store = postgres_store(&database.url).await;
    let courses = contract::write_before_a_crash(store.clone()).await;
    drop(store);
    cluster.crash_and_restart();
    contract::check_after_a_crash(postgres_store(&database.url).await, &courses).await;
    drop(database);
}

/// Replicas starting together on a fresh database: each waits for the one migrating, none
/// fails, and the schema is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_at_once_apply_the_schema_once() {
    let Some(database) = TestDatabase::create().await else { return };
    let url = Secret::new(&database.url);
    let opened = futures_util::future::join_all((0..4).map(|_| PgStore::connect(&url, 2))).await;
    for store in &opened {
        assert!(store.is_ok(), "{:?}", store.as_ref().err());
    }
    let (client, connection) = tokio_postgres::connect(&database.url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let versions: i64 = client.query_one("SELECT count(*) FROM fyd_schema", &[]).await.unwrap().get(0);
    assert_eq!(versions, 1);
}
