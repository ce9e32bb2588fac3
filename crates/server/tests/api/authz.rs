//! The authorization matrix: every endpoint that needs a token, with every kind of bad token,
//! answers 401 `token_not_valid` and leaks nothing; another user's valid token gets 403 on
//! the victim's course and sees none of it anywhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use fyd_test_support::{alg_none, course_body, login_body, seongsu_request, TestApp};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SECRET_TITLE: &str = "미나만 아는 코스";

struct Tokens {
    cases: Vec<(&'static str, Option<String>)>,
}

async fn bad_tokens(app: &TestApp) -> Tokens {
    // A session that is logged out: its access token is revoked.
    let revoked = app.join("revoked@example.com", "revoked").await;
    let revoked_access = revoked["access"].as_str().unwrap().to_owned();
    let logout = app.post("/user/logout/", Some(&revoked_access), json!({"refresh": revoked["refresh"]})).await;
    assert_eq!(logout.status, StatusCode::OK);
    // An expired one: issued now, checked after the clock moves past its lifetime.
    let expiring = app.join("expiring@example.com", "expiring").await["access"].as_str().unwrap().to_owned();
    let refresh_token = app.join("refresher@example.com", "refresher").await["refresh"].as_str().unwrap().to_owned();
    let live = app.user_token("live@example.com", "live").await;
    let unsigned = live.rsplit_once('.').unwrap().0;
    let bad_signature = format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode(b"not the signature"));
    Tokens {
        cases: vec![
            ("no token", None),
            ("malformed", Some("not-a-jwt".into())),
            ("expired", Some(expiring)),
            ("bad signature", Some(bad_signature)),
            ("alg none", Some(alg_none(&live))),
            ("refresh token as access", Some(refresh_token)),
            ("revoked session", Some(revoked_access)),
        ],
    }
}

#[tokio::test]
async fn every_endpoint_refuses_every_bad_token_without_leaking() {
    let app = TestApp::spawn().await;
    let owner = app.user_token("mina@example.com", "mina").await;
    let course = app.create_course(&owner, SECRET_TITLE).await;
    let id = course["id"].as_u64().unwrap();
    let tokens = bad_tokens(&app).await;
    app.advance(SignedDuration::from_mins(61)); // expires "expired" (and every access token)
    let owner = app.post("/user/login/", None, login_body("mina@example.com")).await.body["access"].as_str().unwrap().to_owned();
    let recommend = seongsu_request();
    let endpoints: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/user/user/".into(), None),
        (Method::POST, "/user/logout/".into(), Some(json!({"refresh": "x"}))),
        (Method::GET, "/chat/chat/".into(), None),
        (Method::POST, "/chat/chat/".into(), Some(course_body("침입"))),
        (Method::GET, format!("/chat/chat/{id}/"), None),
        (Method::DELETE, format!("/chat/chat/{id}/"), None),
        (Method::POST, "/chat/chatbot/".into(), Some(recommend.clone())),
        (Method::POST, "/chat/chatbot/stream/".into(), Some(recommend)),
    ];
    let mut checked = 0;
    for (method, path, body) in &endpoints {
        for (name, token) in &tokens.cases {
            let reply = app.request(method.clone(), path, token.as_deref(), body.clone()).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name} on {method} {path}: {}", reply.body);
            assert_eq!(reply.code(), "token_not_valid", "{name} on {method} {path}");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
            assert!(!reply.body.to_string().contains(SECRET_TITLE));
            checked += 1;
        }
        // verify answers for tokens in the body, with the same rules.
    }
    for (name, token) in &tokens.cases {
        let reply = app.post("/user/token/verify/", None, json!({"token": token.clone().unwrap_or_default()})).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "verify {name}");
        checked += 1;
    }
    assert_eq!(checked, endpoints.len() * 7 + 7);
    // Nothing changed: the course is still there and nothing was created.
    let list = app.get("/chat/chat/", Some(&owner)).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1);
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
