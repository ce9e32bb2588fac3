//! The catalogue itself: ids, coordinates, hours, languages, and that every area can carry a
//! full day.

use std::collections::HashSet;

use fyd_core::catalogue::{catalogue, Category};
use fyd_core::geo::distance_m;

const MAX_FROM_AREA_CENTRE_M: f64 = 5_000.0;

#[test]
fn the_catalogue_is_large_enough() {
    let c = catalogue();
    assert!(c.cities.len() >= 10, "{} cities", c.cities.len());
    assert!(c.areas.len() >= 30, "{} areas", c.areas.len());
    assert!(c.places.len() >= 500, "{} places", c.places.len());
    for city in &c.cities {
        assert!(!city.areas.is_empty(), "{} has no area", city.id);
    }
}

#[test]
fn ids_are_unique_and_stable_looking() {
    let c = catalogue();
    let mut seen = HashSet::new();
    for id in c.places.iter().map(|p| p.id).chain(c.areas.iter().map(|a| a.id)) {
        assert!(seen.insert(id), "duplicate id {id}");
        assert!(id.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'), "id {id}");
    }
}

#[test]
fn every_place_is_in_korea_and_near_its_area() {
    let c = catalogue();
    for place in &c.places {
        assert!((33.0..38.7).contains(&place.lat) && (124.5..131.0).contains(&place.lon), "{} outside Korea", place.id);
        let area = &c.areas[place.area];
        let d = distance_m((area.lat, area.lon), place.position());
        assert!(d <= MAX_FROM_AREA_CENTRE_M, "{} is {d:.0} m from the centre of {}", place.id, area.id);
    }
}

#[test]
fn hours_stays_and_prices_are_sane() {
    for place in &catalogue().places {
        assert!(place.open < place.close && place.close <= 1440 + 6 * 60, "{} hours", place.id);
        assert!(place.close - place.open >= 60, "{} is open less than an hour", place.id);
        assert!((15..=240).contains(&place.stay), "{} stay {}", place.id, place.stay);
        assert!(place.price <= 3, "{} price", place.id);
    }
}

#[test]
fn both_languages_are_present() {
    let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
    for place in &catalogue().places {
        assert!(hangul(place.ko) && hangul(place.desc_ko), "{} Korean text", place.id);
        assert!(place.en.is_ascii() || place.en.contains('é') || place.en.contains('·'), "{} English name {:?}", place.id, place.en);
        assert!(!place.desc_en.is_empty() && !hangul(place.desc_en), "{} English description", place.id);
    }
}

#[test]
fn every_area_has_meals_and_something_for_the_evening() {
    let c = catalogue();
    for area in &c.areas {
        let places: Vec<_> = c.places_of(area).collect();
        let meals = places.iter().filter(|p| p.category == Category::Meal).count();
        assert!(meals >= 2, "{} has {meals} meal places", area.id);
        assert!(
            places.iter().any(|p| p.category == Category::NightView || (p.category == Category::Walk && !p.indoor && p.close >= 22 * 60)),
            "{} has no night view or evening walk",
            area.id
        );
        assert!(places.len() >= 9, "{} has only {} places", area.id, places.len());
    }
}

#[test]
fn every_alias_names_one_place_only() {
    let c = catalogue();
    let mut owner = std::collections::HashMap::new();
    let key = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    for area in &c.areas {
        for alias in area.aliases.iter().chain([&area.ko, &area.en]) {
            if let Some(previous) = owner.insert(key(alias), area.id) {
                assert_eq!(previous, area.id, "alias {alias} is used by {previous} and {}", area.id);
            }
        }
    }
}

mod fuzz {
    use fyd_core::catalogue::catalogue;
    use proptest::prelude::*;

    proptest! {
        /// Any text resolves to an area, a city or suggestions, without panicking, quickly.
        #[test]
        fn place_resolution_never_panics_and_is_quick(text in "\\PC{0,60}") {
            let started = std::time::Instant::now();
            let _ = catalogue().resolve(&text);
            prop_assert!(started.elapsed() < std::time::Duration::from_millis(250));
        }

        #[test]
        fn korean_looking_text_resolves_or_suggests(text in "[가-힣 ]{1,12}") {
            if let Err(suggestions) = catalogue().resolve(&text) {
                prop_assert!(suggestions.len() <= 3);
            }
        }
    }
}
