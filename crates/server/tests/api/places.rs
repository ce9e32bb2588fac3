//! `--places FILE`: an operator's catalogue files applied over the built-in catalogue — new
//! places are planned with, a record with a known id replaces the built-in one, and a file that
//! does not read stops the start with the file, the line and what is wrong.

use fyd_server::Settings;
use fyd_test_support::{recommend_body, TestApp};
use reqwest::StatusCode;

const PLACES_HEADER: &str =
    "id|area|ko|en|aliases|category|setting|lat|lon|hours|last_entry|stay|price|seasons|tags|within|checked|note|desc_ko|desc_en\n";

/// A café the operator adds in 성수, and 서울숲 renamed by its id.
fn operator_places() -> String {
    format!(
        "{PLACES_HEADER}\
         # an operator's own café\n\
         op-riverside-cafe|seongsu|강변테스트카페|Riverside Test Cafe|강변카페|cafe|in|37.5450|127.0480|Mo-Su 09:00-23:00|0|60|1|all|-|-|2026|-|운영자가 더한 강변 카페|A café the operator added\n\
         seoul-forest|seongsu|서울숲공원|Seoul Forest Park|-|walk|out|37.5444|127.0374|24/7|0|70|0|spring,fall|highlight|-|2026|-|운영자가 이름을 바꾼 숲|The forest, renamed by the operator\n"
    )
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn an_operators_places_are_planned_with_and_override_by_id() {
    let files = tempfile::tempdir().unwrap();
    let path = write(&files, "places.csv", &operator_places());
    let app = TestApp::spawn_with(move |s| s.places = vec![path]).await;
    let token = app.user_token("mina@example.com", "mina").await;

    let reply = app.post("/chat/chatbot/", Some(&token), recommend_body("강변테스트카페", "fall", "14:00", "20:00", "walk")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let stops = reply.body["detail"]["course"]["stops"].as_array().unwrap().clone();
    assert_eq!(stops[0]["name"], "강변테스트카페", "the named operator place anchors and leads the course: {stops:?}");

    let renamed = app.post("/chat/chatbot/", Some(&token), recommend_body("서울숲공원", "spring", "10:00", "16:00", "walk")).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let names: Vec<&str> =
        renamed.body["detail"]["course"]["stops"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"서울숲공원"), "the built-in place under its new name: {names:?}");
    assert!(!names.contains(&"서울숲"), "the built-in record is replaced, not doubled: {names:?}");
}

#[tokio::test]
async fn a_places_file_that_does_not_read_stops_the_start_with_file_line_and_reason() {
    let files = tempfile::tempdir().unwrap();
    let broken = operator_places().replace("|cafe|in|", "|coffee|in|");
    let path = write(&files, "broken.csv", &broken);
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings::with_data_dir(data.path());
    settings.bind = "127.0.0.1:0".into();
    settings.places = vec![path.clone()];
    let clock = std::sync::Arc::new(fyd_server::clock::ManualClock::new("2026-11-27T10:00:00+09:00[Asia/Seoul]".parse().unwrap()));
    let err = match fyd_server::spawn(settings.clone(), clock.clone()).await {
        Ok(_) => panic!("a broken places file must stop the start"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains(&format!("{}:3: unknown category coffee", path.display())), "{err}");

    settings.places = vec![files.path().join("missing.csv")];
    let err = match fyd_server::spawn(settings, clock).await {
        Ok(_) => panic!("a missing places file must stop the start"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("missing.csv") && err.contains("cannot read"), "{err}");
}
