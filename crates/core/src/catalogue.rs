//! The catalogue of real, long-lived places fyd plans with, compiled into the binary from
//! `data/catalogue.txt`, and the lookup from what a couple typed to an area or a city.
//!
//! File format (one record a line, `|`-separated, `#` comments):
//! - `city|id|한국어|English|alias,alias…`
//! - `area|city id|id|한국어|English|lat|lon|alias,alias…`
//! - a place, belonging to the area above it:
//!   `id|한국어|English|category|in/out|lat|lon|hours|closed|stay|price|seasons|설명|description`
//!   with hours `HH:MM-HH:MM` (a close before the open runs past midnight) or `24h`; closed
//!   weekdays `mon,tue…` or `-`; stay in minutes; price 0–3; seasons `spring,fall…`, `all` or `-`.

use std::sync::LazyLock;

use jiff::civil::Weekday;

use crate::course::Season;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Meal,
    Cafe,
    Walk,
    Sight,
    Culture,
    NightView,
    Activity,
    Shopping,
    Bar,
}

impl Category {
    pub fn code(self) -> &'static str {
        match self {
            Self::Meal => "meal",
            Self::Cafe => "cafe",
            Self::Walk => "walk",
            Self::Sight => "sight",
            Self::Culture => "culture",
            Self::NightView => "nightview",
            Self::Activity => "activity",
            Self::Shopping => "shopping",
            Self::Bar => "bar",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [Self::Meal, Self::Cafe, Self::Walk, Self::Sight, Self::Culture, Self::NightView, Self::Activity, Self::Shopping, Self::Bar]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

#[derive(Debug)]
pub struct City {
    pub id: &'static str,
    pub ko: &'static str,
    pub en: &'static str,
    pub aliases: Vec<&'static str>,
    pub areas: Vec<usize>,
}

#[derive(Debug)]
pub struct Area {
    pub id: &'static str,
    pub city: usize,
    pub ko: &'static str,
    pub en: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub aliases: Vec<&'static str>,
    pub places: Vec<usize>,
}

#[derive(Debug)]
pub struct Place {
    pub id: &'static str,
    pub area: usize,
    pub ko: &'static str,
    pub en: &'static str,
    pub category: Category,
    pub indoor: bool,
    pub lat: f64,
    pub lon: f64,
    /// Minutes after midnight; `close` may pass 1440 for places open past midnight.
    pub open: u16,
    pub close: u16,
    pub closed_on: Vec<Weekday>,
    /// Typical visit in minutes.
    pub stay: u16,
    pub price: u8,
    pub seasons: Vec<Season>,
    pub desc_ko: &'static str,
    pub desc_en: &'static str,
}

impl Place {
    pub fn position(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }

    /// Open for the whole of `[from, to)` (minutes after midnight).
    pub fn open_during(&self, from: u16, to: u16) -> bool {
        from >= self.open && to <= self.close
    }

    pub fn shines_in(&self, season: Season) -> bool {
        self.seasons.contains(&season)
    }
}

#[derive(Debug)]
pub struct Catalogue {
    pub cities: Vec<City>,
    pub areas: Vec<Area>,
    pub places: Vec<Place>,
}

static CATALOGUE: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::parse(include_str!("../data/catalogue.txt")).unwrap_or_else(|e| panic!("catalogue.txt: {e}")));

/// The built-in catalogue (parsed once, on first use).
pub fn catalogue() -> &'static Catalogue {
    &CATALOGUE
}

impl Catalogue {
    pub fn parse(text: &'static str) -> Result<Self, String> {
        let mut catalogue = Catalogue { cities: Vec::new(), areas: Vec::new(), places: Vec::new() };
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            catalogue.parse_line(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        }
        Ok(catalogue)
    }

    fn parse_line(&mut self, line: &'static str) -> Result<(), String> {
        let fields: Vec<&'static str> = line.split('|').map(str::trim).collect();
        let aliases = |text: &'static str| text.split(',').map(str::trim).filter(|a| !a.is_empty()).collect();
        match fields.as_slice() {
            ["city", id, ko, en, alias_list] => {
                self.cities.push(City { id, ko, en, aliases: aliases(alias_list), areas: Vec::new() });
            }
            ["area", city, id, ko, en, lat, lon, alias_list] => {
                let city_index = self.cities.iter().position(|c| c.id == *city).ok_or(format!("unknown city {city}"))?;
                self.cities[city_index].areas.push(self.areas.len());
                self.areas.push(Area {
                    id,
                    city: city_index,
                    ko,
                    en,
                    lat: number(lat)?,
                    lon: number(lon)?,
                    aliases: aliases(alias_list),
                    places: Vec::new(),
                });
            }
            [id, ko, en, category, io, lat, lon, hours, closed, stay, price, seasons, desc_ko, desc_en] => {
                let area = self.areas.len().checked_sub(1).ok_or("a place before any area")?;
                let (open, close) = parse_hours(hours)?;
                self.areas[area].places.push(self.places.len());
                self.places.push(Place {
                    id,
                    area,
                    ko,
                    en,
                    category: Category::parse(category).ok_or(format!("unknown category {category}"))?,
                    indoor: match *io {
                        "in" => true,
                        "out" => false,
                        other => return Err(format!("in/out expected, got {other}")),
                    },
                    lat: number(lat)?,
                    lon: number(lon)?,
                    open,
                    close,
                    closed_on: parse_weekdays(closed)?,
                    stay: stay.parse().map_err(|_| format!("bad stay {stay}"))?,
                    price: price.parse().map_err(|_| format!("bad price {price}"))?,
                    seasons: parse_seasons(seasons)?,
                    desc_ko,
                    desc_en,
                });
            }
            _ => return Err(format!("cannot read {line:?}")),
        }
        Ok(())
    }

    pub fn place(&self, id: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }

    pub fn places_of<'a>(&'a self, area: &'a Area) -> impl Iterator<Item = &'a Place> + 'a {
        area.places.iter().map(|&i| &self.places[i])
    }

    /// What a couple's place text names: an area, a city, or nothing (with the closest names).
    pub fn resolve(&self, text: &str) -> Result<Resolved<'_>, Vec<String>> {
        let wanted = key(text);
        if wanted.is_empty() {
            return Err(Vec::new());
        }
        let names = self.names();
        if let Some((_, target)) = names.iter().find(|(name, _)| key(name) == wanted) {
            return Ok(*target);
        }
        // "부산 해운대 근처" names 해운대: the longest name found inside the text wins, and an
        // area beats the city it is in.
        let contained = names
            .iter()
            .filter(|(name, _)| key(name).chars().count() >= 2 && wanted.contains(&key(name)))
            .max_by_key(|(name, target)| (key(name).chars().count(), matches!(target, Resolved::Area(_))));
        if let Some((_, target)) = contained {
            return Ok(*target);
        }
        if let Some(stem) = wanted.strip_suffix('동').or_else(|| wanted.strip_suffix('역')) {
            if let Some((_, target)) = names.iter().find(|(name, _)| key(name) == stem) {
                return Ok(*target);
            }
        }
        Err(self.suggest(&wanted, &names))
    }

    fn names(&self) -> Vec<(&'static str, Resolved<'_>)> {
        let areas =
            self.areas.iter().flat_map(|a| [a.ko, a.en].into_iter().chain(a.aliases.iter().copied()).map(move |n| (n, Resolved::Area(a))));
        let cities =
            self.cities.iter().flat_map(|c| [c.ko, c.en].into_iter().chain(c.aliases.iter().copied()).map(move |n| (n, Resolved::City(c))));
        areas.chain(cities).collect()
    }

    /// Up to three names close to what was typed (typo-tolerant; Hangul compared by jamo).
    fn suggest(&self, wanted: &str, names: &[(&'static str, Resolved<'_>)]) -> Vec<String> {
        let wanted_jamo = jamo(wanted);
        let mut scored: Vec<(f64, &'static str, String)> = names
            .iter()
            .map(|(name, target)| (strsim::normalized_levenshtein(&wanted_jamo, &jamo(&key(name))), *name, target.label()))
            .filter(|(score, _, _)| *score >= 0.5)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut suggestions: Vec<String> = Vec::new();
        let mut targets = Vec::new();
        for (_, name, target) in scored {
            if !targets.contains(&target) {
                targets.push(target);
                suggestions.push(name.to_owned());
            }
            if suggestions.len() == 3 {
                break;
            }
        }
        suggestions
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Resolved<'a> {
    Area(&'a Area),
    City(&'a City),
}

impl Resolved<'_> {
    fn label(&self) -> String {
        match self {
            Resolved::Area(a) => format!("area:{}", a.id),
            Resolved::City(c) => format!("city:{}", c.id),
        }
    }
}

/// Lower-cased letters and digits only: "Seoul Forest" and "seoulforest" are the same name.
fn key(text: &str) -> String {
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

fn number(text: &str) -> Result<f64, String> {
    text.parse().map_err(|_| format!("bad number {text}"))
}

fn parse_hours(text: &str) -> Result<(u16, u16), String> {
    if text == "24h" {
        return Ok((0, 1440));
    }
    let (open, close) = text.split_once('-').ok_or(format!("bad hours {text}"))?;
    let read = |t: &str| crate::course::parse_hhmm(t).ok_or(format!("bad time {t}"));
    let (open, mut close) = (read(open)?, read(close)?);
    if close <= open {
        close += 1440;
    }
    Ok((open, close))
}

fn parse_weekdays(text: &str) -> Result<Vec<Weekday>, String> {
    if text == "-" {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|day| match day.trim() {
            "mon" => Ok(Weekday::Monday),
            "tue" => Ok(Weekday::Tuesday),
            "wed" => Ok(Weekday::Wednesday),
            "thu" => Ok(Weekday::Thursday),
            "fri" => Ok(Weekday::Friday),
            "sat" => Ok(Weekday::Saturday),
            "sun" => Ok(Weekday::Sunday),
            other => Err(format!("bad weekday {other}")),
        })
        .collect()
}

fn parse_seasons(text: &str) -> Result<Vec<Season>, String> {
    match text {
        "-" => Ok(Vec::new()),
        "all" => Ok(vec![Season::Spring, Season::Summer, Season::Fall, Season::Winter]),
        _ => text.split(',').map(|s| crate::request::parse_season(s).map_err(|_| format!("bad season {s}"))).collect(),
    }
}
