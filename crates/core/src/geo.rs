//! Distances and travel legs, estimated from coordinates.
//!
//! Straight-line distance times a detour factor gives the route length; each mode adds its
//! fixed overhead (waiting for a train or bus, parking). The figures are deliberately a
//! little pessimistic: a course that arrives early beats one that runs late.

use crate::course::{Leg, LegMode, Transport};

/// Walking legs longer than this are not planned (about 25–30 minutes on foot).
pub const MAX_WALK_LEG_M: u32 = 2_000;

const WALK_DETOUR: f64 = 1.3;
const ROAD_DETOUR: f64 = 1.4;
const WALK_M_PER_MIN: f64 = 70.0; // 4.2 km/h, strolling
const TRANSIT_M_PER_MIN: f64 = 330.0; // subway and bus with stops, about 20 km/h
const TRANSIT_OVERHEAD_MIN: f64 = 12.0; // to and from stations, and the wait
const CAR_M_PER_MIN: f64 = 400.0; // city traffic, about 24 km/h
/// Beyond the first few kilometres a drive leaves town for faster roads (about 60 km/h).
const CAR_TOWN_M: f64 = 5_000.0;
const CAR_OPEN_ROAD_M_PER_MIN: f64 = 1_000.0;
const CAR_OVERHEAD_MIN: f64 = 10.0; // parking and walking from the car
/// Below these straight-line distances, transit and car couples walk instead.
const WALK_INSTEAD_OF_TRANSIT_M: f64 = 1_100.0;
const WALK_INSTEAD_OF_CAR_M: f64 = 1_100.0;

/// Distance in metres over the earth's surface, by the equirectangular approximation: within
/// 0.1% of the great-circle distance across Korea, and one cosine instead of five
/// trigonometric calls — the planner measures hundreds of thousands of distances a second.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let mean_lat = ((a.0 + b.0) / 2.0).to_radians();
    let x = (b.1 - a.1).to_radians() * mean_lat.cos();
    let y = (b.0 - a.0).to_radians();
    EARTH_RADIUS_M * (x * x + y * y).sqrt()
}

/// Whether `b` may be within `metres` of `a`: a cheap test on latitude alone, to skip the
/// distance of places obviously too far.
pub fn maybe_within(a: (f64, f64), b: (f64, f64), metres: f64) -> bool {
    (a.0 - b.0).abs() * 111_000.0 <= metres
}

/// How a couple moving by `transport` gets from `a` to `b`.
pub fn leg(a: (f64, f64), b: (f64, f64), transport: Transport) -> Leg {
    leg_over(distance_m(a, b), transport)
}

/// A leg over a straight-line distance.
pub fn leg_over(straight: f64, transport: Transport) -> Leg {
    let walk = || {
        let route = straight * WALK_DETOUR;
        Leg { mode: LegMode::Walk, minutes: minutes(route / WALK_M_PER_MIN), distance_m: route.round() as u32 }
    };
    match transport {
        Transport::Walk => walk(),
        Transport::Public if straight <= WALK_INSTEAD_OF_TRANSIT_M => walk(),
        Transport::Car if straight <= WALK_INSTEAD_OF_CAR_M => walk(),
        Transport::Public => {
            let route = straight * ROAD_DETOUR;
            Leg {
                mode: LegMode::Transit,
                minutes: minutes(TRANSIT_OVERHEAD_MIN + route / TRANSIT_M_PER_MIN),
                distance_m: route.round() as u32,
            }
        }
        Transport::Car => {
            let route = straight * ROAD_DETOUR;
            let driving = route.min(CAR_TOWN_M) / CAR_M_PER_MIN + (route - CAR_TOWN_M).max(0.0) / CAR_OPEN_ROAD_M_PER_MIN;
            Leg { mode: LegMode::Car, minutes: minutes(CAR_OVERHEAD_MIN + driving), distance_m: route.round() as u32 }
        }
    }
}

fn minutes(value: f64) -> u32 {
    (value.ceil() as u32).max(1)
}

/// How [`leg_over`] times a leg, in words for the LLM prompt: per straight-line kilometre (what
/// a model can measure from the candidates' coordinates), from the same constants, so the
/// model schedules with the figures the checker will time its course by.
pub fn timing_in_words(transport: Transport) -> String {
    // Rounded up to the tenth printed, so a model that follows the words is never early.
    let per_km = |metres_per_minute: f64, detour: f64| (10_000.0 * detour / metres_per_minute).ceil() / 10.0;
    let walk = format!(
        "a walk takes {:.1} minutes a straight-line kilometre (routes run {WALK_DETOUR}× the straight line, {WALK_M_PER_MIN:.0} m a minute)",
        per_km(WALK_M_PER_MIN, WALK_DETOUR)
    );
    let timing = match transport {
        Transport::Walk => format!("on foot only: {walk}"),
        Transport::Public => format!(
            "by public transport: under {:.1} km in a straight line they walk ({walk}); farther, allow {TRANSIT_OVERHEAD_MIN:.0} minutes plus {:.1} minutes a straight-line kilometre",
            WALK_INSTEAD_OF_TRANSIT_M / 1_000.0,
            per_km(TRANSIT_M_PER_MIN, ROAD_DETOUR)
        ),
        Transport::Car => format!(
            "by car: under {:.1} km in a straight line they walk ({walk}); farther, allow {CAR_OVERHEAD_MIN:.0} minutes of parking plus {:.1} minutes a straight-line kilometre for the first {:.1} km and {:.1} minutes a kilometre beyond",
            WALK_INSTEAD_OF_CAR_M / 1_000.0,
            per_km(CAR_M_PER_MIN, ROAD_DETOUR),
            CAR_TOWN_M / ROAD_DETOUR / 1_000.0,
            per_km(CAR_OPEN_ROAD_M_PER_MIN, ROAD_DETOUR)
        ),
    };
    format!("{timing}; round up to the whole minute")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_modes_are_plausible() {
        let gyeongbokgung = (37.5796, 126.9770);
        let city_hall = (37.5663, 126.9779);
        let d = distance_m(gyeongbokgung, city_hall);
        assert!((1_400.0..1_550.0).contains(&d), "{d}");
        let on_foot = leg(gyeongbokgung, city_hall, Transport::Walk);
        assert_eq!(on_foot.mode, LegMode::Walk);
        assert!((25..=30).contains(&on_foot.minutes), "{on_foot:?}");
        let by_transit = leg(gyeongbokgung, city_hall, Transport::Public);
        assert_eq!(by_transit.mode, LegMode::Transit);
        let next_door = leg(gyeongbokgung, (37.5800, 126.9775), Transport::Car);
        assert_eq!(next_door.mode, LegMode::Walk);
    }

    /// A model that times its legs by the prompt's words, with the numbers as the words print
    /// them, is never early for the leg the checker computes (which would break the course)
    /// and at most two minutes late.
    #[test]
    fn the_prompts_timing_words_agree_with_the_legs() {
        let numbers = |text: &str| -> Vec<f64> {
            text.split(|c: char| !(c.is_ascii_digit() || c == '.')).filter_map(|n| n.trim_matches('.').parse().ok()).collect()
        };
        for transport in [Transport::Walk, Transport::Public, Transport::Car] {
            let words = timing_in_words(transport);
            let n = numbers(&words);
            for km in [0.4, 0.9, 1.5, 2.0, 3.0, 5.0, 8.0, 15.0] {
                // Walk: [min/km, detour, m/min]. Public: [walk below km, walk min/km, detour,
                // m/min, overhead, min/km]. Car: [the same five, then min/km in town, town km,
                // min/km beyond].
                let stated = match transport {
                    Transport::Walk => km * n[0],
                    _ if km < n[0] => km * n[1],
                    Transport::Public => n[4] + km * n[5],
                    Transport::Car => n[4] + km.min(n[6]) * n[5] + (km - n[6]).max(0.0) * n[7],
                };
                let leg = leg_over(km * 1_000.0, transport);
                let stated = stated.ceil() as u32;
                assert!((leg.minutes..=leg.minutes + 2).contains(&stated), "{transport:?} {km} km: {leg:?} vs {stated} from {words:?}");
            }
        }
    }

    #[test]
    fn the_approximation_holds_across_korea() {
        // Seoul City Hall to Busan Station: 329.3 km by the great circle (haversine).
        let d = distance_m((37.5663, 126.9779), (35.1151, 129.0422));
        assert!((329_000.0..329_700.0).contains(&d), "{d}");
    }
}
