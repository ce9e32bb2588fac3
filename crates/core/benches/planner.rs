//! How long the built-in planner takes for typical requests (target: at most 5 ms each, p99).
//! Run: `cargo bench -p fyd-core --bench planner`.

use criterion::{criterion_group, criterion_main, Criterion};
use fyd_core::catalogue::catalogue;
use fyd_core::planner::plan;
use fyd_core::request::{validate_recommend, RecommendRequest};

fn request(place: &str, season: &str, start: &str, end: &str, transport: &str, variant: u32) -> RecommendRequest {
    RecommendRequest { variant: Some(variant), ..RecommendRequest::new(place, season, start, end, transport) }
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("seongsu_walk_afternoon", request("성수", "fall", "14:00", "21:00", "walk", 0)),
        ("seoul_city_public_full_day", request("서울", "spring", "11:00", "22:00", "public", 0)),
        ("haeundae_car_full_day", request("해운대", "summer", "10:00", "23:00", "myCar", 0)),
        ("gangnam_station_public_late_night", request("강남역", "winter", "20:00", "01:00", "public", 0)),
        ("jongno_walk_full_day_variant", request("종로", "fall", "10:00", "21:00", "walk", 3)),
        ("unknown_place_suggestions", request("성스", "fall", "14:00", "21:00", "walk", 0)),
    ];
    let catalogue = catalogue();
    for (name, body) in cases {
        let req = validate_recommend(&body).expect("a valid request");
        c.bench_function(name, |b| b.iter(|| plan(catalogue, std::hint::black_box(&req)).map(|p| p.course)));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
