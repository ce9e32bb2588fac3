//! What the catalogue holds: per area, how many places of each kind, how far they spread, and
//! the totals that docs/catalogue.md reports.
//!
//! Run: `cargo run -p fyd-core --example catalogue [AREA_ID_PREFIX…]`.

use fyd_core::catalogue::{catalogue, Category};
use fyd_core::geo::distance_m;

fn main() {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let c = catalogue();
    println!("area | city | places | meal | cafe | bar | night | sunset | indoor | spots | median m | max m");
    for area in &c.areas {
        if !filters.is_empty() && !filters.iter().any(|f| area.id.starts_with(f.as_str())) {
            continue;
        }
        let places: Vec<_> = c.places_of(area).collect();
        let count = |category: Category| places.iter().filter(|p| p.category == category).count();
        let mut distances: Vec<f64> = places.iter().map(|p| distance_m((area.lat, area.lon), p.position())).collect();
        distances.sort_by(f64::total_cmp);
        println!(
            "{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0}",
            area.id,
            c.cities[area.city].id,
            places.len(),
            count(Category::Meal),
            count(Category::Cafe),
            count(Category::Bar),
            count(Category::NightView),
            places.iter().filter(|p| p.tags.sunset).count(),
            places.iter().filter(|p| p.indoor).count(),
            area.spots.len(),
            distances.get(distances.len() / 2).copied().unwrap_or(0.0),
            distances.last().copied().unwrap_or(0.0),
        );
    }
    let eating: Vec<_> = c.places.iter().filter(|p| matches!(p.category, Category::Meal | Category::Cafe | Category::Bar)).collect();
    // Markets are the one kind of eating place that is many stalls; everything else is one venue.
    let markets = eating.iter().filter(|p| p.ko.contains("시장")).count();
    let unsure = c.places.iter().filter(|p| !p.note.is_empty()).count();
    println!(
        "\n{} places, {} areas, {} cities, {} spots; {} meal, café and bar venues ({} single venues, {} markets); {} entries say in `note` what is unconfirmed",
        c.places.len(),
        c.areas.len(),
        c.cities.iter().filter(|city| !city.areas.is_empty()).count(),
        c.spots.len(),
        eating.len(),
        eating.len() - markets,
        markets,
        unsure
    );
}
