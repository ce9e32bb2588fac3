//! Restarting on the same data dir keeps users, courses, sessions and signing keys.

mod common;

use common::{TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn users_courses_and_tokens_survive_a_restart() {
    let mut app = TestApp::spawn().await;
    let pair = app.join("mina@example.com", "mina").await;
    let access = pair["access"].as_str().unwrap().to_owned();
    let course = app.create_course(&access, "재시작 전").await;
    let gone = app.create_course(&access, "지울 코스").await;
    assert_eq!(app.delete(&format!("/chat/chat/{}", gone["id"]), Some(&access)).await.status, StatusCode::NO_CONTENT);

    app.restart().await;

    let list = app.get("/chat/chat/", Some(&access)).await;
    assert_eq!(list.status, StatusCode::OK, "the access token from before still works");
    assert_eq!(list.body, json!([course]), "the course is kept and the deleted one stays gone");
    let refreshed = app.post("/user/token/refresh/", None, json!({"refresh": pair["refresh"]})).await;
    assert_eq!(refreshed.status, StatusCode::OK);
    let login = app.post("/user/login/", None, json!({"email": "mina@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::OK);
    let newer = app.create_course(&access, "재시작 후").await;
    assert!(newer["id"].as_u64() > course["id"].as_u64(), "ids keep increasing across restarts");
    let taken = app
        .post("/user/join/", None, json!({"email": "MINA@example.com", "nickname": "n2", "password1": PASSWORD, "password2": PASSWORD}))
        .await;
    assert_eq!(taken.code(), "already_registered", "uniqueness indexes survive too");
}

#[cfg(unix)]
#[tokio::test]
async fn the_generated_signing_secret_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let mode = std::fs::metadata(app.settings.data_dir.join("jwt-secret")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
