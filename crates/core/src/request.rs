//! Reading what a couple typed: times ("오후 4시 30분", "4시 반", "16:00", "16", "2pm"), seasons
//! (spring/봄 …), transports (walk/도보, public/대중교통, myCar/자차 …), dates, and the whole
//! recommendation request, with a clear message for anything else.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::course::{Season, Transport, MAX_PLACE_CHARS};
use crate::fields::FieldErrors;
use crate::rules::LATEST_END;
/// The shortest window fyd plans (one good stop and a little more).
pub const MIN_WINDOW_MINUTES: u16 = 60;
pub const MAX_VARIANT: u32 = 1_000_000;

/// A time of day as typed, in minutes after midnight (0..=1440; 1440 is 자정, the day's end).
/// `ambiguous` marks a bare hour like "4시" or "4" that may mean afternoon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime {
    pub minutes: u16,
    pub ambiguous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("Write a time like 오후 2시, 오후 2시 30분, 4시 반, 14:00, 14 or 2pm.")]
    Time,
    #[error("Use spring, summer, fall or winter (봄, 여름, 가을, 겨울).")]
    Season,
    #[error("Use walk, public or myCar (도보, 대중교통, 자차).")]
    Transport,
    #[error("Use a date like 2026-04-05.")]
    Date,
    #[error("Use ko or en.")]
    Lang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ko,
    En,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Meridiem {
    Am,
    Pm,
    /// 밤 (night): "밤 12시" is midnight at the end of the day, "밤 2시" is 02:00.
    Night,
}

pub fn parse_time(text: &str) -> Result<ClockTime, InputError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let fixed = |minutes| Ok(ClockTime { minutes, ambiguous: false });
    match compact.as_str() {
        "정오" | "noon" | "낮12시" => return fixed(720),
        "자정" | "midnight" | "밤12시" => return fixed(1440),
        _ => {}
    }
    let mut rest = compact.as_str();
    let mut meridiem = None;
    for (word, m) in [
        ("오전", Meridiem::Am),
        ("아침", Meridiem::Am),
        ("새벽", Meridiem::Am),
        ("오후", Meridiem::Pm),
        ("저녁", Meridiem::Pm),
        ("낮", Meridiem::Pm),
        ("밤", Meridiem::Night),
    ] {
        if let Some(stripped) = rest.strip_prefix(word) {
            meridiem = Some(m);
            rest = stripped;
            break;
        }
    }
    if meridiem.is_none() {
        for (word, m) in [("am", Meridiem::Am), ("pm", Meridiem::Pm), ("a.m.", Meridiem::Am), ("p.m.", Meridiem::Pm)] {
            if let Some(stripped) = rest.strip_suffix(word) {
                meridiem = Some(m);
                rest = stripped;
                break;
            }
        }
    }
    let (hour_text, minute) = split_hour_minute(rest).ok_or(InputError::Time)?;
    let hour: u16 = parse_number(hour_text, 2).ok_or(InputError::Time)?;
    let padded = hour_text.len() == 2 && hour_text.starts_with('0');
    let minutes = match meridiem {
        None if hour <= 24 => hour * 60 + minute,
        Some(Meridiem::Am) if hour <= 12 => (hour % 12) * 60 + minute,
        Some(Meridiem::Pm) if (1..=12).contains(&hour) => (hour % 12 + 12) * 60 + minute,
        Some(Meridiem::Night) if (1..=12).contains(&hour) => match hour {
            12 => 1440 + minute,
            1..=5 => hour * 60 + minute,
            _ => (hour + 12) * 60 + minute,
        },
        _ => return Err(InputError::Time),
    };
    if minutes > 1440 {
        return Err(InputError::Time);
    }
    let ambiguous = meridiem.is_none() && (1..=11).contains(&hour) && !padded && !rest.contains(':');
    Ok(ClockTime { minutes, ambiguous })
}

/// "14:30" → ("14", 30); "2시30분" / "2시반" / "2시" → ("2", …); "14" → ("14", 0).
fn split_hour_minute(text: &str) -> Option<(&str, u16)> {
    if let Some((hour, minute)) = text.split_once(':') {
        return (minute.len() == 2).then(|| parse_number(minute, 2).filter(|m| *m < 60).map(|m| (hour, m))).flatten();
    }
    if let Some((hour, rest)) = text.split_once('시') {
        let minute = match rest {
            "" | "정각" => 0,
            "반" => 30,
            _ => parse_number(rest.strip_suffix('분')?, 2).filter(|m| *m < 60)?,
        };
        return Some((hour, minute));
    }
    Some((text, 0))
}

fn parse_number(text: &str, max_digits: usize) -> Option<u16> {
    (!text.is_empty() && text.len() <= max_digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

/// The couple's window in minutes after the date's midnight. Bare hours lean to the afternoon,
/// and an end at or before the start is read twelve hours later when that makes sense ("2시 ~
/// 9시" is 14:00–21:00), else as the next morning when it is by 새벽 2시 (20:00 to 01:00 ends at
/// 1500).
pub fn resolve_window(start: ClockTime, end: ClockTime) -> Result<(u16, u16), &'static str> {
    let mut from = start.minutes;
    if start.ambiguous && from < 8 * 60 {
        from += 720;
    }
    let mut to = if end.minutes == 0 { 1440 } else { end.minutes };
    if end.ambiguous && (to < 8 * 60 || to <= from) && to + 720 <= 1440 && to + 720 > from {
        to += 720;
    }
    if from >= 1440 {
        return Err("A date cannot start at midnight; pick an earlier start.");
    }
    if to <= from && to + 1440 <= LATEST_END {
        to += 1440;
    }
    if to <= from {
        return Err("The end must come after the start (새벽 2시 at the latest).");
    }
    if to - from < MIN_WINDOW_MINUTES {
        return Err("Give the date at least an hour.");
    }
    Ok((from, to))
}

pub fn parse_season(text: &str) -> Result<Season, InputError> {
    match text.trim().to_lowercase().as_str() {
        "spring" | "봄" => Ok(Season::Spring),
        "summer" | "여름" => Ok(Season::Summer),
        "fall" | "autumn" | "가을" => Ok(Season::Fall),
        "winter" | "겨울" => Ok(Season::Winter),
        _ => Err(InputError::Season),
    }
}

pub fn parse_transport(text: &str) -> Result<Transport, InputError> {
    match text.trim().to_lowercase().replace([' ', '_', '-'], "").as_str() {
        "walk" | "walking" | "foot" | "onfoot" | "도보" | "걸어서" | "걷기" | "뚜벅이" => Ok(Transport::Walk),
        "public" | "transit" | "publictransport" | "subway" | "bus" | "대중교통" | "지하철" | "버스" => Ok(Transport::Public),
        "mycar" | "car" | "drive" | "driving" | "자차" | "차" | "자동차" | "운전" => Ok(Transport::Car),
        _ => Err(InputError::Transport),
    }
}

pub fn parse_date(text: &str) -> Result<Date, InputError> {
    let text = text.trim();
    if text.len() != 10 {
        return Err(InputError::Date);
    }
    text.parse::<Date>().map_err(|_| InputError::Date)
}

pub fn parse_lang(text: &str) -> Result<Lang, InputError> {
    match text.trim().to_lowercase().as_str() {
        "ko" | "kr" | "korean" | "한국어" => Ok(Lang::Ko),
        "en" | "english" | "영어" => Ok(Lang::En),
        _ => Err(InputError::Lang),
    }
}

/// Meteorological seasons, as Koreans count them.
pub fn season_of(date: Date) -> Season {
    match date.month() {
        3..=5 => Season::Spring,
        6..=8 => Season::Summer,
        9..=11 => Season::Fall,
        _ => Season::Winter,
    }
}

/// "오후 2시", "오전 11시 30분", "자정", "새벽 1시" — the form the old front sends, for the
/// question text.
pub fn korean_time(minutes: u16) -> String {
    if minutes == 1440 {
        return "자정".to_owned();
    }
    let next_morning = minutes > 1440;
    let minutes = minutes % 1440;
    let (hour, minute) = (minutes / 60, minutes % 60);
    let meridiem = if next_morning {
        "새벽"
    } else if hour < 12 {
        "오전"
    } else {
        "오후"
    };
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    match minute {
        0 => format!("{meridiem} {hour12}시"),
        m => format!("{meridiem} {hour12}시 {m}분"),
    }
}

/// The body of `POST /chat/chatbot/` as the old front sends it, plus fyd's optional fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object), oai(example, skip_serializing_if_is_none))]
pub struct RecommendRequest {
    /// Where: an area (성수, 홍대, 해운대…) or a city (서울, 부산); 1–50 characters.
    #[serde(rename = "datePlace")]
    #[cfg_attr(feature = "openapi", oai(rename = "datePlace", validator(min_length = 1, max_length = 50, pattern = r"\S")))]
    pub date_place: String,
    /// spring | summer | fall | winter (봄/여름/가을/겨울). Optional when `date` is given.
    #[serde(rename = "dateSeason", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(rename = "dateSeason"))]
    pub date_season: Option<String>,
    /// "오후 2시", "오후 2시 30분", "4시 반", "14:00", "14", "2pm".
    #[serde(rename = "dateStart")]
    #[cfg_attr(feature = "openapi", oai(rename = "dateStart"))]
    pub date_start: String,
    #[serde(rename = "dateEnd")]
    #[cfg_attr(feature = "openapi", oai(rename = "dateEnd"))]
    pub date_end: String,
    /// walk | public | myCar (도보/대중교통/자차).
    #[serde(rename = "dateTransport")]
    #[cfg_attr(feature = "openapi", oai(rename = "dateTransport"))]
    pub date_transport: String,
    /// YYYY-MM-DD: sets the weekday (closures) and, without `dateSeason`, the season.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// ko (default) or en.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Ask for a different course for the same input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<u32>,
    /// Store the course and return its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save: Option<bool>,
    /// A rainy day: indoor places only, where the area allows (the answer says where not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indoor: Option<bool>,
}

/// The request the API document shows, which contract fuzzing sends as it is.
#[cfg(feature = "openapi")]
impl poem_openapi::types::Example for RecommendRequest {
    fn example() -> Self {
        Self::new("성수", "fall", "오후 2시", "오후 9시", "walk")
    }
}

impl RecommendRequest {
    /// The old front's five fields; the optional ones left out.
    pub fn new(place: &str, season: &str, start: &str, end: &str, transport: &str) -> Self {
        Self {
            date_place: place.to_owned(),
            date_season: Some(season.to_owned()),
            date_start: start.to_owned(),
            date_end: end.to_owned(),
            date_transport: transport.to_owned(),
            ..Self::default()
        }
    }
}

/// A recommendation request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    pub place: String,
    pub season: Season,
    pub date: Option<Date>,
    pub start: u16,
    pub end: u16,
    pub transport: Transport,
    pub lang: Lang,
    pub variant: u32,
    /// Indoor places only, where the area allows.
    pub indoor: bool,
}

impl PlanRequest {
    pub fn weekday(&self) -> Option<Weekday> {
        self.date.map(|d| d.weekday())
    }
}

/// Checks every field and reports all problems at once, per field (contract names).
pub fn validate_recommend(request: &RecommendRequest) -> Result<PlanRequest, FieldErrors> {
    let mut errors = FieldErrors::new();
    let place = request.date_place.trim();
    if place.is_empty() {
        errors.add("datePlace", "This field may not be blank.");
    } else if place.chars().count() > MAX_PLACE_CHARS {
        errors.add("datePlace", format!("Ensure this field has no more than {MAX_PLACE_CHARS} characters."));
    }
    let date = present(&request.date).and_then(|d| record(&mut errors, "date", parse_date(d)));
    let season = match present(&request.date_season) {
        Some(text) => record(&mut errors, "dateSeason", parse_season(text)),
        None => match (date, present(&request.date)) {
            (Some(date), _) => Some(season_of(date)),
            (None, Some(_)) => None,
            (None, None) => {
                errors.add("dateSeason", "This field is required (or give a date).");
                None
            }
        },
    };
    let start = record(&mut errors, "dateStart", parse_time(&request.date_start));
    let end = record(&mut errors, "dateEnd", parse_time(&request.date_end));
    let window = match (start, end) {
        (Some(start), Some(end)) => resolve_window(start, end).map_err(|m| errors.add("dateEnd", m)).ok(),
        _ => None,
    };
    let transport = record(&mut errors, "dateTransport", parse_transport(&request.date_transport));
    let lang = match present(&request.lang) {
        Some(text) => record(&mut errors, "lang", parse_lang(text)),
        None => Some(Lang::Ko),
    };
    let variant = request.variant.unwrap_or(0);
    if variant > MAX_VARIANT {
        errors.add("variant", format!("Use a number from 0 to {MAX_VARIANT}."));
    }
    match (season, window, transport, lang) {
        (Some(season), Some((start, end)), Some(transport), Some(lang)) if errors.is_empty() => Ok(PlanRequest {
            place: place.to_owned(),
            season,
            date,
            start,
            end,
            transport,
            lang,
            variant,
            indoor: request.indoor.unwrap_or(false),
        }),
        _ => Err(errors),
    }
}

/// A text field that was actually given: not absent, not blank, and not the string "None"
/// that the old service passed on for missing values.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty() && *v != "None" && *v != "null")
}

fn record<T>(errors: &mut FieldErrors, field: &str, result: Result<T, InputError>) -> Option<T> {
    result.map_err(|err| errors.add(field, err.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn minutes(text: &str) -> u16 {
        parse_time(text).unwrap_or_else(|e| panic!("{text}: {e}")).minutes
    }

    #[test]
    fn reads_every_contract_time_form() {
        assert_eq!(minutes("오후 4시"), 16 * 60);
        assert_eq!(minutes("오후 4시 30분"), 16 * 60 + 30);
        assert_eq!(minutes("오후4시반"), 16 * 60 + 30);
        assert_eq!(minutes("4시 반"), 4 * 60 + 30);
        assert_eq!(minutes("16:00"), 16 * 60);
        assert_eq!(minutes("16"), 16 * 60);
        assert_eq!(minutes("오전 11시"), 11 * 60);
        assert_eq!(minutes("오전 12시"), 0);
        assert_eq!(minutes("오후 12시"), 12 * 60);
        assert_eq!(minutes("밤 10시"), 22 * 60);
        assert_eq!(minutes("밤 12시"), 1440);
        assert_eq!(minutes("저녁 7시"), 19 * 60);
        assert_eq!(minutes("2pm"), 14 * 60);
        assert_eq!(minutes("2:30 PM"), 14 * 60 + 30);
        assert_eq!(minutes("자정"), 1440);
        for bad in ["", "오후", "오후 13시", "25:00", "14:60", "4시 70분", "None", "afternoon", "1:5", "-3", "오전 0.5시"] {
            assert_eq!(parse_time(bad), Err(InputError::Time), "{bad}");
        }
    }

    #[test]
    fn bare_hours_lean_to_the_afternoon() {
        let window = |a: &str, b: &str| resolve_window(parse_time(a).unwrap(), parse_time(b).unwrap());
        assert_eq!(window("2시", "9시"), Ok((14 * 60, 21 * 60)));
        assert_eq!(window("11시", "9시"), Ok((11 * 60, 21 * 60)));
        assert_eq!(window("10:00", "20:00"), Ok((600, 1200)));
        assert_eq!(window("오후 6시", "자정"), Ok((1080, 1440)));
        assert_eq!(window("오후 8시", "새벽 1시"), Ok((1200, 1500)));
        assert_eq!(window("20:00", "01:00"), Ok((1200, 1500)));
        assert_eq!(window("오후 10시", "2시"), Ok((1320, 1560)));
        assert!(window("오후 8시", "새벽 3시").is_err());
        assert!(window("오후 9시", "오후 2시").is_err());
        assert!(window("오후 2시", "오후 2시 30분").is_err());
    }

    #[test]
    fn seasons_and_transports_in_both_languages() {
        assert_eq!(parse_season("Autumn"), Ok(Season::Fall));
        assert_eq!(parse_season("가을"), Ok(Season::Fall));
        assert_eq!(parse_transport("myCar"), Ok(Transport::Car));
        assert_eq!(parse_transport("대중교통"), Ok(Transport::Public));
        assert_eq!(parse_transport("걸어서"), Ok(Transport::Walk));
        assert_eq!(parse_season("monsoon"), Err(InputError::Season));
        assert_eq!(parse_transport("helicopter"), Err(InputError::Transport));
    }

    #[test]
    fn a_date_sets_the_season_and_weekday() {
        let request = RecommendRequest {
            date_place: "성수".into(),
            date_start: "오후 2시".into(),
            date_end: "오후 9시".into(),
            date_transport: "walk".into(),
            date: Some("2026-04-07".into()),
            ..Default::default()
        };
        let plan = validate_recommend(&request).unwrap();
        assert_eq!(plan.season, Season::Spring);
        assert_eq!(plan.weekday(), Some(Weekday::Tuesday));
    }

    #[test]
    fn every_bad_field_is_reported_by_name() {
        let request = RecommendRequest {
            date_place: " ".into(),
            date_season: Some("None".into()),
            date_start: "later".into(),
            date_end: "오후 9시".into(),
            date_transport: "rocket".into(),
            lang: Some("fr".into()),
            ..Default::default()
        };
        let errors = validate_recommend(&request).unwrap_err();
        for field in ["datePlace", "dateSeason", "dateStart", "dateTransport", "lang"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = parse_time(&text);
            let _ = parse_season(&text);
            let _ = parse_transport(&text);
            let _ = parse_date(&text);
        }

        #[test]
        fn times_round_trip(minutes in 0u16..=1440) {
            prop_assert_eq!(parse_time(&korean_time(minutes)).unwrap().minutes, minutes);
            if minutes < 1440 {
                prop_assert_eq!(parse_time(&crate::course::hhmm(minutes)).unwrap().minutes, minutes);
            }
        }

        #[test]
        fn next_morning_times_read_back(minutes in 1441u16..=LATEST_END) {
            prop_assert_eq!(parse_time(&korean_time(minutes)).unwrap().minutes, minutes - 1440);
        }
    }
}
