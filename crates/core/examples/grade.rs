//! The quality grid: plans every area × 4 seasons × 3 transports × 5 windows (and a list of
//! spots couples name), then measures each course against what a couple would expect with
//! `tests/quality` — its own reading of the course, independent of the planner and of `check`.
//!
//! Run: `cargo run --release -p fyd-core --example grade` (add `--list` to print examples of the
//! courses that fail a measure). The table it prints is the one in docs/planner.md.

#[path = "../tests/quality/mod.rs"]
mod quality;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fyd_core::catalogue::catalogue;
use fyd_core::course::CourseContent;
use fyd_core::planner::plan;
use fyd_core::request::{validate_recommend, PlanRequest, RecommendRequest};
use quality::Spot;

const SEASONS: [&str; 4] = ["spring", "summer", "fall", "winter"];
const TRANSPORTS: [&str; 3] = ["walk", "public", "myCar"];
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
    // The park runs 3 km along the river; this is its main gate from 망원동 (망원나들목).
    ("망원한강공원", 37.5540, 126.8965, Some("망원한강공원")),
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
    rates: BTreeMap<&'static str, (bool, Rate)>,
    examples: BTreeMap<&'static str, Vec<String>>,
    times: Vec<Duration>,
    stops_full_day: Vec<usize>,
    /// Minutes between stops, per course.
    travel: Vec<u32>,
    refused: Vec<String>,
    cases: usize,
}

fn request(place: &str, season: &str, window: (&str, &str), transport: &str, variant: u32) -> RecommendRequest {
    RecommendRequest { variant: Some(variant), ..RecommendRequest::new(place, season, window.0, window.1, transport) }
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

impl Grid {
    fn course(&mut self, body: &RecommendRequest) -> Option<(PlanRequest, CourseContent)> {
        let req = validate_recommend(body).ok()?;
        let started = Instant::now();
        let planned = plan(catalogue(), &req).ok().map(|p| p.course);
        self.times.push(started.elapsed());
        planned.map(|c| (req, c))
    }

    /// Plans one case, measures it, and returns its course.
    fn case(&mut self, body: &RecommendRequest, spot: Option<Spot>) -> Option<CourseContent> {
        self.cases += 1;
        let Some((req, content)) = self.course(body) else {
            self.refused.push(label(body));
            return None;
        };
        if req.end - req.start == 11 * 60 {
            self.stops_full_day.push(content.stops.len());
        }
        self.travel.push(content.legs.iter().map(|l| l.minutes).sum());
        for m in quality::measure(catalogue(), &req, &content, spot).into_iter().filter(|m| m.applies) {
            let (_, rate) = self.rates.entry(m.name).or_insert((m.hard, Rate::default()));
            rate.of += 1;
            if m.hit {
                rate.hits += 1;
                let list = self.examples.entry(m.name).or_default();
                if list.len() < 6 {
                    list.push(format!("{}: {}", label(body), stops_text(&content)));
                }
            }
        }
        Some(content)
    }
}

fn main() {
    let list = std::env::args().any(|a| a == "--list");
    let c = catalogue();
    let mut grid = Grid::default();
    let mut variants = Rate::default();
    for area in &c.areas {
        for season in SEASONS {
            for transport in TRANSPORTS {
                for window in WINDOWS {
                    let Some(first) = grid.case(&request(&area.ko, season, window, transport, 0), None) else { continue };
                    if let Some((_, second)) = grid.course(&request(&area.ko, season, window, transport, 1)) {
                        variants.of += 1;
                        let same = second.stops.iter().filter(|s| first.stops.iter().any(|f| f.name == s.name)).count();
                        if same * 2 <= first.stops.len().max(second.stops.len()) {
                            variants.hits += 1;
                        }
                    }
                }
            }
        }
    }
    let grid_cases = grid.cases;
    let grid_refused = grid.refused.len();
    for &(text, lat, lon, must) in SPOTS {
        for season in SEASONS {
            for transport in TRANSPORTS {
                for window in WINDOWS {
                    grid.case(&request(text, season, window, transport, 0), Some(Spot { lat, lon, must }));
                }
            }
        }
    }
    let spot_cases = grid.cases - grid_cases;
    let spot_refused = grid.refused.len() - grid_refused;

    grid.times.sort();
    let p = |q: f64| grid.times[((grid.times.len() - 1) as f64 * q) as usize];
    println!(
        "Grid: {} areas × 4 seasons × 3 transports × {} windows = {grid_cases} courses, plus {} named spots × the same = {spot_cases}; catalogue {} places, {} areas, {} cities.\n",
        c.areas.len(),
        WINDOWS.len(),
        SPOTS.len(),
        c.places.len(),
        c.areas.len(),
        c.cities.iter().filter(|city| !city.areas.is_empty()).count()
    );
    let pct =
        |hits: usize, of: usize| if of == 0 { "—".to_owned() } else { format!("{:.1}% ({hits}/{of})", 100.0 * hits as f64 / of as f64) };
    println!("| measure | kind | rate |\n|---|---|---|");
    println!("| grid: refused (no course) | — | {} |", pct(grid_refused, grid_cases));
    println!("| spots: refused (no course) | — | {} |", pct(spot_refused, spot_cases));
    for (metric, (hard, rate)) in &grid.rates {
        println!("| {metric} | {} | {} |", if *hard { "rule" } else { "aim" }, pct(rate.hits, rate.of));
    }
    println!("| variant 1 differs from variant 0 in at least half the places | aim | {} |", pct(variants.hits, variants.of));
    let full = &grid.stops_full_day;
    if !full.is_empty() {
        println!(
            "| stops in a 10–21 course: mean / max | — | {:.1} / {} |",
            full.iter().sum::<usize>() as f64 / full.len() as f64,
            full.iter().max().unwrap()
        );
    }
    println!(
        "| travel between stops: mean minutes per course | — | {:.1} |",
        grid.travel.iter().sum::<u32>() as f64 / grid.travel.len().max(1) as f64
    );
    println!(
        "| plan time p50 / p99 / max (this run, not a benchmark) | — | {:.2} / {:.2} / {:.2} ms |",
        ms(p(0.5)),
        ms(p(0.99)),
        ms(p(1.0))
    );
    if list {
        println!("\nRefused: {:?}", &grid.refused);
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
