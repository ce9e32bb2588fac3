//! What a couple would expect of a course, measured on the course as it goes out on the wire,
//! independently of the planner and of `fyd_core::check`: its own reading of times, its own
//! sunset (from the `sunrise` crate at each stop), its own distances. Shared by the quality
//! grid (`examples/grade.rs`) and the grid test (`tests/grid.rs`).

use fyd_core::catalogue::Catalogue;
use fyd_core::course::{CourseContent, LegMode, Season, Transport};
use fyd_core::geo::distance_m;
use fyd_core::request::PlanRequest;

/// One measure of one course: whether it applies to the course and whether the course fails it.
pub struct Measure {
    pub name: &'static str,
    /// A rule every course must keep (the grid's target is 0%); otherwise a preference.
    pub hard: bool,
    pub applies: bool,
    pub hit: bool,
}

/// A spot the couple named, where it is, and the name the course must contain when the spot is
/// itself a place to visit.
#[derive(Clone, Copy)]
pub struct Spot {
    pub lat: f64,
    pub lon: f64,
    pub must: Option<&'static str>,
}

/// The middle day of each season, as (month, day) in 2026.
pub fn season_middle(season: Season) -> (u32, u32) {
    match season {
        Season::Spring => (4, 15),
        Season::Summer => (7, 15),
        Season::Fall => (10, 15),
        Season::Winter => (1, 15),
    }
}

/// Sunset in Korean time at a point, from the `sunrise` crate.
pub fn sunset_at(lat: f64, lon: f64, (month, day): (u32, u32)) -> u16 {
    let date = chrono::NaiveDate::from_ymd_opt(2026, month, day).unwrap();
    let coordinates = sunrise::Coordinates::new(lat, lon).unwrap();
    let utc = sunrise::SolarDay::new(coordinates, date).event_time(sunrise::SolarEvent::Sunset).unwrap();
    ((utc.timestamp() + 9 * 3_600).rem_euclid(86_400) / 60) as u16
}

/// Minutes after the window's midnight; times well before the start belong to the next day.
fn minutes(text: &str, start: u16) -> u16 {
    let (h, m) = text.split_once(':').unwrap();
    let value: u16 = h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap();
    if value + 60 < start {
        value + 1440
    } else {
        value
    }
}

/// Every measure of one course.
pub fn measure(catalogue: &Catalogue, req: &PlanRequest, content: &CourseContent, spot: Option<Spot>) -> Vec<Measure> {
    let mut out = Vec::new();
    let mut add = |name, hard, applies, hit| out.push(Measure { name, hard, applies, hit });
    let (start, end) = (req.start, req.end);
    let window = end - start;
    let stops = &content.stops;
    let times: Vec<(u16, u16)> = stops
        .iter()
        .map(|s| {
            let arrive = minutes(&s.arrive, start);
            let leave = minutes(&s.leave, start);
            (arrive, if leave < arrive { leave + 1440 } else { leave })
        })
        .collect();
    let meals: Vec<u16> = stops.iter().zip(&times).filter(|(s, _)| s.category == "meal").map(|(_, t)| t.0).collect();
    let place = |name: &str| catalogue.find_place(name);

    let broken = fyd_core::check::problems(catalogue, content, req);
    add("any rule of fyd's own checker broken", true, true, !broken.is_empty());

    let covers_lunch = start <= 12 * 60 + 30 && end >= 13 * 60 + 30;
    let lunch = meals.iter().copied().find(|&t| t < 15 * 60);
    add("lunch missing or outside 11:30–13:30", true, covers_lunch, !lunch.is_some_and(|t| (690..=810).contains(&t)));
    let covers_dinner = start <= 18 * 60 + 30 && end >= 19 * 60 + 30;
    let dinner = meals.iter().copied().find(|&t| t >= 15 * 60);
    add("dinner missing or outside 17:30–19:30", true, covers_dinner, !dinner.is_some_and(|t| (1050..=1170).contains(&t)));
    add(
        "date starting 17:00–19:30 does not begin with dinner",
        true,
        (17 * 60..=19 * 60 + 30).contains(&start),
        stops.first().is_none_or(|s| s.category != "meal"),
    );
    add("two meals within 3 hours", true, true, meals.windows(2).any(|w| w[1] < w[0] + 180));

    add("more stops than one per 90 minutes", true, true, stops.len() > usize::from(window.div_ceil(90)));
    let same_site = stops.iter().enumerate().any(|(i, a)| {
        stops[..i].iter().any(|b| {
            let (pa, pb) = (place(&a.name), place(&b.name));
            // The catalogue says one is inside the other (a café on 남이섬) — meals excepted …
            let inside = match (pa, pb) {
                (Some(pa), Some(pb)) => {
                    let site = |p: &fyd_core::catalogue::Place| p.within.map_or_else(|| p.id.clone(), |w| catalogue.places[w].id.clone());
                    site(pa) == site(pb) && a.category != "meal" && b.category != "meal"
                }
                _ => false,
            };
            // … or the names say so: "남이섬" and "남이섬 선착장", close together.
            let head = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();
            let named = (a.name == head(&b.name) || b.name == head(&a.name))
                && a.category != "meal"
                && b.category != "meal"
                && distance_m((a.lat, a.lon), (b.lat, b.lon)) < 700.0;
            inside || named
        })
    });
    add("one place split into several stops", true, true, same_site);
    let site = |name: &str| place(name).map(|p| p.within.map_or_else(|| p.id.clone(), |w| catalogue.places[w].id.clone()));
    let meal_sites: Vec<Option<String>> = stops.iter().filter(|s| s.category == "meal").map(|s| site(&s.name)).collect();
    let same_meal_site = meal_sites.iter().enumerate().any(|(i, a)| a.is_some() && meal_sites[..i].contains(a));
    add("two meals at one site (lunch and dinner in one market)", true, true, same_meal_site);
    // Two branches of one chain (앤트러사이트 합정, then 앤트러사이트 서교점), as the catalogue
    // links them (`Place::brand`): the planner and the checker must keep them apart.
    let chains: Vec<usize> = stops.iter().filter_map(|s| place(&s.name)).map(|p| p.brand).collect();
    add("two branches of one chain", true, true, chains.iter().enumerate().any(|(i, c)| chains[..i].contains(c)));
    add("more than two cafés", true, true, stops.iter().filter(|s| s.category == "cafe").count() > 2);
    add(
        "two stops of the same kind in a row (windows of 4 h or more)",
        false,
        window >= 240,
        stops.windows(2).any(|w| w[0].category == w[1].category),
    );

    let returns = (0..stops.len()).any(|j| {
        let here = (stops[j].lat, stops[j].lon);
        (0..j).any(|i| {
            let earlier = (stops[i].lat, stops[i].lon);
            distance_m(earlier, here) <= 300.0 && stops[i + 1..j].iter().any(|m| distance_m(earlier, (m.lat, m.lon)) > 1_000.0)
        })
    });
    add("comes back within 300 m of a stop after going > 1 km away", true, true, returns);
    let walked: u32 = content.legs.iter().filter(|l| l.mode == LegMode::Walk).map(|l| l.minutes).sum();
    add("walking legs over 20% of the window", true, true, walked * 5 > u32::from(window));

    let md = season_middle(req.season);
    let early_night = stops.iter().zip(&times).any(|(s, t)| s.category == "nightview" && t.0 + 15 < sunset_at(s.lat, s.lon, md));
    add("night view starting over 15 min before sunset", true, true, early_night);
    let in_the_dark =
        stops.iter().zip(&times).any(|(s, t)| place(&s.name).is_some_and(|p| p.tags.daylight) && t.1 > sunset_at(s.lat, s.lon, md) + 30);
    add("an unlit trail or valley (tag daylight) visited after dusk", true, true, in_the_dark);
    // A show, a theme park, an island: a visit of under 60% of its usual length is no visit.
    let cut_short = stops.iter().zip(&times).any(|(s, t)| place(&s.name).is_some_and(|p| p.stay > 90 && (t.1 - t.0) * 10 < p.stay * 6));
    add("a long visit (usually over 90 min) cut below 60% of it", true, true, cut_short);
    let climbing_late = stops.iter().zip(&times).any(|(s, t)| place(&s.name).is_some_and(|p| p.tags.climb) && t.1 > 23 * 60);
    add("a mountain path (tag climb) left after 23:00", true, true, climbing_late);
    let off_sunset = stops.iter().zip(&times).any(|(s, t)| {
        let sunset = sunset_at(s.lat, s.lon, md);
        s.category == "sunset" && !(sunset.saturating_sub(80)..=sunset + 15).contains(&t.0)
    });
    add("sunset stop not around sunset", true, true, off_sunset);
    // A place whose point is the night, spent by day although the date runs an hour past sunset.
    let night_by_day = stops.iter().zip(&times).any(|(s, t)| {
        let sunset = sunset_at(s.lat, s.lon, md);
        end >= sunset + 60 && t.1 <= sunset && place(&s.name).is_some_and(|p| p.category == fyd_core::catalogue::Category::NightView)
    });
    add("night-view place spent by day in a date that runs into the night", false, true, night_by_day);
    let drinks = stops.iter().any(|s| s.category == "bar" || place(&s.name).is_some_and(|p| p.is_drinking()));
    add("car date with a drinks stop", true, req.transport == Transport::Car, drinks);
    let cold = stops.iter().zip(&times).any(|(s, t)| {
        let outdoor = place(&s.name).is_some_and(|p| !p.indoor);
        outdoor && t.1 > 19 * 60 && t.1 - t.0.max(19 * 60) > 30
    });
    add("winter: over 30 min at an outdoor stop after 19:00", true, req.season == Season::Winter, cold);
    let meals_without_backup = stops.iter().filter(|s| s.category == "meal").any(|s| s.alternatives.is_empty());
    add("a meal with no other place to eat nearby listed", false, !meals.is_empty(), meals_without_backup);

    if let Some(spot) = spot {
        let at = (spot.lat, spot.lon);
        let first = stops.first().map_or(f64::MAX, |s| distance_m(at, (s.lat, s.lon)));
        let limit = if req.transport == Transport::Walk { 1_000.0 } else { 3_000.0 };
        add("spot: first stop too far from the named spot (1 km on foot, else 3 km)", true, true, first > limit);
        let far = stops.iter().map(|s| distance_m(at, (s.lat, s.lon))).fold(0.0, f64::max);
        add("spot: a stop over 2.5 km from the spot on foot", true, req.transport == Transport::Walk, far > 2_500.0);
        if let Some(name) = spot.must {
            // Only when the place is open for a visit inside the window that day.
            let day = fyd_core::calendar::Day::new(req.date, req.season);
            let open = place(name).is_some_and(|p| {
                p.hours.on(day).open.spans().iter().any(|&(a, b)| b.min(end).saturating_sub(a.max(start)) >= 45 + p.last_entry)
            });
            // By name, or by the catalogue's aliases (남산서울타워 is listed as N서울타워).
            let target = place(name).map(|p| p.id.as_str());
            let present =
                stops.iter().any(|s| s.name.contains(name) || (target.is_some() && place(&s.name).map(|p| p.id.as_str()) == target));
            add("spot: the named place is not in the course", true, open, !present);
        }
    }
    out
}
