//! The authorization matrix: every endpoint that needs a token, with every kind of bad token,
//! answers 401 `token_not_valid` and leaks nothing; another user's valid token gets 403 on
//! the victim's course and sees none of it anywhere.
//!
//! Each bad token is wrong in one respect only: the forgeries are unexpired, of a live session,
//! and signed with the server's own key and algorithm except where their fault is the
//! signature or the algorithm (`fyd_test_support::tokens`); the same token re-signed with
//! nothing changed is accepted everywhere. So turning off any single check (the signature, the
//! algorithm, the type, expiry, the session or its user) fails this suite.

use fyd_test_support::tokens::{alg_none, known_secret, resigned, sign, with_signature_changed, OTHER_SECRET, SECRET};
use fyd_test_support::{course_body, login_body, seongsu_request, TestApp};
use jiff::SignedDuration;
use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SECRET_TITLE: &str = "미나만 아는 코스";

/// Mina's live session on a server that signs with the known secret, and another user.
struct Mina {
    app: TestApp,
    /// Live: unexpired, of a live session.
    access: String,
    refresh: String,
    course: u64,
    /// Joon's user id: a real user, not the session's.
    joon: u64,
    /// Unexpired, but its session was logged out.
    revoked_access: String,
    revoked_refresh: String,
    /// Of a live session, but past its lifetime.
    expired_access: String,
}

async fn mina() -> Mina {
    let app = TestApp::spawn_with(known_secret).await;
    let first = app.join("mina@example.com", "mina").await;
    let expired_access = first["access"].as_str().unwrap().to_owned();
    app.advance(SignedDuration::from_mins(61)); // the first session's access token expires
    let joon = app.join("joon@example.com", "joon").await["user"]["pk"].as_u64().unwrap();
    let login = || app.post("/user/login/", None, login_body("mina@example.com"));
    let revoked = login().await.body;
    let logout = app.post("/user/logout/", revoked["access"].as_str(), json!({"refresh": revoked["refresh"]})).await;
    assert_eq!(logout.status, StatusCode::OK);
    let live = login().await.body;
    let access = live["access"].as_str().unwrap().to_owned();
    let course = app.create_course(&access, SECRET_TITLE).await["id"].as_u64().unwrap();
    Mina {
        refresh: live["refresh"].as_str().unwrap().to_owned(),
        course,
        joon,
        revoked_access: revoked["access"].as_str().unwrap().to_owned(),
        revoked_refresh: revoked["refresh"].as_str().unwrap().to_owned(),
        expired_access,
        access,
        app,
    }
}

/// Bad tokens made from a live `token` of a live session, each wrong in one respect only:
/// signed and timed as the server would, except for what its name says.
fn one_fault_each(token: &str, other_user: u64) -> Vec<(&'static str, String)> {
    let claims = fyd_test_support::tokens::claims(token);
    let other_type = if claims["token_type"] == "access" { "refresh" } else { "access" };
    vec![
        ("signature changed", with_signature_changed(token)),
        ("signed with another key", sign(&claims, Algorithm::HS256, OTHER_SECRET)),
        ("alg none, unsigned", alg_none(token)),
        ("alg HS512 with the server's key", sign(&claims, Algorithm::HS512, SECRET)),
        ("type changed", resigned(token, |c| c["token_type"] = json!(other_type))),
        ("subject changed to another user", resigned(token, |c| c["sub"] = json!(other_user.to_string()))),
    ]
}

/// Every endpoint that takes an access token, with a body it would accept from Mina.
fn endpoints(mina: &Mina) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/user/user/".into(), None),
        (Method::GET, "/chat/chat/".into(), None),
        (Method::POST, "/chat/chat/".into(), Some(course_body("침입"))),
        (Method::GET, format!("/chat/chat/{}/", mina.course), None),
        (Method::POST, "/chat/chatbot/".into(), Some(seongsu_request())),
        (Method::POST, "/chat/chatbot/stream/".into(), Some(seongsu_request())),
        (Method::DELETE, format!("/chat/chat/{}/", mina.course), None),
        (Method::POST, "/user/logout/".into(), Some(json!({"refresh": mina.refresh}))),
    ]
}

#[tokio::test]
async fn every_endpoint_refuses_a_token_wrong_in_any_one_respect_and_accepts_it_re_signed_unchanged() {
    let mina = mina().await;
    let app = &mina.app;
    let mut cases = vec![
        ("no token", None),
        ("malformed", Some("not-a-jwt".to_owned())),
        ("expired", Some(mina.expired_access.clone())),
        ("a refresh token", Some(mina.refresh.clone())),
        ("revoked session", Some(mina.revoked_access.clone())),
    ];
    cases.extend(one_fault_each(&mina.access, mina.joon).into_iter().map(|(name, token)| (name, Some(token))));
    let endpoints = endpoints(&mina);
    let mut refused = 0;
    for (method, path, body) in &endpoints {
        for (name, token) in &cases {
            let reply = app.request(method.clone(), path, token.as_deref(), body.clone()).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name} on {method} {path}: {}", reply.body);
            assert_eq!(reply.code(), "token_not_valid", "{name} on {method} {path}");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
            assert!(!reply.body.to_string().contains(SECRET_TITLE));
            refused += 1;
        }
    }
    for (name, token) in &cases {
        let reply = app.post("/user/token/verify/", None, json!({"token": token.clone().unwrap_or_default()})).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "verify {name}");
        refused += 1;
    }
    assert_eq!(refused, (endpoints.len() + 1) * 11);
    let list = app.get("/chat/chat/", Some(&mina.access)).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing was created or deleted: {list}");

    // The same token re-signed with nothing changed opens every one of them: each refusal
    // above was for its one fault.
    let genuine = resigned(&mina.access, |_| {});
    assert_ne!(genuine, mina.access, "a new signature over the same claims");
    assert_eq!(app.post("/user/token/verify/", None, json!({"token": genuine})).await.status, StatusCode::OK);
    for (method, path, body) in &endpoints {
        let reply = app.request(method.clone(), path, Some(&genuine), body.clone()).await;
        assert!(reply.status.is_success(), "{method} {path}: {} {}", reply.status, reply.body);
    }
}

#[tokio::test]
async fn refresh_refuses_a_token_wrong_in_any_one_respect_and_accepts_it_re_signed_unchanged() {
    let mina = mina().await;
    let app = &mina.app;
    let mut cases = vec![("an access token", mina.access.clone()), ("revoked session", mina.revoked_refresh.clone())];
    cases.extend(one_fault_each(&mina.refresh, mina.joon));
    for rotate in [false, true] {
        for (name, token) in &cases {
            let reply = app.post("/user/token/refresh/", None, json!({"refresh": token, "rotate": rotate})).await;
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::UNAUTHORIZED, "token_not_valid"),
                "{name}, rotate {rotate}: {}",
                reply.body
            );
        }
    }
    let genuine = resigned(&mina.refresh, |_| {});
    let reply = app.post("/user/token/refresh/", None, json!({"refresh": genuine, "rotate": true})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(app.get("/user/user/", reply.body["access"].as_str()).await.body["pk"], 1);
}

#[tokio::test]
async fn another_users_valid_token_gets_403_and_sees_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.user_token("mina@example.com", "mina").await;
    let course = app.create_course(&owner, SECRET_TITLE).await;
    let id = course["id"].as_u64().unwrap();
    let other = app.user_token("joon@example.com", "joon").await;
    for method in [Method::GET, Method::DELETE] {
        let reply = app.request(method.clone(), &format!("/chat/chat/{id}/"), Some(&other), None).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::FORBIDDEN, "permission_denied"), "{method}");
        assert!(!reply.body.to_string().contains(SECRET_TITLE));
    }
    let list = app.get("/chat/chat/", Some(&other)).await;
    assert_eq!(list.body, json!([]));
    let paged = app.get(&format!("/chat/chat/?before={}", id + 1), Some(&other)).await;
    assert_eq!(paged.body, json!([]), "paging cannot reach into another user's courses");
    assert!(!app.get("/user/user/", Some(&other)).await.body.to_string().contains("mina"));
    assert_eq!(app.get(&format!("/chat/chat/{id}/"), Some(&owner)).await.status, StatusCode::OK);
}
