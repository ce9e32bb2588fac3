//! Exactness under concurrency: the quota across both recommendation endpoints and many
//! users, unique accounts, single-use rotation of refresh tokens, and the cached newest page
//! of the course list.

use std::collections::HashMap;

use futures_util::future::join_all;
use fyd_test_support::sse::events;
use fyd_test_support::{join_at, join_body, seongsu_request, Reply, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn body(variant: usize) -> Value {
    let mut body = seongsu_request();
    body["variant"] = json!(variant);
    body
}

/// One recommendation through either endpoint; true when a course came back.
async fn recommend(client: reqwest::Client, url: String, token: String, variant: usize, streamed: bool) -> bool {
    let path = if streamed { "/chat/chatbot/stream/" } else { "/chat/chatbot/" };
    let response = client.post(format!("{url}{path}")).bearer_auth(token).json(&body(variant)).send().await.unwrap();
    if response.status() != StatusCode::OK {
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        return false;
    }
    if !streamed {
        return true;
    }
    let events = events(response).await.unwrap();
    let last = events.last().expect("a streamed answer ends with an event");
    assert_eq!(last.name, "done", "{:?}", last.data);
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_simultaneous_recommendations_on_both_endpoints_give_exactly_the_quota() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let tasks = (0..100).map(|i| tokio::spawn(recommend(app.client.clone(), app.url.clone(), token.clone(), i, i % 2 == 0)));
    let successes = join_all(tasks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(successes, 5);
    assert_eq!(app.remaining(&token).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_users_times_ten_requests_give_exactly_the_quota_each() {
    let app = TestApp::spawn().await;
    let joins = (0..50).map(|i| {
        let (client, url) = (app.client.clone(), app.url.clone());
        tokio::spawn(async move {
            let pair = join_at(&client, &url, &format!("user{i}@example.com"), &format!("user{i}")).await;
            pair["access"].as_str().unwrap().to_owned()
        })
    });
    let tokens: Vec<String> = join_all(joins).await.into_iter().map(Result::unwrap).collect();
    let tasks = tokens.iter().enumerate().flat_map(|(user, token)| (0..10).map(move |i| (user, token.clone(), i)));
    let tasks = tasks.map(|(user, token, i)| {
        let (client, url) = (app.client.clone(), app.url.clone());
        tokio::spawn(async move { (user, recommend(client, url, token, i, i % 3 == 0).await) })
    });
    let mut per_user: HashMap<usize, usize> = HashMap::new();
    for result in join_all(tasks).await {
        let (user, ok) = result.unwrap();
        *per_user.entry(user).or_default() += usize::from(ok);
    }
    assert_eq!(per_user.len(), 50);
    assert!(per_user.values().all(|n| *n == 5), "{per_user:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_with_the_same_email_or_nickname_have_exactly_one_winner() {
    let app = TestApp::spawn().await;
    let join = |email: String, nickname: String| {
        let (client, url) = (app.client.clone(), app.url.clone());
        tokio::spawn(
            async move { client.post(format!("{url}/user/join/")).json(&join_body(&email, &nickname)).send().await.unwrap().status() },
        )
    };
    let same_email =
        (0..20).map(|i| join(if i % 2 == 0 { "Same@Example.com".into() } else { "same@example.com".into() }, format!("nick{i}")));
    let statuses: Vec<StatusCode> = join_all(same_email).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::BAD_REQUEST));
    let same_nickname = (0..20).map(|i| join(format!("other{i}@example.com"), "샘".into()));
    let statuses: Vec<StatusCode> = join_all(same_nickname).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_of_one_refresh_token_have_exactly_one_winner() {
    let app = TestApp::spawn().await;
    let pair = app.join("mina@example.com", "mina").await;
    let refresh = pair["refresh"].as_str().unwrap().to_owned();
    let tasks = (0..20).map(|_| {
        let (client, url, refresh) = (app.client.clone(), app.url.clone(), refresh.clone());
        tokio::spawn(async move {
            client
                .post(format!("{url}/user/token/refresh/"))
                .json(&json!({"refresh": refresh, "rotate": true}))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let statuses: Vec<StatusCode> = join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED));
}

/// The list's newest page is cached; readers refilling it while courses are created and
/// deleted must never make an acknowledged write invisible to the next list.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_create_and_delete_shows_in_the_next_list_while_readers_hammer_it() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, token, done) = (reqwest::Client::new(), app.url.clone(), token.clone(), done.clone());
            tokio::spawn(async move {
                let mut reads = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let reply = client.get(format!("{url}/chat/chat/")).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(reply.status(), StatusCode::OK);
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let ids = |reply: &Reply| reply.body.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect::<Vec<_>>();
    let mut expected: Vec<u64> = Vec::new();
    for round in 0..40 {
        let created = app.create_course(&token, &format!("코스 {round}")).await;
        expected.insert(0, created["id"].as_u64().unwrap());
        if round % 3 == 2 {
            let gone = expected.remove(1);
            assert_eq!(app.delete(&format!("/chat/chat/{gone}/"), Some(&token)).await.status, StatusCode::NO_CONTENT);
        }
        assert_eq!(ids(&app.get("/chat/chat/", Some(&token)).await), expected, "round {round}");
        assert_eq!(ids(&app.get("/chat/chat/?limit=2", Some(&token)).await), expected[..expected.len().min(2)], "round {round}");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads: usize = join_all(readers).await.into_iter().map(Result::unwrap).sum();
    assert!(reads > 40, "the readers ran alongside ({reads} reads)");
}
