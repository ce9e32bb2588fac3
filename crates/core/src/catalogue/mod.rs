//! The catalogue of real places fyd plans with — cities, their areas, the places in them and
//! the stations and landmarks couples name — and the lookup from what a couple typed to the
//! most specific of those.
//!
//! The built-in catalogue is compiled in from `data/` (see [`load`] for the format, and
//! docs/catalogue.md); an operator may add or override records with files of the same format,
//! which the server reads and hands over as text. This module does no I/O.

mod builtin;
pub mod hours;
pub mod load;

use std::sync::LazyLock;

pub use hours::{Hours, Intervals, Usual};
pub use load::CatalogueError;

use crate::calendar::Day;
use crate::course::Season;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Meal,
    Cafe,
    Walk,
    Sight,
    Culture,
    NightView,
    /// A stop made around sunset at a place tagged `sunset` (노을): how such a visit is
    /// presented, never a place's own category.
    Sunset,
    Activity,
    Shopping,
    Bar,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Self::Meal,
        Self::Cafe,
        Self::Walk,
        Self::Sight,
        Self::Culture,
        Self::NightView,
        Self::Sunset,
        Self::Activity,
        Self::Shopping,
        Self::Bar,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Meal => "meal",
            Self::Cafe => "cafe",
            Self::Walk => "walk",
            Self::Sight => "sight",
            Self::Culture => "culture",
            Self::NightView => "nightview",
            Self::Sunset => "sunset",
            Self::Activity => "activity",
            Self::Shopping => "shopping",
            Self::Bar => "bar",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What a place is besides its category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tags {
    /// Deliberately more than 3 km from its area's centre (a temple up the hill, an island).
    pub far: bool,
    /// A memorial, massacre or cemetery site: planned only when the couple names it.
    pub memorial: bool,
    /// A meal place whose point is drinking (포차, 호프, 이자카야): never on a car date.
    pub alcohol: bool,
    /// Serves a late-morning meal, for a brunch in a morning date.
    pub brunch: bool,
    /// One of the area's obvious highlights: a course says so when it is closed.
    pub highlight: bool,
    /// Reached only by car (a mountain drive): never on foot or by public transport.
    pub car_only: bool,
    /// Known for its sunset (노을): visited around sunset, it is a sunset stop.
    pub sunset: bool,
    /// Seen by daylight only: an unlit valley, forest or mountain path, dark soon after sunset.
    pub daylight: bool,
    /// A climb up a mountain path: lit and walked for its evening view, but no place for a
    /// couple late at night ([`crate::rules::CLIMB_LEFT_BY`]).
    pub climb: bool,
}

impl Tags {
    pub const NAMES: [&'static str; 9] = ["far", "memorial", "alcohol", "brunch", "highlight", "car", "sunset", "daylight", "climb"];

    fn set(&mut self, name: &str) -> bool {
        let flag = match name {
            "far" => &mut self.far,
            "memorial" => &mut self.memorial,
            "alcohol" => &mut self.alcohol,
            "brunch" => &mut self.brunch,
            "highlight" => &mut self.highlight,
            "car" => &mut self.car_only,
            "sunset" => &mut self.sunset,
            "daylight" => &mut self.daylight,
            "climb" => &mut self.climb,
            _ => return false,
        };
        *flag = true;
        true
    }
}

#[derive(Debug)]
pub struct City {
    pub id: String,
    pub ko: String,
    pub en: String,
    pub aliases: Vec<String>,
    pub areas: Vec<usize>,
}

#[derive(Debug)]
pub struct Area {
    pub id: String,
    pub city: usize,
    pub ko: String,
    pub en: String,
    pub lat: f64,
    pub lon: f64,
    pub aliases: Vec<String>,
    pub places: Vec<usize>,
    pub spots: Vec<usize>,
}

#[derive(Debug)]
pub struct Place {
    pub id: String,
    pub area: usize,
    pub ko: String,
    pub en: String,
    pub aliases: Vec<String>,
    pub category: Category,
    pub indoor: bool,
    pub lat: f64,
    pub lon: f64,
    pub hours: std::sync::Arc<Hours>,
    /// Entry stops this many minutes before closing.
    pub last_entry: u16,
    /// Typical visit in minutes.
    pub stay: u16,
    pub price: u8,
    pub seasons: Vec<Season>,
    pub tags: Tags,
    /// The place this one is inside (a restaurant on Nami Island, a museum in a palace).
    pub within: Option<usize>,
    /// The site this place is part of, for "one place, one stop": the place it is inside, or
    /// the place it is named after nearby (경복궁 돌담길 belongs to 경복궁), or itself.
    pub site: usize,
    /// The chain this place to eat or drink belongs to, for "one brand, one stop": the first
    /// place of its brand (앤트러사이트 합정 and 앤트러사이트 서교점), or itself.
    pub brand: usize,
    /// The year its facts were last checked.
    pub checked: u16,
    /// What the catalogue is unsure of, if anything.
    pub note: String,
    pub desc_ko: String,
    pub desc_en: String,
}

impl Place {
    pub fn position(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }

    pub fn shines_in(&self, season: Season) -> bool {
        self.seasons.contains(&season)
    }

    /// Open for the whole visit `[from, to)` on `day`, arriving before last entry.
    pub fn open_for(&self, day: Day, from: u16, to: u16) -> bool {
        let hours = self.hours.on(day);
        hours.open.covers(from, to) && hours.open.closes_after(from).is_some_and(|close| from + self.last_entry <= close)
    }

    pub fn is_drinking(&self) -> bool {
        self.category == Category::Bar || self.tags.alcohol
    }
}

/// A station or landmark couples name (강남역, 부산역), belonging to the nearest area.
#[derive(Debug)]
pub struct Spot {
    pub id: String,
    pub area: usize,
    pub ko: String,
    pub en: String,
    pub lat: f64,
    pub lon: f64,
    pub aliases: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    pub cities: Vec<City>,
    pub areas: Vec<Area>,
    pub places: Vec<Place>,
    pub spots: Vec<Spot>,
    names: Vec<Name>,
}

static BUILTIN: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::load(&[]).unwrap_or_else(|e| panic!("built-in catalogue: {e}")));

/// The built-in catalogue (parsed once, on first use).
pub fn catalogue() -> &'static Catalogue {
    &BUILTIN
}

/// What a couple's place text names, most specific first.
#[derive(Debug, Clone, Copy)]
pub enum Resolved<'a> {
    Place(&'a Place),
    Spot(&'a Spot),
    Area(&'a Area),
    City(&'a City),
}

impl Catalogue {
    /// The built-in catalogue with an operator's files applied over it: `(name, text)` pairs,
    /// each of one of the four record kinds (told by its header row). A record whose id is
    /// already known replaces it; others are added.
    pub fn load(extra: &[(&str, &str)]) -> Result<Self, CatalogueError> {
        load::load(builtin::FILES.iter().copied().chain(extra.iter().copied()))
    }

    pub fn place(&self, id: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }

    pub fn places_of<'a>(&'a self, area: &'a Area) -> impl Iterator<Item = &'a Place> + 'a {
        area.places.iter().map(|&i| &self.places[i])
    }

    /// A place by its Korean or English name or an alias.
    pub fn find_place(&self, name: &str) -> Option<&Place> {
        let name = name.trim();
        self.places.iter().find(|p| p.ko == name || p.en.eq_ignore_ascii_case(name)).or_else(|| {
            let wanted = key(name);
            self.places.iter().find(|p| p.aliases.iter().any(|a| key(a) == wanted))
        })
    }

    /// The site a place belongs to (see [`Place::site`]).
    pub fn site_of(&self, place: &Place) -> usize {
        place.site
    }

    /// Works out every place's site once the places are read.
    pub(super) fn find_sites(&mut self) {
        /// A place named after another ("경복궁 돌담길" after "경복궁") this close is part of it.
        const NAMED_AFTER_M: f64 = 1_500.0;
        for index in 0..self.places.len() {
            let place = &self.places[index];
            let site = place.within.unwrap_or_else(|| {
                let named_after = self.places.iter().position(|outer| {
                    outer.within.is_none()
                        && place.ko.len() > outer.ko.len()
                        && place.ko.starts_with(&outer.ko)
                        && place.ko[outer.ko.len()..].starts_with(' ')
                        && crate::geo::distance_m(outer.position(), place.position()) <= NAMED_AFTER_M
                });
                named_after.unwrap_or(index)
            });
            self.places[index].site = site;
        }
    }

    /// Works out every place's brand once the places are read: places to eat or drink whose
    /// Korean names or aliases begin with the same word are one chain (앤트러사이트 합정 and
    /// 앤트러사이트 서교점; 모모스 로스터리 by its alias 모모스커피 영도 and 모모스커피 온천장 본점),
    /// unless that word names a city, an area, a station or landmark, or a place that is not a
    /// venue (경주 성동시장, 해운대 가야밀면, 인왕산 초소책방), or is a common word.
    pub(super) fn find_brands(&mut self) {
        use std::collections::{HashMap, HashSet};
        /// First words that are common nouns, not brands: 카페 델문도 and 카페 마당 are unrelated.
        const COMMON: [&str; 2] = ["카페", "원조"];
        let venue = |place: &Place| matches!(place.category, Category::Meal | Category::Cafe | Category::Bar);
        fn named<'n>(ko: &'n str, aliases: &'n [String]) -> impl Iterator<Item = &'n str> {
            std::iter::once(ko).chain(aliases.iter().map(String::as_str))
        }
        let not_brands: HashSet<&str> = (self.cities.iter().flat_map(|c| named(&c.ko, &c.aliases)))
            .chain(self.areas.iter().flat_map(|a| named(&a.ko, &a.aliases)))
            .chain(self.spots.iter().flat_map(|s| named(&s.ko, &s.aliases)))
            .chain(self.places.iter().filter(|p| !venue(p)).flat_map(|p| named(&p.ko, &p.aliases)))
            .chain(COMMON)
            .collect();
        // Places linked by a shared word, each pointing towards the first place of its chain.
        let mut first: Vec<usize> = (0..self.places.len()).collect();
        fn chain_of(first: &mut [usize], mut i: usize) -> usize {
            while first[i] != i {
                first[i] = first[first[i]];
                i = first[i];
            }
            i
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (index, place) in self.places.iter().enumerate().filter(|(_, p)| venue(p)) {
            // An alias of one word is another spelling of this place, not a brand it shares.
            let aliases = place.aliases.iter().filter(|alias| alias.contains(' ')).map(String::as_str);
            let words = std::iter::once(place.ko.as_str()).chain(aliases).filter_map(|name| name.split_whitespace().next());
            for word in words.filter(|word| !not_brands.contains(word)) {
                let Some(&other) = seen.get(word) else {
                    seen.insert(word, index);
                    continue;
                };
                let (a, b) = (chain_of(&mut first, index), chain_of(&mut first, other));
                first[a.max(b)] = a.min(b);
            }
        }
        for index in 0..self.places.len() {
            let brand = chain_of(&mut first, index);
            self.places[index].brand = brand;
        }
    }

    /// What a couple's place text names: the most specific thing it mentions — a place, then a
    /// station or landmark, then an area, then a city ("제주 애월" is 애월, not 제주) — or,
    /// when it names nothing known, up to three suggestions.
    pub fn resolve(&self, text: &str) -> Result<Resolved<'_>, Vec<String>> {
        let wanted = key(text);
        if wanted.is_empty() {
            return Err(Vec::new());
        }
        let best = |matches: &mut dyn Iterator<Item = &Name>| {
            matches.max_by_key(|name| (name.target.specificity(), name.key.chars().count())).map(|name| self.target(name.target))
        };
        if let Some(found) = best(&mut self.names.iter().filter(|name| name.key == wanted)) {
            return Ok(found);
        }
        // A name inside a longer text counts where a word of the text begins ("부산 해운대 근처"
        // names 해운대 — and not "산해", which only straddles two words).
        let from_each_word: Vec<String> = word_starts(text).map(key).collect();
        let inside = |name: &&Name| name.key.chars().count() >= 2 && from_each_word.iter().any(|rest| rest.starts_with(&name.key));
        if let Some(found) = best(&mut self.names.iter().filter(inside)) {
            return Ok(found);
        }
        if let Some(stem) = wanted.strip_suffix('동').or_else(|| wanted.strip_suffix('역')) {
            if let Some(found) = best(&mut self.names.iter().filter(|name| name.key == stem)) {
                return Ok(found);
            }
        }
        Err(self.suggest(&wanted))
    }

    fn target(&self, target: Target) -> Resolved<'_> {
        match target {
            Target::Place(i) => Resolved::Place(&self.places[i]),
            Target::Spot(i) => Resolved::Spot(&self.spots[i]),
            Target::Area(i) => Resolved::Area(&self.areas[i]),
            Target::City(i) => Resolved::City(&self.cities[i]),
        }
    }

    /// Every name of every record, as a key, for [`Catalogue::resolve`].
    pub(super) fn index_names(&mut self) {
        let mut names = Vec::new();
        let mut add = |text: &str, target: Target| {
            let key = key(text);
            if !key.is_empty() {
                names.push(Name { jamo: jamo(&key), key, target });
            }
        };
        for (i, place) in self.places.iter().enumerate() {
            [&place.ko, &place.en].into_iter().chain(&place.aliases).for_each(|n| add(n, Target::Place(i)));
        }
        for (i, spot) in self.spots.iter().enumerate() {
            [&spot.ko, &spot.en].into_iter().chain(&spot.aliases).for_each(|n| add(n, Target::Spot(i)));
        }
        for (i, area) in self.areas.iter().enumerate() {
            [&area.ko, &area.en].into_iter().chain(&area.aliases).for_each(|n| add(n, Target::Area(i)));
        }
        for (i, city) in self.cities.iter().enumerate() {
            [&city.ko, &city.en].into_iter().chain(&city.aliases).for_each(|n| add(n, Target::City(i)));
        }
        self.names = names;
    }

    /// Up to three names close to what was typed: spelling (Hangul compared by jamo, so one
    /// wrong vowel is a small edit), weighed towards areas and cities, which are what most
    /// people mean, and among areas towards the well-stocked ones.
    fn suggest(&self, wanted: &str) -> Vec<String> {
        let wanted_jamo = jamo(wanted);
        let weight = |target: Target| match target {
            Target::City(_) => 0.06,
            Target::Area(i) => 0.04 + (self.areas[i].places.len().min(40) as f64) / 1_000.0,
            Target::Spot(_) => 0.02,
            Target::Place(_) => 0.0,
        };
        let mut scored: Vec<(f64, Target)> = self
            .names
            .iter()
            .filter_map(|name| {
                let similarity = strsim::normalized_levenshtein(&wanted_jamo, &name.jamo);
                (similarity >= 0.5).then(|| (similarity + weight(name.target), name.target))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut suggestions: Vec<String> = Vec::new();
        let mut targets = Vec::new();
        for (_, target) in scored {
            if !targets.contains(&target) {
                targets.push(target);
                suggestions.push(display_name(&self.target(target)).to_owned());
            }
            if suggestions.len() == 3 {
                break;
            }
        }
        suggestions
    }
}

/// A name of a record, ready for lookup.
#[derive(Debug)]
struct Name {
    key: String,
    jamo: String,
    target: Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Place(usize),
    Spot(usize),
    Area(usize),
    City(usize),
}

impl Target {
    /// Higher is more specific.
    fn specificity(self) -> u8 {
        match self {
            Target::Place(_) => 3,
            Target::Spot(_) => 2,
            Target::Area(_) => 1,
            Target::City(_) => 0,
        }
    }
}

/// The name to suggest for a target: its Korean name, shortest form for areas (성수 for 성수·서울숲).
fn display_name<'a>(target: &Resolved<'a>) -> &'a str {
    match target {
        Resolved::Place(p) => &p.ko,
        Resolved::Spot(s) => &s.ko,
        Resolved::Area(a) => a.aliases.first().map_or(&a.ko, |alias| alias.as_str()),
        Resolved::City(c) => &c.ko,
    }
}

/// The text from each of its words on: "부산 해운대 근처", "해운대 근처", "근처".
fn word_starts(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices()
        .filter(|&(i, c)| c.is_alphanumeric() && text[..i].chars().next_back().is_none_or(|before| !before.is_alphanumeric()))
        .map(|(i, _)| &text[i..])
}

/// Lower-cased letters and digits only: "Seoul Forest" and "seoulforest" are the same name.
pub fn key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Hangul syllables decomposed into their jamo, so one wrong vowel is a small edit.
fn jamo(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for c in text.chars() {
        let code = c as u32;
        if (0xAC00..=0xD7A3).contains(&code) {
            let index = code - 0xAC00;
            out.push(char::from_u32(0x1100 + index / 588).unwrap());
            out.push(char::from_u32(0x1161 + (index % 588) / 28).unwrap());
            if !index.is_multiple_of(28) {
                out.push(char::from_u32(0x11A7 + index % 28).unwrap());
            }
        } else {
            out.push(c);
        }
    }
    out
}
