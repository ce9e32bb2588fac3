//! What a course is anchored on: the most specific thing the couple's place text names — a
//! catalogue place (불국사), a station or landmark (강남역), an area (성수), or a city (부산,
//! then its best area for the season) — and the point the course starts from.
//!
//! The planner starts near the anchor, the checker measures the first stop and (on foot) every
//! stop from it, and the course says what it was anchored on.

use crate::catalogue::{Area, Catalogue, Place, Resolved};
use crate::course::Transport;
use crate::request::{Lang, PlanRequest};

#[derive(Debug, Clone, Copy)]
pub struct Anchor<'a> {
    pub lat: f64,
    pub lon: f64,
    /// The area the anchor lies in.
    pub area: &'a Area,
    /// When the couple named a catalogue place: it belongs in the course.
    pub place: Option<&'a Place>,
    pub kind: AnchorKind,
    name_ko: &'a str,
    name_en: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorKind {
    Place,
    Spot,
    Area,
    /// A city: the course is planned in one of its areas.
    City,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("fyd does not know {place:?} yet")]
pub struct UnknownPlace {
    pub place: String,
    pub suggestions: Vec<String>,
}

impl<'a> Anchor<'a> {
    pub fn position(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }

    /// What the course is anchored on, as the couple reads it.
    pub fn name(&self, lang: Lang) -> &'a str {
        match lang {
            Lang::Ko => self.name_ko,
            Lang::En => self.name_en,
        }
    }

    fn of_area(area: &'a Area, kind: AnchorKind) -> Self {
        let short = area.aliases.first().map_or(area.ko.as_str(), String::as_str);
        Anchor { lat: area.lat, lon: area.lon, area, place: None, kind, name_ko: short, name_en: &area.en }
    }
}

/// Resolves the request's place text. A city picks its best area for the season and the way
/// the couple travels; the variant rotates through the three best.
pub fn resolve<'a>(catalogue: &'a Catalogue, request: &PlanRequest) -> Result<Anchor<'a>, UnknownPlace> {
    let unknown = |suggestions| UnknownPlace { place: request.place.clone(), suggestions };
    Ok(match catalogue.resolve(&request.place).map_err(unknown)? {
        Resolved::Place(place) => Anchor {
            lat: place.lat,
            lon: place.lon,
            area: &catalogue.areas[place.area],
            place: Some(place),
            kind: AnchorKind::Place,
            name_ko: &place.ko,
            name_en: &place.en,
        },
        Resolved::Spot(spot) => Anchor {
            lat: spot.lat,
            lon: spot.lon,
            area: &catalogue.areas[spot.area],
            place: None,
            kind: AnchorKind::Spot,
            name_ko: &spot.ko,
            name_en: &spot.en,
        },
        Resolved::Area(area) => Anchor::of_area(area, AnchorKind::Area),
        Resolved::City(city) => {
            let mut ranked: Vec<&Area> = city.areas.iter().map(|&i| &catalogue.areas[i]).collect();
            let fit = |area: &Area| {
                let shining = catalogue.places_of(area).filter(|p| p.shines_in(request.season)).count();
                let compact = request.transport != Transport::Walk || area.places.len() >= 15;
                shining * 2 + area.places.len() + if compact { 10 } else { 0 }
            };
            ranked.sort_by_key(|area| (std::cmp::Reverse(fit(area)), area.id.clone()));
            let choices = ranked.len().min(3);
            let Some(area) = ranked.get(request.variant as usize % choices.max(1)) else {
                return Err(unknown(Vec::new()));
            };
            Anchor::of_area(area, AnchorKind::City)
        }
    })
}
