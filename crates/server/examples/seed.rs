//! Seeds a data dir for the scale benchmark: USERS users (all with PASSWORD) and
//! COURSES_PER_USER courses each, through `SledStore::import`.
//! Usage: cargo run --release -p fyd-server --example seed -- DATA_DIR USERS COURSES_PER_USER PASSWORD

use std::time::Instant;

use fyd_server::store::{NewUser, SledStore};
use sample_course::sample_course;

#[path = "../benches/support/sample_course.rs"]
mod sample_course;

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
    store.import(new_users, per_user, |i| sample_course(i, 6))?;
    println!("seeded {users} users and {} courses in {:.1} s", users * per_user, started.elapsed().as_secs_f64());
    Ok(())
}
