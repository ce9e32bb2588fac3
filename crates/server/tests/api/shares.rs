//! Share links and calendar files against a real server: who may share, what the page shows
//! and never shows, revocation and expiry, the per-IP limit, and the `.ics` files read back by
//! a parser of other authors (calcard). In Chromium, and the log: `tests/share`.

use calcard::icalendar::{ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarProperty, ICalendarValue};
use fyd_test_support::{hostile_course_body, recommend_body, Reply, TestApp};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A course recommended and saved for `token`, for `body` with a `date`; its JSON.
async fn saved_course(app: &TestApp, token: &str, mut body: Value) -> Value {
    body["save"] = json!(true);
    let reply = app.post("/chat/chatbot/", Some(token), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let id = reply.body["detail"]["id"].as_u64().unwrap();
    app.get(&format!("/chat/chat/{id}/"), Some(token)).await.body
}

fn seongsu_on(date: &str) -> Value {
    let mut body = recommend_body("성수", "fall", "오후 2시", "오후 9시", "walk");
    body["date"] = json!(date);
    body
}

async fn share(app: &TestApp, token: &str, id: &Value, body: Value) -> Reply {
    app.post(&format!("/chat/chat/{id}/share/"), Some(token), body).await
}

/// The path of a share link's URL.
fn path_of(link: &Reply) -> String {
    let url = link.body["url"].as_str().unwrap();
    format!("/s/{}", url.rsplit("/s/").next().unwrap())
}

async fn open(app: &TestApp, path: &str, accept_language: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.client.get(format!("{}{path}", app.url)).header("accept-language", accept_language).send().await.unwrap();
    (response.status(), response.headers().clone(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_shared_course_opens_without_an_account_with_its_stops_links_and_sunset() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "미나").await;
    let course = saved_course(&app, &token, seongsu_on("2026-11-28")).await;

    let link = share(&app, &token, &course["id"], json!({})).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
    let url = link.body["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/s/", app.url)), "{url}");
    assert_eq!(link.body["token"].as_str().unwrap().len(), 43);
    assert_eq!((link.body["replaced"].as_bool(), link.body.get("expires_at")), (Some(false), None));

    let (status, headers, html) = open(&app, &path_of(&link), "ko-KR,ko;q=0.9").await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert!(header("content-security-policy").starts_with("default-src 'none'; style-src 'sha256-"));
    assert_eq!(
        (header("x-robots-tag"), header("referrer-policy"), header("cache-control")),
        ("noindex, nofollow".into(), "no-referrer".into(), "no-store".into())
    );
    assert!(html.contains(r#"<meta name="robots" content="noindex, nofollow">"#) && html.contains(r#"name="viewport""#));
    assert!(html.contains(r#"<html lang="ko">"#) && html.contains(course["title"].as_str().unwrap()));
    assert!(html.contains("2026-11-28 오후 2시 ~ 오후 9시"), "the course's window");
    for stop in course["stops"].as_array().unwrap() {
        assert!(html.contains(stop["name"].as_str().unwrap()), "{} missing", stop["name"]);
        let map = stop["map_url"].as_str().unwrap();
        assert!(html.contains(&format!(r#"href="{map}""#)), "no link to {map}");
        assert!(html.contains(&format!("{} – {}", stop["arrive"].as_str().unwrap(), stop["leave"].as_str().unwrap())));
    }
    assert!(html.contains("도보") && html.contains("해 지는 시각은 17:"), "legs and the sunset (late November in Seoul: 17:1x)");
    assert!(!html.contains("mina@example.com") && !html.contains("미나"), "no email, and no nickname unless asked");
    assert!(!html.contains("<script"), "the page has no script");
    assert!(html.contains(&format!(r#"href="{}.ics""#, link.body["token"].as_str().unwrap())), "the calendar link");

    // In English, by the reader's Accept-Language, with English times; the nickname when asked.
    let link = share(&app, &token, &course["id"], json!({"show_nickname": true})).await;
    let (_, _, html) = open(&app, &path_of(&link), "en-US,en;q=0.9,ko;q=0.5").await;
    assert!(html.contains(r#"<html lang="en">"#) && html.contains("Open the map") && html.contains("2:00 PM – 9:00 PM"), "{html}");
    assert!(html.contains("Shared by 미나") && !html.contains("mina@example.com"));
}

#[tokio::test]
async fn only_the_owner_shares_or_revokes_and_a_revoked_replaced_expired_or_deleted_link_is_a_404_page() {
    let app = TestApp::spawn().await;
    let mina = app.user_token("mina@example.com", "mina").await;
    let joon = app.user_token("joon@example.com", "joon").await;
    let course = app.create_course(&mina, "미나의 코스").await;
    let id = &course["id"];

    assert_eq!(share(&app, &joon, id, json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("/chat/chat/{id}/share/"), Some(&joon)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(share(&app, &mina, &json!(999), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&format!("/chat/chat/{id}/share/"), None, json!({})).await.status, StatusCode::UNAUTHORIZED);
    let too_short = share(&app, &mina, id, json!({"expires_in_secs": 30})).await;
    assert_eq!((too_short.status, too_short.body["fields"]["expires_in_secs"].is_array()), (StatusCode::BAD_REQUEST, true));

    let first = share(&app, &mina, id, json!({})).await;
    assert_eq!(open(&app, &path_of(&first), "ko").await.0, StatusCode::OK);
    // A course the old web front saved (no stops) shows its text.
    assert!(open(&app, &path_of(&first), "ko").await.2.contains("1. 서울숲 산책"));

    let second = share(&app, &mina, id, json!({})).await;
    assert_eq!(second.body["replaced"], true);
    let (status, headers, html) = open(&app, &path_of(&first), "ko").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a replaced link no longer opens");
    assert!(html.contains("없는 링크예요") && headers.get("content-security-policy").is_some());
    assert_eq!(open(&app, &format!("{}.ics", path_of(&first)), "ko").await.0, StatusCode::NOT_FOUND);

    let revoked = app.delete(&format!("/chat/chat/{id}/share/"), Some(&mina)).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(open(&app, &path_of(&second), "en").await.0, StatusCode::NOT_FOUND);
    assert!(open(&app, &path_of(&second), "en").await.2.contains("No such link"));
    assert_eq!(app.delete(&format!("/chat/chat/{id}/share/"), Some(&mina)).await.status, StatusCode::NO_CONTENT, "revoking again is fine");

    let expiring = share(&app, &mina, id, json!({"expires_in_secs": 600})).await;
    assert_eq!(expiring.body["expires_at"], "2026-11-26T12:10:00.000+09:00");
    app.advance(SignedDuration::from_mins(9));
    assert_eq!(open(&app, &path_of(&expiring), "ko").await.0, StatusCode::OK);
    app.advance(SignedDuration::from_mins(1));
    assert_eq!(open(&app, &path_of(&expiring), "ko").await.0, StatusCode::NOT_FOUND, "expired");

    let last = share(&app, &mina, id, json!({})).await;
    assert_eq!(app.delete(&format!("/chat/chat/{id}/"), Some(&mina)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(open(&app, &path_of(&last), "ko").await.0, StatusCode::NOT_FOUND, "the course is gone");

    for path in ["/s/", "/s/nope", "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/s/a/b"] {
        let (status, headers, _) = open(&app, path, "ko").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/html"), "{path}");
    }
    let post = app.client.post(format!("{}{}", app.url, path_of(&last))).send().await.unwrap();
    assert_eq!(
        (post.status(), post.headers().get("allow").unwrap().to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD, OPTIONS")
    );
}

#[tokio::test]
async fn script_saved_in_a_course_is_shown_as_text_and_unsafe_links_are_not_linked() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let created = app.post("/chat/chat/", Some(&token), hostile_course_body()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let link = share(&app, &token, &created.body["id"], json!({})).await;
    let (status, _, html) = open(&app, &path_of(&link), "ko").await;
    assert_eq!(status, StatusCode::OK);
    // Tags in the saved text appear only escaped (that no attribute runs either is for the
    // browser to say: tests/browser).
    for tag in ["<script", "<img", "<svg", "<iframe", "<b ", "=\"javascript:", "=javascript:"] {
        assert!(!html.contains(tag), "{tag} reached the page:\n{html}");
    }
    assert!(html.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"), "the title is shown as text");
    assert!(html.contains("&lt;/p&gt;&lt;script&gt;window.__xss=8"), "the description is shown as text");
    // The stop whose map link was `javascript:` links a Kakao pin of its own coordinates instead.
    assert!(html.contains("https://map.kakao.com/link/map/%3Cscript%3E"), "{html}");
}

#[tokio::test]
async fn share_pages_are_limited_per_client_ip_and_a_trusted_proxy_names_the_client() {
    let app = TestApp::spawn_with(|s| {
        s.share_rate_per_minute = 3;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let get = |forwarded_for: &'static str| {
        let request = app.client.get(format!("{}/s/unknown", app.url)).header("x-forwarded-for", forwarded_for);
        async move { request.send().await.unwrap() }
    };
    for _ in 0..3 {
        assert_eq!(get("198.51.100.1").await.status(), StatusCode::NOT_FOUND);
    }
    let limited = get("198.51.100.1").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    assert!(limited.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    assert!(limited.text().await.unwrap().contains("잠시 후에"), "a page, in Korean without Accept-Language");
    assert_eq!(get("198.51.100.2").await.status(), StatusCode::NOT_FOUND, "another client has its own allowance");
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK, "the API is not limited by it");
}

/// The events of a calendar file, read by calcard, after checking what calendar apps insist
/// on: CRLF line ends, lines of at most 75 octets, and a VTIMEZONE for Asia/Seoul.
fn events(text: &str) -> Vec<ICalendarComponent> {
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split("\r\n") {
        assert!(!line.contains('\n') && !line.contains('\r'), "a bare line break: {line:?}");
        assert!(line.len() <= 75, "a line of {} octets: {line}", line.len());
    }
    let calendar = ICalendar::parse(text).unwrap_or_else(|entry| panic!("calcard cannot read it: {entry:?}\n{text}"));
    let kind = |c: &ICalendarComponent| c.component_type.clone();
    let zone = calendar.components.iter().find(|c| kind(c) == ICalendarComponentType::VTimezone).expect("a VTIMEZONE");
    assert_eq!(text_of(zone, &ICalendarProperty::Tzid), "Asia/Seoul");
    calendar.components.into_iter().filter(|c| kind(c) == ICalendarComponentType::VEvent).collect()
}

fn text_of(component: &ICalendarComponent, property: &ICalendarProperty) -> String {
    let entry = component.property(property).unwrap_or_else(|| panic!("no {property:?}"));
    match &entry.values[..] {
        [ICalendarValue::Text(text)] => text.clone(),
        [ICalendarValue::Uri(uri)] => format!("{uri:?}"),
        other => panic!("{property:?} is {other:?}"),
    }
}

/// "YYYY-MM-DD HH:MM" and the TZID of a DTSTART or DTEND.
fn local_time(component: &ICalendarComponent, property: &ICalendarProperty) -> (String, String) {
    let entry = component.property(property).unwrap_or_else(|| panic!("no {property:?}"));
    let [ICalendarValue::PartialDateTime(at)] = &entry.values[..] else { panic!("{property:?} is {:?}", entry.values) };
    let tzid = entry.params.iter().find_map(|p| format!("{p:?}").contains("Tzid").then(|| format!("{p:?}"))).unwrap_or_default();
    let at = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year.unwrap(),
        at.month.unwrap(),
        at.day.unwrap(),
        at.hour.unwrap(),
        at.minute.unwrap()
    );
    (at, tzid)
}

#[tokio::test]
async fn the_calendar_file_has_an_event_per_stop_in_seoul_time_and_late_stops_on_the_next_day() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let mut body = recommend_body("홍대", "winter", "오후 8시", "새벽 1시", "walk");
    body["date"] = json!("2026-12-31");
    let course = saved_course(&app, &token, body).await;
    let stops = course["stops"].as_array().unwrap();
    assert!(stops.iter().any(|s| s["leave"].as_str().unwrap() < "02:00"), "a stop after midnight: {stops:?}");

    let reply = app.client.get(format!("{}/chat/chat/{}/ics", app.url, course["id"])).bearer_auth(&token).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.headers()["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(reply.headers()["content-disposition"], "attachment; filename=\"fyd-2026-12-31.ics\"");
    let text = reply.text().await.unwrap();
    let owned = events(&text);
    assert_eq!(owned.len(), stops.len());
    for (event, stop) in owned.iter().zip(stops) {
        let day = |time: &str| if time < "12:00" { "2027-01-01" } else { "2026-12-31" };
        let (arrive, leave) = (stop["arrive"].as_str().unwrap(), stop["leave"].as_str().unwrap());
        let (start, zone) = local_time(event, &ICalendarProperty::Dtstart);
        assert_eq!(start, format!("{} {arrive}", day(arrive)), "{}", stop["name"]);
        assert!(zone.contains("Asia/Seoul"), "{zone}");
        assert_eq!(local_time(event, &ICalendarProperty::Dtend).0, format!("{} {leave}", day(leave)));
        assert_eq!(text_of(event, &ICalendarProperty::Location), stop["name"].as_str().unwrap());
        assert!(text_of(event, &ICalendarProperty::Url).contains("map.kakao.com"));
        let geo = &event.property(&ICalendarProperty::Geo).expect("GEO").values;
        let [ICalendarValue::Float(lat), ICalendarValue::Float(lon)] = &geo[..] else { panic!("GEO is {geo:?}") };
        assert!((lat - stop["lat"].as_f64().unwrap()).abs() < 1e-5 && (lon - stop["lon"].as_f64().unwrap()).abs() < 1e-5);
        assert!(event.property(&ICalendarProperty::Uid).is_some() && event.property(&ICalendarProperty::Dtstamp).is_some());
    }

    // The shared file is the same calendar; English words by Accept-Language.
    let link = share(&app, &token, &course["id"], json!({})).await;
    let (status, _, shared) = open(&app, &format!("{}.ics", path_of(&link)), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(events(&shared).len(), stops.len());
    assert!(shared.contains("On to the next stop") && text.contains("다음 장소까지"));
}

#[tokio::test]
async fn a_course_without_a_date_needs_the_day_and_only_its_owner_gets_the_file() {
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let joon = app.user_token("joon@example.com", "joon").await;
    let course = saved_course(&app, &token, recommend_body("성수", "fall", "오후 2시", "오후 9시", "walk")).await;
    let path = format!("/chat/chat/{}/ics", course["id"]);

    let no_day = app.get(&path, Some(&token)).await;
    assert_eq!((no_day.status, no_day.body["fields"]["date"].is_array()), (StatusCode::BAD_REQUEST, true), "{}", no_day.body);
    assert_eq!(app.get(&format!("{path}?date=2026-02-30"), Some(&token)).await.status, StatusCode::BAD_REQUEST);
    let file = app.client.get(format!("{}{path}?date=2026-10-03", app.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let text = file.text().await.unwrap();
    assert!(local_time(&events(&text)[0], &ICalendarProperty::Dtstart).0.starts_with("2026-10-03 14:"));

    assert_eq!(app.get(&path, Some(&joon)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/chat/chat/999/ics", Some(&token)).await.status, StatusCode::NOT_FOUND);

    // Shared: the page offers a form for the day (no script needed), and the file takes it.
    let link = share(&app, &token, &course["id"], json!({})).await;
    let (_, _, html) = open(&app, &path_of(&link), "ko").await;
    assert!(html.contains(r#"<input type="date" name="date" required>"#), "{html}");
    let ics = format!("{}.ics", path_of(&link));
    let (status, _, problem) = open(&app, &ics, "ko").await;
    assert_eq!((status, problem.starts_with("date: ")), (StatusCode::BAD_REQUEST, true));
    assert_eq!(open(&app, &format!("{ics}?date=2026-10-03"), "ko").await.0, StatusCode::OK);
}
