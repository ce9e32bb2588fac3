//! What holds for every endpoint: JSON errors, trailing slashes, body limits, CORS, docs.

use std::collections::BTreeMap;

use futures_util::stream;
use fyd_core::account::{MAX_EMAIL_CHARS, MAX_NICKNAME_CHARS, MAX_PASSWORD_CHARS};
use fyd_core::course::{MAX_ANSWER_CHARS, MAX_DATETIME_CHARS, MAX_QUESTION_CHARS, MAX_TITLE_CHARS};
use fyd_core::wire::paths;
use fyd_test_support::{course_body, Reply, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PATHS: [&str; 9] = [
    "/user/join",
    "/user/login",
    "/user/logout",
    "/user/token/refresh",
    "/user/token/verify",
    "/user/user",
    "/chat/chat",
    "/healthz",
    "/api/schema",
];

#[tokio::test]
async fn every_path_answers_with_and_without_its_trailing_slash_without_redirecting() {
    let app = TestApp::spawn().await;
    for path in PATHS {
        for variant in [path.to_owned(), format!("{path}/")] {
            let reply = app.client.get(format!("{}{variant}", app.url)).send().await.unwrap();
            assert!(!reply.status().is_redirection() && reply.status() != StatusCode::NOT_FOUND, "{variant}: {}", reply.status());
        }
    }
}

#[tokio::test]
async fn unknown_routes_are_404_json() {
    let app = TestApp::spawn().await;
    for path in ["/nope", "/user/", "/chat/chat/1/extra", "/admin/"] {
        let reply = app.get(path, None).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::NOT_FOUND, "not_found"), "{path}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

async fn raw_post(app: &TestApp, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
    let response = app.client.post(format!("{}{path}", app.url)).header("content-type", content_type).body(body).send().await.unwrap();
    Reply::from(response).await
}

#[tokio::test]
async fn bad_bodies_are_400_json_never_500() {
    let app = TestApp::spawn().await;
    let cases: [(&str, &[u8]); 8] = [
        ("application/json", b"{\"email\": "),
        ("application/json", b"[1, 2]"),
        ("application/json", b"\"text\""),
        ("application/json", b""),
        ("application/json", b"{\"email\": \"\xff\xfe\", \"password\": \"x\"}"),
        ("application/x-www-form-urlencoded", b"email=a&password=b"),
        ("text/plain", b"{\"email\": \"a\", \"password\": \"b\"}"),
        ("application/json", b"{\"email\": {\"nested\": [[[[]]]]}, \"password\": 1}"),
    ];
    for (content_type, body) in cases {
        let reply = raw_post(&app, "/user/login/", content_type, body.to_vec()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{content_type} {:?}", String::from_utf8_lossy(body));
        assert!(reply.body["detail"].is_string() && reply.body["code"].is_string(), "{}", reply.body);
    }
    let deep = format!("{{\"email\": {}1{}, \"password\": \"x\"}}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(raw_post(&app, "/user/login/", "application/json", deep).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bodies_over_64_kib_are_413_with_and_without_content_length() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    // Padding in a key the API ignores, so only the byte limit decides.
    let mut body = course_body("큰 코스");
    body["padding"] = json!("");
    let fixed = serde_json::to_vec(&body).unwrap().len();
    body["padding"] = json!("a".repeat(64 * 1024 - fixed));
    let at_limit = serde_json::to_vec(&body).unwrap();
    assert_eq!(at_limit.len(), 64 * 1024);
    let create = |bytes: reqwest::Body| {
        app.client.post(format!("{}/chat/chat/", app.url)).bearer_auth(&token).header("content-type", "application/json").body(bytes).send()
    };
    assert_eq!(create(at_limit.clone().into()).await.unwrap().status(), StatusCode::CREATED, "exactly 64 KiB is allowed");

    body["padding"] = json!("a".repeat(64 * 1024 - fixed + 1));
    let over = serde_json::to_vec(&body).unwrap();
    let with_length = Reply::from(create(over.clone().into()).await.unwrap()).await;
    assert_eq!((with_length.status, with_length.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));

    // Chunked, no Content-Length: the limit holds on the bytes read.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = over.chunks(4096).map(|c| Ok(c.to_vec())).collect();
    let chunked = Reply::from(create(reqwest::Body::wrap_stream(stream::iter(chunks))).await.unwrap()).await;
    assert_eq!(chunked.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.get("/chat/chat/", Some(&token)).await.body.as_array().unwrap().len(), 1, "nothing stored from the 413s");
}

#[tokio::test]
async fn cors_allows_the_old_front_from_any_origin() {
    let app = TestApp::spawn().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/chat/chat/", app.url))
        .header("origin", "http://localhost:5500")
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "http://localhost:5500");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("DELETE"));

    let real = app.client.get(format!("{}/chat/chat/", app.url)).header("origin", "http://127.0.0.1:3000").send().await.unwrap();
    assert_eq!(real.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(real.headers()["access-control-allow-origin"], "http://127.0.0.1:3000", "even on errors");
}

#[tokio::test]
async fn cors_origin_narrows_the_allowed_origins() {
    let app = TestApp::spawn_with(|s| s.cors_origins = vec!["https://fyd.example".into()]).await;
    let allowed = app.client.get(format!("{}/healthz", app.url)).header("origin", "https://fyd.example").send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://fyd.example");
    let other = app.client.get(format!("{}/healthz", app.url)).header("origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation_and_its_errors() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/schema/", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    let spec = spec.body;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let responses = |path: &str, method: &str| -> Vec<String> {
        let ops: &Value = &spec["paths"][path][method]["responses"];
        ops.as_object().unwrap_or_else(|| panic!("{method} {path} documented")).keys().cloned().collect()
    };
    assert_eq!(responses("/user/join", "post"), ["201", "400", "413", "500"]);
    assert_eq!(responses("/user/login", "post"), ["200", "400", "413", "429", "500"]);
    assert_eq!(responses("/chat/chat/{id}", "get"), ["200", "401", "403", "404", "500"]);
    assert_eq!(responses("/chat/chat/{id}", "delete"), ["204", "401", "403", "404", "500"]);
    assert_eq!(responses("/chat/chat", "get"), ["200", "400", "401", "500"]);
    let schemes = &spec["components"]["securitySchemes"];
    let bearer = schemes.as_object().unwrap().values().next().unwrap();
    assert_eq!((bearer["type"].as_str(), bearer["scheme"].as_str()), (Some("http"), Some("bearer")));
    assert!(spec["paths"]["/chat/chat/{id}"]["get"]["summary"].is_string());
    assert!(spec["components"]["schemas"]["ErrorBody"]["properties"]["code"].is_object());

    let yaml = app.client.get(format!("{}/api/schema/?format=yaml", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(yaml.starts_with("openapi: 3."), "{}", &yaml[..40]);
    for viewer in ["/api/schema/swagger-ui/", "/api/schema/redoc/"] {
        let page = app.client.get(format!("{}{viewer}", app.url)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{viewer}");
        assert!(page.text().await.unwrap().contains("<html"), "{viewer}");
    }
    assert_eq!(app.get("/healthz", None).await.body, json!({"status": "ok"}));
}

#[tokio::test]
async fn documented_fields_may_be_absent_but_not_null() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut body = course_body("t");
    body["model"] = json!(null);
    let reply = app.post("/chat/chat/", Some(&token), body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["fields"]["model"][0], "This field may not be null.");
    let mut body = course_body("t");
    body["id"] = json!(null); // not a field of the body: ignored, as the contract says
    assert_eq!(app.post("/chat/chat/", Some(&token), body).await.status, StatusCode::CREATED);
}

/// Each `maxLength` in the OpenAPI document is the limit the server's checks apply: every one
/// documented is listed here with its constant, so a drift on either side fails.
#[tokio::test]
async fn every_documented_max_length_is_the_limit_the_checks_apply() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/schema/", None).await.body;
    let mut documented = BTreeMap::new();
    for (schema, body) in spec["components"]["schemas"].as_object().unwrap() {
        for (field, property) in body["properties"].as_object().into_iter().flatten() {
            if let Some(max) = property["maxLength"].as_u64() {
                documented.insert(format!("{schema}.{field}"), max as usize);
            }
        }
    }
    let course = |schema: &str| {
        [
            (format!("{schema}.title"), MAX_TITLE_CHARS),
            (format!("{schema}.datetime"), MAX_DATETIME_CHARS),
            (format!("{schema}.question"), MAX_QUESTION_CHARS),
            (format!("{schema}.answer"), MAX_ANSWER_CHARS),
            (format!("{schema}.place"), fyd_core::course::MAX_PLACE_CHARS),
        ]
    };
    let mut expected: BTreeMap<String, usize> = BTreeMap::from([
        ("JoinRequest.email".into(), MAX_EMAIL_CHARS),
        ("JoinRequest.nickname".into(), MAX_NICKNAME_CHARS),
        ("JoinRequest.password1".into(), MAX_PASSWORD_CHARS),
        ("LoginRequest.email".into(), MAX_EMAIL_CHARS),
        ("LoginRequest.password".into(), MAX_PASSWORD_CHARS),
        ("RecommendRequest.datePlace".into(), fyd_core::course::MAX_PLACE_CHARS),
    ]);
    expected.extend(course("CourseContent"));
    expected.extend(course("Course"));
    assert_eq!(documented, expected);
}

/// The document points nowhere it cannot keep: no placeholder address, no external document.
#[tokio::test]
async fn the_api_document_has_no_placeholder_references() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/schema/", None).await;
    assert!(spec.body.get("externalDocs").is_none(), "{}", spec.body["externalDocs"]);
    assert!(!spec.body.to_string().contains(".invalid"));
    assert!(!include_str!("../../../../Cargo.toml").contains(".invalid"), "Cargo metadata has a placeholder");
}

/// The CLI calls the paths of `fyd_core::wire::paths`; the server declares its routes in
/// attributes of their own. Each path the CLI uses must be an operation the server documents.
#[tokio::test]
async fn every_path_the_cli_calls_is_a_documented_operation() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/schema/", None).await.body;
    let called = [
        paths::JOIN.to_owned(),
        paths::LOGIN.to_owned(),
        paths::LOGOUT.to_owned(),
        paths::TOKEN_REFRESH.to_owned(),
        paths::ME.to_owned(),
        paths::COURSES.to_owned(),
        paths::RECOMMEND.to_owned(),
        paths::RECOMMEND_STREAM.to_owned(),
        paths::course(7),
        paths::course_share(7),
        paths::course_ics(7),
    ];
    for path in called {
        // The document spells paths without the trailing slash, and a course's id as `{id}`.
        let documented = path.trim_end_matches('/').replace("/7", "/{id}");
        assert!(spec["paths"][&documented].is_object(), "{path} is not documented as {documented}");
    }
}
