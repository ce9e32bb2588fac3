//! A recommendation's quota unit is a hold with a deadline: a request that outlives it cannot
//! keep the unit, which is back for the user from the deadline on. (Holds a kill left behind,
//! given back when the server starts again, are `crash.rs`'s.)

use std::time::Duration;

use fyd_core::testing::good_answer;
use fyd_server::config::ProviderKind;
use fyd_test_support::upstream::{Reply, Upstream};
use fyd_test_support::{plan_request, seongsu_request, Reply as Answer, TestApp};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_outlives_its_hold_gives_the_unit_back_at_the_deadline_and_charges_nothing() {
    let upstream = Upstream::start().await;
    let answer = good_answer(&plan_request(&seongsu_request()));
    // The first request waits on the LLM while the clock passes its hold's deadline.
    upstream.push(Reply::Slow(Duration::from_secs(3), Box::new(Reply::Json(answer.clone()))));
    upstream.push(Reply::Json(answer));
    let url = upstream.url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.provider = ProviderKind::Openai;
        s.openai_base_url = url;
        s.daily_quota = 1;
        s.openai_timeout_secs = 60;
    })
    .await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut body = seongsu_request();
    body["save"] = json!(true);

    let slow = tokio::spawn({
        let request = app.client.post(format!("{}/chat/chatbot/", app.url)).bearer_auth(&token).json(&body);
        async move { Answer::from(request.send().await.unwrap()).await }
    });
    tokio::time::timeout(Duration::from_secs(2), async {
        while upstream.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the first request reaches the LLM");
    assert_eq!(app.remaining(&token).await, 0, "held while the LLM works");
    app.advance(SignedDuration::from_secs(60 + 30 - 1));
    assert_eq!(app.remaining(&token).await, 0, "still held a second before its deadline");
    app.advance(SignedDuration::from_secs(1));
    assert_eq!(app.remaining(&token).await, 1, "back at the deadline: the LLM's 60 s plus 30 s");

    let second = app.post("/chat/chatbot/", Some(&token), body).await;
    assert_eq!(second.status, StatusCode::OK, "the unit given back is usable: {}", second.body);
    let late = slow.await.unwrap();
    assert_eq!((late.status, late.code()), (StatusCode::GATEWAY_TIMEOUT, "deadline_exceeded"), "{}", late.body);
    assert_eq!(late.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(app.remaining(&token).await, 0);
    let saved = app.get("/chat/chat/", Some(&token)).await.body;
    assert_eq!(saved.as_array().unwrap().len(), 1, "only the request within its hold saved a course: {saved}");
    assert_eq!(saved[0]["id"], second.body["detail"]["id"]);
}
