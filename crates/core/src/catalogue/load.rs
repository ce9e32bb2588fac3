//! Reading catalogue files.
//!
//! Each file holds one kind of record, told by its header row: `|`-separated values (read by
//! the `csv` crate; no quoting, `#` starts a comment line, spaces around fields are trimmed).
//! Lists inside a field (aliases, seasons, tags) are `,`-separated; an empty field or `-` is
//! an empty value.
//!
//! ```text
//! id|ko|en|aliases                                                       cities
//! id|city|ko|en|lat|lon|aliases                                          areas
//! id|area|ko|en|lat|lon|aliases                                          spots (stations, landmarks)
//! id|area|ko|en|aliases|category|setting|lat|lon|hours|last_entry|stay|price|seasons|tags|within|checked|note|desc_ko|desc_en
//!                                                                        places
//! ```
//!
//! Place fields: `category` one of meal, cafe, bar, walk, sight, culture, nightview, activity,
//! shopping; `setting` `in` or `out`; `hours` in OpenStreetMap's opening_hours
//! syntax ([`super::hours`]); `last_entry` minutes before closing that entry stops; `stay` the
//! typical visit in minutes (15–300); `price` 0–3; `seasons` when it shines (`spring,fall`,
//! `all`, `-`); `tags` from far, memorial, alcohol, brunch, highlight, car, sunset, daylight, climb; `within` the id of
//! the place it is inside; `checked` the year its facts were last checked; `note` what is
//! uncertain. Files are applied in order: a record whose id is already known replaces it.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Area, Catalogue, Category, City, Hours, Place, Spot, Tags};
use crate::course::Season;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct CatalogueError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

const CITY_HEADER: &[&str] = &["id", "ko", "en", "aliases"];
const AREA_HEADER: &[&str] = &["id", "city", "ko", "en", "lat", "lon", "aliases"];
const SPOT_HEADER: &[&str] = &["id", "area", "ko", "en", "lat", "lon", "aliases"];
const PLACE_HEADER: &[&str] = &[
    "id",
    "area",
    "ko",
    "en",
    "aliases",
    "category",
    "setting",
    "lat",
    "lon",
    "hours",
    "last_entry",
    "stay",
    "price",
    "seasons",
    "tags",
    "within",
    "checked",
    "note",
    "desc_ko",
    "desc_en",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    City,
    Area,
    Spot,
    Place,
}

/// One record as read, with where it came from.
struct Record {
    file: String,
    line: u64,
    fields: Vec<String>,
}

impl Record {
    fn error(&self, message: impl Into<String>) -> CatalogueError {
        CatalogueError { file: self.file.clone(), line: self.line, message: message.into() }
    }

    fn text(&self, index: usize) -> String {
        self.fields[index].clone()
    }

    fn list(&self, index: usize) -> Vec<String> {
        match self.fields[index].as_str() {
            "" | "-" => Vec::new(),
            text => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        }
    }

    fn number<T: std::str::FromStr>(&self, index: usize, name: &str) -> Result<T, CatalogueError> {
        self.fields[index].parse().map_err(|_| self.error(format!("{name} {:?} is not a number", self.fields[index])))
    }

    fn coordinates(&self, lat: usize, lon: usize) -> Result<(f64, f64), CatalogueError> {
        let (lat, lon): (f64, f64) = (self.number(lat, "lat")?, self.number(lon, "lon")?);
        if !(33.0..38.7).contains(&lat) || !(124.5..131.0).contains(&lon) {
            return Err(self.error(format!("{lat},{lon} is not in South Korea")));
        }
        Ok((lat, lon))
    }

    fn id(&self) -> Result<String, CatalogueError> {
        let id = self.text(0);
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(self.error(format!("id {id:?} must be lower-case ASCII letters, digits and dashes")));
        }
        Ok(id)
    }

    fn names(&self, ko: usize, en: usize) -> Result<(String, String), CatalogueError> {
        let (ko, en) = (self.text(ko), self.text(en));
        if !ko.chars().any(|c| ('가'..='힣').contains(&c)) {
            return Err(self.error(format!("Korean name {ko:?} has no Hangul")));
        }
        if en.is_empty() || en.chars().any(|c| ('가'..='힣').contains(&c)) {
            return Err(self.error(format!("English name {en:?} must be non-empty and without Hangul")));
        }
        Ok((ko, en))
    }
}

/// Reads every file in order and builds the catalogue.
pub(super) fn load<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> Result<Catalogue, CatalogueError> {
    let mut records: HashMap<u8, Vec<Record>> = HashMap::new();
    let mut seen: HashMap<(u8, String), usize> = HashMap::new();
    for (name, text) in files {
        let (kind, file_records) = read_file(name, text)?;
        let slot = kind as u8;
        for record in file_records {
            let id = record.id()?;
            let list = records.entry(slot).or_default();
            match seen.get(&(slot, id.clone())) {
                // A later file overrides; within one file an id may appear once.
                Some(&at) if list[at].file == record.file => {
                    return Err(record.error(format!("id {id} appears twice (also line {})", list[at].line)));
                }
                Some(&at) => list[at] = record,
                None => {
                    seen.insert((slot, id), list.len());
                    list.push(record);
                }
            }
        }
    }
    let mut take = |kind: Kind| records.remove(&(kind as u8)).unwrap_or_default();
    let (cities, areas, spots, places) = (take(Kind::City), take(Kind::Area), take(Kind::Spot), take(Kind::Place));
    let mut catalogue = Catalogue::default();
    for record in &cities {
        let (ko, en) = record.names(1, 2)?;
        catalogue.cities.push(City { id: record.id()?, ko, en, aliases: record.list(3), areas: Vec::new() });
    }
    for record in &areas {
        let city = record.text(1);
        let city = catalogue.cities.iter().position(|c| c.id == city).ok_or_else(|| record.error(format!("unknown city {city}")))?;
        let (ko, en) = record.names(2, 3)?;
        let (lat, lon) = record.coordinates(4, 5)?;
        catalogue.cities[city].areas.push(catalogue.areas.len());
        catalogue.areas.push(Area {
            id: record.id()?,
            city,
            ko,
            en,
            lat,
            lon,
            aliases: record.list(6),
            places: Vec::new(),
            spots: Vec::new(),
        });
    }
    let area_of = |record: &Record, catalogue: &Catalogue| {
        let area = record.text(1);
        catalogue.areas.iter().position(|a| a.id == area).ok_or_else(|| record.error(format!("unknown area {area}")))
    };
    for record in &spots {
        let area = area_of(record, &catalogue)?;
        let (ko, en) = record.names(2, 3)?;
        let (lat, lon) = record.coordinates(4, 5)?;
        catalogue.areas[area].spots.push(catalogue.spots.len());
        catalogue.spots.push(Spot { id: record.id()?, area, ko, en, lat, lon, aliases: record.list(6) });
    }
    // Places share parsed hours: a quarter as many distinct texts as places, each parsed,
    // checked and worked out per season once (and held once in memory).
    let mut hours: HashMap<&str, Arc<Hours>> = HashMap::new();
    for record in &places {
        let area = area_of(record, &catalogue)?;
        let text = record.fields[9].as_str();
        let shared = match hours.get(text) {
            Some(parsed) => parsed.clone(),
            None => {
                let parsed = Arc::new(Hours::parse(text).map_err(|e| record.error(e))?);
                hours.insert(text, parsed.clone());
                parsed
            }
        };
        let place = read_place(record, area, shared)?;
        catalogue.areas[area].places.push(catalogue.places.len());
        catalogue.places.push(place);
    }
    for (index, record) in places.iter().enumerate() {
        let within = record.text(15);
        if within.is_empty() || within == "-" {
            continue;
        }
        let outer = catalogue.places.iter().position(|p| p.id == within).ok_or_else(|| record.error(format!("unknown place {within}")))?;
        if catalogue.places[outer].within.is_some() || outer == index {
            return Err(record.error(format!("{within} cannot hold another place (it is inside one, or it is this one)")));
        }
        catalogue.places[index].within = Some(outer);
    }
    catalogue.find_sites();
    catalogue.find_brands();
    catalogue.index_names();
    Ok(catalogue)
}

fn read_file(name: &str, text: &str) -> Result<(Kind, Vec<Record>), CatalogueError> {
    let error = |line: u64, message: String| CatalogueError { file: name.to_owned(), line, message };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'|')
        .comment(Some(b'#'))
        .quoting(false)
        .trim(csv::Trim::All)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let mut lines = Lines { text, counted_to: 0, newlines: 0 };
    let header = match rows.next() {
        Some(Ok(header)) => header,
        Some(Err(err)) => return Err(error(err.position().map_or(0, |p| lines.at(p)), err.to_string())),
        None => return Err(error(1, "the file is empty; it needs a header row".into())),
    };
    let header_line = header.position().map_or(1, |p| lines.at(p));
    let columns: Vec<&str> = header.iter().collect();
    let kind = [(CITY_HEADER, Kind::City), (AREA_HEADER, Kind::Area), (SPOT_HEADER, Kind::Spot), (PLACE_HEADER, Kind::Place)]
        .into_iter()
        .find(|(expected, _)| *expected == columns.as_slice())
        .map(|(_, kind)| kind)
        .ok_or_else(|| {
            error(
                header_line,
                format!(
                    "the header {:?} is none of the catalogue's: cities {}, areas {}, spots {}, places {}",
                    columns.join("|"),
                    CITY_HEADER.join("|"),
                    AREA_HEADER.join("|"),
                    SPOT_HEADER.join("|"),
                    PLACE_HEADER.join("|")
                ),
            )
        })?;
    let mut records = Vec::new();
    for row in rows {
        let row = row.map_err(|err| error(err.position().map_or(0, |p| lines.at(p)), err.to_string()))?;
        let line = row.position().map_or(0, |p| lines.at(p));
        if row.len() != columns.len() {
            return Err(error(line, format!("expected {} fields separated by |, found {}", columns.len(), row.len())));
        }
        records.push(Record { file: name.to_owned(), line, fields: row.iter().map(str::to_owned).collect() });
    }
    Ok((kind, records))
}

/// Line numbers of a file's records, counting comment lines too: the `csv` crate's own line
/// count skips them, and its byte position points at the comments before the record, either of
/// which would send an editor to the wrong line. Rows come in order, so newlines are counted
/// once, as the reader moves on.
struct Lines<'t> {
    text: &'t str,
    counted_to: usize,
    newlines: usize,
}

impl Lines<'_> {
    fn at(&mut self, position: &csv::Position) -> u64 {
        let byte = (position.byte() as usize).min(self.text.len());
        if byte < self.counted_to {
            (self.counted_to, self.newlines) = (0, 0);
        }
        self.newlines += self.text.as_bytes()[self.counted_to..byte].iter().filter(|b| **b == b'\n').count();
        self.counted_to = byte;
        let skipped = self.text[byte..].lines().take_while(|line| line.trim().is_empty() || line.trim_start().starts_with('#')).count();
        (self.newlines + skipped) as u64 + 1
    }
}

fn read_place(record: &Record, area: usize, hours: Arc<Hours>) -> Result<Place, CatalogueError> {
    let (ko, en) = record.names(2, 3)?;
    let category = record.text(5);
    let category = match Category::parse(&category) {
        Some(Category::Sunset) => return Err(record.error("sunset is a tag (a place known for its sunset), not a category")),
        Some(category) => category,
        None => return Err(record.error(format!("unknown category {category}"))),
    };
    let indoor = match record.fields[6].as_str() {
        "in" => true,
        "out" => false,
        other => return Err(record.error(format!("setting must be in or out, not {other:?}"))),
    };
    let (lat, lon) = record.coordinates(7, 8)?;
    let last_entry: u16 = record.number(10, "last_entry")?;
    let stay: u16 = record.number(11, "stay")?;
    if !(15..=300).contains(&stay) {
        return Err(record.error(format!("stay {stay} must be 15 to 300 minutes")));
    }
    let price: u8 = record.number(12, "price")?;
    if price > 3 {
        return Err(record.error(format!("price {price} must be 0 to 3")));
    }
    let seasons = match record.fields[13].as_str() {
        "all" => vec![Season::Spring, Season::Summer, Season::Fall, Season::Winter],
        _ => record
            .list(13)
            .iter()
            .map(|s| crate::request::parse_season(s).map_err(|_| record.error(format!("unknown season {s}"))))
            .collect::<Result<_, _>>()?,
    };
    let mut tags = Tags::default();
    for tag in record.list(14) {
        if !tags.set(&tag) {
            return Err(record.error(format!("unknown tag {tag} (known: {})", Tags::NAMES.join(", "))));
        }
    }
    let checked: u16 = record.number(16, "checked")?;
    if !(2000..=2100).contains(&checked) {
        return Err(record.error(format!("checked {checked} must be a year")));
    }
    let (desc_ko, desc_en) = (record.text(18), record.text(19));
    if !desc_ko.chars().any(|c| ('가'..='힣').contains(&c)) || desc_en.is_empty() || desc_en.chars().any(|c| ('가'..='힣').contains(&c))
    {
        return Err(record.error("desc_ko must be Korean and desc_en English"));
    }
    Ok(Place {
        id: record.id()?,
        area,
        ko,
        en,
        aliases: record.list(4),
        category,
        indoor,
        lat,
        lon,
        hours,
        last_entry,
        stay,
        price,
        seasons,
        tags,
        within: None,
        site: 0,
        brand: 0,
        checked,
        note: if record.fields[17] == "-" { String::new() } else { record.text(17) },
        desc_ko,
        desc_en,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY: &str = "id|ko|en|aliases\nseoul|서울|Seoul|서울시\n";
    const AREA: &str = "id|city|ko|en|lat|lon|aliases\nseongsu|seoul|성수|Seongsu|37.544|127.05|성수동\n";
    const HEAD: &str =
        "id|area|ko|en|aliases|category|setting|lat|lon|hours|last_entry|stay|price|seasons|tags|within|checked|note|desc_ko|desc_en\n";

    fn place(line: &str) -> Result<Catalogue, CatalogueError> {
        let places = format!("{HEAD}{line}\n");
        load([("cities", CITY), ("areas", AREA), ("places.csv", places.as_str())].into_iter())
    }

    #[test]
    fn a_good_place_reads_and_bad_ones_say_where_and_what() {
        let good =
            "seoul-forest|seongsu|서울숲|Seoul Forest|-|walk|out|37.5444|127.0374|24/7|0|90|0|spring,fall|-|-|2025|-|도심 숲|A city forest";
        let catalogue = place(good).unwrap();
        assert_eq!(catalogue.places[0].stay, 90);
        for (bad, says) in [
            (good.replace("walk", "stroll"), "unknown category stroll"),
            (good.replace("24/7", "sometimes"), "opening_hours"),
            (good.replace("37.5444", "48.85"), "not in South Korea"),
            (good.replace("|seongsu|", "|mars|"), "unknown area mars"),
            (good.replace("|-|-|2025", "|dance|-|2025"), "unknown tag dance"),
            (good.replace("|out|", "|out|x|"), "expected 20 fields"),
        ] {
            let err = place(&bad).unwrap_err();
            assert_eq!((err.file.as_str(), err.line), ("places.csv", 2), "{bad}");
            assert!(err.to_string().contains(says), "{err}");
            let commented = place(&format!("# a comment\n\n{bad}")).unwrap_err();
            assert_eq!(commented.line, 4, "comment and blank lines count: {commented}");
        }
    }

    #[test]
    fn a_later_file_overrides_by_id_and_a_header_tells_the_kind() {
        let base = format!("{HEAD}a|seongsu|가게|Shop|-|meal|in|37.544|127.05|Mo-Su 11:00-21:00|0|60|1|all|-|-|2025|-|식당|A restaurant\n");
        let late = format!("{HEAD}a|seongsu|가게|Shop|-|meal|in|37.544|127.05|Mo-Su 11:00-23:00|0|60|1|all|-|-|2026|-|식당|A restaurant\n");
        let catalogue = load([("c", CITY), ("a", AREA), ("base", base.as_str()), ("operator", late.as_str())].into_iter()).unwrap();
        assert_eq!(catalogue.places.len(), 1);
        assert_eq!(catalogue.places[0].checked, 2026);
        let err = load([("odd", "name|where\nx|y\n")].into_iter()).unwrap_err();
        assert!(err.to_string().starts_with("odd:1: the header"), "{err}");
    }
}
