//! Seeds a data dir for the scale benchmark: USERS users (all with PASSWORD) and
//! COURSES_PER_USER courses each, through `SledStore::import`.
//! Usage: cargo run --release -p fyd-server --example seed -- DATA_DIR USERS COURSES_PER_USER PASSWORD

use std::time::Instant;

use fyd_core::course::CourseContent;
use fyd_server::store::{NewUser, SledStore};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, users, per_user, password] = args.as_slice() else {
        anyhow::bail!("usage: seed DATA_DIR USERS COURSES_PER_USER PASSWORD");
    };
    let (users, per_user): (usize, usize) = (users.parse()?, per_user.parse()?);
    let started = Instant::now();
    let hash = tokio::runtime::Builder::new_current_thread().build()?.block_on(fyd_server::auth::password::hash(password.clone()))?;
    let store = SledStore::open(&std::path::Path::new(dir).join("db"), 64 * 1024 * 1024)?;
    let new_users = (0..users)
        .map(|i| NewUser {
            email: format!("scale{i}@fyd.example"),
            nickname: format!("scale{i}"),
            password_hash: hash.clone(),
            created_at: "2026-11-26T12:00:00.000+09:00".into(),
        })
        .collect();
    store.import(new_users, per_user, |i| CourseContent {
        title: format!("성수·서울숲 가을 데이트 {i}"),
        datetime: "오후 2시 ~ 오후 9시".into(),
        question: "성수에서 가을에 오후 2시부터 오후 9시까지 걸어서 다니는 데이트 코스를 추천해 주세요.".into(),
        answer: "1. 14:00–15:00 성수동 카페거리 [카페]\n".repeat(6),
        place: Some("성수".into()),
        season: None,
        start: Some("14:00".into()),
        end: Some("21:00".into()),
        transport: None,
        stops: Vec::new(),
        legs: Vec::new(),
        provider: Some("builtin".into()),
        model: None,
    })?;
    println!("seeded {users} users and {} courses in {:.1} s", users * per_user, started.elapsed().as_secs_f64());
    Ok(())
}
