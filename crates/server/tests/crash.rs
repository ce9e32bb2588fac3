//! Crash safety of the real binary, killed with SIGKILL while requests are in flight:
//! - writes: clients create and delete courses; after each restart every acknowledged create is
//!   there and every acknowledged delete is gone;
//! - the quota: recommendations wait on a slow LLM when the kill lands; after each restart
//!   every user's `remaining` is exactly the limit minus the courses they received, so a unit
//!   held by a request the kill cut off is back.
//!
//! Every round asserts that the kill cut requests off, and fails rather than hangs: each wait
//! has a deadline. CI runs this against the release build too (`cargo test --release --test
//! crash`).
#![cfg(unix)]

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use fyd_core::testing::good_answer;
use fyd_test_support::process::Process;
use fyd_test_support::sse::events;
use fyd_test_support::upstream::{Reply, Upstream};
use fyd_test_support::{course_body, join_at, plan_request, seongsu_request};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The binary under test, as cargo built it.
const SERVER: &str = env!("CARGO_BIN_EXE_fyd-server");

/// How long any one step may take before the test fails instead of hanging.
const STEP: Duration = Duration::from_secs(60);

/// `future`, or a failure naming `what` if it takes longer than [`STEP`].
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future).await.unwrap_or_else(|_| panic!("{what} took longer than {STEP:?}"))
}

fn client() -> reqwest::Client {
    // No pooled connections: each request connects anew, so none reaches a killed server's
    // socket, and no request can wait forever.
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).timeout(STEP).build().unwrap()
}

async fn join(client: &reqwest::Client, url: &str, i: usize) -> String {
    join_at(client, url, &format!("crash{i}@example.com"), &format!("crash{i}")).await["access"].as_str().unwrap().to_owned()
}

/// Whether a request that got no answer was cut off by the kill (it had reached the server)
/// or never reached it (the server was already gone).
fn cut_off(err: &reqwest::Error) -> bool {
    assert!(!err.is_timeout(), "a request hung instead of failing: {err}");
    !err.is_connect()
}

mod writes {
    use super::*;

    const CLIENTS: usize = 4;
    const ROUNDS: usize = 5;
    /// Acknowledged operations per round before the kill (the kill lands mid-stream).
    const OPS_PER_ROUND: usize = 450;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Expect {
        Present,
        Deleted,
        /// The request was in flight at the kill: either outcome is allowed until a read after
        /// the restart settles it.
        Unknown,
    }

    type Ledger = Arc<Mutex<HashMap<u64, Expect>>>;

    /// One round's shared counters.
    #[derive(Default)]
    struct Round {
        acked: AtomicUsize,
        in_flight: AtomicUsize,
        dead: AtomicBool,
    }

    /// Creates (mostly) and deletes until the server dies, recording what was acknowledged.
    /// True when the kill cut off a request this client had sent.
    async fn churn(client: reqwest::Client, url: String, token: String, ledger: Ledger, round: Arc<Round>) -> bool {
        let mut n = 0u64;
        while !round.dead.load(Ordering::SeqCst) {
            n += 1;
            let present: Vec<u64> = ledger.lock().unwrap().iter().filter(|(_, e)| **e == Expect::Present).map(|(id, _)| *id).collect();
            round.in_flight.fetch_add(1, Ordering::SeqCst);
            let acked = if n.is_multiple_of(3) && !present.is_empty() {
                let id = present[(n as usize * 7) % present.len()];
                ledger.lock().unwrap().insert(id, Expect::Unknown);
                match client.delete(format!("{url}/chat/chat/{id}/")).bearer_auth(&token).send().await {
                    Ok(r) => {
                        assert_eq!(r.status(), StatusCode::NO_CONTENT, "delete {id}");
                        ledger.lock().unwrap().insert(id, Expect::Deleted);
                        Ok(())
                    }
                    Err(err) => Err(err),
                }
            } else {
                let mut body = course_body(&format!("코스 {n}"));
                body["answer"] = json!("a".repeat(200));
                let created = match client.post(format!("{url}/chat/chat/")).bearer_auth(&token).json(&body).send().await {
                    Ok(r) => {
                        assert_eq!(r.status(), StatusCode::CREATED, "create");
                        r.json::<Value>().await
                    }
                    Err(err) => Err(err),
                };
                created.map(|course| {
                    ledger.lock().unwrap().insert(course["id"].as_u64().expect("an id"), Expect::Present);
                })
            };
            round.in_flight.fetch_sub(1, Ordering::SeqCst);
            match acked {
                Ok(()) => round.acked.fetch_add(1, Ordering::SeqCst),
                // The server is gone; an operation in flight may or may not have happened.
                Err(err) => return cut_off(&err),
            };
        }
        false
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn acknowledged_creates_and_deletes_survive_kill_9_mid_flight() {
        let dir = tempfile::tempdir().unwrap();
        let client = client();
        let mut server = Process::start(SERVER, dir.path(), &["--access-ttl", "1d"]);
        let mut tokens = Vec::new();
        for i in 0..CLIENTS {
            tokens.push(join(&client, &server.url, i).await);
        }
        let ledgers: Vec<Ledger> = (0..CLIENTS).map(|_| Ledger::default()).collect();
        let (mut total_acked, mut total_cut, mut checked) = (0, 0, 0);
        for round_number in 0..ROUNDS {
            let round = Arc::new(Round::default());
            let tasks: Vec<_> = (0..CLIENTS)
                .map(|c| tokio::spawn(churn(client.clone(), server.url.clone(), tokens[c].clone(), ledgers[c].clone(), round.clone())))
                .collect();
            within("the clients' acknowledged writes", async {
                while round.acked.load(Ordering::SeqCst) < OPS_PER_ROUND || round.in_flight.load(Ordering::SeqCst) == 0 {
                    assert!(!tasks.iter().all(|t| t.is_finished()), "round {round_number}: every client stopped before the kill");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
            .await;
            server.kill_9();
            round.dead.store(true, Ordering::SeqCst);
            let cut = within("the clients' end", join_all(tasks)).await.into_iter().filter(|t| *t.as_ref().unwrap()).count();
            assert!(cut >= 1, "round {round_number}: the kill cut no request off");
            total_cut += cut;
            total_acked += round.acked.load(Ordering::SeqCst);

            server = Process::start(SERVER, dir.path(), &["--access-ttl", "1d"]);
            for (c, ledger) in ledgers.iter().enumerate() {
                let entries: Vec<(u64, Expect)> = ledger.lock().unwrap().iter().map(|(id, e)| (*id, *e)).collect();
                for (id, expect) in entries {
                    let url = format!("{}/chat/chat/{id}/", server.url);
                    let status = within("a read after the restart", client.get(url).bearer_auth(&tokens[c]).send()).await.unwrap().status();
                    let settled = match (expect, status) {
                        (Expect::Present | Expect::Unknown, StatusCode::OK) => Expect::Present,
                        (Expect::Deleted | Expect::Unknown, StatusCode::NOT_FOUND) => Expect::Deleted,
                        (Expect::Present, _) => panic!("round {round_number}: acknowledged course {id} was lost ({status})"),
                        (Expect::Deleted, _) => panic!("round {round_number}: acknowledged delete of {id} came back ({status})"),
                        (Expect::Unknown, _) => panic!("round {round_number}: course {id} answered {status}"),
                    };
                    ledger.lock().unwrap().insert(id, settled);
                    checked += 1;
                }
            }
        }
        println!(
            "{total_acked} acknowledged writes across {ROUNDS} kills that cut off {total_cut} requests; {checked} checks after restarts"
        );
        assert!(total_acked >= OPS_PER_ROUND * ROUNDS, "{total_acked}");
        assert!(server.terminate().success());
    }
}

mod quota {
    use super::*;

    const LIMIT: usize = 5;
    const USERS: usize = 6;
    /// Recommendations per user per round; 3 rounds take each user past the limit.
    const PER_USER: usize = 3;
    const ROUNDS: usize = 3;
    /// The stand-in LLM answers each request this long after it arrives.
    const LLM_DELAY: Duration = Duration::from_millis(200);
    /// Request `j` of a round is sent `j` times this after the round starts.
    const STAGGER: Duration = Duration::from_millis(40);
    /// When the kill lands: the first requests are answered by then, the next are waiting on
    /// the LLM (cut off), the last find no server.
    const KILL_AT: Duration = Duration::from_millis(600);

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Outcome {
        /// A course, saved under this id.
        Received(u64),
        /// 429: the day's units were used (or held) already.
        Refused,
        /// The kill cut the request off after the server had it.
        CutOff,
        /// The server was gone before the request reached it.
        NoServer,
    }

    /// One saved recommendation, through the plain endpoint or the stream.
    async fn recommend(client: reqwest::Client, url: String, token: String, streamed: bool) -> Outcome {
        let mut body = seongsu_request();
        body["save"] = json!(true);
        let path = if streamed { "/chat/chatbot/stream/" } else { "/chat/chatbot/" };
        let response = match client.post(format!("{url}{path}")).bearer_auth(&token).json(&body).send().await {
            Ok(response) => response,
            Err(err) if cut_off(&err) => return Outcome::CutOff,
            Err(_) => return Outcome::NoServer,
        };
        match response.status() {
            StatusCode::TOO_MANY_REQUESTS => return Outcome::Refused,
            StatusCode::OK => {}
            status => panic!("{path}: {status}"),
        }
        let detail = if streamed {
            let Ok(events) = events(response).await else { return Outcome::CutOff };
            let last = events.last().expect("a finished stream ends with an event");
            assert_eq!(last.name, "done", "{:?}", last.data);
            last.data.clone()
        } else {
            let Ok(answer) = response.json::<Value>().await else { return Outcome::CutOff };
            answer["detail"].clone()
        };
        Outcome::Received(detail["id"].as_u64().expect("a saved course's id"))
    }

    async fn get(client: &reqwest::Client, url: &str, path: &str, token: &str) -> Value {
        let response = within(path, client.get(format!("{url}{path}")).bearer_auth(token).send()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    /// The ids of the user's saved courses and what `GET /user/user/` says remains.
    async fn standing(client: &reqwest::Client, url: &str, token: &str) -> (BTreeSet<u64>, usize) {
        let list = get(client, url, "/chat/chat/?limit=100", token).await;
        let ids = list.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
        let remaining = get(client, url, "/user/user/", token).await["quota"]["remaining"].as_u64().unwrap() as usize;
        (ids, remaining)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_quota_unit_is_a_course_received_or_back_after_kill_9_mid_flight() {
        let upstream = Upstream::start().await;
        upstream.always(Reply::Slow(LLM_DELAY, Box::new(Reply::AsAsked(good_answer(&plan_request(&seongsu_request()))))));
        let dir = tempfile::tempdir().unwrap();
        let limit = LIMIT.to_string();
        let args = ["--access-ttl", "1d", "--daily-quota", &limit, "--provider", "openai", "--openai-base-url", &upstream.url];
        let client = client();
        let mut server = Process::start(SERVER, dir.path(), &args);
        let mut tokens = Vec::new();
        for i in 0..USERS {
            tokens.push(join(&client, &server.url, i).await);
        }
        let mut received: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); USERS];
        let (mut total_cut, mut answers_lost) = (0, 0);
        for round in 0..ROUNDS {
            let requests = (0..USERS * PER_USER).map(|j| {
                let (client, url, token) = (client.clone(), server.url.clone(), tokens[j % USERS].clone());
                tokio::spawn(async move {
                    tokio::time::sleep(STAGGER * j as u32).await;
                    (j % USERS, recommend(client, url, token, j % 2 == 1).await)
                })
            });
            let requests = tokio::spawn(join_all(requests));
            tokio::time::sleep(KILL_AT).await;
            server.kill_9();
            let outcomes: Vec<(usize, Outcome)> =
                within("the round's requests", requests).await.unwrap().into_iter().map(Result::unwrap).collect();
            let count = |wanted: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| wanted(o)).count();
            let answered = count(|o| matches!(o, Outcome::Received(_) | Outcome::Refused));
            let cut = count(|o| *o == Outcome::CutOff);
            println!("round {round}: {answered} answered, {cut} cut off, {} found no server", count(|o| *o == Outcome::NoServer));
            assert!(answered >= 1, "round {round}: the kill came before any answer: {outcomes:?}");
            assert!(cut >= 1, "round {round}: the kill cut no request off: {outcomes:?}");
            total_cut += cut;
            for (user, outcome) in outcomes {
                if let Outcome::Received(id) = outcome {
                    received[user].insert(id);
                }
            }

            server = Process::start(SERVER, dir.path(), &args);
            for (user, token) in tokens.iter().enumerate() {
                let (saved, remaining) = standing(&client, &server.url, token).await;
                assert!(received[user].is_subset(&saved), "round {round}, user {user}: a course received was lost");
                assert_eq!(
                    remaining,
                    LIMIT - saved.len(),
                    "round {round}, user {user}: {} saved, {} answered",
                    saved.len(),
                    received[user].len()
                );
                // A course saved as the kill landed, before its answer went out, is still theirs.
                answers_lost += saved.len() - received[user].len();
                received[user] = saved;
            }
        }
        // What remains can still be had, exactly, and no more.
        for (user, token) in tokens.iter().enumerate() {
            let more = LIMIT - received[user].len();
            for n in 0..=more {
                let outcome = within("a recommendation", recommend(client.clone(), server.url.clone(), token.clone(), n % 2 == 0)).await;
                match outcome {
                    Outcome::Received(id) if n < more => assert!(received[user].insert(id)),
                    Outcome::Refused if n == more => {}
                    outcome => panic!("user {user}, request {n} of {more} left: {outcome:?}"),
                }
            }
            assert_eq!(standing(&client, &server.url, token).await, (received[user].clone(), 0));
        }
        println!("{ROUNDS} kills cut off {total_cut} recommendations; {answers_lost} saved as the kill landed; every user ended with exactly {LIMIT}");
        assert!(server.terminate().success());
    }
}
