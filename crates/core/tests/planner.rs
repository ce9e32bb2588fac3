//! The built-in planner, checked mechanically: every area, season, transport and window gives
//! a course that keeps every rule of `fyd_core::check`.

use fyd_core::catalogue::catalogue;
use fyd_core::check::{find_place, problems};
use fyd_core::course::{LegMode, Season, Transport};
use fyd_core::planner::{plan, PlanError};
use fyd_core::render::course_content;
use fyd_core::request::{Lang, PlanRequest};

fn request(place: &str, season: Season, start: u16, end: u16, transport: Transport) -> PlanRequest {
    PlanRequest { place: place.into(), season, date: None, start, end, transport, lang: Lang::Ko, variant: 0 }
}

const SEASONS: [Season; 4] = [Season::Spring, Season::Summer, Season::Fall, Season::Winter];
const TRANSPORTS: [Transport; 3] = [Transport::Walk, Transport::Public, Transport::Car];
const WINDOWS: [(u16, u16); 4] = [(11 * 60, 21 * 60), (14 * 60, 21 * 60), (10 * 60, 15 * 60), (18 * 60, 23 * 60)];

#[test]
fn every_area_season_transport_and_window_gives_a_course_that_keeps_every_rule() {
    let mut failures = Vec::new();
    let mut count = 0;
    for area in &catalogue().areas {
        for season in SEASONS {
            for transport in TRANSPORTS {
                for (start, end) in WINDOWS {
                    for variant in [0, 1] {
                        let mut req = request(&area.ko, season, start, end, transport);
                        req.variant = variant;
                        count += 1;
                        match plan(&req) {
                            Ok(p) => {
                                let content = course_content(&p, &req);
                                let found = problems(&content, &req);
                                if !found.is_empty() {
                                    let stops: Vec<_> =
                                        content.stops.iter().map(|s| format!("{}-{} {}", s.arrive, s.leave, s.name)).collect();
                                    failures.push(format!(
                                        "{} {season:?} {transport:?} {start}-{end} v{variant}: {found:?}\n    {stops:?}",
                                        area.id
                                    ));
                                }
                            }
                            Err(err) => failures.push(format!("{} {season:?} {transport:?} {start}-{end}: {err}", area.id)),
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {count} plans break a rule:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_ten_hour_day_has_lunch_dinner_a_night_stop_and_short_walks() {
    let req = request("성수", Season::Fall, 11 * 60, 21 * 60, Transport::Walk);
    let content = course_content(&plan(&req).unwrap(), &req);
    assert!(content.stops.len() >= 5, "{:?}", content.stops);
    assert_eq!(content.stops[0].arrive, "11:00");
    assert!(content.stops.iter().filter(|s| s.category == "meal").count() == 2);
    assert!(content.legs.iter().all(|l| l.mode == LegMode::Walk && l.distance_m <= 2_500));
    assert!(content.stops.iter().all(|s| s.map_url.starts_with("https://map.kakao.com/link/map/")));
}

#[test]
fn the_same_input_gives_the_same_course_and_another_variant_a_different_one() {
    let mut differing = 0;
    let areas = &catalogue().areas;
    for area in areas {
        let req = request(&area.ko, Season::Spring, 13 * 60, 21 * 60, Transport::Public);
        let first = course_content(&plan(&req).unwrap(), &req);
        assert_eq!(first, course_content(&plan(&req).unwrap(), &req), "{} is not deterministic", area.id);
        let other = PlanRequest { variant: 1, ..req.clone() };
        if course_content(&plan(&other).unwrap(), &other).stops != first.stops {
            differing += 1;
        }
    }
    assert!(differing * 10 >= areas.len() * 9, "only {differing} of {} areas vary with the variant", areas.len());
}

#[test]
fn a_city_picks_one_of_its_areas() {
    for (city, prefix) in [("서울", 37.4), ("부산", 35.0), ("제주", 33.2)] {
        let req = request(city, Season::Summer, 12 * 60, 20 * 60, Transport::Public);
        let p = plan(&req).unwrap();
        assert!((prefix..prefix + 0.8).contains(&p.area.lat), "{city} → {}", p.area.id);
        assert!(problems(&course_content(&p, &req), &req).is_empty());
    }
}

#[test]
fn unknown_places_get_close_suggestions() {
    for (typed, expected) in [("성스", "성수"), ("Hongdea", "Hongdae"), ("해운데", "해운대"), ("jeonjoo", "전주")] {
        match plan(&request(typed, Season::Fall, 14 * 60, 20 * 60, Transport::Walk)) {
            Err(PlanError::UnknownPlace { suggestions, .. }) => {
                let close =
                    suggestions.iter().any(|s| s.eq_ignore_ascii_case(expected) || s.contains(expected) || expected.contains(s.as_str()));
                assert!(close || !suggestions.is_empty(), "{typed}: {suggestions:?}");
            }
            Ok(p) => panic!("{typed} resolved to {}", p.area.id),
            Err(other) => panic!("{typed}: {other}"),
        }
    }
    assert!(matches!(plan(&request("Atlantis", Season::Fall, 600, 1200, Transport::Walk)), Err(PlanError::UnknownPlace { .. })));
}

#[test]
fn text_around_a_known_name_still_finds_it() {
    for (typed, area) in [("부산 해운대 근처", "haeundae"), ("성수동", "seongsu"), ("Seoul Forest", "seongsu"), ("홍대입구역", "hongdae")]
    {
        let p = plan(&request(typed, Season::Fall, 14 * 60, 20 * 60, Transport::Walk)).unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert_eq!(p.area.id, area, "{typed}");
    }
}

#[test]
fn a_date_keeps_closed_places_out() {
    // 2026-04-07 is a Tuesday: Gyeongbokgung is closed on Tuesdays.
    let date: jiff::civil::Date = "2026-04-07".parse().unwrap();
    for variant in 0..6 {
        let mut req = request("경복궁", Season::Spring, 10 * 60, 18 * 60, Transport::Walk);
        req.date = Some(date);
        req.variant = variant;
        let content = course_content(&plan(&req).unwrap(), &req);
        assert!(content.stops.iter().all(|s| s.name != "경복궁"), "variant {variant}");
        assert!(problems(&content, &req).is_empty());
    }
}

#[test]
fn summer_middays_lean_indoor_and_winter_evenings_too() {
    let mut indoor_midday = 0;
    let mut total = 0;
    for area in &catalogue().areas {
        let req = request(&area.ko, Season::Summer, 12 * 60, 17 * 60, Transport::Public);
        for stop in course_content(&plan(&req).unwrap(), &req).stops {
            let place = find_place(&stop.name).unwrap();
            if stop.arrive.as_str() >= "12:30" && stop.arrive.as_str() < "16:00" {
                total += 1;
                indoor_midday += usize::from(place.indoor);
            }
        }
    }
    assert!(indoor_midday * 10 >= total * 7, "only {indoor_midday} of {total} summer midday stops are indoors");
}

#[test]
fn english_courses_read_in_english() {
    let mut req = request("Seongsu", Season::Fall, 14 * 60, 21 * 60, Transport::Walk);
    req.lang = Lang::En;
    let content = course_content(&plan(&req).unwrap(), &req);
    assert!(content.title.contains("date"));
    assert!(content.answer.contains("walk"));
    assert!(content.stops.iter().all(|s| s.name.is_ascii() || s.name.contains('é')));
    assert!(content.question.contains("데이트"), "the question stays Korean");
}

#[test]
fn the_answer_is_html_safe() {
    let req = request("이태원", Season::Fall, 14 * 60, 22 * 60, Transport::Walk);
    let answer = course_content(&plan(&req).unwrap(), &req).answer;
    assert!(!answer.contains('<') && !answer.contains('>'), "{answer}");
    assert!(answer.contains("다음 장소까지"));
}
