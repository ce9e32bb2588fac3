//! The real binary's log while a link is made, opened and revoked: the link appears by its
//! hash's prefix only, and neither the log nor the data directory holds the token.

use fyd_test_support::process::Process;
use fyd_test_support::{course_body, join_at};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_token_is_neither_logged_nor_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
    let server = Process::start_logging(env!("CARGO_BIN_EXE_fyd-server"), &data, &[], &log);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = server.url.clone();
    let access = join_at(&client, &url, "mina@example.com", "mina").await["access"].as_str().unwrap().to_owned();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = client.request(method, format!("{url}{path}")).bearer_auth(&access);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap() }
    };
    let course: Value = call(reqwest::Method::POST, "/chat/chat/".into(), Some(course_body("코스"))).await.json().await.unwrap();
    let link: Value =
        call(reqwest::Method::POST, format!("/chat/chat/{}/share/", course["id"]), Some(json!({}))).await.json().await.unwrap();
    let (page, secret) = (link["url"].as_str().unwrap().to_owned(), link["token"].as_str().unwrap().to_owned());
    assert_eq!(client.get(&page).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(client.get(format!("{page}.ics")).send().await.unwrap().status(), StatusCode::BAD_REQUEST, "no stops to export");
    call(reqwest::Method::DELETE, format!("/chat/chat/{}/share/", course["id"]), None).await;
    assert_eq!(client.get(&page).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert!(server.terminate().success());

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("share link made") && logged.contains("share link revoked"), "{logged}");
    assert!(logged.contains("path=/s/#") && logged.contains(".ics status=400"), "requests name the link by its hash:\n{logged}");
    assert!(!logged.contains(&secret), "the token reached the log:\n{logged}");
    for file in walk(&data) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the token is stored in {}", file.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}
