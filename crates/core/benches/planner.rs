//! How long the built-in planner takes for typical requests (target: at most 5 ms each).
//! Run: `cargo bench -p fyd-core --bench planner`.

use criterion::{criterion_group, criterion_main, Criterion};
use fyd_core::course::{Season, Transport};
use fyd_core::planner::plan;
use fyd_core::render::course_content;
use fyd_core::request::{Lang, PlanRequest};

fn request(place: &str, season: Season, start: u16, end: u16, transport: Transport) -> PlanRequest {
    PlanRequest { place: place.into(), season, date: None, start, end, transport, lang: Lang::Ko, variant: 0 }
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("seongsu_walk_afternoon", request("성수", Season::Fall, 14 * 60, 21 * 60, Transport::Walk)),
        ("seoul_city_public_full_day", request("서울", Season::Spring, 11 * 60, 22 * 60, Transport::Public)),
        ("haeundae_car_full_day", request("해운대", Season::Summer, 10 * 60, 23 * 60, Transport::Car)),
        ("unknown_place_suggestions", request("성스", Season::Fall, 14 * 60, 21 * 60, Transport::Walk)),
    ];
    for (name, req) in cases {
        c.bench_function(name, |b| b.iter(|| plan(std::hint::black_box(&req)).map(|p| course_content(&p, &req))));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
