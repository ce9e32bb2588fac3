//! The server's hot paths: verifying a JWT, writing a page of courses, and reading from the
//! sled store. Run: `cargo bench -p fyd-server --bench hot_paths`.
//!
//! `serialize_page_of_20_courses` is what a list answer cost when courses were decoded and
//! re-encoded; `splice_page_of_20_stored_courses` is what it costs now that the stored wire
//! JSON is written as it is.

#[path = "support/sample_course.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fyd_core::course::Course;
use fyd_server::api::json::EncodedJson;
use fyd_server::auth::tokens::{TokenIssuer, TokenType};
use fyd_server::store::{SledStore, Store};
use jiff::{SignedDuration, Timestamp};
use poem::IntoResponse;
use support::sample_course;

fn bench(c: &mut Criterion) {
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let tokens = TokenIssuer::new(b"0123456789abcdef0123456789abcdef", SignedDuration::from_mins(60), SignedDuration::from_hours(168));
    let access = tokens.access(42, "0123456789abcdef0123456789abcdef", now).token;
    // A client's first request with a token, then every later one (the token is remembered).
    c.bench_function("jwt_verify_new_token", |b| {
        b.iter_batched(
            || tokens.access(42, "0123456789abcdef0123456789abcdef", now).token,
            |token| tokens.decode(&token, TokenType::Access, now).unwrap(),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("jwt_verify_remembered_token", |b| {
        b.iter(|| tokens.decode(std::hint::black_box(&access), TokenType::Access, now).unwrap())
    });

    let page: Vec<Course> = (0..20)
        .map(|i| Course { id: i, author: 1, created_at: "2026-11-26T21:00:00.000+09:00".into(), content: sample_course(i as usize, 8) })
        .collect();
    c.bench_function("serialize_page_of_20_courses", |b| b.iter(|| serde_json::to_vec(std::hint::black_box(&page)).unwrap()));
    let stored: Vec<Vec<u8>> = page.iter().map(|course| serde_json::to_vec(course).unwrap()).collect();
    c.bench_function("splice_page_of_20_stored_courses", |b| {
        b.iter(|| EncodedJson::<Vec<Course>>::array(std::hint::black_box(&stored).iter().map(Vec::as_slice)).into_response())
    });

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), 8 * 1024 * 1024).unwrap();
    let mut last = 0;
    runtime.block_on(async {
        for author in 1..=50u64 {
            for i in 0..20 {
                last = store.create_course(author, "2026-11-26T21:00:00.000+09:00".into(), sample_course(i, 8)).await.unwrap().id;
            }
        }
    });
    c.bench_function("store_list_20_newest_cached", |b| {
        b.iter(|| runtime.block_on(store.list_courses(std::hint::black_box(25), None, 21)).unwrap())
    });
    // `before` bypasses the newest-page cache: the sled range scan itself.
    c.bench_function("store_list_20_scanned", |b| {
        b.iter(|| runtime.block_on(store.list_courses(std::hint::black_box(25), Some(u64::MAX), 21)).unwrap())
    });
    c.bench_function("store_get_course_by_id", |b| b.iter(|| runtime.block_on(store.course(std::hint::black_box(last))).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
