//! The real `fyd-server` binary: it reports the port it bound, and SIGTERM stops it cleanly
//! (requests drained, store flushed, exit 0) with every acknowledged write kept.
#![cfg(unix)]

mod common;

use common::process::Process;
use serde_json::{json, Value};

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let server = Process::start(dir.path(), &[]);
    let url = server.url.clone();
    let pair = common::join_at(&client, &url, "mina@example.com", "mina").await;
    let token = pair["access"].as_str().unwrap();
    let created = client
        .post(format!("{url}/chat/chat/"))
        .bearer_auth(token)
        .json(&json!({"title": "t", "datetime": "d", "question": "q", "answer": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    assert!(server.terminate().success(), "SIGTERM ends with exit 0");

    let server = Process::start(dir.path(), &[]);
    let list: Value = client.get(format!("{}/chat/chat/", server.url)).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert!(server.terminate().success());
}
