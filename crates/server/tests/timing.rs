//! Logins for an unknown email and with a wrong password cost about the same time, so the
//! answer time does not tell an attacker which emails have accounts. Its own test binary, so
//! no other test hashes passwords at the same time.
//!
//! Both failures run exactly one argon2id verification with the same parameters (an unknown
//! email is checked against a dummy hash made like a real one), so the true ratio of their
//! times is 1; what moves the measured one is the machine. So the two logins of a pair run back
//! to back, in alternating order, and the median of the pairs' ratios is compared: on the
//! 2-core development machine, busy with other builds, 12 runs of 32 pairs gave medians of
//! 0.94–1.06 (with 24 pairs, 20 runs: 0.89–1.12), while single pairs ranged from 0.2 to 6.
//! `cargo test -p fyd-server --test timing -- --nocapture` prints it. The bound, 0.8–1.25 (a
//! fifth either way, about twice the widest median seen), fails what a leak looks like: a dummy
//! hash with one argon2 pass instead of two measured 0.54–0.62, and no dummy hash at all (the
//! bug this test found) 0.03.

use std::time::Instant;

use fyd_test_support::TestApp;
use serde_json::json;

const PAIRS: usize = 32;

#[tokio::test]
async fn unknown_email_and_wrong_password_take_the_same_time() {
    let app = TestApp::spawn_with(|s| s.login_max_failures = 1_000).await;
    app.join("mina@example.com", "mina").await;
    let time = |email: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let reply = app.post("/user/login/", None, json!({"email": email, "password": "wrong-password-1"})).await;
            assert_eq!(reply.code(), "invalid_credentials");
            started.elapsed().as_secs_f64()
        }
    };
    time("nobody@example.com").await; // the dummy hash is made on first use
    time("mina@example.com").await;
    let mut ratios = Vec::with_capacity(PAIRS);
    for pair in 0..PAIRS {
        let (unknown, wrong) = if pair % 2 == 0 {
            let unknown = time("nobody@example.com").await;
            (unknown, time("mina@example.com").await)
        } else {
            let wrong = time("mina@example.com").await;
            (time("nobody@example.com").await, wrong)
        };
        ratios.push(unknown / wrong);
    }
    ratios.sort_by(f64::total_cmp);
    let median = (ratios[PAIRS / 2 - 1] + ratios[PAIRS / 2]) / 2.0;
    println!(
        "unknown email / wrong password login time: median {median:.3} of {PAIRS} pairs (from {:.2} to {:.2})",
        ratios[0],
        ratios[PAIRS - 1]
    );
    assert!((0.8..=1.25).contains(&median), "an attacker could tell them apart: median ratio {median:.3}");
}
