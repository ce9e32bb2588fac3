//! Logins for an unknown email and with a wrong password cost about the same time, so the
//! answer time does not tell an attacker which emails have accounts. Its own test binary, so
//! no other test hashes passwords at the same time.

use fyd_test_support::TestApp;
use serde_json::json;

#[tokio::test]
async fn unknown_email_and_wrong_password_take_comparable_time() {
    let app = TestApp::spawn_with(|s| s.login_max_failures = 1_000).await;
    app.join("mina@example.com", "mina").await;
    let time = |email: &'static str| {
        let app = &app;
        async move {
            let started = std::time::Instant::now();
            let reply = app.post("/user/login/", None, json!({"email": email, "password": "wrong-password-1"})).await;
            assert_eq!(reply.code(), "invalid_credentials");
            started.elapsed().as_secs_f64()
        }
    };
    time("nobody@example.com").await; // the dummy hash is made on first use
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..16 {
        unknown.push(time("nobody@example.com").await);
        wrong.push(time("mina@example.com").await);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = median(&mut unknown) / median(&mut wrong);
    println!("unknown email / wrong password login time: {ratio:.2}");
    // Without the dummy hash the ratio was 0.03; noise from a busy machine stays well inside.
    assert!((0.5..2.0).contains(&ratio), "an attacker could tell them apart: ratio {ratio:.2}");
}
