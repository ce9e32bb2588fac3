//! The request bodies and values the suites send, one copy each. The LLM answer a good model
//! gives is `fyd_core::testing::good_answer`, shared with fyd-core's own tests.

use fyd_core::request::{validate_recommend, PlanRequest, RecommendRequest};
use serde_json::{json, Value};

/// Every test user's password: long, mixed, and not on Django's common-password list.
pub const PASSWORD: &str = "달빛산책-2024x";

/// `POST /user/join/` for a new user with [`PASSWORD`].
pub fn join_body(email: &str, nickname: &str) -> Value {
    json!({"email": email, "nickname": nickname, "password1": PASSWORD, "password2": PASSWORD})
}

/// `POST /user/login/` with [`PASSWORD`].
pub fn login_body(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD})
}

/// `POST /chat/chat/`: a course as the old web front saves it (no stops).
pub fn course_body(title: &str) -> Value {
    json!({"title": title, "datetime": "오후 2시 ~ 오후 9시", "question": "성수에서 가을 데이트", "answer": "1. 서울숲 산책"})
}

/// A course saved through the API with script in every text it has: each payload, if it ever
/// ran, would set `window.__xss` (to the number of the field it came from).
pub fn hostile_course_body() -> Value {
    json!({
        "title": "<script>window.__xss=1</script>",
        "datetime": "\"><img src=x onerror=\"window.__xss=2\">",
        "question": "<script>window.__xss=3</script>",
        "answer": "<img src=x onerror=window.__xss=4>",
        "place": "<b onmouseover=window.__xss=5>성수</b>",
        "date": "2026-11-28", "start": "14:00", "end": "21:00", "season": "fall", "transport": "walk",
        "stops": [
            {
                "name": "<script>window.__xss=6</script>", "category": "\"><img src=x onerror=window.__xss=7>",
                "arrive": "14:00", "leave": "15:00", "description": "</p><script>window.__xss=8</script>",
                "lat": 37.5446, "lon": 127.0557, "map_url": "javascript:window.__xss=9",
                "alternatives": [{"name": "<svg onload=window.__xss=10>", "distance_m": 120, "map_url": "\" onmouseover=\"window.__xss=11"}]
            },
            {
                "name": "서울숲", "category": "walk", "arrive": "15:10", "leave": "16:00", "description": "가을 산책",
                "lat": 37.5444, "lon": 127.0374, "map_url": "https://map.kakao.com/link/map/%EC%84%9C%EC%9A%B8%EC%88%B2,37.544400,127.037400"
            }
        ],
        "legs": [{"mode": "walk", "minutes": 10, "distance_m": 700}],
        "notes": ["<iframe src=\"javascript:window.__xss=12\"></iframe>"]
    })
}

/// `POST /chat/chatbot/` as the old web front sends it.
pub fn recommend_body(place: &str, season: &str, start: &str, end: &str, transport: &str) -> Value {
    json!({"datePlace": place, "dateSeason": season, "dateStart": start, "dateEnd": end, "dateTransport": transport})
}

/// The recommendation most tests ask for: 성수 in the fall, 오후 2시 to 오후 9시, on foot.
pub fn seongsu_request() -> Value {
    recommend_body("성수", "fall", "오후 2시", "오후 9시", "walk")
}

/// What the server makes of a valid recommendation body.
pub fn plan_request(body: &Value) -> PlanRequest {
    let request: RecommendRequest = serde_json::from_value(body.clone()).expect("a recommendation body");
    validate_recommend(&request).expect("a valid recommendation body")
}
