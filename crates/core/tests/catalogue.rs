//! The catalogue itself: its size, ids, coordinates, single venues where couples eat and
//! drink, names that point at one thing, and that every area has what a day needs. The
//! format-level checks (hours parse, both languages, known categories and tags) run when the
//! catalogue loads, so loading it at all is the first test.

use std::collections::{HashMap, HashSet};

mod thin;

use fyd_core::catalogue::{catalogue, key, Category};
use fyd_core::geo::distance_m;

/// A place stays this close to its area's centre unless it is tagged `far`.
const NEAR_M: f64 = 3_000.0;
/// Even a far place (a temple up the hill, a beach down the coast) is within this.
const FAR_M: f64 = 15_000.0;

#[test]
fn the_catalogue_is_large_enough() {
    let c = catalogue();
    assert!(c.cities.len() >= 25, "{} cities", c.cities.len());
    assert!(c.areas.len() >= 34, "{} areas", c.areas.len());
    assert!(c.places.len() >= 540, "{} places", c.places.len());
    for city in &c.cities {
        let _ = city;
    }
}

#[test]
/// Cities have ids of their own (the city of Gangneung and its area may both be `gangneung`).
fn ids_are_unique_across_every_kind() {
    let c = catalogue();
    let mut seen = HashSet::new();
    let ids = c.places.iter().map(|p| &p.id).chain(c.areas.iter().map(|a| &a.id)).chain(c.spots.iter().map(|s| &s.id));
    for id in ids {
        assert!(seen.insert(id), "duplicate id {id}");
    }
}

#[test]
fn every_place_is_near_its_area_unless_marked_far() {
    let c = catalogue();
    let mut problems = Vec::new();
    for place in &c.places {
        let area = &c.areas[place.area];
        let d = distance_m((area.lat, area.lon), place.position());
        let limit = if place.tags.far { FAR_M } else { NEAR_M };
        if d > limit {
            problems.push(format!("{} is {d:.0} m from the centre of {} (limit {limit} m)", place.id, area.id));
        }
        if let Some(outer) = place.within {
            let outer = &c.places[outer];
            let gap = distance_m(outer.position(), place.position());
            if gap > 2_000.0 || outer.area != place.area {
                problems.push(format!("{} is said to be inside {} but is {gap:.0} m away or in another area", place.id, outer.id));
            }
        }
    }
    for spot in &c.spots {
        let area = &c.areas[spot.area];
        let d = distance_m((area.lat, area.lon), (spot.lat, spot.lon));
        if d > 5_000.0 {
            problems.push(format!("spot {} is {d:.0} m from the centre of {}", spot.id, area.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn stays_and_checks_are_sane() {
    for place in &catalogue().places {
        assert!(place.last_entry <= 120, "{} last entry {}", place.id, place.last_entry);
        assert!(place.checked >= 2024, "{} was last checked in {}", place.id, place.checked);
    }
}

#[test]
fn every_name_points_at_one_thing_of_its_kind() {
    let c = catalogue();
    let mut problems = Vec::new();
    let mut check = |kind: &str, owner: &mut HashMap<String, String>, id: &str, names: Vec<&String>| {
        for name in names {
            if let Some(previous) = owner.insert(key(name), id.to_owned()) {
                if previous != id {
                    problems.push(format!("the {kind} name {name:?} is used by {previous} and {id}"));
                }
            }
        }
    };
    let (mut areas, mut spots, mut places) = (HashMap::new(), HashMap::new(), HashMap::new());
    for area in &c.areas {
        check("area", &mut areas, &area.id, [&area.ko, &area.en].into_iter().chain(&area.aliases).collect());
    }
    for spot in &c.spots {
        check("spot", &mut spots, &spot.id, [&spot.ko, &spot.en].into_iter().chain(&spot.aliases).collect());
    }
    for place in &c.places {
        check("place", &mut places, &place.id, [&place.ko].into_iter().chain(&place.aliases).collect());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A name may point at a place, a spot and an area at once (the place wins) only within one
/// city: "북촌" must not send a Seoul couple to 조천's 북촌리.
#[test]
fn no_name_points_into_two_cities() {
    let c = catalogue();
    let mut city_of: HashMap<String, (usize, String)> = HashMap::new();
    let mut problems = Vec::new();
    let mut check = |name: &String, city: usize, id: &str| {
        if let Some((other, other_id)) = city_of.insert(key(name), (city, id.to_owned())) {
            if other != city {
                problems.push(format!("{name:?} names {other_id} ({}) and {id} ({})", c.cities[other].id, c.cities[city].id));
            }
        }
    };
    for area in &c.areas {
        [&area.ko, &area.en].into_iter().chain(&area.aliases).for_each(|n| check(n, area.city, &area.id));
    }
    for spot in &c.spots {
        [&spot.ko, &spot.en].into_iter().chain(&spot.aliases).for_each(|n| check(n, c.areas[spot.area].city, &spot.id));
    }
    for place in &c.places {
        [&place.ko].into_iter().chain(&place.aliases).for_each(|n| check(n, c.areas[place.area].city, &place.id));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a course on foot from the area's centre can use: the places within the walking radius,
/// whichever area lists them (상암's lunch may be at 망원시장).
#[test]
fn every_area_has_meals_and_something_for_the_evening() {
    let c = catalogue();
    let mut problems = Vec::new();
    for area in &c.areas {
        let places: Vec<_> = c.places_of(area).collect();
        let walkable = c.places.iter().filter(|p| distance_m((area.lat, area.lon), p.position()) <= fyd_core::rules::WALK_RADIUS_M);
        let meals = walkable.filter(|p| p.category == Category::Meal).count();
        if meals < 2 && !thin::THIN.contains(&area.id.as_str()) {
            problems.push(format!("{} has {meals} meal places within walking distance", area.id));
        }
        let evening = places
            .iter()
            .any(|p| p.category == Category::NightView || (p.category == Category::Walk && !p.indoor && p.hours.text().contains("24/7")));
        if !evening {
            problems.push(format!("{} has no night view or evening walk", area.id));
        }
        if places.len() < 9 {
            problems.push(format!("{} has only {} places", area.id, places.len()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

mod fuzz {
    use fyd_core::catalogue::catalogue;
    use proptest::prelude::*;

    proptest! {
        /// Any text resolves to something, or to suggestions, without panicking (how long it
        /// takes is measured by the planner bench's `unknown_place_suggestions`).
        #[test]
        fn place_resolution_never_panics(text in "\\PC{0,60}") {
            let _ = catalogue().resolve(&text);
        }

        #[test]
        fn korean_looking_text_resolves_or_suggests(text in "[가-힣 ]{1,12}") {
            if let Err(suggestions) = catalogue().resolve(&text) {
                prop_assert!(suggestions.len() <= 3);
            }
        }
    }
}
