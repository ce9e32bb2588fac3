//! Crash safety of the real binary: clients create and delete courses while the server is
//! killed with SIGKILL; after each restart every acknowledged create is there and every
//! acknowledged delete is gone. The same for the quota: no unit is granted twice.
//! CI runs this against the release build too (`cargo test --release --test crash`).
#![cfg(unix)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use fyd_test_support::process::Process;
use fyd_test_support::{course_body, join_at, recommend_body};
use serde_json::{json, Value};

/// The binary under test, as cargo built it.
const SERVER: &str = env!("CARGO_BIN_EXE_fyd-server");

const CLIENTS: usize = 4;
const ROUNDS: usize = 5;
/// Acknowledged operations per round before the kill (the kill lands mid-stream).
const OPS_PER_ROUND: usize = 450;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Present,
    Deleted,
    /// The request was in flight at the kill: either outcome is allowed.
    Unknown,
}

async fn join(client: &reqwest::Client, url: &str, i: usize) -> String {
    join_at(client, url, &format!("crash{i}@example.com"), &format!("crash{i}")).await["access"].as_str().unwrap().to_owned()
}

/// Creates (mostly) and deletes until the server dies, recording what was acknowledged.
async fn churn(
    client: reqwest::Client,
    url: String,
    token: String,
    ledger: Arc<std::sync::Mutex<HashMap<u64, Expect>>>,
    acked: Arc<AtomicUsize>,
    dead: Arc<AtomicBool>,
) {
    let mut n = 0u64;
    while !dead.load(Ordering::Relaxed) {
        n += 1;
        let present: Vec<u64> = ledger.lock().unwrap().iter().filter(|(_, e)| **e == Expect::Present).map(|(id, _)| *id).collect();
        if n.is_multiple_of(3) && !present.is_empty() {
            let id = present[(n as usize * 7) % present.len()];
            ledger.lock().unwrap().insert(id, Expect::Unknown);
            match client.delete(format!("{url}/chat/chat/{id}/")).bearer_auth(&token).send().await {
                Ok(r) if r.status() == 204 => {
                    ledger.lock().unwrap().insert(id, Expect::Deleted);
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(r) => panic!("delete {id}: {}", r.status()),
                Err(_) => return, // the server is gone; the delete may or may not have happened
            }
        } else {
            let mut body = course_body(&format!("코스 {n}"));
            body["answer"] = json!("a".repeat(200));
            match client.post(format!("{url}/chat/chat/")).bearer_auth(&token).json(&body).send().await {
                Ok(r) if r.status() == 201 => {
                    let id = r.json::<Value>().await.map(|v| v["id"].as_u64().unwrap());
                    match id {
                        Ok(id) => {
                            ledger.lock().unwrap().insert(id, Expect::Present);
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => return,
                    }
                }
                Ok(r) => panic!("create: {}", r.status()),
                Err(_) => return,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_creates_and_deletes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
    let mut server = Process::start(SERVER, dir.path(), &["--access-ttl", "1d"]);
    let mut tokens = Vec::new();
    for i in 0..CLIENTS {
        tokens.push(join(&client, &server.url, i).await);
    }
    let ledgers: Vec<_> = (0..CLIENTS).map(|_| Arc::new(std::sync::Mutex::new(HashMap::new()))).collect();
    let mut total_acked = 0;
    let mut checked = 0;
    for round in 0..ROUNDS {
        let acked = Arc::new(AtomicUsize::new(0));
        let dead = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                tokio::spawn(churn(client.clone(), server.url.clone(), tokens[c].clone(), ledgers[c].clone(), acked.clone(), dead.clone()))
            })
            .collect();
        while acked.load(Ordering::Relaxed) < OPS_PER_ROUND {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill_9();
        dead.store(true, Ordering::Relaxed);
        join_all(tasks).await.into_iter().for_each(|t| t.unwrap());
        total_acked += acked.load(Ordering::Relaxed);

        server = Process::start(SERVER, dir.path(), &["--access-ttl", "1d"]);
        for (c, ledger) in ledgers.iter().enumerate() {
            let ledger = ledger.lock().unwrap().clone();
            for (id, expect) in ledger {
                let status = client.get(format!("{}/chat/chat/{id}/", server.url)).bearer_auth(&tokens[c]).send().await.unwrap().status();
                match expect {
                    Expect::Present => assert_eq!(status, 200, "round {round}: acknowledged course {id} was lost"),
                    Expect::Deleted => assert_eq!(status, 404, "round {round}: acknowledged delete of {id} came back"),
                    Expect::Unknown => assert!(status == 200 || status == 404),
                }
                checked += 1;
            }
        }
        // Settle the in-flight ones now that their fate is visible.
        for (c, ledger) in ledgers.iter().enumerate() {
            let unknown: Vec<u64> = ledger.lock().unwrap().iter().filter(|(_, e)| **e == Expect::Unknown).map(|(id, _)| *id).collect();
            for id in unknown {
                let status = client.get(format!("{}/chat/chat/{id}/", server.url)).bearer_auth(&tokens[c]).send().await.unwrap().status();
                ledger.lock().unwrap().insert(id, if status == 200 { Expect::Present } else { Expect::Deleted });
            }
        }
    }
    println!("{total_acked} acknowledged writes across {ROUNDS} kills; {checked} checks after restarts");
    assert!(total_acked >= 2_000, "{total_acked}");
    assert!(server.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_quota_unit_is_granted_twice_across_kills() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let args = ["--access-ttl", "1d", "--daily-quota", "5"];
    let mut server = Process::start(SERVER, dir.path(), &args);
    let mut tokens = Vec::new();
    for i in 0..10 {
        tokens.push(join(&client, &server.url, i).await);
    }
    let mut granted = vec![0usize; tokens.len()];
    let mut body = recommend_body("성수", "fall", "2", "9", "walk");
    body["save"] = json!(true);
    for round in 0..3 {
        let tasks = tokens.iter().enumerate().flat_map(|(u, token)| (0..4).map(move |_| (u, token.clone()))).map(|(u, token)| {
            let (client, url, body) = (client.clone(), server.url.clone(), body.clone());
            tokio::spawn(async move {
                (u, client.post(format!("{url}/chat/chatbot/")).bearer_auth(token).json(&body).send().await.map(|r| r.status().as_u16()))
            })
        });
        let pending = join_all(tasks);
        let killer = async {
            tokio::time::sleep(Duration::from_millis(15 + 10 * round)).await;
        };
        let (results, ()) = tokio::join!(pending, killer);
        server.kill_9();
        for result in results {
            if let (u, Ok(200)) = result.unwrap() {
                granted[u] += 1;
            }
        }
        server = Process::start(SERVER, dir.path(), &args);
    }
    // After the kills, asking more never takes anyone past the quota.
    for (u, token) in tokens.iter().enumerate() {
        for _ in 0..6 {
            let status = client.post(format!("{}/chat/chatbot/", server.url)).bearer_auth(token).json(&body).send().await.unwrap().status();
            if status == 200 {
                granted[u] += 1;
            } else {
                assert_eq!(status, 429);
            }
        }
    }
    println!("courses granted per user across 3 kills: {granted:?}");
    assert!(granted.iter().all(|g| *g <= 5), "{granted:?}");
    assert!(granted.iter().all(|g| *g >= 1), "{granted:?}");
    assert!(server.terminate().success());
}
