//! The real `fyd-server` binary: it reports the port it bound, and SIGTERM stops it cleanly
//! (requests drained, store flushed, exit 0) with every acknowledged write kept.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

fn start(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fyd-server"))
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fyd-server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("fyd-server listening on ").expect("the address is printed").to_owned();
    (child, url)
}

fn terminate(mut child: Child) -> std::process::ExitStatus {
    // SAFETY: kill(2) on a child we spawned and have not reaped yet.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
    child.wait().unwrap()
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let (server, url) = start(dir.path());
    let password = "달빛산책-2024x";
    let pair: Value = client
        .post(format!("{url}/user/join/"))
        .json(&json!({"email": "mina@example.com", "nickname": "mina", "password1": password, "password2": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = pair["access"].as_str().unwrap();
    let created = client
        .post(format!("{url}/chat/chat/"))
        .bearer_auth(token)
        .json(&json!({"title": "t", "datetime": "d", "question": "q", "answer": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    assert!(terminate(server).success(), "SIGTERM ends with exit 0");

    let (server, url) = start(dir.path());
    let list: Value = client.get(format!("{url}/chat/chat/")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert!(terminate(server).success());
}
