//! The real `fyd-server` binary: it reports the port it bound, and SIGTERM stops it cleanly
//! (requests drained, store flushed, exit 0) with every acknowledged write kept.
#![cfg(unix)]

use fyd_test_support::process::Process;
use fyd_test_support::{course_body, join_at};
use serde_json::Value;

/// The binary under test, as cargo built it.
const SERVER: &str = env!("CARGO_BIN_EXE_fyd-server");

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let server = Process::start(SERVER, dir.path(), &[]);
    let url = server.url.clone();
    let pair = join_at(&client, &url, "mina@example.com", "mina").await;
    let token = pair["access"].as_str().unwrap();
    let created = client.post(format!("{url}/chat/chat/")).bearer_auth(token).json(&course_body("t")).send().await.unwrap();
    assert_eq!(created.status(), 201);

    assert!(server.terminate().success(), "SIGTERM ends with exit 0");

    let server = Process::start(SERVER, dir.path(), &[]);
    let list: Value = client.get(format!("{}/chat/chat/", server.url)).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert!(server.terminate().success());
}
