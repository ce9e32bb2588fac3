//! The [`Store`] contract, written once against the trait: every backend runs every test here
//! (`main.rs` instantiates them for sled and PostgreSQL).

use std::collections::BTreeSet;
use std::sync::Arc;

use futures_util::future::join_all;
use fyd_core::course::CourseContent;
use fyd_server::store::{
    DeleteOutcome, KeptQuota, NewCourse, NewUser, QuotaHold, QuotaReservation, RefreshOutcome, SessionRecord, ShareOutcome, ShareRecord,
    Store, StoreError,
};
use jiff::Timestamp;

/// An instant `second`s after a fixed moment on 2026-09-21.
pub fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + second).unwrap()
}

/// The hold of a reservation that must have been granted.
pub fn granted(reservation: QuotaReservation) -> QuotaHold {
    match reservation {
        QuotaReservation::Granted { hold, .. } => hold,
        QuotaReservation::Exhausted => panic!("the quota was used up"),
    }
}

pub fn user(email: &str, nickname: &str) -> NewUser {
    NewUser {
        email: email.into(),
        nickname: nickname.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: "2026-11-26T12:00:00.000+09:00".into(),
    }
}

pub fn content(title: &str) -> CourseContent {
    serde_json::from_value(serde_json::json!({"title": title, "datetime": "오후 2시 ~ 오후 9시", "question": "성수 \"가을\"", "answer": "1. 서울숲 <b>산책</b>"}))
        .unwrap()
}

fn paid_course() -> Option<NewCourse> {
    Some(NewCourse { created_at: "t".into(), content: content("paid") })
}

async fn ids(store: &dyn Store, author: u64, before: Option<u64>, limit: usize) -> Vec<u64> {
    store.list_courses(author, before, limit).await.unwrap().iter().map(|c| c.id).collect()
}

/// Holds count until their deadline; a kept hold is spent once, with its course saved in the
/// same write; a lapsed or released one spends and saves nothing; hold ids are not reused.
pub async fn quota_holds_are_spent_with_their_course_or_given_back_once_and_lapse_at_their_deadline(store: Arc<dyn Store>) {
    let (user, day) = (1, "2026-11-26");
    let late = granted(store.reserve_quota(user, day, 2, at(0), at(10)).await.unwrap());
    let on_time = granted(store.reserve_quota(user, day, 2, at(0), at(20)).await.unwrap());
    assert_eq!(store.reserve_quota(user, day, 2, at(9), at(20)).await.unwrap(), QuotaReservation::Exhausted, "both held");
    assert_eq!(store.quota_used(user, day, at(9)).await.unwrap(), 2);
    assert_eq!(store.quota_used(user, day, at(10)).await.unwrap(), 1, "a hold counts for nothing from its deadline on");

    assert!(matches!(store.keep_quota(&late, at(10), paid_course()).await.unwrap(), KeptQuota::Lapsed));
    assert!(store.list_courses(user, None, 10).await.unwrap().is_empty(), "a lapsed hold saves nothing");
    let KeptQuota::Kept(Some(course)) = store.keep_quota(&on_time, at(19), paid_course()).await.unwrap() else {
        panic!("a live hold is kept with its course")
    };
    assert_eq!((course.author, course.content.title.as_str()), (user, "paid"));
    assert_eq!(ids(&*store, user, None, 10).await, [course.id], "the course is saved with the unit that paid for it");

    store.release_quota(&on_time).await.unwrap();
    store.release_quota(&late).await.unwrap();
    assert!(matches!(store.keep_quota(&on_time, at(19), None).await.unwrap(), KeptQuota::Lapsed), "spent once");
    assert_eq!(store.quota_used(user, day, at(0)).await.unwrap(), 1, "a spent unit is not given back");

    let given_back = granted(store.reserve_quota(user, day, 2, at(30), at(40)).await.unwrap());
    assert!(![late.id, on_time.id].contains(&given_back.id), "a hold's id is not handed out again");
    store.release_quota(&given_back).await.unwrap();
    assert_eq!(store.quota_used(user, day, at(30)).await.unwrap(), 1, "a released hold is back at once");
    assert_eq!(store.quota_used(user + 1, day, at(30)).await.unwrap(), 0, "another user's day is apart");
    assert_eq!(store.quota_used(user, "2026-11-27", at(30)).await.unwrap(), 0, "another day is apart");
}

/// 30 reservations at once against a limit of 5 get exactly 5 holds; keeping and releasing
/// them concurrently leaves exactly the kept ones counted; the next burst gets exactly the rest.
pub async fn the_quota_is_exact_under_concurrency(store: Arc<dyn Store>) {
    let (user, day, limit) = (7, "2026-11-26", 5);
    let burst = |from: i64| {
        join_all((0..30).map(|_| {
            let store = store.clone();
            async move { store.reserve_quota(user, day, limit, at(from), at(from + 60)).await.unwrap() }
        }))
    };
    let holds: Vec<QuotaHold> =
        burst(0).await.into_iter().filter_map(|r| matches!(r, QuotaReservation::Granted { .. }).then(|| granted(r))).collect();
    assert_eq!(holds.len(), 5, "exactly the limit is held");
    assert_eq!(holds.iter().map(|h| h.id).collect::<BTreeSet<_>>().len(), 5, "every hold has its own id");
    let settled = join_all(holds.iter().enumerate().map(|(i, hold)| {
        let store = store.clone();
        async move {
            match i % 2 {
                0 => assert!(matches!(store.keep_quota(hold, at(1), paid_course()).await.unwrap(), KeptQuota::Kept(Some(_)))),
                _ => store.release_quota(hold).await.unwrap(),
            }
        }
    }));
    settled.await;
    assert_eq!(store.quota_used(user, day, at(2)).await.unwrap(), 3, "three kept, two given back");
    assert_eq!(ids(&*store, user, None, 10).await.len(), 3, "one course per kept unit");
    let second = burst(2).await.into_iter().filter(|r| matches!(r, QuotaReservation::Granted { .. })).count();
    assert_eq!(second, 2, "exactly what was given back");
}

/// Emails and nicknames are unique whatever their case, also when 20 joins race; a user is
/// found by email in any case; user ids increase.
pub async fn emails_and_nicknames_are_unique_case_insensitively_even_when_joins_race(store: Arc<dyn Store>) {
    let mina = store.create_user(user("Mina@Example.com", "Mina")).await.unwrap();
    for (email, nickname) in [("mina@example.COM", "other"), (" MINA@example.com", "other2"), ("new@example.com", "mINA")] {
        assert!(matches!(store.create_user(user(email, nickname)).await, Err(StoreError::AlreadyRegistered)), "{email} {nickname}");
    }
    let found = store.user_by_email("MINA@EXAMPLE.COM").await.unwrap().expect("found in any case");
    assert_eq!(found, mina, "the record as created: email as typed");
    assert_eq!(store.user(mina.id).await.unwrap(), Some(mina.clone()));
    assert_eq!(store.user(mina.id + 1000).await.unwrap(), None);
    assert_eq!(store.user_by_email("nobody@example.com").await.unwrap(), None);

    let joins = join_all((0..20).map(|i| {
        let store = store.clone();
        let email = if i % 2 == 0 { "race@example.com" } else { "RACE@example.com" };
        async move { store.create_user(user(email, &format!("racer{i}"))).await }
    }))
    .await;
    let won: Vec<_> = joins.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "exactly one of 20 racing joins wins");
    assert!(joins.iter().all(|r| matches!(r, Ok(_) | Err(StoreError::AlreadyRegistered))));
    assert!(won[0].id > mina.id, "ids increase with creation");
    let nicknames = join_all((0..20).map(|i| {
        let store = store.clone();
        async move { store.create_user(user(&format!("nick{i}@example.com"), if i % 2 == 0 { "Joon" } else { "JOON" })).await.is_ok() }
    }))
    .await;
    assert_eq!(nicknames.iter().filter(|ok| **ok).count(), 1, "exactly one of 20 racing nicknames wins");
}

/// A user's courses list newest first, page by page with `before`, never another user's;
/// a course reads back byte for byte as created; only its owner deletes it.
pub async fn courses_page_newest_first_read_back_byte_for_byte_and_only_their_owner_deletes_them(store: Arc<dyn Store>) {
    let (mina, joon) = (11, 12);
    let mut created = Vec::new();
    for i in 0..25 {
        let course = store.create_course(mina, format!("2026-11-26T12:00:{i:02}.000+09:00"), content(&format!("코스 {i}"))).await.unwrap();
        if let Some(previous) = created.last() {
            assert!(course.id > *previous, "ids increase with creation");
        }
        created.push(course.id);
        let stored = store.course(course.id).await.unwrap().expect("readable at once");
        assert_eq!((stored.id, stored.author), (course.id, mina));
        assert_eq!(stored.json, serde_json::to_vec(&course).unwrap(), "the wire JSON, byte for byte");
        if i % 5 == 0 {
            store.create_course(joon, "t".into(), content("joon's")).await.unwrap();
        }
    }
    let newest_first: Vec<u64> = created.iter().rev().copied().collect();
    assert_eq!(ids(&*store, mina, None, 10).await, newest_first[..10]);
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = ids(&*store, mina, before, 7).await;
        if page.is_empty() {
            break;
        }
        before = page.last().copied();
        paged.extend(page);
    }
    assert_eq!(paged, newest_first, "pages by `before` cover every course once, in order");
    assert_eq!(ids(&*store, mina, Some(created[0]), 10).await, Vec::<u64>::new());
    assert_eq!(ids(&*store, joon, None, 100).await.len(), 5, "each author sees only their own");
    assert_eq!(ids(&*store, 99, None, 10).await, Vec::<u64>::new());

    let victim = created[12];
    assert_eq!(store.delete_course(victim, joon).await.unwrap(), DeleteOutcome::NotOwner);
    assert!(store.course(victim).await.unwrap().is_some());
    assert_eq!(store.delete_course(victim, mina).await.unwrap(), DeleteOutcome::Deleted);
    assert_eq!(store.delete_course(victim, mina).await.unwrap(), DeleteOutcome::NotFound);
    assert!(store.course(victim).await.unwrap().is_none());
    assert!(!ids(&*store, mina, None, 100).await.contains(&victim), "a deleted course leaves the list at once");
    let after = store.create_course(mina, "t".into(), content("after")).await.unwrap().id;
    assert!(after > *created.last().unwrap(), "a deleted id is not handed out again");
}

/// Logout removes a session; rotation moves its generation; a retired generation revokes it
/// (reuse detection); a token of another user or of a future generation changes nothing; of
/// 20 concurrent rotations of one token exactly one wins.
pub async fn sessions_rotate_detect_reuse_and_end_with_revocation(store: Arc<dyn Store>) {
    let session = SessionRecord { id: "s1".into(), user_id: 3, refresh_generation: 0 };
    store.create_session(&session).await.unwrap();
    assert_eq!(store.session("s1").await.unwrap(), Some(session.clone()));
    assert_eq!(store.session("nope").await.unwrap(), None);
    assert_eq!(store.present_refresh("s1", 3, 0, false).await.unwrap(), RefreshOutcome::Kept(session.clone()));
    assert_eq!(store.present_refresh("s1", 4, 0, true).await.unwrap(), RefreshOutcome::NoSession, "another user's token");
    assert_eq!(store.present_refresh("s1", 3, 1, true).await.unwrap(), RefreshOutcome::NoSession, "a generation never issued");
    let rotated = SessionRecord { refresh_generation: 1, ..session.clone() };
    assert_eq!(store.present_refresh("s1", 3, 0, true).await.unwrap(), RefreshOutcome::Rotated(rotated.clone()));
    assert_eq!(store.session("s1").await.unwrap(), Some(rotated));
    assert_eq!(store.present_refresh("s1", 3, 0, false).await.unwrap(), RefreshOutcome::ReuseDetected);
    assert_eq!(store.session("s1").await.unwrap(), None, "reuse revokes the session");
    assert_eq!(store.present_refresh("s1", 3, 1, true).await.unwrap(), RefreshOutcome::NoSession, "the current token dies with it");

    store.create_session(&SessionRecord { id: "s2".into(), user_id: 3, refresh_generation: 0 }).await.unwrap();
    store.revoke_session("s2").await.unwrap();
    assert_eq!(store.session("s2").await.unwrap(), None, "logout");
    store.revoke_session("s2").await.unwrap();

    store.create_session(&SessionRecord { id: "s3".into(), user_id: 3, refresh_generation: 0 }).await.unwrap();
    let outcomes = join_all((0..20).map(|_| {
        let store = store.clone();
        async move { store.present_refresh("s3", 3, 0, true).await.unwrap() }
    }))
    .await;
    assert_eq!(outcomes.iter().filter(|o| matches!(o, RefreshOutcome::Rotated(_))).count(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&RefreshOutcome::ReuseDetected), "the losers are reuse");
}

/// A course has one share link, which only its owner changes and which goes with the course.
pub async fn a_course_has_one_share_link_which_only_its_owner_changes_and_which_goes_with_the_course(store: Arc<dyn Store>) {
    let (owner, other) = (21, 22);
    let course = store.create_course(owner, "t".into(), content("a")).await.unwrap().id;
    let share = |expires_at| ShareRecord { course, created_at: "t".into(), expires_at, show_nickname: false };
    let (first, second) = ([1; 32], [2; 32]);

    assert_eq!(store.put_share(first, share(None), other).await.unwrap(), ShareOutcome::NotOwner);
    assert_eq!(store.put_share(first, ShareRecord { course: 99_999, ..share(None) }, owner).await.unwrap(), ShareOutcome::NotFound);
    assert_eq!(store.share(&first).await.unwrap(), None, "a refused link is not stored");
    assert_eq!(store.put_share(first, share(None), owner).await.unwrap(), ShareOutcome::Done { had_link: false });
    assert_eq!(store.share(&first).await.unwrap(), Some(share(None)));

    assert_eq!(
        store.put_share(second, ShareRecord { show_nickname: true, ..share(Some(42)) }, owner).await.unwrap(),
        ShareOutcome::Done { had_link: true }
    );
    assert_eq!(store.share(&first).await.unwrap(), None, "the earlier link is replaced");
    assert_eq!(store.share(&second).await.unwrap(), Some(ShareRecord { show_nickname: true, ..share(Some(42)) }));
    assert_eq!(store.revoke_share(course, other).await.unwrap(), ShareOutcome::NotOwner);
    assert_eq!(store.revoke_share(99_999, owner).await.unwrap(), ShareOutcome::NotFound);
    assert_eq!(store.revoke_share(course, owner).await.unwrap(), ShareOutcome::Done { had_link: true });
    assert_eq!(store.share(&second).await.unwrap(), None);
    assert_eq!(store.revoke_share(course, owner).await.unwrap(), ShareOutcome::Done { had_link: false });

    store.put_share(first, share(None), owner).await.unwrap();
    assert_eq!(store.delete_course(course, other).await.unwrap(), DeleteOutcome::NotOwner);
    assert!(store.share(&first).await.unwrap().is_some());
    assert_eq!(store.delete_course(course, owner).await.unwrap(), DeleteOutcome::Deleted);
    assert_eq!(store.share(&first).await.unwrap(), None, "deleting a course ends its link");
}

/// Failed logins are counted per email after `since`, oldest first; old ones are forgotten
/// and a success clears them.
pub async fn failed_logins_are_counted_per_email_within_their_window(store: Arc<dyn Store>) {
    for second in [0, 1, 2] {
        store.record_login_failure("a@b.c", at(second), at(-900)).await.unwrap();
    }
    store.record_login_failure("other@b.c", at(5), at(-900)).await.unwrap();
    assert_eq!(store.login_failures("a@b.c", at(-1)).await.unwrap(), [at(0), at(1), at(2)]);
    assert_eq!(store.login_failures("a@b.c", at(0)).await.unwrap(), [at(1), at(2)], "strictly after `since`");
    store.record_login_failure("a@b.c", at(901), at(1)).await.unwrap();
    assert_eq!(store.login_failures("a@b.c", at(-1)).await.unwrap(), [at(2), at(901)], "failures up to `forget_before` are gone");
    store.clear_login_failures("a@b.c").await.unwrap();
    assert_eq!(store.login_failures("a@b.c", at(-1)).await.unwrap(), []);
    assert_eq!(store.login_failures("other@b.c", at(-1)).await.unwrap().len(), 1, "another email's are apart");
}

/// What a crash must not lose: every write acknowledged before it, made by concurrent
/// writers. `write` runs against the store before the crash, `check` against it after.
pub async fn write_before_a_crash(store: Arc<dyn Store>) -> Vec<u64> {
    let users = join_all((0..10).map(|i| {
        let store = store.clone();
        async move { store.create_user(user(&format!("durable{i}@example.com"), &format!("durable{i}"))).await.unwrap().id }
    }))
    .await;
    let courses: Vec<u64> = join_all((0..40).map(|i| {
        let (store, author) = (store.clone(), users[i % 10]);
        async move { store.create_course(author, "t".into(), content(&format!("durable {i}"))).await.unwrap().id }
    }))
    .await;
    store.create_session(&SessionRecord { id: "durable".into(), user_id: users[0], refresh_generation: 0 }).await.unwrap();
    store.present_refresh("durable", users[0], 0, true).await.unwrap();
    let hold = granted(store.reserve_quota(users[0], "2026-11-26", 5, at(0), at(3600)).await.unwrap());
    store.keep_quota(&hold, at(1), paid_course()).await.unwrap();
    store.delete_course(courses[0], users[0]).await.unwrap();
    courses
}

pub async fn check_after_a_crash(store: Arc<dyn Store>, courses: &[u64]) {
    for i in 0..10 {
        assert!(store.user_by_email(&format!("durable{i}@example.com")).await.unwrap().is_some(), "user {i} survived");
    }
    assert!(store.course(courses[0]).await.unwrap().is_none(), "the acknowledged delete survived");
    for id in &courses[1..] {
        assert!(store.course(*id).await.unwrap().is_some(), "course {id} survived");
    }
    let session = store.session("durable").await.unwrap().expect("the session survived");
    assert_eq!(session.refresh_generation, 1, "the rotation survived");
    assert_eq!(store.quota_used(session.user_id, "2026-11-26", at(2)).await.unwrap(), 1, "the spent unit survived");
}
