//! The saved course that the benchmarks and the scale seed store: a typical 성수 walk with
//! `answer_lines` lines of answer text. Shared by `benches/hot_paths.rs` and `examples/seed.rs`.

use fyd_core::course::CourseContent;

pub fn sample_course(i: usize, answer_lines: usize) -> CourseContent {
    CourseContent {
        title: format!("성수·서울숲 가을 데이트 {i}"),
        datetime: "오후 2시 ~ 오후 9시".into(),
        question: "성수에서 가을에 오후 2시부터 오후 9시까지 걸어서 다니는 데이트 코스를 추천해 주세요.".into(),
        answer: "1. 14:00–15:00 성수동 카페거리 [카페]\n".repeat(answer_lines),
        place: Some("성수".into()),
        season: None,
        date: None,
        start: Some("14:00".into()),
        end: Some("21:00".into()),
        transport: None,
        stops: Vec::new(),
        legs: Vec::new(),
        notes: Vec::new(),
        provider: Some("builtin".into()),
        model: None,
    }
}
