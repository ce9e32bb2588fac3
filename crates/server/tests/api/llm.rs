//! The OpenAI-compatible provider through the real fyd-server, against a local upstream that
//! speaks the real wire format (see `fyd_test_support::upstream`).

use std::time::{Duration, Instant};

use fyd_core::catalogue::catalogue;
use fyd_core::check::problems;
use fyd_core::course::CourseContent;
use fyd_core::testing::{good_answer, GOOD_NOTE};
use fyd_server::config::{ProviderKind, Secret};
use fyd_test_support::sse::events;
use fyd_test_support::upstream::{Reply, Upstream};
use fyd_test_support::{plan_request, seongsu_request, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// What a good model answers to [`seongsu_request`].
fn good() -> String {
    good_answer(&plan_request(&seongsu_request()))
}

/// Schema-valid but wrong: every time is outside the window.
fn wrong_answer() -> String {
    json!({"stops": [{"place_id": "seoul-forest", "arrive": "07:00", "leave": "08:00", "note": "이른 산책"}], "summary": "x"}).to_string()
}

async fn app_with(upstream: &Upstream, tweak: impl FnOnce(&mut fyd_server::Settings)) -> TestApp {
    let url = upstream.url.clone();
    TestApp::spawn_with(move |s| {
        s.provider = ProviderKind::Openai;
        s.openai_base_url = url;
        s.openai_model = "test-model".into();
        s.openai_api_key = Some(Secret::new("sk-test-key"));
        tweak(s);
    })
    .await
}

#[tokio::test]
async fn a_structured_answer_becomes_a_checked_course() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::Json(good()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let course: CourseContent = serde_json::from_value(reply.body["detail"]["course"].clone()).unwrap();
    assert_eq!((course.provider.as_deref(), course.model.as_deref()), (Some("openai"), Some("test-model")));
    assert!(problems(catalogue(), &course, &plan_request(&seongsu_request())).is_empty());
    assert!(course.stops.iter().all(|s| s.description == GOOD_NOTE && s.map_url.starts_with("https://map.kakao.com/")));

    let sent = &upstream.requests()[0];
    assert_eq!(sent["model"], "test-model");
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
    assert!(sent["messages"][1]["content"].as_str().unwrap().contains("seoul-forest | 서울숲"), "grounded in the catalogue");
    assert_eq!(upstream.authorizations()[0].as_deref(), Some("Bearer sk-test-key"));
    assert!(!reply.body.to_string().contains("sk-test-key"));
    assert_eq!(app.remaining(&token).await, 4);
}

#[tokio::test]
async fn a_prose_answer_still_gives_a_course() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Json("성수라면 서울숲을 걷고 카페거리에서 커피를 마셔 보세요. 저녁엔 족발이 좋아요.".into()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let course: CourseContent = serde_json::from_value(reply.body["detail"]["course"].clone()).unwrap();
    assert_eq!(course.provider.as_deref(), Some("builtin-fallback"), "says so in the result");
    assert!(problems(catalogue(), &course, &plan_request(&seongsu_request())).is_empty());
    assert_eq!(upstream.requests().len(), 2, "one repair request");
}

#[tokio::test]
async fn a_wrong_answer_gets_one_repair_with_its_problems_listed() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::Json(wrong_answer()));
    upstream.push(Reply::Json(good()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.body["detail"]["course"]["provider"], "openai");
    let repair = &upstream.requests()[1]["messages"];
    let last = repair.as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(last.contains("must start at 14:00"), "{last}");
}

#[tokio::test]
async fn wrong_twice_falls_back_to_the_built_in_plan() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Json(wrong_answer()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["detail"]["course"]["provider"], "builtin-fallback");
    assert_eq!(reply.body["detail"]["course"]["model"], "test-model");
    assert_eq!(upstream.requests().len(), 2);
}

#[tokio::test]
async fn upstream_5xx_is_retried_then_502_and_costs_nothing() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Error(500, None));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
    assert_eq!(upstream.requests().len(), 3, "retried with backoff");
    assert_eq!(app.remaining(&token).await, 5);
    assert_eq!(reply.header("x-ratelimit-remaining"), Some("5"));
}

#[tokio::test]
async fn persistent_429s_and_refused_connections_are_502_and_cost_nothing() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Error(429, Some(0)));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
    assert_eq!(upstream.requests().len(), 3);
    assert_eq!(app.remaining(&token).await, 5);

    let closed = TestApp::spawn_with(|s| {
        s.provider = ProviderKind::Openai;
        s.openai_base_url = "http://127.0.0.1:9/v1".into();
    })
    .await;
    let token = closed.user_token("mina@example.com", "mina").await;
    let reply = closed.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
    assert!(!reply.body.to_string().contains("127.0.0.1:9"), "the upstream address stays private");
    assert_eq!(closed.remaining(&token).await, 5);
}

#[tokio::test]
async fn a_slow_answer_is_kept_alive_with_comments() {
    let upstream = Upstream::start().await;
    let Reply::Stream { pieces, gap, .. } = Reply::stream(&good(), 40) else { unreachable!() };
    upstream.push(Reply::Stream { pieces, first_delay: Duration::from_millis(2500), gap, break_after: None });
    let app = app_with(&upstream, |s| s.sse_keep_alive_secs = 1).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let response =
        app.client.post(format!("{}/chat/chatbot/stream/", app.url)).bearer_auth(&token).json(&seongsu_request()).send().await.unwrap();
    let text = response.text().await.unwrap();
    let before_first_event = &text[..text.find("event:").unwrap()];
    assert!(
        before_first_event.lines().filter(|l| l.starts_with(':')).count() >= 2,
        "keep-alive comments while waiting: {before_first_event:?}"
    );
    assert!(text.contains("event: done") || text.contains("event:done"));
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_it_asks_for() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::Error(429, Some(0)));
    upstream.push(Reply::Json(good()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["detail"]["course"]["provider"], "openai");
}

#[tokio::test]
async fn a_slow_upstream_past_the_deadline_is_504_and_costs_nothing() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Slow(Duration::from_secs(5), Box::new(Reply::Json(good()))));
    let app = app_with(&upstream, |s| s.openai_timeout_secs = 1).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let started = Instant::now();
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout"));
    assert!(started.elapsed() < Duration::from_secs(3), "the deadline holds: {:?}", started.elapsed());
    assert_eq!(app.remaining(&token).await, 5);
}

/// The events of one streamed recommendation, each with when it arrived.
async fn stream(app: &TestApp, token: &str, body: Value) -> (StatusCode, reqwest::header::HeaderMap, Vec<(String, Value, Instant)>) {
    let response = app.client.post(format!("{}/chat/chatbot/stream/", app.url)).bearer_auth(token).json(&body).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let events = events(response).await.unwrap().into_iter().map(|e| (e.name, e.data, e.at)).collect();
    (status, headers, events)
}

#[tokio::test]
async fn the_stream_sends_stops_as_they_complete_then_done() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::stream(&good(), 12));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (status, headers, events) = stream(&app, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["x-ratelimit-remaining"], "4");
    let names: Vec<&str> = events.iter().map(|(n, _, _)| n.as_str()).collect();
    let done = names.iter().position(|n| *n == "done").expect("a done event");
    assert_eq!(done, names.len() - 1, "done is last: {names:?}");
    let stops: Vec<&Value> = events.iter().filter(|(n, _, _)| n == "stop").map(|(_, v, _)| v).collect();
    let final_stops = events[done].1["course"]["stops"].as_array().unwrap();
    assert_eq!(stops.len(), final_stops.len());
    assert!(names.iter().position(|n| *n == "stop").unwrap() < done - 1, "stops arrive before the end");
    assert!(names.contains(&"delta"));
    assert_eq!(events[done].1["course"]["provider"], "openai");
    let requests = upstream.requests();
    assert_eq!((requests[0]["stream"].clone(), requests[0]["stream_options"]["include_usage"].clone()), (json!(true), json!(true)));
    assert_eq!(app.remaining(&token).await, 4);
}

#[tokio::test]
async fn the_first_event_follows_the_first_token_within_50_ms_even_when_it_is_slow() {
    let upstream = Upstream::start().await;
    let Reply::Stream { pieces, gap, .. } = Reply::stream(&good(), 12) else { unreachable!() };
    upstream.push(Reply::Stream { pieces, first_delay: Duration::from_millis(1500), gap, break_after: None });
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (status, _, events) = stream(&app, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    let first_token = upstream.first_pieces_sent()[0];
    let first_event = events[0].2;
    let latency = first_event.saturating_duration_since(first_token);
    println!("first event {latency:?} after the upstream's first token");
    assert!(latency <= Duration::from_millis(50), "{latency:?}");
    assert_eq!(events.last().unwrap().0, "done");
}

#[tokio::test]
async fn a_stream_that_breaks_ends_with_an_error_event_and_costs_nothing() {
    let upstream = Upstream::start().await;
    let Reply::Stream { pieces, gap, .. } = Reply::stream(&good(), 12) else { unreachable!() };
    upstream.push(Reply::Stream { pieces, first_delay: Duration::ZERO, gap, break_after: Some(20) });
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (status, _, events) = stream(&app, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    let (name, data, _) = events.last().unwrap();
    assert_eq!((name.as_str(), data["code"].as_str()), ("error", Some("upstream_error")), "{events:?}");
    assert_eq!(app.remaining(&token).await, 5);
}

#[tokio::test]
async fn the_built_in_planner_streams_too() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (status, _, events) = stream(&app, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    let stops = events.iter().filter(|(n, _, _)| n == "stop").count();
    assert!(stops >= 3);
    let (name, done, _) = events.last().unwrap();
    assert_eq!((name.as_str(), done["course"]["provider"].as_str()), ("done", Some("builtin")));
    // Invalid input is a plain JSON 400 before any stream starts.
    let bad = app.post("/chat/chatbot/stream/", Some(&token), json!({})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_couples_wait_on_a_two_second_upstream_at_the_same_time() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Slow(Duration::from_secs(2), Box::new(Reply::Json(good()))));
    let app = app_with(&upstream, |_| {}).await;
    let mut tokens = Vec::new();
    for i in 0..20 {
        tokens.push(app.user_token(&format!("couple{i}@example.com"), &format!("couple{i}")).await);
    }
    let started = Instant::now();
    let requests = tokens.into_iter().map(|token| {
        let (client, url) = (app.client.clone(), app.url.clone());
        tokio::spawn(async move {
            client.post(format!("{url}/chat/chatbot/")).bearer_auth(token).json(&seongsu_request()).send().await.unwrap().status()
        })
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
    let elapsed = started.elapsed();
    println!("20 couples answered in {elapsed:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert!(elapsed < Duration::from_secs(4), "the upstream waits overlap: {elapsed:?} (serially it would be 40 s)");
}
