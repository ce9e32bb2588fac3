//! The built-in planner on the requests couples make: anchored on the spot they name,
//! deterministic, varied on request, honest about closures, late nights and rain.

mod thin;

use fyd_core::catalogue::catalogue;
use fyd_core::check::problems;
use fyd_core::course::{CourseContent, LegMode};
use fyd_core::geo::distance_m;
use fyd_core::planner::{plan, PlanError};
use fyd_core::request::{validate_recommend, PlanRequest, RecommendRequest};

fn request(place: &str, season: &str, start: &str, end: &str, transport: &str) -> RecommendRequest {
    RecommendRequest::new(place, season, start, end, transport)
}

fn course(body: &RecommendRequest) -> (PlanRequest, CourseContent) {
    let req = validate_recommend(body).unwrap_or_else(|e| panic!("{e:?}"));
    let planned = plan(catalogue(), &req).unwrap_or_else(|e| panic!("{}: {e}", body.date_place));
    let content = planned.course;
    let found = problems(catalogue(), &content, &req);
    assert!(found.is_empty(), "{}: {found:?}", body.date_place);
    (req, content)
}

fn stops(content: &CourseContent) -> Vec<String> {
    content.stops.iter().map(|s| format!("{}-{} {}", s.arrive, s.leave, s.name)).collect()
}

#[test]
fn a_full_day_has_lunch_dinner_a_night_stop_and_a_pace_people_keep() {
    let (_, content) = course(&request("성수", "fall", "10:00", "21:00", "walk"));
    assert!((5..=8).contains(&content.stops.len()), "{:?}", stops(&content));
    assert_eq!(content.stops[0].arrive, "10:00");
    let meals: Vec<&str> = content.stops.iter().filter(|s| s.category == "meal").map(|s| s.arrive.as_str()).collect();
    assert_eq!(meals.len(), 2, "{:?}", stops(&content));
    assert!(("11:30"..="13:30").contains(&meals[0]) && ("17:30"..="19:30").contains(&meals[1]), "{meals:?}");
    assert!(content.legs.iter().all(|l| l.mode == LegMode::Walk && l.distance_m <= 2_500));
    assert!(content.stops.iter().all(|s| s.map_url.starts_with("https://map.kakao.com/link/map/")));
}

#[test]
fn named_spots_anchor_the_course() {
    // (what the couple typed, where it is, how far the first stop may be)
    for (typed, at, transport) in [
        ("광안리", (35.1532, 129.1187), "walk"),
        ("강남역", (37.4979, 127.0276), "walk"),
        ("부산역", (35.1151, 129.0422), "public"),
        ("신촌역", (37.5552, 126.9368), "walk"),
        ("제주 애월", (33.4625, 126.3105), "myCar"),
    ] {
        let (_, content) = course(&request(typed, "fall", "14:00", "21:00", transport));
        let first = distance_m(at, (content.stops[0].lat, content.stops[0].lon));
        let limit = if transport == "walk" { 1_000.0 } else { 3_000.0 };
        assert!(first <= limit, "{typed}: first stop {first:.0} m away: {:?}", stops(&content));
        if transport == "walk" {
            let far = content.stops.iter().map(|s| distance_m(at, (s.lat, s.lon))).fold(0.0, f64::max);
            assert!(far <= 2_500.0, "{typed}: a stop {far:.0} m away: {:?}", stops(&content));
        }
        assert!(content.answer.contains(content.place.as_deref().unwrap()), "the answer says what it is anchored on");
    }
}

#[test]
fn a_named_place_is_in_the_course() {
    for typed in ["불국사", "경복궁", "망원한강공원"] {
        let (_, content) = course(&request(typed, "spring", "10:00", "17:00", "public"));
        assert!(content.stops.iter().any(|s| s.name.contains(typed)), "{typed}: {:?}", stops(&content));
        assert_eq!(content.place.as_deref(), Some(typed));
    }
}

#[test]
fn the_most_specific_name_wins() {
    let anchored = |typed: &str| course(&request(typed, "fall", "14:00", "20:00", "public")).1.place.unwrap();
    assert_eq!(anchored("제주 애월"), "애월");
    assert_eq!(anchored("부산 해운대 근처"), "해운대");
    assert_eq!(anchored("성수동"), "성수");
    assert_eq!(anchored("Seoul Forest"), "서울숲");
}

#[test]
fn the_same_input_gives_the_same_course_and_another_variant_a_different_one() {
    let mut differing = 0;
    let areas: Vec<_> = catalogue().areas.iter().filter(|a| !thin::THIN.contains(&a.id.as_str())).collect();
    for area in &areas {
        let body = request(&area.ko, "spring", "13:00", "21:00", "public");
        let (req, first) = course(&body);
        assert_eq!(first, plan(catalogue(), &req).unwrap().course, "{} is not deterministic", area.id);
        let (_, other) = course(&RecommendRequest { variant: Some(1), ..body });
        let shared = other.stops.iter().filter(|s| first.stops.iter().any(|f| f.name == s.name)).count();
        if shared * 2 <= first.stops.len().max(other.stops.len()) {
            differing += 1;
        }
    }
    assert!(differing * 10 >= areas.len() * 9, "only {differing} of {} areas give a different course", areas.len());
}

#[test]
fn unknown_places_get_the_suggestion_people_mean() {
    for (typed, expected) in [("성스", "성수"), ("해운데", "해운대"), ("jeonjoo", "전주"), ("Hongdea", "홍대")] {
        let req = validate_recommend(&request(typed, "fall", "14:00", "20:00", "walk")).unwrap();
        match plan(catalogue(), &req) {
            Err(PlanError::UnknownPlace(unknown)) => {
                assert!(unknown.suggestions.iter().any(|s| s == expected), "{typed}: {:?}", unknown.suggestions)
            }
            Ok(p) => panic!("{typed} resolved to {}", p.anchor.name(fyd_core::request::Lang::Ko)),
            Err(other) => panic!("{typed}: {other}"),
        }
    }
}

#[test]
fn a_refusal_names_the_place_and_window_and_on_foot_points_to_other_transport() {
    let mut refused_on_foot = 0;
    for id in thin::THIN {
        let area = catalogue().areas.iter().find(|a| a.id == *id).expect("a thin area is an area");
        for transport in ["walk", "public", "myCar"] {
            let req = validate_recommend(&request(&area.ko, "fall", "10:00", "21:00", transport)).unwrap();
            let Err(err) = plan(catalogue(), &req) else { continue };
            let message = err.to_string();
            assert!(matches!(err, PlanError::NoCourse { .. }), "{message}");
            assert!(message.contains("10:00") && message.contains("21:00"), "{message}");
            assert_eq!(message.contains("public transport or a car"), transport == "walk", "{message}");
            refused_on_foot += usize::from(transport == "walk");
        }
    }
    assert!(refused_on_foot > 0, "no thin area refused a walk: shrink thin::THIN");
}

#[test]
fn a_date_keeps_closed_places_out_and_says_so() {
    // 2026-04-07 is a Tuesday: 경복궁 is closed on Tuesdays.
    let body = RecommendRequest { date: Some("2026-04-07".into()), ..request("북촌", "spring", "10:00", "18:00", "walk") };
    for variant in 0..4 {
        let (_, content) = course(&RecommendRequest { variant: Some(variant), ..body.clone() });
        assert!(content.stops.iter().all(|s| s.name != "경복궁"), "variant {variant}");
        assert!(content.notes.iter().any(|n| n.contains("경복궁")), "variant {variant}: {:?}", content.notes);
    }
}

#[test]
fn a_late_night_runs_past_midnight_with_places_open_then() {
    let (req, content) = course(&request("홍대", "fall", "오후 8시", "새벽 1시", "walk"));
    assert_eq!((req.start, req.end), (20 * 60, 25 * 60));
    let last = content.stops.last().unwrap();
    assert!(last.leave.as_str() <= "01:00" && last.leave.as_str() >= "00:30", "{:?}", stops(&content));
    assert!(content.datetime.contains("새벽 1시"));
}

#[test]
fn a_rainy_day_stays_indoors_or_says_why_not() {
    let (_, content) = course(&RecommendRequest { indoor: Some(true), ..request("명동", "summer", "11:00", "19:00", "public") });
    let outdoors: Vec<&str> =
        content.stops.iter().filter(|s| catalogue().find_place(&s.name).is_some_and(|p| !p.indoor)).map(|s| s.name.as_str()).collect();
    assert!(outdoors.is_empty() || !content.notes.is_empty(), "outdoors {outdoors:?} without a word");
}

#[test]
fn meals_come_with_a_nearby_alternative_where_one_exists() {
    let (_, content) = course(&request("명동", "fall", "11:00", "20:00", "walk"));
    let meals: Vec<_> = content.stops.iter().filter(|s| s.category == "meal").collect();
    assert!(!meals.is_empty());
    for meal in meals {
        assert!(!meal.alternatives.is_empty(), "{} has no alternative nearby", meal.name);
        for alt in &meal.alternatives {
            assert!(alt.distance_m <= 700 && alt.name != meal.name, "{alt:?}");
        }
    }
}

#[test]
fn english_courses_read_in_english_with_english_times() {
    let body = RecommendRequest { lang: Some("en".into()), ..request("Seongsu", "fall", "10:00", "18:00", "walk") };
    let (_, content) = course(&body);
    assert!(content.title.contains("date"));
    assert_eq!(content.datetime, "10:00 AM – 6:00 PM");
    assert!(content.answer.contains("walk") && !content.answer.contains("오전"));
    assert!(content.question.contains("데이트"), "the question stays Korean, as the old service stored it");
}

#[test]
fn lunch_and_dinner_are_never_at_one_market() {
    let (req, mut content) = course(&request("망원", "fall", "12:00", "21:00", "walk"));
    let catalogue = catalogue();
    let meals: Vec<usize> = (0..content.stops.len()).filter(|&i| content.stops[i].category == "meal").collect();
    assert_eq!(meals.len(), 2, "{:?}", stops(&content));
    // The checker holds any course to it: lunch at 망원시장 and dinner at a stall inside it.
    for (i, name) in [(meals[0], "망원시장"), (meals[1], "홍두깨손칼국수")] {
        let place = catalogue.find_place(name).unwrap();
        let stop = &mut content.stops[i];
        (stop.name, stop.lat, stop.lon) = (place.ko.clone(), place.lat, place.lon);
    }
    let found = problems(catalogue, &content, &req);
    assert!(found.iter().any(|p| p.message.contains("홍두깨손칼국수 is part of a place")), "{found:?}");
}

#[test]
fn one_chain_is_one_stop() {
    let catalogue = catalogue();
    let branches: Vec<_> = ["앤트러사이트 합정", "앤트러사이트 서교점"].iter().map(|n| catalogue.find_place(n).unwrap()).collect();
    // Asked for both branches, the planner keeps one.
    let req = validate_recommend(&request("홍대", "winter", "14:00", "22:00", "walk")).unwrap();
    let planned = fyd_core::planner::plan_including(catalogue, &req, &branches).unwrap();
    let kept = planned.stops.iter().filter(|s| branches.iter().any(|b| std::ptr::eq(s.place, *b))).count();
    assert_eq!(kept, 1, "{:?}", planned.stops.iter().map(|s| &s.place.ko).collect::<Vec<_>>());
    // The checker holds any course to it: two café stops made the two branches.
    let mut content = planned.course;
    let cafes: Vec<usize> = (0..content.stops.len()).filter(|&i| content.stops[i].category == "cafe").collect();
    assert!(!cafes.is_empty(), "{:?}", stops(&content));
    let other = content.stops.iter().position(|s| s.category != "cafe").unwrap();
    for (i, place) in [cafes[0], other].into_iter().zip(&branches) {
        let stop = &mut content.stops[i];
        (stop.name, stop.category, stop.lat, stop.lon) = (place.ko.clone(), "cafe".into(), place.lat, place.lon);
    }
    let found = problems(catalogue, &content, &req);
    assert!(found.iter().any(|p| p.message.contains("are one brand")), "{found:?}");
    // A shared first word that is a place's name is no chain: two restaurants in 해운대.
    let [a, b] = ["해운대 기와집대구탕", "해운대 가야밀면"].map(|n| catalogue.find_place(n).unwrap());
    assert!(!fyd_core::rules::same_brand(a, b));
}

#[test]
fn a_winter_evening_on_the_named_beach_is_a_short_visit() {
    // Half an hour outdoors after 19:00 in winter is enough to include the beach they named.
    let (_, content) = course(&request("광안리 해변", "winter", "18:00", "23:00", "myCar"));
    let beach = content.stops.iter().find(|s| s.name == "광안리해수욕장").unwrap_or_else(|| panic!("{:?}", stops(&content)));
    let minutes = |t: &str| t[..2].parse::<u16>().unwrap() * 60 + t[3..].parse::<u16>().unwrap();
    assert!(minutes(&beach.leave) - minutes(&beach.arrive) <= 30, "{beach:?}");
    // A place that takes hours is not cut to half an hour: 남이섬 on a winter evening keeps at
    // least 60% of its usual visit, or stays out of the course.
    let catalogue = catalogue();
    let island = catalogue.find_place("남이섬").unwrap();
    let req = validate_recommend(&request("가평", "winter", "17:00", "22:00", "myCar")).unwrap();
    if let Ok(planned) = fyd_core::planner::plan_including(catalogue, &req, &[island]) {
        for stop in planned.stops.iter().filter(|s| std::ptr::eq(s.place, island)) {
            assert!(stop.leave - stop.arrive >= island.stay * 6 / 10, "남이섬 {}–{}", stop.arrive, stop.leave);
        }
    }
}

#[test]
fn daylight_only_places_end_their_visit_within_half_an_hour_of_sunset() {
    let valley = catalogue().find_place("수성동계곡").unwrap();
    let sunset = 18 * 60;
    assert!(!fyd_core::rules::after_dark(valley, sunset + fyd_core::rules::DAYLIGHT_AFTER_SUNSET, sunset));
    assert!(fyd_core::rules::after_dark(valley, sunset + fyd_core::rules::DAYLIGHT_AFTER_SUNSET + 1, sunset));
    let lit = catalogue().find_place("광안리해수욕장").unwrap();
    assert!(!fyd_core::rules::after_dark(lit, 23 * 60, sunset), "a beach is no daylight-only place");
}

#[test]
fn unlit_valleys_and_trails_are_left_for_daylight() {
    let catalogue = catalogue();
    let valley = catalogue.find_place("수성동계곡").unwrap();
    assert!(valley.tags.daylight);
    // Asked for it on an evening date, the planner leaves it out rather than send them in the dark.
    let req = validate_recommend(&request("서촌", "fall", "18:00", "23:00", "walk")).unwrap();
    let planned = fyd_core::planner::plan_including(catalogue, &req, &[valley]).unwrap();
    assert!(planned.stops.iter().all(|s| !std::ptr::eq(s.place, valley)));
    // In the afternoon it fits.
    let req = validate_recommend(&request("서촌", "fall", "11:00", "17:00", "walk")).unwrap();
    let planned = fyd_core::planner::plan_including(catalogue, &req, &[valley]).unwrap();
    assert!(planned.stops.iter().any(|s| std::ptr::eq(s.place, valley)));
    // The checker holds any course to it: the last stop of an evening made the valley.
    let (req, mut content) = course(&request("서촌", "fall", "18:00", "23:00", "walk"));
    let last = content.stops.last_mut().unwrap();
    (last.name, last.category, last.lat, last.lon) = (valley.ko.clone(), "walk".into(), valley.lat, valley.lon);
    let found = problems(catalogue, &content, &req);
    assert!(found.iter().any(|p| p.message.contains("seen by daylight only")), "{found:?}");
}

/// A mountain path lit for its evening view (인왕산 한양도성길) is left by 23:00: the grid found
/// it planned to 01:00 on late dates (29 of 5,961 courses before the rule).
#[test]
fn a_climb_is_an_evening_not_a_midnight() {
    let catalogue = catalogue();
    let walls = catalogue.find_place("인왕산 한양도성길").unwrap();
    assert!(walls.tags.climb && !walls.tags.daylight);
    assert!(!fyd_core::rules::after_dark(walls, fyd_core::rules::CLIMB_LEFT_BY, 18 * 60));
    assert!(fyd_core::rules::after_dark(walls, fyd_core::rules::CLIMB_LEFT_BY + 1, 18 * 60));
    // Asked for it on a date to 01:00, the planner keeps it in the evening.
    let req = validate_recommend(&request("서촌", "fall", "19:00", "01:00", "walk")).unwrap();
    let planned = fyd_core::planner::plan_including(catalogue, &req, &[walls]).unwrap();
    let visit = planned.stops.iter().find(|s| std::ptr::eq(s.place, walls)).expect("the walls in the evening");
    assert!(visit.leave <= fyd_core::rules::CLIMB_LEFT_BY, "{visit:?}");
    // The checker holds any course to it: the last stop of a late date made the walls.
    let (req, mut content) = course(&request("서촌", "fall", "20:00", "01:00", "walk"));
    let last = content.stops.last_mut().unwrap();
    assert!(last.leave.as_str() > "23:00" || last.leave.as_str() < "12:00", "{}", last.leave);
    (last.name, last.category, last.lat, last.lon) = (walls.ko.clone(), "nightview".into(), walls.lat, walls.lon);
    let found = problems(catalogue, &content, &req);
    assert!(found.iter().any(|p| p.message.contains("is a climb: leave by 23:00")), "{found:?}");
}

/// A course that leaves the night out says why: a night view within reach but no time for it
/// beside dinner (an autumn 11–19 by the sea), or none within reach (불국사 on foot on a summer
/// evening).
#[test]
fn a_night_left_out_says_why() {
    use fyd_core::request::Lang;
    use fyd_core::rules::{no_time_for_the_night_note, Rule};
    let (_, by_the_sea) = course(&request("광안리", "fall", "11:00", "19:00", "public"));
    assert_eq!(by_the_sea.notes, [no_time_for_the_night_note(Lang::Ko)], "{:?}", stops(&by_the_sea));
    let (_, temple) = course(&request("경주 불국사", "summer", "10:00", "21:00", "walk"));
    assert_eq!(temple.notes[0], Rule::NightStop.relaxed_note(Lang::Ko), "{:?}", stops(&temple));
    // It also ends over half an hour early (the checker allows that only when nothing within
    // reach is open later), and says so; the course by the sea ends on time and does not.
    let last = &temple.stops.last().unwrap().leave;
    assert!(last.as_str() < "20:30", "{:?}", stops(&temple));
    assert_eq!(temple.notes.len(), 2);
    assert!(temple.notes[1].contains(&format!("21:00보다 일찍 {last}에 끝나요")), "{:?}", temple.notes);
}

/// A show, a museum or a theme park is no place for the day's last forty minutes: the grid found
/// 119 of 5,961 courses ending on 세종문화회관 or a 대학로 play for under 45 minutes.
#[test]
fn a_long_visit_is_not_squeezed_into_the_end() {
    let catalogue = catalogue();
    let play = catalogue.find_place("대학로 소극장 연극").unwrap();
    assert!(play.stay > fyd_core::rules::LONG_VISIT);
    let shortest = fyd_core::rules::shortest_visit(Some(play), true);
    assert_eq!(shortest, fyd_core::rules::stay_range(play).0);
    // Asked for the play on a date that ends at 22:00, the planner gives it its time (the grid
    // had it at 21:18–22:00).
    let req = validate_recommend(&request("성북동", "fall", "14:00", "22:00", "walk")).unwrap();
    let planned = fyd_core::planner::plan_including(catalogue, &req, &[play]).unwrap();
    let visit = planned.stops.iter().find(|s| std::ptr::eq(s.place, play)).expect("the play is in the course");
    assert!(visit.leave - visit.arrive >= shortest, "{visit:?}");
    let (req, mut content) = course(&request("성북동", "fall", "14:00", "22:00", "walk"));
    // The checker holds any course to it: the last stop made the play, for 40 minutes.
    let last = content.stops.last_mut().unwrap();
    (last.name, last.category, last.lat, last.lon, last.arrive) = (play.ko.clone(), "activity".into(), play.lat, play.lon, "21:20".into());
    last.leave = "22:00".into();
    let found = problems(catalogue, &content, &req);
    assert!(found.iter().any(|p| p.message.contains("lasts 40 minutes; a visit there lasts 66–180")), "{found:?}");
}

#[test]
fn the_answer_is_html_safe() {
    let (_, content) = course(&request("이태원", "fall", "14:00", "22:00", "walk"));
    assert!(!content.answer.contains('<') && !content.answer.contains('>'), "{}", content.answer);
    assert!(content.answer.contains("다음 장소까지"));
}

#[test]
fn wanted_places_are_included_where_the_rules_allow() {
    let req = validate_recommend(&request("성수", "fall", "14:00", "21:00", "walk")).unwrap();
    let catalogue = catalogue();
    let wanted: Vec<_> = ["서울숲", "응봉산 팔각정"].iter().map(|n| catalogue.find_place(n).unwrap()).collect();
    let planned = fyd_core::planner::plan_including(catalogue, &req, &wanted).unwrap();
    let content = planned.course;
    assert!(problems(catalogue, &content, &req).is_empty());
    for place in &wanted {
        assert!(content.stops.iter().any(|s| s.name == place.ko), "{} is missing: {:?}", place.ko, stops(&content));
    }
    // A wanted place that cannot fit (a bar on a car date) is left out, not forced in.
    let by_car = validate_recommend(&request("홍대", "fall", "18:00", "23:00", "myCar")).unwrap();
    let bar = catalogue.places.iter().find(|p| p.category == fyd_core::catalogue::Category::Bar).unwrap();
    let planned = fyd_core::planner::plan_including(catalogue, &by_car, &[bar]).unwrap();
    assert!(planned.stops.iter().all(|s| !std::ptr::eq(s.place, bar)));
}
