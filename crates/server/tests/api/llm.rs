//! The OpenAI-compatible provider through the real fyd-server, against a local upstream that
//! speaks the real wire format (see `fyd_test_support::upstream`): good answers, prose, wrong
//! answers, failures and slowness, each with what the couple gets and what it costs (the
//! decision table of docs/llm.md).

use std::time::{Duration, Instant};

use fyd_core::catalogue::catalogue;
use fyd_core::check::problems;
use fyd_core::course::CourseContent;
use fyd_core::testing::{good_answer, GOOD_NOTE};
use fyd_server::config::{OpenAiFallback, ProviderKind, Secret};
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

/// What a model that ignores `response_format` answers (as ChatGPT did for the old service):
/// prose naming catalogue places near 성수.
const PROSE: &str = "성수라면 먼저 서울숲을 천천히 걸어 보세요. 그다음 어니언 성수에서 빵과 커피를 즐기고, \
                     저녁엔 성수족발을 추천해요. 밤에는 응봉산 팔각정에서 야경을 보면 좋아요.";
/// Prose that names no catalogue place.
const VAGUE_PROSE: &str = "성수에서는 산책하고 맛있는 것을 먹으며 즐거운 시간을 보내세요!";

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

/// `--openai-fallback error`: failures are 502/504 again.
fn no_fallback(settings: &mut fyd_server::Settings) {
    settings.openai_fallback = OpenAiFallback::Error;
}

fn course_of(detail: &Value) -> CourseContent {
    serde_json::from_value(detail["course"].clone()).expect("a course")
}

fn stop_names(course: &CourseContent) -> Vec<&str> {
    course.stops.iter().map(|s| s.name.as_str()).collect()
}

/// A course every rule holds for, planned by `provider`, with the `fallback_reason` given.
fn assert_course(detail: &Value, provider: &str, reason: Option<&str>) -> CourseContent {
    let course = course_of(detail);
    assert_eq!(course.provider.as_deref(), Some(provider), "{detail}");
    assert_eq!(course.model.as_deref(), Some("test-model"));
    assert_eq!(detail["fallback_reason"].as_str(), reason, "{detail}");
    assert!(problems(catalogue(), &course, &plan_request(&seongsu_request())).is_empty());
    course
}

#[tokio::test]
async fn a_structured_answer_becomes_a_checked_course() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::Json(good()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let course = assert_course(&reply.body["detail"], "openai", None);
    assert!(reply.body["detail"].get("fallback_reason").is_none(), "absent, not null");
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
async fn a_prose_answer_is_planned_around_the_places_it_names_without_a_repair() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Json(PROSE.into()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let body = json!({"datePlace": "성수", "dateSeason": "fall", "dateStart": "오후 2시", "dateEnd": "오후 9시", "dateTransport": "walk", "save": true});
    let reply = app.post("/chat/chatbot/", Some(&token), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let course = assert_course(&reply.body["detail"], "openai+planner", Some("prose_answer"));
    let names = stop_names(&course);
    for kept in ["서울숲", "성수족발"] {
        assert!(names.contains(&kept), "{kept} is kept from the prose: {names:?}");
    }
    assert_eq!(upstream.requests().len(), 1, "no repair request");
    assert_eq!(app.remaining(&token).await, 4, "charged once");
    let id = reply.body["detail"]["id"].as_u64().expect("saved");
    let saved = app.get(&format!("/chat/chat/{id}/"), Some(&token)).await;
    assert_eq!(saved.body["provider"], "openai+planner");
}

#[tokio::test]
async fn prose_that_names_nothing_gets_the_repair_request() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::Json(VAGUE_PROSE.into()));
    upstream.push(Reply::Json(good()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_course(&reply.body["detail"], "openai", None);
    assert_eq!(upstream.requests().len(), 2);
    let repair = upstream.requests()[1]["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(repair.contains("names no candidate place"), "{repair}");
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
async fn wrong_twice_is_planned_around_the_places_it_named_or_502_without_the_fallback() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Json(wrong_answer()));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let course = assert_course(&reply.body["detail"], "openai+planner", Some("invalid_answer"));
    assert!(stop_names(&course).contains(&"서울숲"), "the model's pick, at a time that keeps the rules");
    assert_eq!(upstream.requests().len(), 2);
    assert_eq!(app.remaining(&token).await, 4);

    let strict = app_with(&upstream, no_fallback).await;
    let token = strict.user_token("mina@example.com", "mina").await;
    let reply = strict.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
    assert_eq!(strict.remaining(&token).await, 5);
}

#[tokio::test]
async fn upstream_5xx_after_retries_is_the_built_in_course_or_502_without_the_fallback() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Error(500, None));
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_course(&reply.body["detail"], "builtin-fallback", Some("upstream_error"));
    assert_eq!(upstream.requests().len(), 3, "retried with backoff first");
    assert_eq!((app.remaining(&token).await, reply.header("x-ratelimit-remaining")), (json!(4), Some("4")), "charged once");

    let strict = app_with(&upstream, no_fallback).await;
    let token = strict.user_token("mina@example.com", "mina").await;
    let reply = strict.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
    assert_eq!(strict.remaining(&token).await, 5);
    assert_eq!(reply.header("x-ratelimit-remaining"), Some("5"));
}

#[tokio::test]
async fn persistent_429s_and_refused_connections_cost_nothing_without_the_fallback() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Error(429, Some(0)));
    let app = app_with(&upstream, no_fallback).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let reply = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
    assert_eq!(upstream.requests().len(), 3);
    assert_eq!(app.remaining(&token).await, 5);

    for fallback in [OpenAiFallback::Error, OpenAiFallback::Builtin] {
        let closed = TestApp::spawn_with(|s| {
            s.provider = ProviderKind::Openai;
            s.openai_base_url = "http://127.0.0.1:9/v1".into();
            s.openai_fallback = fallback;
        })
        .await;
        let token = closed.user_token("mina@example.com", "mina").await;
        let reply = closed.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
        assert!(!reply.body.to_string().contains("127.0.0.1:9"), "the upstream address stays private");
        if fallback == OpenAiFallback::Error {
            assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "upstream_error"));
            assert_eq!(closed.remaining(&token).await, 5);
        } else {
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.body["detail"]["course"]["provider"], "builtin-fallback");
            assert_eq!(reply.body["detail"]["fallback_reason"], "upstream_error");
            assert_eq!(closed.remaining(&token).await, 4);
        }
    }
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

/// The total deadline of the slow tests: the model has 1.5 s of it, the built-in plan 0.5 s.
const DEADLINE: Duration = Duration::from_secs(2);

fn deadline(settings: &mut fyd_server::Settings) {
    settings.openai_timeout_secs = DEADLINE.as_secs();
}

/// One plain recommendation, timed.
async fn timed(app: &TestApp, token: &str) -> (fyd_test_support::Reply, Duration) {
    let started = Instant::now();
    let reply = app.post("/chat/chatbot/", Some(token), seongsu_request()).await;
    (reply, started.elapsed())
}

#[tokio::test]
async fn a_slow_json_answer_past_the_deadline_gives_the_built_in_course_in_time_or_504_without_the_fallback() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Slow(Duration::from_secs(5), Box::new(Reply::Json(good()))));
    let app = app_with(&upstream, deadline).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (reply, elapsed) = timed(&app, &token).await;
    println!("a JSON answer past a {DEADLINE:?} deadline: the built-in course after {elapsed:?}");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_course(&reply.body["detail"], "builtin-fallback", Some("timeout"));
    assert!(elapsed < DEADLINE, "before the deadline: {elapsed:?}");
    assert_eq!(app.remaining(&token).await, 4, "charged once");

    let strict = app_with(&upstream, |s| {
        deadline(s);
        no_fallback(s);
    })
    .await;
    let token = strict.user_token("mina@example.com", "mina").await;
    let (reply, elapsed) = timed(&strict, &token).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout"));
    assert!(elapsed < DEADLINE + Duration::from_millis(500), "the deadline holds: {elapsed:?}");
    assert_eq!(strict.remaining(&token).await, 5);
}

#[tokio::test]
async fn a_slow_prose_answer_past_the_deadline_gives_the_built_in_course_in_time() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Slow(Duration::from_secs(5), Box::new(Reply::Json(PROSE.into()))));
    let app = app_with(&upstream, deadline).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (reply, elapsed) = timed(&app, &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_course(&reply.body["detail"], "builtin-fallback", Some("timeout"));
    assert!(elapsed < DEADLINE, "{elapsed:?}");
    assert_eq!(app.remaining(&token).await, 4);
}

#[tokio::test]
async fn a_repair_that_runs_past_the_deadline_gives_the_built_in_course_in_time() {
    let upstream = Upstream::start().await;
    upstream.push(Reply::Json(VAGUE_PROSE.into()));
    upstream.push(Reply::Slow(Duration::from_secs(5), Box::new(Reply::Json(good()))));
    let app = app_with(&upstream, deadline).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (reply, elapsed) = timed(&app, &token).await;
    println!("a repair past a {DEADLINE:?} deadline: the built-in course after {elapsed:?}");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_course(&reply.body["detail"], "builtin-fallback", Some("timeout"));
    assert_eq!(upstream.requests().len(), 2, "the repair went out");
    assert!(elapsed < DEADLINE, "{elapsed:?}");
    assert_eq!(app.remaining(&token).await, 4);
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

/// The names of the events, in order.
fn names(events: &[(String, Value, Instant)]) -> Vec<&str> {
    events.iter().map(|(n, _, _)| n.as_str()).collect()
}

/// The stops streamed as `stop` events.
fn streamed_stops(events: &[(String, Value, Instant)]) -> Vec<String> {
    events.iter().filter(|(n, _, _)| n == "stop").map(|(_, v, _)| v["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_stream_that_breaks_ends_with_done_around_the_stops_already_sent_or_error_without_the_fallback() {
    let upstream = Upstream::start().await;
    let Reply::Stream { pieces, gap, .. } = Reply::stream(&good(), 12) else { unreachable!() };
    let broken = Reply::Stream { pieces, first_delay: Duration::ZERO, gap, break_after: Some(20) };
    upstream.push(broken.clone());
    let app = app_with(&upstream, |_| {}).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (status, _, events) = stream(&app, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    let (last, detail, _) = events.last().unwrap();
    assert_eq!(last, "done", "{:?}", names(&events));
    let sent = streamed_stops(&events);
    assert!(!sent.is_empty(), "a stop was complete before the break");
    let course = assert_course(detail, "openai+planner", Some("upstream_error"));
    for stop in &sent {
        assert!(stop_names(&course).contains(&stop.as_str()), "{stop} streamed before the break is kept: {:?}", stop_names(&course));
    }
    assert_eq!(app.remaining(&token).await, 4);

    upstream.push(broken);
    let strict = app_with(&upstream, no_fallback).await;
    let token = strict.user_token("mina@example.com", "mina").await;
    let (status, _, events) = stream(&strict, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    let (name, data, _) = events.last().unwrap();
    assert_eq!((name.as_str(), data["code"].as_str()), ("error", Some("upstream_error")), "{events:?}");
    assert_eq!(strict.remaining(&token).await, 5);
}

#[tokio::test]
async fn a_stream_still_going_at_the_deadline_ends_with_done_in_time() {
    let upstream = Upstream::start().await;
    // Pieces 100 ms apart: the first stop closes within the model's 1.5 s, the answer does not.
    let Reply::Stream { pieces, .. } = Reply::stream(&good(), 12) else { unreachable!() };
    assert!(pieces.len() >= 20, "{} pieces", pieces.len());
    upstream.push(Reply::Stream { pieces, first_delay: Duration::ZERO, gap: Duration::from_millis(100), break_after: None });
    let app = app_with(&upstream, deadline).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let started = Instant::now();
    let (status, _, events) = stream(&app, &token, seongsu_request()).await;
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&events).last(), Some(&"done"), "{:?}", names(&events));
    assert!(elapsed < DEADLINE, "{elapsed:?}");
    let course = assert_course(&events.last().unwrap().1, "openai+planner", Some("timeout"));
    let sent = streamed_stops(&events);
    assert!(!sent.is_empty() && sent.iter().all(|s| stop_names(&course).contains(&s.as_str())), "{sent:?} in {:?}", stop_names(&course));
    assert_eq!(app.remaining(&token).await, 4);
}

#[tokio::test]
async fn a_streamed_prose_answer_ends_with_done_around_the_places_it_names() {
    let upstream = Upstream::start().await;
    let Reply::Stream { pieces, gap, .. } = Reply::stream(PROSE, 8) else { unreachable!() };
    upstream.push(Reply::Stream { pieces, first_delay: Duration::from_millis(500), gap, break_after: None });
    let app = app_with(&upstream, deadline).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let (status, _, events) = stream(&app, &token, seongsu_request()).await;
    assert_eq!(status, StatusCode::OK);
    let names = names(&events);
    assert!(names.contains(&"delta"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let course = assert_course(&events.last().unwrap().1, "openai+planner", Some("prose_answer"));
    assert!(stop_names(&course).contains(&"서울숲"));
    assert_eq!(upstream.requests().len(), 1);
    assert_eq!(app.remaining(&token).await, 4);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_couples_on_a_two_second_prose_upstream_are_all_answered_within_the_deadline() {
    let upstream = Upstream::start().await;
    upstream.always(Reply::Slow(Duration::from_secs(2), Box::new(Reply::Json(PROSE.into()))));
    let total = Duration::from_secs(4);
    let app = app_with(&upstream, |s| s.openai_timeout_secs = total.as_secs()).await;
    let mut tokens = Vec::new();
    for i in 0..12 {
        tokens.push(app.user_token(&format!("couple{i}@example.com"), &format!("couple{i}")).await);
    }
    let requests = tokens.iter().cloned().map(|token| {
        let (client, url) = (app.client.clone(), app.url.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let response = client.post(format!("{url}/chat/chatbot/")).bearer_auth(token).json(&seongsu_request()).send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body, started.elapsed())
        })
    });
    let replies: Vec<(StatusCode, Value, Duration)> =
        futures_util::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
    let slowest = replies.iter().map(|(_, _, elapsed)| *elapsed).max().unwrap();
    println!("12 couples on a 2 s prose upstream: the slowest answered in {slowest:?}");
    for (status, body, _) in &replies {
        assert_eq!(*status, StatusCode::OK, "{body}");
        let course = assert_course(&body["detail"], "openai+planner", Some("prose_answer"));
        assert!(stop_names(&course).contains(&"서울숲"));
    }
    assert!(slowest <= total + Duration::from_millis(500), "{slowest:?}");
    for token in &tokens {
        assert_eq!(app.remaining(token).await, 4, "each charged once");
    }
}

#[tokio::test]
async fn the_fallback_reason_is_documented_with_its_values() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/schema/", None).await.body;
    let schemas = &spec["components"]["schemas"];
    let field = &schemas["RecommendDetail"]["properties"]["fallback_reason"];
    let reference = field["$ref"].as_str().or_else(|| field["allOf"][0]["$ref"].as_str()).unwrap_or_else(|| panic!("{field}"));
    let reason = &schemas[reference.rsplit('/').next().unwrap()];
    assert_eq!(reason["enum"], json!(["prose_answer", "invalid_answer", "timeout", "upstream_error"]), "{reason}");
    let required = schemas["RecommendDetail"]["required"].as_array().unwrap();
    assert!(!required.contains(&json!("fallback_reason")), "optional");
}
