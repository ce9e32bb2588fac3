//! A date course: timed stops with travel legs between them, and the rules a saved course
//! must follow.

use serde::{Deserialize, Serialize};

use crate::fields::{check_text, FieldErrors};

pub const MAX_TITLE_CHARS: usize = 150;
pub const MAX_DATETIME_CHARS: usize = 150;
/// Below the 64 KiB body limit, so the limit is a clear 400 rather than a 413.
pub const MAX_ANSWER_CHARS: usize = 60_000;
pub const MAX_QUESTION_CHARS: usize = 2_000;
pub const MAX_PLACE_CHARS: usize = 50;
pub const MAX_STOPS: usize = 24;
pub const MAX_LABEL_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum), oai(rename_all = "lowercase"))]
pub enum Season {
    Spring,
    Summer,
    Fall,
    Winter,
}

/// How the couple moves for the whole course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum), oai(rename_all = "lowercase"))]
pub enum Transport {
    Walk,
    Public,
    Car,
}

/// How one leg between two stops is travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum), oai(rename_all = "lowercase"))]
pub enum LegMode {
    Walk,
    Transit,
    Car,
}

/// One place of a course and when the couple is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Stop {
    pub name: String,
    pub category: String,
    /// "HH:MM".
    pub arrive: String,
    /// "HH:MM".
    pub leave: String,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub map_url: String,
    /// For a meal: one or two other places to eat nearby, in case this one is full or closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", oai(default, skip_serializing_if_is_empty))]
    pub alternatives: Vec<Alternative>,
}

/// A nearby place of the same kind as a stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Alternative {
    pub name: String,
    /// Straight-line distance from the stop.
    pub distance_m: u32,
    pub map_url: String,
}

/// Travel between two consecutive stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Leg {
    pub mode: LegMode,
    pub minutes: u32,
    pub distance_m: u32,
}

/// What a course says, without the identity the store gives it: the body of
/// `POST /chat/chat/`, and the `course` of a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct CourseContent {
    /// At most 150 characters.
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 150, pattern = r"\S")))]
    pub title: String,
    /// The date window as the couple wrote it; at most 150 characters.
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 150, pattern = r"\S")))]
    pub datetime: String,
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 2000, pattern = r"\S")))]
    pub question: String,
    /// The course as readable text (HTML-safe).
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 60000, pattern = r"\S")))]
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(validator(min_length = 1, max_length = 50, pattern = r"\S")))]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season: Option<Season>,
    /// The day the course is for ("YYYY-MM-DD"), when the couple gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(validator(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")))]
    pub date: Option<String>,
    /// "HH:MM".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(validator(pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")))]
    pub start: Option<String>,
    /// "HH:MM".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", oai(validator(pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")))]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub stops: Vec<Stop>,
    /// `legs[i]` joins `stops[i]` and `stops[i + 1]`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub legs: Vec<Leg>,
    /// What the couple should know about the course as a whole: a highlight left out because it
    /// is closed that day, a rule the planner had to relax.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", oai(default, skip_serializing_if_is_empty))]
    pub notes: Vec<String>,
    /// Who planned it: "builtin" or an LLM provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// A saved course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Course {
    pub id: u64,
    /// The owner's `pk`.
    pub author: u64,
    /// ISO 8601 with the Seoul offset.
    pub created_at: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub content: CourseContent,
}

/// Checks a course before it is stored, reporting every problem per field.
pub fn validate_content(content: &CourseContent) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    check_text(&mut errors, "title", &content.title, MAX_TITLE_CHARS);
    check_text(&mut errors, "datetime", &content.datetime, MAX_DATETIME_CHARS);
    check_text(&mut errors, "question", &content.question, MAX_QUESTION_CHARS);
    check_text(&mut errors, "answer", &content.answer, MAX_ANSWER_CHARS);
    if let Some(place) = &content.place {
        check_text(&mut errors, "place", place, MAX_PLACE_CHARS);
    }
    if content.date.as_deref().is_some_and(|d| parse_date(d).is_none()) {
        errors.add("date", "Use a real day as YYYY-MM-DD.");
    }
    for (field, value) in [("start", &content.start), ("end", &content.end)] {
        if value.as_deref().is_some_and(|v| parse_hhmm(v).is_none()) {
            errors.add(field, "Use the 24-hour form HH:MM.");
        }
    }
    if content.stops.len() > MAX_STOPS {
        errors.add("stops", format!("A course has at most {MAX_STOPS} stops."));
    }
    for (i, stop) in content.stops.iter().enumerate() {
        let stop_problem = if stop.name.trim().is_empty() || stop.name.chars().count() > MAX_LABEL_CHARS {
            Some("name must be 1 to 200 characters")
        } else if parse_hhmm(&stop.arrive).is_none() || parse_hhmm(&stop.leave).is_none() {
            Some("arrive and leave must be HH:MM")
        } else if !stop.lat.is_finite() || !stop.lon.is_finite() {
            Some("lat and lon must be numbers")
        } else {
            None
        };
        if let Some(problem) = stop_problem {
            errors.add("stops", format!("stop {}: {problem}.", i + 1));
        }
    }
    if !content.legs.is_empty() && content.legs.len() + 1 != content.stops.len() {
        errors.add("legs", "There must be one leg between each two consecutive stops.");
    }
    errors.finish(())
}

/// A course's `date` ("YYYY-MM-DD"), when it is a real day.
pub fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    (text.len() == 10).then(|| text.parse().ok()).flatten()
}

/// "HH:MM" of minutes after the date's midnight; times past the next midnight wrap ("01:30"),
/// and a course that ends exactly at midnight ends at "24:00".
pub fn hhmm(minutes: u16) -> String {
    let minutes = if minutes > 1440 { minutes - 1440 } else { minutes };
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A stop's "HH:MM" read inside a window starting at `start`: a time more than an hour before
/// the start belongs to the next morning (a date from 20:00 to 01:00 has stops at "00:30").
pub fn minutes_in_window(text: &str, start: u16) -> Option<u16> {
    let minutes = parse_hhmm(text)?;
    Some(if minutes + 60 < start { minutes + 1440 } else { minutes })
}

/// Minutes after midnight of a 24-hour "HH:MM" (24:00 allowed, for a course ending at midnight).
pub fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> CourseContent {
        CourseContent {
            title: "성수 가을 데이트".into(),
            datetime: "오후 2시 ~ 오후 9시".into(),
            question: "q".into(),
            answer: "a".into(),
            place: None,
            season: None,
            date: None,
            start: None,
            end: None,
            transport: None,
            stops: vec![],
            legs: vec![],
            notes: vec![],
            provider: None,
            model: None,
        }
    }

    #[test]
    fn flattened_course_serialises_with_the_contract_field_names() {
        let course = Course { id: 7, author: 3, created_at: "2026-11-26T21:00:00+09:00".into(), content: content() };
        let json = serde_json::to_value(&course).unwrap();
        for key in ["id", "author", "created_at", "title", "datetime", "question", "answer", "stops", "legs"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(serde_json::from_value::<Course>(json).unwrap(), course);
    }

    #[test]
    fn rejects_blank_long_and_malformed_fields() {
        let mut c = content();
        c.title = " ".into();
        c.datetime = "x".repeat(151);
        c.start = Some("25:00".into());
        c.date = Some("2026-02-30".into());
        let errors = validate_content(&c).unwrap_err();
        for field in ["title", "datetime", "start", "date"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(validate_content(&content()).is_ok());
    }

    #[test]
    fn hhmm_bounds() {
        assert_eq!(parse_hhmm("00:00"), Some(0));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("9:00"), None);
        assert_eq!(hhmm(1440), "24:00");
        assert_eq!(hhmm(1500), "01:00");
        assert_eq!(minutes_in_window("00:30", 20 * 60), Some(1470));
        assert_eq!(minutes_in_window("10:30", 10 * 60), Some(630));
    }
}
