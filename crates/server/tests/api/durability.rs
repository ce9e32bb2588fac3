//! Restarting on the same data dir keeps users, courses, sessions and signing keys.

use fyd_test_support::{join_body, login_body, seongsu_request, TestApp};
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
    let login = app.post("/user/login/", None, login_body("mina@example.com")).await;
    assert_eq!(login.status, StatusCode::OK);
    let newer = app.create_course(&access, "재시작 후").await;
    assert!(newer["id"].as_u64() > course["id"].as_u64(), "ids keep increasing across restarts");
    let taken = app.post("/user/join/", None, join_body("MINA@example.com", "n2")).await;
    assert_eq!(taken.code(), "already_registered", "uniqueness indexes survive too");
}

#[cfg(unix)]
#[tokio::test]
async fn the_generated_signing_secret_is_private() {
    use std::os::unix::fs::PermissionsExt;
    // Only sled generates one: a shared database requires FYD_JWT_SECRET (`refuses_…` below).
    let app = TestApp::spawn_with(|settings| {
        settings.database_url = None;
        settings.jwt_secret = None;
    })
    .await;
    let mode = std::fs::metadata(app.settings.data_dir.join("jwt-secret")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// As the service fyd replaces did: a fresh store numbers users from 1 and courses from 1,
/// each kind on its own, and a restart goes on counting (a deleted id is not handed out again).
#[tokio::test]
async fn ids_count_from_one_for_users_and_for_courses_and_go_on_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let mina = app.join("mina@example.com", "mina").await;
    assert_eq!(mina["user"]["pk"], 1);
    assert_eq!(app.join("joon@example.com", "joon").await["user"]["pk"], 2);
    let token = mina["access"].as_str().unwrap().to_owned();
    assert_eq!(app.create_course(&token, "첫 코스").await["id"], 1);
    let mut saved = seongsu_request();
    saved["save"] = json!(true);
    let recommended = app.post("/chat/chatbot/", Some(&token), saved).await;
    assert_eq!(recommended.body["detail"]["id"], 2, "{}", recommended.body);
    assert_eq!(app.delete("/chat/chat/2/", Some(&token)).await.status, StatusCode::NO_CONTENT);

    app.restart().await;

    assert_eq!(app.create_course(&token, "재시작 후").await["id"], 3);
    assert_eq!(app.join("sora@example.com", "sora").await["user"]["pk"], 3);
}

/// A generated secret would be one replica's alone, so a shared database refuses to start
/// without FYD_JWT_SECRET, saying so, and naming the database without its password.
#[tokio::test]
async fn a_shared_database_without_a_jwt_secret_refuses_to_start_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = fyd_test_support::Settings::with_data_dir(dir.path());
    settings.bind = "127.0.0.1:0".into();
    settings.database_url = Some("postgres://fyd:hunter2-secret@127.0.0.1:1/fyd".parse().unwrap());
    settings.jwt_secret = None;
    let clock = std::sync::Arc::new(fyd_server::clock::ManualClock::new("2026-11-26T03:00:00Z".parse().unwrap()));
    let Err(err) = fyd_server::spawn(settings, clock).await else { panic!("started without a shared secret") };
    let message = err.to_string();
    assert!(message.contains("FYD_JWT_SECRET must be set") && message.contains("127.0.0.1:1/fyd"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!dir.path().join("jwt-secret").exists(), "no secret of its own was made");
}
