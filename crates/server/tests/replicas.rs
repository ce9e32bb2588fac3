//! Three real fyd-server processes on one PostgreSQL database, requests spread over them as a
//! load balancer would, and nothing that must be shared kept in any one of them:
//! - 30 concurrent recommendations from one user → exactly 5 succeed, 25 get 429;
//! - a logout on replica A is refused on B and C at their next request (each had just
//!   accepted the token, so it was in their remembered-token caches), and so is a refresh
//!   token reused on B after rotating on A;
//! - a course created on A is listed on B and read on C;
//! - 12 wrong passwords, 4 per replica, trigger the login throttle (10 failures per email);
//! - `kill -9` of one replica while clients write through all three loses no acknowledged write.
//!
//! PostgreSQL as in the store suite: `FYD_TEST_DATABASE_URL`, or a cluster of this test's own;
//! skipped only where there is none, and failing under CI.
#![cfg(unix)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::join_all;
use fyd_test_support::postgres::TestDatabase;
use fyd_test_support::process::Process;
use fyd_test_support::{course_body, join_at, login_body, seongsu_request};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SERVER: &str = env!("CARGO_BIN_EXE_fyd-server");
const SECRET: &str = "one secret shared by every replica, 32+ bytes";

struct Replicas {
    /// `None` once killed.
    processes: Mutex<Vec<Option<Process>>>,
    urls: Vec<String>,
    _dirs: Vec<tempfile::TempDir>,
    client: reqwest::Client,
}

impl Replicas {
    fn start(database: &TestDatabase, count: usize) -> Self {
        let dirs: Vec<_> = (0..count).map(|_| tempfile::tempdir().unwrap()).collect();
        let env = [("FYD_DATABASE_URL", database.url.as_str()), ("FYD_JWT_SECRET", SECRET)];
        let processes: Vec<Process> = dirs.iter().map(|dir| Process::start_with_env(SERVER, dir.path(), &[], &env)).collect();
        let urls = processes.iter().map(|p| p.url.clone()).collect();
        let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).timeout(Duration::from_secs(60)).build().unwrap();
        Self { processes: Mutex::new(processes.into_iter().map(Some).collect()), urls, _dirs: dirs, client }
    }

    async fn send(
        &self,
        replica: usize,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.urls[replica]));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the replica answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, replica: usize, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(replica, reqwest::Method::GET, path, Some(token), None).await
    }

    async fn post(&self, replica: usize, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send(replica, reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn join(&self, replica: usize, name: &str) -> Value {
        join_at(&self.client, &self.urls[replica], &format!("{name}@example.com"), name).await
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for process in self.processes.get_mut().unwrap().iter_mut().filter_map(Option::take) {
            process.kill_9();
        }
    }
}

fn access(pair: &Value) -> String {
    pair["access"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_on_one_database_share_quota_sessions_courses_and_the_login_throttle() {
    let Some(database) = TestDatabase::create().await else { return };
    let replicas = Replicas::start(&database, 3);

    // The quota: 30 at once from one user, 10 through each replica.
    let token = access(&replicas.join(0, "quota").await);
    let answers = join_all((0..30).map(|i| {
        let (replicas, token) = (&replicas, token.clone());
        let mut body = seongsu_request();
        body["save"] = json!(true);
        async move { replicas.post(i % 3, "/chat/chatbot/", Some(&token), body).await.0 }
    }))
    .await;
    let ok = answers.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    eprintln!("recommendations over 3 replicas: {ok} succeeded, {limited} got 429");
    assert_eq!((ok, limited), (5, 25), "{answers:?}");
    for replica in 0..3 {
        let (_, me) = replicas.get(replica, "/user/user/", &token).await;
        assert_eq!(me["quota"]["remaining"], 0, "replica {replica} sees the day used up");
    }
    let (_, saved) = replicas.get(2, "/chat/chat/", &token).await;
    assert_eq!(saved.as_array().map(Vec::len), Some(5), "one saved course per success: {saved}");

    // Logout on A ends the session on B and C at their next request.
    let pair = replicas.join(0, "leaver").await;
    let token = access(&pair);
    for replica in 0..3 {
        assert_eq!(replicas.get(replica, "/user/user/", &token).await.0, StatusCode::OK, "live on replica {replica}");
    }
    let logout = json!({"refresh": pair["refresh"]});
    assert_eq!(replicas.post(0, "/user/logout/", Some(&token), logout).await.0, StatusCode::OK);
    for replica in 1..3 {
        assert_eq!(replicas.get(replica, "/user/user/", &token).await.0, StatusCode::UNAUTHORIZED, "replica {replica} still accepts it");
    }

    // Refresh rotated on A, the old token reused on B: the session is revoked on C too.
    let pair = replicas.join(1, "rotator").await;
    let old_refresh = pair["refresh"].clone();
    let (status, rotated) = replicas.post(0, "/user/token/refresh/", None, json!({"refresh": old_refresh, "rotate": true})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = replicas.post(1, "/user/token/refresh/", None, json!({"refresh": old_refresh})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "reuse is refused");
    assert_eq!(replicas.get(2, "/user/user/", &access(&rotated)).await.0, StatusCode::UNAUTHORIZED, "and revokes the session everywhere");

    // A course created on A is listed on B and read on C.
    let token = access(&replicas.join(2, "planner").await);
    let (status, course) = replicas.post(0, "/chat/chat/", Some(&token), course_body("세 곳에서 보이는 코스")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, listed) = replicas.get(1, "/chat/chat/", &token).await;
    assert_eq!(listed[0]["id"], course["id"], "{listed}");
    let (status, read) = replicas.get(2, &format!("/chat/chat/{}/", course["id"]), &token).await;
    assert_eq!((status, &read["title"]), (StatusCode::OK, &course["title"]));

    // 12 wrong passwords, 4 through each replica, one after another: the throttle counts all.
    replicas.join(1, "guessed").await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        let body = json!({"email": "guessed@example.com", "password": format!("wrong guess {i}")});
        statuses.push(replicas.post(i % 3, "/user/login/", None, body).await.0.as_u16());
    }
    eprintln!("12 wrong passwords over 3 replicas: {statuses:?}");
    assert_eq!(statuses, [[400; 10].as_slice(), &[429, 429]].concat(), "10 failures counted across replicas, then 429");
    assert_eq!(replicas.post(0, "/user/login/", None, login_body("guessed@example.com")).await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_replica_mid_write_loses_no_acknowledged_write() {
    let Some(database) = TestDatabase::create().await else { return };
    let replicas = Replicas::start(&database, 3);
    let token = access(&replicas.join(0, "writer").await);
    let acked: Mutex<BTreeSet<u64>> = Mutex::default();
    let (acked_on_victim, cut_off, dead) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicBool::new(false));
    let writers = (0..6).map(|w| {
        let (replicas, token, acked, acked_on_victim, cut_off, dead) = (&replicas, &token, &acked, &acked_on_victim, &cut_off, &dead);
        async move {
            for i in 0..60 {
                let replica = (w + i) % 3;
                if replica == 2 && dead.load(Ordering::SeqCst) {
                    continue;
                }
                let sent = replicas
                    .client
                    .post(format!("{}/chat/chat/", replicas.urls[replica]))
                    .bearer_auth(token)
                    .json(&course_body(&format!("writer {w} #{i}")))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        let course: Value = response.json().await.expect("a course");
                        acked.lock().unwrap().insert(course["id"].as_u64().unwrap());
                        if replica == 2 {
                            acked_on_victim.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Ok(response) => panic!("replica {replica} answered {}", response.status()),
                    Err(err) => {
                        assert_eq!(replica, 2, "only the killed replica may fail: {err}");
                        assert!(!err.is_timeout(), "a request hung: {err}");
                        cut_off.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
    });
    let killer = async {
        while acked_on_victim.load(Ordering::SeqCst) < 20 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let victim = replicas.processes.lock().unwrap()[2].take().expect("replica C runs");
        dead.store(true, Ordering::SeqCst);
        victim.kill_9();
    };
    let ((), _) = tokio::join!(killer, join_all(writers));

    let acked = acked.into_inner().unwrap();
    let mut listed = BTreeSet::new();
    let mut before = None::<u64>;
    loop {
        let path = match before {
            Some(id) => format!("/chat/chat/?limit=100&before={id}"),
            None => "/chat/chat/?limit=100".to_owned(),
        };
        let (_, page) = replicas.get(0, &path, &token).await;
        let ids: Vec<u64> = page.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
        if ids.is_empty() {
            break;
        }
        before = ids.last().copied();
        listed.extend(ids);
    }
    let lost: Vec<_> = acked.difference(&listed).collect();
    eprintln!(
        "kill -9 of replica C: {} writes acknowledged ({} by C before the kill), {} cut off, {} listed after, {} lost",
        acked.len(),
        acked_on_victim.load(Ordering::SeqCst),
        cut_off.load(Ordering::SeqCst),
        listed.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    // 6 writers × 60: every write to A and B, and C's until the kill.
    assert!(acked.len() >= 240, "the survivors kept serving: {}", acked.len());
}

/// The real binary names its database in the log without the password, when it starts and
/// when it cannot connect; the URL comes from `FYD_DATABASE_URL`, never `ps`.
#[test]
fn the_database_password_never_reaches_the_log() {
    let Some(database) = TestDatabase::create_blocking() else { return };
    let mut url = url::Url::parse(&database.url).unwrap();
    url.set_password(Some("hunter2-secret")).unwrap(); // the test cluster trusts local connections
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let env = [("FYD_DATABASE_URL", url.as_str()), ("FYD_JWT_SECRET", SECRET)];
    let server = Process::start_logging_with_env(SERVER, dir.path(), &[], &log, &env);
    server.terminate();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("store open") && text.contains(":***@127.0.0.1"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    url.set_port(Some(1)).unwrap();
    let failed = std::process::Command::new(SERVER)
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("FYD_DATABASE_URL", url.as_str())
        .env("FYD_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success() && stderr.contains("cannot open the store"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let help = std::process::Command::new(SERVER).arg("--help").env("FYD_DATABASE_URL", url.as_str()).output().unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains("hunter2"), "--help shows no value of the variable");
    // A URL that does not read is refused with the reason and without the URL, from the
    // variable, the flag and `migrate --to`.
    let unreadable = "postgres://fyd:hunter2-secret@db.internal/fyd?sslmode=verify_full";
    for args in
        [&["--data-dir", "unused"][..], &["--database-url", unreadable], &["migrate", "--from", "sled://unused", "--to", unreadable]]
    {
        let refused = std::process::Command::new(SERVER).args(args).env("FYD_DATABASE_URL", unreadable).output().unwrap();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("sslmode \"verify_full\"") && !stderr.contains("hunter2"), "{stderr}");
    }
}
