//! `POST /chat/chatbot/` against a real server: courses that keep every planner rule, every
//! invalid input answered 400 at no cost, and the daily quota exact under concurrency,
//! across restarts and across Seoul's midnight.

use fyd_core::catalogue::catalogue;
use fyd_core::check::problems;
use fyd_core::course::CourseContent;
use fyd_test_support::{plan_request, recommend_body, seongsu_request, TestApp};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn courses_in_several_cities_and_transports_keep_every_rule() {
    let app = TestApp::spawn_with(|s| s.daily_quota = 0).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let cases = [
        seongsu_request(),
        recommend_body("부산 해운대", "summer", "오전 11시", "오후 10시", "public"),
        recommend_body("제주", "spring", "10:00", "18:00", "myCar"),
        recommend_body("경주", "winter", "오후 1시", "오후 8시 30분", "public"),
        recommend_body("홍대", "봄", "12시", "9시", "도보"),
        recommend_body("Jeonju", "autumn", "11", "21", "car"),
    ];
    for case in cases {
        let reply = app.post("/chat/chatbot/", Some(&token), case.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{case}: {}", reply.body);
        assert_eq!(reply.body["result"], "success");
        let detail = &reply.body["detail"];
        let course: CourseContent = serde_json::from_value(detail["course"].clone()).unwrap();
        assert_eq!(problems(catalogue(), &course, &plan_request(&case)), vec![], "{case}");
        assert!(course.stops.len() >= 3, "{case}");
        assert_eq!(course.provider.as_deref(), Some("builtin"));
        assert_eq!(detail["question"], course.question);
        assert!(detail["question"].as_str().unwrap().ends_with("추천해 주세요."));
        assert_eq!(detail["answer"], course.answer);
        assert!(detail.get("id").is_none(), "not saved unless asked");
    }
}

#[tokio::test]
async fn invalid_inputs_are_400_with_fields_and_cost_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let cases = [
        (json!({}), vec!["datePlace", "dateStart", "dateEnd", "dateTransport"]),
        (recommend_body("성수", "monsoon", "오후 2시", "오후 9시", "walk"), vec!["dateSeason"]),
        (recommend_body("성수", "None", "오후 2시", "오후 9시", "walk"), vec!["dateSeason"]),
        (recommend_body("성수", "fall", "later", "오후 9시", "walk"), vec!["dateStart"]),
        (recommend_body("성수", "fall", "오후 9시", "오후 2시", "walk"), vec!["dateEnd"]),
        (recommend_body("성수", "fall", "오후 2시", "오후 9시", "rocket"), vec!["dateTransport"]),
        (recommend_body("", "fall", "오후 2시", "오후 9시", "walk"), vec!["datePlace"]),
        (recommend_body(&"가".repeat(51), "fall", "오후 2시", "오후 9시", "walk"), vec!["datePlace"]),
        (json!({"datePlace": 5, "dateSeason": "fall", "dateStart": "2", "dateEnd": "9", "dateTransport": "walk"}), vec!["datePlace"]),
        (json!({"datePlace": "성수", "dateStart": "오후 2시", "dateEnd": "오후 9시", "dateTransport": "walk"}), vec!["dateSeason"]),
        (
            json!({"datePlace": "성수", "date": "2026-13-40", "dateStart": "오후 2시", "dateEnd": "오후 9시", "dateTransport": "walk"}),
            vec!["date"],
        ),
    ];
    for (case, fields) in cases {
        let reply = app.post("/chat/chatbot/", Some(&token), case.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{case}: {}", reply.body);
        for field in fields {
            assert!(reply.body["fields"][field].is_array(), "{field} in {} for {case}", reply.body);
        }
        assert_eq!(reply.header("x-ratelimit-remaining"), Some("5"));
    }
    let unknown = app.post("/chat/chatbot/", Some(&token), recommend_body("성스", "fall", "오후 2시", "오후 9시", "walk")).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::BAD_REQUEST, "unknown_place"));
    let suggestions = unknown.body["suggestions"].as_array().unwrap();
    assert!(suggestions.iter().any(|s| s == "성수"), "{suggestions:?}");
    assert_eq!(app.remaining(&token).await, 5, "no invalid request was charged");
}

#[tokio::test]
async fn save_stores_the_course_for_list_and_show() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut request = recommend_body("서촌", "spring", "오후 1시", "오후 8시", "walk");
    request["save"] = json!(true);
    let reply = app.post("/chat/chatbot/", Some(&token), request).await;
    assert_eq!(reply.status, StatusCode::OK);
    let id = reply.body["detail"]["id"].as_u64().expect("an id when saved");
    let saved = app.get(&format!("/chat/chat/{id}/"), Some(&token)).await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(saved.body["stops"], reply.body["detail"]["course"]["stops"]);
    assert_eq!(saved.body["title"], reply.body["detail"]["course"]["title"]);
    assert_eq!(app.get("/chat/chat/", Some(&token)).await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let app = TestApp::spawn_with(|s| s.daily_quota = 2).await;
    let token = app.user_token("mina@example.com", "mina").await;
    let ok = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!(ok.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(ok.header("x-ratelimit-remaining"), Some("1"));
    let midnight = "2026-11-27T00:00:00+09:00".parse::<jiff::Timestamp>().unwrap().as_second().to_string();
    assert_eq!(ok.header("x-ratelimit-reset"), Some(midnight.as_str()));
    let bad = app.post("/chat/chatbot/", Some(&token), json!({})).await;
    assert_eq!(bad.header("x-ratelimit-remaining"), Some("1"));
    app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    let over = app.post("/chat/chatbot/", Some(&token), seongsu_request()).await;
    assert_eq!((over.status, over.code()), (StatusCode::TOO_MANY_REQUESTS, "quota_exceeded"));
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(over.header("retry-after"), Some("43200"), "noon to Seoul midnight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_requests_with_quota_five_give_exactly_five_courses() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let requests = (0..20).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url.clone(), token.clone());
        tokio::spawn(async move {
            let mut request = seongsu_request();
            request["variant"] = json!(i);
            client.post(format!("{url}/chat/chatbot/")).bearer_auth(token).json(&request).send().await.unwrap().status()
        })
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 15, "{statuses:?}");
    assert_eq!(app.remaining(&token).await, 0);
}

#[tokio::test]
async fn the_count_survives_a_restart_and_resets_at_seoul_midnight() {
    let mut app = TestApp::spawn_with(|s| s.access_ttl = "2d".parse().unwrap()).await;
    let token = app.user_token("mina@example.com", "mina").await;
    for _ in 0..3 {
        assert_eq!(
            app.post("/chat/chatbot/", Some(&token), recommend_body("홍대", "fall", "오후 2시", "오후 9시", "walk")).await.status,
            StatusCode::OK
        );
    }
    app.restart().await;
    assert_eq!(app.remaining(&token).await, 2);
    for _ in 0..2 {
        assert_eq!(
            app.post("/chat/chatbot/", Some(&token), recommend_body("홍대", "fall", "오후 2시", "오후 9시", "walk")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.post("/chat/chatbot/", Some(&token), recommend_body("홍대", "fall", "오후 2시", "오후 9시", "walk")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // 23:59:59 in Seoul is still the same day...
    app.advance(SignedDuration::from_secs(12 * 3600 - 1));
    assert_eq!(app.remaining(&token).await, 0);
    // ...and one second later a new day begins.
    app.advance(SignedDuration::from_secs(1));
    let me = app.get("/user/user/", Some(&token)).await.body;
    assert_eq!(me["quota"]["remaining"], 5);
    assert_eq!(me["quota"]["resets_at"], "2026-11-28T00:00:00.000+09:00");
    assert_eq!(
        app.post("/chat/chatbot/", Some(&token), recommend_body("홍대", "fall", "오후 2시", "오후 9시", "walk")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn quota_zero_means_no_limit() {
    let app = TestApp::spawn_with(|s| s.daily_quota = 0).await;
    let token = app.user_token("mina@example.com", "mina").await;
    for variant in 0..8 {
        let mut request = recommend_body("이태원", "summer", "오후 6시", "오후 11시", "public");
        request["variant"] = json!(variant);
        let reply = app.post("/chat/chatbot/", Some(&token), request).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.header("x-ratelimit-limit").is_none());
    }
    let me = app.get("/user/user/", Some(&token)).await.body;
    assert_eq!((me["quota"]["limit"].clone(), me["quota"]["remaining"].clone()), (json!(0), Value::Null));
}

#[tokio::test]
async fn recommending_needs_a_token() {
    let app = TestApp::spawn().await;
    let reply = app.post("/chat/chatbot/", None, seongsu_request()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "token_not_valid"));
    assert_eq!(reply.header("x-ratelimit-limit"), Some("5"), "even a 401 tells the limit");
    assert!(reply.header("x-ratelimit-reset").is_some());
}

#[tokio::test]
async fn english_answers_on_request() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut request = recommend_body("Seongsu", "fall", "2pm", "9pm", "walk");
    request["lang"] = json!("en");
    let reply = app.post("/chat/chatbot/", Some(&token), request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body["detail"]["answer"].as_str().unwrap().contains("walk"));
    assert!(reply.body["detail"]["course"]["title"].as_str().unwrap().ends_with("date"));
}
