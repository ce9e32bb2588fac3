//! `fyd-server migrate` (the library half, `store::migrate::run`): a sled store copied into
//! PostgreSQL is the same store, a rerun carries on, and a target with other data is refused.

use std::sync::Arc;

use fyd_server::store::migrate::{self, Copied, MigrateError};
use fyd_server::store::{DatabaseUrl, SessionRecord, ShareRecord, SledStore, Store};
use fyd_test_support::postgres::TestDatabase;

use crate::contract::{at, content, granted, user};

const TODAY: &str = "2026-11-26";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_store_copied_into_postgres_is_the_same_store_and_a_rerun_carries_on() {
    let Some(database) = TestDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (users, courses, session) = {
        let sled: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), crate::CACHE).unwrap());
        let mut users = Vec::new();
        for i in 0..3 {
            users.push(sled.create_user(user(&format!("Move{i}@Example.com"), &format!("Move{i}"))).await.unwrap());
        }
        let mut courses = Vec::new();
        for i in 0..2_500 {
            courses.push(sled.create_course(users[i % 3].id, "t".into(), content(&format!("이사 {i}"))).await.unwrap());
        }
        let gone = sled.create_course(users[0].id, "t".into(), content("deleted last")).await.unwrap();
        sled.delete_course(gone.id, users[0].id).await.unwrap();
        let session = SessionRecord { id: "moved".into(), user_id: users[1].id, refresh_generation: 3 };
        sled.create_session(&session).await.unwrap();
        let share = ShareRecord { course: courses[7].id, created_at: "t".into(), expires_at: Some(4_000_000_000), show_nickname: true };
        sled.put_share([7; 32], share, courses[7].author).await.unwrap();
        let spent = granted(sled.reserve_quota(users[0].id, TODAY, 5, at(0), at(90)).await.unwrap());
        sled.keep_quota(&spent, at(1), None).await.unwrap();
        granted(sled.reserve_quota(users[0].id, TODAY, 5, at(0), at(90)).await.unwrap()); // in flight when it stopped
        granted(sled.reserve_quota(users[2].id, "2026-11-25", 5, at(0), at(90)).await.unwrap());
        sled.flush().await.unwrap();
        (users, courses, session)
    };

    let from = DatabaseUrl::Sled(dir.path().to_owned());
    let to: DatabaseUrl = database.url.parse().unwrap();
    let report = migrate::run(&from, &to, false, TODAY, false).await.unwrap();
    assert_eq!(report.users, Copied { read: 3, added: 3 });
    assert_eq!(report.courses, Copied { read: 2_500, added: 2_500 });
    assert_eq!((report.sessions.added, report.shares.added, report.quota_days.added, report.resumed), (1, 1, 1, false));

    let pg = crate::postgres_store(&database.url).await;
    for record in &users {
        assert_eq!(pg.user_by_email(&record.email.to_uppercase()).await.unwrap().as_ref(), Some(record), "same id, email, hash");
    }
    for course in [&courses[0], &courses[1_234], &courses[2_499]] {
        let stored = pg.course(course.id).await.unwrap().expect("copied");
        assert_eq!(stored.json, serde_json::to_vec(course).unwrap(), "byte for byte");
    }
    let listed: Vec<u64> = pg.list_courses(users[0].id, None, 3).await.unwrap().iter().map(|c| c.id).collect();
    let expected: Vec<u64> = courses.iter().rev().filter(|c| c.author == users[0].id).take(3).map(|c| c.id).collect();
    assert_eq!(listed, expected);
    assert_eq!(pg.session("moved").await.unwrap(), Some(session));
    assert_eq!(pg.share(&[7; 32]).await.unwrap().map(|s| s.course), Some(courses[7].id), "sent links keep opening");
    assert_eq!(pg.quota_used(users[0].id, TODAY, at(2)).await.unwrap(), 1, "today's spent unit, not the stopped server's hold");
    assert_eq!(pg.quota_used(users[2].id, "2026-11-25", at(2)).await.unwrap(), 0, "only today's quota");
    let next = pg.create_course(users[0].id, "t".into(), content("first on PostgreSQL")).await.unwrap().id;
    assert!(next > courses.last().unwrap().id + 1, "no id handed out again, not even a deleted one's ({next})");
    assert!(pg.create_user(user("new@example.com", "new")).await.unwrap().id > users[2].id);

    let again = migrate::run(&from, &to, false, TODAY, false).await.unwrap();
    assert!(again.resumed, "the same copy carries on rather than being refused");
    assert_eq!((again.users.added, again.courses.added, again.sessions.added, again.shares.added), (0, 0, 0, 0));
    assert_eq!(again.courses.read, 2_500);

    let other_source = tempfile::tempdir().unwrap();
    SledStore::open(other_source.path(), crate::CACHE).unwrap();
    let other = DatabaseUrl::Sled(other_source.path().to_owned());
    let refused = migrate::run(&other, &to, false, TODAY, false).await.unwrap_err();
    assert!(matches!(refused, MigrateError::NotEmpty(_)), "{refused}");
    assert!(!refused.to_string().contains("password"), "{refused}");
    migrate::run(&other, &to, true, TODAY, false).await.expect("told to");
    assert!(matches!(migrate::run(&to, &to, false, TODAY, false).await, Err(MigrateError::NotSled(_))));
    assert!(matches!(migrate::run(&from, &from, false, TODAY, false).await, Err(MigrateError::NotPostgres(_))));
}
