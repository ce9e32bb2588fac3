//! Hostile input: odd ids, huge fields and documents, and clients that connect and say
//! nothing. Every one gets a clear 4xx or a closed connection, never a 500, and the server
//! keeps serving everyone else.

use std::time::{Duration, Instant};

use fyd_test_support::{course_body, login_body, recommend_body, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn odd_ids_are_404_never_500() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    for id in ["-1", "0", "1e3", "%00", "..", "%2e%2e", "99999999999999999999999999999", "18446744073709551616", "%20", "1;DROP", "１"] {
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let reply = app.request(method.clone(), &format!("/chat/chat/{id}/"), Some(&token), None).await;
            assert!(matches!(reply.status.as_u16(), 400 | 404), "{method} {id}: {}", reply.status);
            assert!(reply.body["code"].is_string(), "{method} {id}: JSON error");
        }
    }
}

#[tokio::test]
async fn ten_thousand_character_fields_are_refused_or_kept_whole() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let long = "a".repeat(10_000);
    let join = app
        .post("/user/join/", None, json!({"email": format!("{long}@example.com"), "nickname": long, "password1": long, "password2": long}))
        .await;
    assert_eq!(join.status, StatusCode::BAD_REQUEST);
    for field in ["email", "nickname", "password1"] {
        assert!(join.body["fields"][field].is_array(), "{field}");
    }
    let mut course = course_body("t");
    course["title"] = json!("가".repeat(10_000));
    assert_eq!(app.post("/chat/chat/", Some(&token), course).await.status, StatusCode::BAD_REQUEST);
    let mut course = course_body("긴 이야기");
    course["answer"] = json!("a".repeat(10_000));
    let kept = app.post("/chat/chat/", Some(&token), course).await;
    assert_eq!(kept.status, StatusCode::CREATED, "a long answer is fine");
    assert_eq!(kept.body["answer"].as_str().unwrap().len(), 10_000);
    let recommend = app.post("/chat/chatbot/", Some(&token), recommend_body(&long, "fall", "2", "9", "walk")).await;
    assert_eq!(recommend.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.post("/user/login/", None, json!({"email": long, "password": long})).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn huge_and_deep_documents_are_400() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let numbers: Vec<u32> = (0..12_000).collect();
    let cases = [
        json!({"title": numbers, "datetime": "d", "question": "q", "answer": "a"}),
        serde_json::from_str(&format!(
            "{{\"title\": {}\"t\"{}, \"datetime\": \"d\", \"question\": \"q\", \"answer\": \"a\"}}",
            "[".repeat(100),
            "]".repeat(100)
        ))
        .unwrap(),
        json!({"title": "t", "datetime": "d", "question": "q", "answer": "a", "stops": vec![json!({"name": "x"}); 2_000]}),
    ];
    for case in cases {
        let reply = app.post("/chat/chat/", Some(&token), case).await;
        assert!(matches!(reply.status.as_u16(), 400 | 413), "{}", reply.status);
    }
    let mut many_keys = serde_json::Map::new();
    for i in 0..3_000 {
        many_keys.insert(format!("k{i}"), json!(i));
    }
    many_keys.insert("email".into(), json!("a@b.co"));
    many_keys.insert("password".into(), json!("x"));
    let reply = app.post("/user/login/", None, serde_json::Value::Object(many_keys)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "unknown keys are ignored; the login itself fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_clients_are_cut_off_and_others_are_served() {
    let app = TestApp::spawn_with(|s| s.idle_timeout_secs = 2).await;
    let addr = app.url.trim_start_matches("http://").to_owned();
    // Fifty clients connect and send nothing; fifty send half a request line and stop.
    let mut silent = Vec::new();
    for i in 0..100 {
        let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 1 {
            socket.write_all(b"POST /user/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"email\":").await.unwrap();
        }
        silent.push(socket);
    }
    // Everyone else is still served, promptly.
    let started = Instant::now();
    let pair = app.join("mina@example.com", "mina").await;
    let me = app.get("/user/user/", pair["access"].as_str()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // And the silent ones are closed by the server once idle for the timeout.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for (i, socket) in silent.iter_mut().enumerate() {
        let mut answer = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(3), socket.read_to_end(&mut answer)).await;
        assert!(closed.is_ok(), "connection {i} is still open");
        // A half-sent request may first get its 4xx; a silent one gets nothing.
        let text = String::from_utf8_lossy(&answer);
        assert!(answer.is_empty() || text.starts_with("HTTP/1.1 4"), "connection {i}: {text}");
    }
    let login = app.post("/user/login/", None, login_body("mina@example.com")).await;
    assert_eq!(login.status, StatusCode::OK);
}
