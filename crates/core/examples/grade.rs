//! The quality grid: plans every area × 4 seasons × 3 transports × 5 windows (and a list of
//! spots couples name), then measures each course against what a couple would expect, with
//! its own reading of the course — independent of the planner and of `check`.
//!
//! Run: `cargo run --release -p fyd-core --example grade` (add `--list` to print the courses
//! that break a rule). The table it prints is the one in docs/planner.md.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fyd_core::catalogue::catalogue;
use fyd_core::check::{find_place, problems};
use fyd_core::course::{CourseContent, Season, Transport};
use fyd_core::geo::distance_m;
use fyd_core::planner::plan;
use fyd_core::render::course_content;
use fyd_core::request::{validate_recommend, PlanRequest, RecommendRequest};

const SEASONS: [(Season, &str, (u32, u32)); 4] = [
    (Season::Spring, "spring", (4, 15)),
    (Season::Summer, "summer", (7, 15)),
    (Season::Fall, "fall", (10, 15)),
    (Season::Winter, "winter", (1, 15)),
];
const TRANSPORTS: [(Transport, &str); 3] = [(Transport::Walk, "walk"), (Transport::Public, "public"), (Transport::Car, "myCar")];
const WINDOWS: [(&str, &str); 5] = [("10:00", "21:00"), ("11:00", "19:00"), ("14:00", "22:00"), ("18:00", "23:00"), ("20:00", "01:00")];

/// Spots couples name, with where they are (independent of the catalogue) and, for places that
/// are themselves sights, the name the course must contain.
const SPOTS: &[(&str, f64, f64, Option<&str>)] = &[
    ("광안리", 35.1532, 129.1187, None),
    ("광안리 해변", 35.1532, 129.1187, None),
    ("불국사", 35.7900, 129.3320, Some("불국사")),
    ("제주 애월", 33.4625, 126.3105, None),
    ("강남역", 37.4979, 127.0276, None),
    ("부산역", 35.1151, 129.0422, None),
    ("신촌역", 37.5552, 126.9368, None),
    ("망원한강공원", 37.5545, 126.8955, Some("망원한강공원")),
    ("경복궁", 37.5796, 126.9770, Some("경복궁")),
    ("남산서울타워", 37.5512, 126.9882, Some("남산서울타워")),
    ("을왕리", 37.4475, 126.3720, None),
    ("판교", 37.3948, 127.1112, None),
    ("협재", 33.3940, 126.2397, None),
    ("함덕", 33.5433, 126.6695, None),
    ("문래", 37.5179, 126.8950, None),
    ("홍대입구역", 37.5572, 126.9245, None),
    ("석촌호수", 37.5096, 127.1040, Some("석촌호수")),
    ("감천문화마을", 35.0975, 129.0106, Some("감천문화마을")),
    ("서울숲", 37.5444, 127.0374, Some("서울숲")),
    ("전주 한옥마을", 35.8151, 127.1530, None),
];

#[derive(Default)]
struct Rate {
    hits: usize,
    of: usize,
}

#[derive(Default)]
struct Grid {
    rates: BTreeMap<&'static str, Rate>,
    examples: BTreeMap<&'static str, Vec<String>>,
    times: Vec<Duration>,
    stops_full_day: Vec<usize>,
}

impl Grid {
    fn count(&mut self, metric: &'static str, applies: bool, hit: bool, example: impl FnOnce() -> String) {
        if !applies {
            return;
        }
        let rate = self.rates.entry(metric).or_default();
        rate.of += 1;
        if hit {
            rate.hits += 1;
            let list = self.examples.entry(metric).or_default();
            if list.len() < 5 {
                list.push(example());
            }
        }
    }
}

/// Minutes after the window's midnight; times before the start belong to the next day.
fn minutes(text: &str, start: u16) -> u16 {
    let (h, m) = text.split_once(':').unwrap();
    let value: u16 = h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap();
    if value + 60 < start {
        value + 1440
    } else {
        value
    }
}

fn sunset_at(lat: f64, lon: f64, (month, day): (u32, u32)) -> u16 {
    let date = NaiveDate::from_ymd_opt(2026, month, day).unwrap();
    let coords = sunrise::Coordinates::new(lat, lon).unwrap();
    let utc = sunrise::SolarDay::new(coords, date).event_time(sunrise::SolarEvent::Sunset).unwrap();
    let seoul = utc.timestamp() + 9 * 3600;
    (seoul.rem_euclid(86_400) / 60) as u16
}

fn request(place: &str, season: &str, window: (&str, &str), transport: &str, variant: u32) -> RecommendRequest {
    RecommendRequest {
        date_place: place.to_owned(),
        date_season: Some(season.to_owned()),
        date_start: window.0.to_owned(),
        date_end: window.1.to_owned(),
        date_transport: transport.to_owned(),
        variant: Some(variant),
        ..Default::default()
    }
}

fn course(grid: &mut Grid, body: &RecommendRequest) -> Option<(PlanRequest, CourseContent)> {
    let req = validate_recommend(body).ok()?;
    let started = Instant::now();
    let planned = plan(&req).ok().map(|p| course_content(&p, &req));
    grid.times.push(started.elapsed());
    planned.map(|c| (req, c))
}

fn label(body: &RecommendRequest) -> String {
    format!(
        "{} {} {}–{} {}",
        body.date_place,
        body.date_season.as_deref().unwrap_or(""),
        body.date_start,
        body.date_end,
        body.date_transport
    )
}

fn stops_text(content: &CourseContent) -> String {
    content.stops.iter().map(|s| format!("{}-{} {} [{}]", s.arrive, s.leave, s.name, s.category)).collect::<Vec<_>>().join(" → ")
}

/// Every measure of one course.
fn grade(grid: &mut Grid, body: &RecommendRequest, req: &PlanRequest, content: &CourseContent, md: (u32, u32)) {
    let start = req.start;
    let end = req.end;
    let window = end - start;
    let times: Vec<(u16, u16)> = content.stops.iter().map(|s| (minutes(&s.arrive, start), minutes(&s.leave, start))).collect();
    let show = || format!("{}: {}", label(body), stops_text(content));
    let meals: Vec<u16> = content.stops.iter().zip(&times).filter(|(s, _)| s.category == "meal").map(|(_, t)| t.0).collect();

    grid.count("any rule of fyd's own checker broken", true, !problems(content, req).is_empty(), || {
        format!("{} {:?}", show(), problems(content, req))
    });
    let covers_lunch = start <= 12 * 60 + 30 && end >= 13 * 60 + 30;
    let lunch = meals.iter().copied().find(|&t| t < 15 * 60);
    grid.count("lunch missing or outside 11:30–13:30", covers_lunch, !lunch.is_some_and(|t| (690..=810).contains(&t)), show);
    let covers_dinner = start <= 18 * 60 + 30 && end >= 19 * 60 + 30;
    let dinner = meals.iter().copied().find(|&t| t >= 15 * 60);
    grid.count("dinner missing or outside 17:30–19:30", covers_dinner, !dinner.is_some_and(|t| (1050..=1170).contains(&t)), show);
    let starts_at_dinner_time = (17 * 60..=19 * 60 + 30).contains(&start);
    grid.count(
        "date starting 17:00–19:30 does not begin with dinner",
        starts_at_dinner_time,
        content.stops.first().is_none_or(|s| s.category != "meal"),
        show,
    );
    grid.count("two meals within 3 hours", true, meals.windows(2).any(|w| w[1] < w[0] + 180), show);

    let max_stops = window.div_ceil(90) as usize;
    grid.count("more stops than one per 90 minutes", true, content.stops.len() > max_stops, show);
    if window == 11 * 60 {
        grid.stops_full_day.push(content.stops.len());
    }
    let same_site = content.stops.iter().enumerate().any(|(i, a)| {
        content.stops[..i].iter().any(|b| {
            let head = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();
            // A shared first word names one site (남이섬 …, 서울숲 …), unless it is a
            // neighbourhood (성수동 카페거리 and 성수동 수제화거리 are two places).
            let site = head(&a.name);
            site.chars().count() >= 2
                && !site.ends_with(['동', '시', '구'])
                && site == head(&b.name)
                && distance_m((a.lat, a.lon), (b.lat, b.lon)) < 700.0
        })
    });
    grid.count("one place split into several stops", true, same_site, show);
    let cafes = content.stops.iter().filter(|s| s.category == "cafe").count();
    grid.count("more than two cafés", true, cafes > 2, show);
    grid.count(
        "two stops of the same kind in a row (windows of 4 h or more)",
        window >= 240,
        content.stops.windows(2).any(|w| w[0].category == w[1].category),
        show,
    );

    let returns = (0..content.stops.len()).any(|j| {
        let here = (content.stops[j].lat, content.stops[j].lon);
        (0..j).any(|i| {
            let earlier = (content.stops[i].lat, content.stops[i].lon);
            distance_m(earlier, here) <= 300.0 && content.stops[i + 1..j].iter().any(|m| distance_m(earlier, (m.lat, m.lon)) > 1_000.0)
        })
    });
    grid.count("comes back within 300 m of a stop after going > 1 km away", true, returns, show);
    let walked: u32 = content.legs.iter().filter(|l| l.mode == fyd_core::course::LegMode::Walk).map(|l| l.minutes).sum();
    grid.count("walking legs over 20% of the window", true, walked * 5 > u32::from(window), show);

    let early_night = content.stops.iter().zip(&times).any(|(s, t)| s.category == "nightview" && t.0 + 15 < sunset_at(s.lat, s.lon, md));
    grid.count("night view starting over 15 min before sunset", true, early_night, show);
    let drinks = content.stops.iter().any(|s| s.category == "bar" || find_place(&s.name).is_some_and(is_alcohol));
    grid.count("car date with a drinks stop", req.transport == Transport::Car, drinks, show);
    let cold = content.stops.iter().zip(&times).any(|(s, t)| {
        let outdoor = find_place(&s.name).is_some_and(|p| !p.indoor);
        outdoor && t.1 > 19 * 60 && t.1 - t.0.max(19 * 60) > 30
    });
    grid.count("winter: over 30 min at an outdoor stop after 19:00", req.season == Season::Winter, cold, show);
}

fn is_alcohol(place: &fyd_core::catalogue::Place) -> bool {
    place.category == fyd_core::catalogue::Category::Bar
}

fn spot_checks(grid: &mut Grid, body: &RecommendRequest, req: &PlanRequest, content: &CourseContent, spot: (f64, f64), must: Option<&str>) {
    let show = || format!("{}: {}", label(body), stops_text(content));
    let first = content.stops.first().map_or(f64::MAX, |s| distance_m(spot, (s.lat, s.lon)));
    let limit = if req.transport == Transport::Walk { 1_000.0 } else { 3_000.0 };
    grid.count("spot: first stop too far from the named spot (1 km on foot, else 3 km)", true, first > limit, || {
        format!("{} ({first:.0} m)", show())
    });
    let far = content.stops.iter().map(|s| distance_m(spot, (s.lat, s.lon))).fold(0.0, f64::max);
    grid.count("spot: a stop over 2.5 km from the spot on foot", req.transport == Transport::Walk, far > 2_500.0, show);
    if let Some(name) = must {
        grid.count("spot: the named place is not in the course", true, !content.stops.iter().any(|s| s.name.contains(name)), show);
    }
}

fn main() {
    let list = std::env::args().any(|a| a == "--list");
    let mut grid = Grid::default();
    let mut refused: Vec<String> = Vec::new();
    let mut variants = Rate::default();
    let mut cases = 0;
    for area in &catalogue().areas {
        for &(_, season, md) in &SEASONS {
            for &(_, transport) in &TRANSPORTS {
                for window in WINDOWS {
                    cases += 1;
                    let body = request(&area.ko, season, window, transport, 0);
                    let Some((req, content)) = course(&mut grid, &body) else {
                        refused.push(label(&body));
                        continue;
                    };
                    grade(&mut grid, &body, &req, &content, md);
                    let other = request(&area.ko, season, window, transport, 1);
                    if let Some((_, second)) = course(&mut grid, &other) {
                        variants.of += 1;
                        let same = second.stops.iter().filter(|s| content.stops.iter().any(|f| f.name == s.name)).count();
                        if same * 2 <= content.stops.len().max(second.stops.len()) {
                            variants.hits += 1;
                        }
                    }
                }
            }
        }
    }
    let mut spot_cases = 0;
    let mut spot_refused = Vec::new();
    for &(text, lat, lon, must) in SPOTS {
        for &(_, season, md) in &SEASONS {
            for &(_, transport) in &TRANSPORTS {
                for window in WINDOWS {
                    spot_cases += 1;
                    let body = request(text, season, window, transport, 0);
                    let Some((req, content)) = course(&mut grid, &body) else {
                        spot_refused.push(label(&body));
                        continue;
                    };
                    grade(&mut grid, &body, &req, &content, md);
                    spot_checks(&mut grid, &body, &req, &content, (lat, lon), must);
                }
            }
        }
    }

    grid.times.sort();
    let p = |q: f64| grid.times[((grid.times.len() - 1) as f64 * q) as usize];
    let c = catalogue();
    println!(
        "Grid: {} areas × 4 seasons × 3 transports × {} windows = {cases} courses, plus {} named spots × the same = {spot_cases}; catalogue {} places, {} areas, {} cities.\n",
        c.areas.len(),
        WINDOWS.len(),
        SPOTS.len(),
        c.places.len(),
        c.areas.len(),
        c.cities.len()
    );
    println!("| measure | rate |\n|---|---|");
    let pct =
        |hits: usize, of: usize| if of == 0 { "—".to_owned() } else { format!("{:.1}% ({hits}/{of})", 100.0 * hits as f64 / of as f64) };
    println!("| grid: refused (no course) | {} |", pct(refused.len(), cases));
    println!("| spots: refused (no course) | {} |", pct(spot_refused.len(), spot_cases));
    for (metric, rate) in &grid.rates {
        println!("| {metric} | {} |", pct(rate.hits, rate.of));
    }
    println!("| variant 1 differs from variant 0 in at least half the places | {} |", pct(variants.hits, variants.of));
    let full = &grid.stops_full_day;
    if !full.is_empty() {
        println!(
            "| stops in a 10–21 course: mean / max | {:.1} / {} |",
            full.iter().sum::<usize>() as f64 / full.len() as f64,
            full.iter().max().unwrap()
        );
    }
    println!("| plan time p50 / p99 / max (this run, not a benchmark) | {:.2} / {:.2} / {:.2} ms |", ms(p(0.5)), ms(p(0.99)), ms(p(1.0)));
    if list {
        println!("\nRefused: {:?}\nSpots refused: {:?}", &refused[..refused.len().min(10)], &spot_refused[..spot_refused.len().min(20)]);
        for (metric, examples) in &grid.examples {
            println!("\n## {metric}");
            for e in examples {
                println!("- {e}");
            }
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
