//! Fixtures shared by the tests of every crate, one copy each: this crate's own tests use them,
//! and the server's and the CLI's through the `test-support` feature (never a release build).

use serde_json::{json, Value};

use crate::catalogue::catalogue;
use crate::course::hhmm;
use crate::planner::plan;
use crate::request::PlanRequest;

/// The note a good model writes on each stop of [`good_answer`].
pub const GOOD_NOTE: &str = "분위기 좋은 곳";

/// What a good model answers for `request`, as the answer schema asks: the built-in plan's
/// places by catalogue id, its times, and a note on each stop.
pub fn good_answer(request: &PlanRequest) -> String {
    let plan = plan(catalogue(), request).expect("the fixture's request can be planned");
    let stops: Vec<Value> = plan
        .stops
        .iter()
        .map(|s| json!({"place_id": s.place.id, "arrive": hhmm(s.arrive), "leave": hhmm(s.leave), "note": GOOD_NOTE}))
        .collect();
    json!({"stops": stops, "summary": "성수에서 보내는 가을 오후"}).to_string()
}
