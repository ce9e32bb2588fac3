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
