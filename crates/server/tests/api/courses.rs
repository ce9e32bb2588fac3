//! `/chat/chat/…` against a real server: every row of the contract's course table.

use fyd_test_support::{course_body, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn create_list_detail_delete_round_trip() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let me = app.get("/user/user/", Some(&token)).await.body;
    let mut body = course_body("성수 가을 데이트");
    body["id"] = json!(999);
    body["author"] = json!(12345);
    body["created_at"] = json!("1999-01-01T00:00:00Z");
    body["place"] = json!("성수");
    body["season"] = json!("fall");
    let created = app.post("/chat/chat/", Some(&token), body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let course = created.body;
    assert_ne!(course["id"], 999, "id in the body is ignored");
    assert_eq!(course["author"], me["pk"], "author in the body is ignored");
    assert_eq!(course["created_at"], "2026-11-26T12:00:00.000+09:00");
    assert_eq!(
        (course["title"].as_str(), course["place"].as_str(), course["season"].as_str()),
        (Some("성수 가을 데이트"), Some("성수"), Some("fall"))
    );

    let second = app.create_course(&token, "두 번째").await;
    let list = app.get("/chat/chat/", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK);
    let ids: Vec<_> = list.body.as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, vec![second["id"].clone(), course["id"].clone()], "newest first");
    // List and detail write the stored bytes as they are: they must be exactly what create answered.
    assert_eq!(list.body, json!([second, course]));
    assert_eq!(list.header("content-type"), Some("application/json"));

    let path = format!("/chat/chat/{}/", course["id"]);
    let detail = app.get(&path, Some(&token)).await;
    assert_eq!((detail.status, &detail.body), (StatusCode::OK, &course));

    let deleted = app.delete(&path, Some(&token)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_null(), "204 has an empty body");
    assert_eq!(app.get(&path, Some(&token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, Some(&token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/chat/chat/", Some(&token)).await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_users_course_is_403_and_never_listed() {
    let app = TestApp::spawn().await;
    let mina = app.user_token("mina@example.com", "mina").await;
    let joon = app.user_token("joon@example.com", "joon").await;
    let course = app.create_course(&mina, "미나의 코스").await;
    let path = format!("/chat/chat/{}", course["id"]);

    let peek = app.get(&path, Some(&joon)).await;
    assert_eq!((peek.status, peek.code()), (StatusCode::FORBIDDEN, "permission_denied"));
    assert!(peek.body.get("title").is_none(), "nothing of the course leaks");
    let delete = app.delete(&path, Some(&joon)).await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/chat/chat/", Some(&joon)).await.body, json!([]));
    // Still there for its owner.
    assert_eq!(app.get(&path, Some(&mina)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn missing_and_non_numeric_ids_are_404() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    for path in ["/chat/chat/424242/", "/chat/chat/abc/", "/chat/chat/-1", "/chat/chat/99999999999999999999999999999"] {
        let reply = app.get(path, Some(&token)).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::NOT_FOUND, "not_found"), "{path}");
        assert_eq!(app.delete(path, Some(&token)).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn put_and_patch_are_405_json_and_a_plain_options_is_told_what_is_allowed() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let course = app.create_course(&token, "t").await;
    let path = format!("/chat/chat/{}/", course["id"]);
    for method in [Method::PUT, Method::PATCH] {
        let reply = app.request(method.clone(), &path, Some(&token), Some(course_body("x"))).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"), "{method}");
        assert_eq!(reply.headers["allow"], "DELETE, GET, OPTIONS", "{method}");
    }
    // OPTIONS without a preflight's headers asks what the path allows: 204 and `Allow`, not a
    // 405 whose own `Allow` lists OPTIONS.
    for (path, allowed) in [
        (path.as_str(), "DELETE, GET, OPTIONS"),
        ("/chat/chatbot/", "POST, OPTIONS"),
        ("/api/schema", "GET, HEAD, OPTIONS"),
        ("/api/schema/redoc", "GET, HEAD, OPTIONS"),
    ] {
        let reply = app.client.request(Method::OPTIONS, format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(reply.headers()["allow"], allowed, "{path}");
    }
    let unknown = app.client.request(Method::OPTIONS, format!("{}/nowhere/", app.url)).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_validates_every_field_and_stores_nothing_invalid() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut long = course_body("x");
    long["title"] = json!("가".repeat(151));
    long["datetime"] = json!("d".repeat(151));
    let cases = [
        (json!({"datetime": "d", "question": "q", "answer": "a"}), vec!["title"]),
        (json!({"title": " ", "datetime": "", "question": "q", "answer": "a"}), vec!["title", "datetime"]),
        (long, vec!["title", "datetime"]),
        (json!({"title": 1, "datetime": "d", "question": "q", "answer": "a"}), vec!["title"]),
        (json!({"title": "t", "datetime": "d", "question": "q", "answer": "a", "season": "monsoon"}), vec!["season"]),
        (json!({"title": "t", "datetime": "d", "question": "q", "answer": "a", "start": "9pm"}), vec!["start"]),
    ];
    for (body, fields) in cases {
        let reply = app.post("/chat/chat/", Some(&token), body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        for field in fields {
            assert!(reply.body["fields"][field].is_array(), "{field} in {}", reply.body);
        }
    }
    let title_150 =
        app.post("/chat/chat/", Some(&token), json!({"title": "가".repeat(150), "datetime": "d", "question": "q", "answer": "a"})).await;
    assert_eq!(title_150.status, StatusCode::CREATED);
    assert_eq!(app.get("/chat/chat/", Some(&token)).await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_list_pages_with_limit_before_and_a_link_header() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.create_course(&token, &format!("코스 {i}")).await["id"].as_u64().unwrap());
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut path = "/chat/chat/?limit=2".to_owned();
    loop {
        let page = app.get(&path, Some(&token)).await;
        assert_eq!(page.status, StatusCode::OK);
        seen.extend(page.body.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()));
        let Some(link) = page.header("link") else { break };
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        path = link.trim_start_matches('<').split('>').next().unwrap().to_owned();
    }
    assert_eq!(seen, ids, "every course once, newest first");
    for bad in ["limit=0", "limit=101", "limit=abc", "before=x"] {
        let reply = app.get(&format!("/chat/chat/?{bad}"), Some(&token)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(reply.body["fields"].is_object());
    }
}

#[tokio::test]
async fn every_course_endpoint_needs_a_token() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let course = app.create_course(&token, "t").await;
    let path = format!("/chat/chat/{}", course["id"]);
    let replies = [
        app.get("/chat/chat/", None).await,
        app.post("/chat/chat/", None, course_body("x")).await,
        app.get(&path, None).await,
        app.delete(&path, None).await,
    ];
    for reply in replies {
        assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "token_not_valid"));
    }
    assert_eq!(app.get(&path, Some(&token)).await.status, StatusCode::OK, "the unauthenticated delete did nothing");
}
