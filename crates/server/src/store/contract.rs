//! The [`Store`] contract as tests written against the trait, so that every backend runs the
//! same ones: sled's tests call them, and a PostgreSQL store's would too. What one backend does
//! alone (sled giving back every hold when it opens) is tested beside that backend.

use fyd_core::course::CourseContent;
use jiff::Timestamp;

use super::{KeptQuota, NewCourse, QuotaHold, QuotaReservation, Store};

/// An instant `second`s after a fixed moment on 2026-09-21.
pub(super) fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + second).unwrap()
}

/// The hold of a reservation that must have been granted.
pub(super) fn granted(reservation: QuotaReservation) -> QuotaHold {
    match reservation {
        QuotaReservation::Granted { hold, .. } => hold,
        QuotaReservation::Exhausted => panic!("the quota was used up"),
    }
}

fn paid_course() -> Option<NewCourse> {
    let content: CourseContent =
        serde_json::from_value(serde_json::json!({"title": "paid", "datetime": "d", "question": "q", "answer": "a"})).unwrap();
    Some(NewCourse { created_at: "t".into(), content })
}

/// Holds count until their deadline; a kept hold is spent once, with its course saved in the
/// same write; a lapsed or released one spends and saves nothing; hold ids are not reused.
pub(super) async fn quota_holds_are_spent_with_their_course_or_given_back_once_and_lapse_at_their_deadline(store: &dyn Store) {
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
    let listed: Vec<u64> = store.list_courses(user, None, 10).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(listed, [course.id], "the course is saved with the unit that paid for it");

    store.release_quota(&on_time).await.unwrap();
    store.release_quota(&late).await.unwrap();
    assert!(matches!(store.keep_quota(&on_time, at(19), None).await.unwrap(), KeptQuota::Lapsed), "spent once");
    assert_eq!(store.quota_used(user, day, at(0)).await.unwrap(), 1, "a spent unit is not given back");

    let given_back = granted(store.reserve_quota(user, day, 2, at(30), at(40)).await.unwrap());
    assert!(![late.id, on_time.id].contains(&given_back.id), "a hold's id is not handed out again");
    store.release_quota(&given_back).await.unwrap();
    assert_eq!(store.quota_used(user, day, at(30)).await.unwrap(), 1, "a released hold is back at once");
    assert_eq!(store.quota_used(user + 1, day, at(30)).await.unwrap(), 0, "another user's day is apart");
}
