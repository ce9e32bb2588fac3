//! `/user/…` against a real server: every row of the contract's account table.

use fyd_test_support::{join_body, login_body, TestApp, PASSWORD};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn join_with_passwords(email: &str, nickname: &str, password1: &str, password2: &str) -> Value {
    let mut body = join_body(email, nickname);
    (body["password1"], body["password2"]) = (json!(password1), json!(password2));
    body
}

#[tokio::test]
async fn join_answers_201_with_a_token_pair_and_the_user() {
    let app = TestApp::spawn().await;
    let pair = app.join("Mina@Example.com", "미나").await;
    for key in ["access", "refresh", "access_expiration", "refresh_expiration"] {
        assert!(pair[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {pair}");
    }
    assert_eq!(pair["access_expiration"], "2026-11-26T13:00:00.000+09:00");
    assert_eq!(pair["refresh_expiration"], "2026-12-03T12:00:00.000+09:00");
    assert_eq!(pair["user"]["email"], "Mina@Example.com");
    assert_eq!(pair["user"]["nickname"], "미나");
    assert!(pair["user"]["pk"].as_u64().is_some_and(|pk| pk > 0));
    assert_eq!(pair["user"]["quota"], json!({"limit": 5, "remaining": 5, "resets_at": "2026-11-27T00:00:00.000+09:00"}));

    let me = app.get("/user/user/", pair["access"].as_str()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, pair["user"]);
}

#[tokio::test]
async fn join_refuses_a_taken_email_in_any_case_or_a_taken_nickname_with_one_message() {
    let app = TestApp::spawn().await;
    app.join("mina@example.com", "mina").await;
    let same_email = app.post("/user/join/", None, join_body("MINA@example.COM", "other")).await;
    let same_nickname = app.post("/user/join/", None, join_body("other@example.com", "MINA")).await;
    for reply in [&same_email, &same_nickname] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.code(), "already_registered");
    }
    assert_eq!(same_email.body, same_nickname.body, "email and nickname clashes must read the same");
}

#[tokio::test]
async fn join_applies_djangos_password_rules_and_reports_fields() {
    let app = TestApp::spawn().await;
    let cases = [
        ("short1!", "too short"),
        ("12345678901", "entirely numeric"),
        ("password123", "too common"),
        ("minalee2024", "too similar to the email"),
    ];
    for (password, expected) in cases {
        let reply = app.post("/user/join/", None, join_with_passwords("minalee2024@example.com", "m", password, password)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(reply.code(), "invalid_input");
        let messages = reply.body["fields"]["password1"].to_string();
        assert!(messages.contains(expected), "{password}: {messages}");
    }
    let mismatch = app.post("/user/join/", None, join_with_passwords("a@example.com", "a", PASSWORD, "different-9x")).await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert!(mismatch.body["fields"]["password2"].is_array());

    let missing = app.post("/user/join/", None, json!({"email": "a@example.com"})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    for field in ["nickname", "password1", "password2"] {
        assert_eq!(missing.body["fields"][field][0], "This field is required.", "{}", missing.body);
    }
    let bad_email = app.post("/user/join/", None, join_body("not-an-email", "a")).await;
    assert!(bad_email.body["fields"]["email"].is_array());
    // Nothing was created by any of these: the email is still free.
    app.join("minalee2024@example.com", "m").await;
}

#[tokio::test]
async fn login_gives_the_same_answer_for_unknown_email_and_wrong_password() {
    let app = TestApp::spawn().await;
    app.join("mina@example.com", "mina").await;
    let ok = app.post("/user/login/", None, login_body("MINA@example.com")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["user"]["email"], "mina@example.com");
    assert!(ok.body["access"].is_string() && ok.body["refresh"].is_string());

    let wrong = app.post("/user/login/", None, json!({"email": "mina@example.com", "password": "wrong-password-1"})).await;
    let unknown = app.post("/user/login/", None, json!({"email": "nobody@example.com", "password": "wrong-password-1"})).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "the old front shows nothing on 401");
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    let blank = app.post("/user/login/", None, json!({"email": "", "password": ""})).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body["fields"]["email"].is_array() && blank.body["fields"]["password"].is_array());
}

#[tokio::test]
async fn repeated_failed_logins_for_one_email_get_429_until_the_window_passes() {
    let app = TestApp::spawn().await;
    app.join("mina@example.com", "mina").await;
    let attempt = |password: &'static str| app.post("/user/login/", None, json!({"email": "mina@example.com", "password": password}));
    for _ in 0..10 {
        assert_eq!(attempt("guess-password-1").await.status, StatusCode::BAD_REQUEST);
    }
    let throttled = attempt(PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.code(), "too_many_attempts");
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after));
    // Another email is not affected.
    let other = app.post("/user/login/", None, json!({"email": "other@example.com", "password": "x-password-1"})).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    // The real user is not locked out forever.
    app.advance(SignedDuration::from_secs(retry_after as i64));
    assert_eq!(attempt(PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_same_refresh_token_works_again_and_again_without_rotation() {
    let app = TestApp::spawn().await;
    let pair = app.join("mina@example.com", "mina").await;
    for _ in 0..3 {
        let reply = app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"]})).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.get("refresh").is_none(), "no rotation was asked: {}", reply.body);
        let me = app.get("/user/user/", reply.body["access"].as_str()).await;
        assert_eq!(me.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn rotation_retires_the_old_token_and_its_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let pair = app.join("mina@example.com", "mina").await;
    let rotated = app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"], "rotate": true})).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new_refresh = rotated.body["refresh"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, pair["refresh"].as_str().unwrap());
    assert!(rotated.body["refresh_expiration"].is_string());
    // The new one works (and can rotate again).
    let again = app.post("/user/token/refresh/", None, json!({"refresh": new_refresh})).await;
    assert_eq!(again.status, StatusCode::OK);

    // The rotated-away token is refused, and presenting it kills the whole session.
    let reuse = app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"]})).await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reuse.code(), "token_not_valid");
    let after = app.post("/user/token/refresh/", None, json!({"refresh": new_refresh})).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let me = app.get("/user/user/", rotated.body["access"].as_str()).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_both_the_access_and_the_refresh_token() {
    let app = TestApp::spawn().await;
    let pair = app.join("mina@example.com", "mina").await;
    let other_session = app.post("/user/login/", None, login_body("mina@example.com")).await.body;
    let access = pair["access"].as_str();
    let logout = app.post("/user/logout/", access, json!({"refresh": pair["refresh"]})).await;
    assert_eq!(logout.status, StatusCode::OK);
    assert!(logout.body["detail"].is_string());

    assert_eq!(app.get("/user/user/", access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"]})).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/user/token/verify/", None, json!({"token": pair["access"]})).await.status, StatusCode::UNAUTHORIZED);
    // Only that session: the user's other login still works.
    assert_eq!(app.get("/user/user/", other_session["access"].as_str()).await.status, StatusCode::OK);
    // Logging out needs a live access token.
    let again = app.post("/user/logout/", access, json!({"refresh": pair["refresh"]})).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn verify_accepts_only_a_live_access_token() {
    let app = TestApp::spawn().await;
    let pair = app.join("mina@example.com", "mina").await;
    let ok = app.post("/user/token/verify/", None, json!({"token": pair["access"]})).await;
    assert_eq!((ok.status, ok.body.clone()), (StatusCode::OK, json!({})));
    for token in [pair["refresh"].as_str().unwrap(), "garbage", ""] {
        let reply = app.post("/user/token/verify/", None, json!({"token": token})).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(reply.code(), "token_not_valid");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
}

#[tokio::test]
async fn expired_tokens_are_refused_and_an_expired_access_token_can_be_refreshed() {
    let app = TestApp::spawn_with(|s| s.access_ttl = "5m".parse().unwrap()).await;
    let pair = app.join("mina@example.com", "mina").await;
    app.advance(SignedDuration::from_mins(5));
    let me = app.get("/user/user/", pair["access"].as_str()).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.code(), "token_not_valid");
    let refreshed = app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"]})).await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert_eq!(app.get("/user/user/", refreshed.body["access"].as_str()).await.status, StatusCode::OK);

    app.advance(SignedDuration::from_hours(24 * 7));
    let late = app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"]})).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
}
