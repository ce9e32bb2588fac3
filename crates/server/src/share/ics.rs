//! A course as an iCalendar file (RFC 5545), for `GET /chat/chat/{id}/ics` and
//! `/s/{token}.ics`: one event per stop, in Asia/Seoul time, with the place, its coordinates
//! (`GEO`) and its map link (`URL`).
//!
//! Events are written by the `icalendar` crate, which escapes text and folds long lines. It
//! cannot write a time zone definition, and RFC 5545 wants one for every `TZID` used, so the
//! `VTIMEZONE` of Asia/Seoul (one offset, +09:00, since 1988) is a constant placed between the
//! calendar's properties and its events. A course saved through the API may hold any text,
//! so control characters are taken out of every value, and only `https://` map links are used.

use chrono::{NaiveDateTime, NaiveTime};
use fyd_core::course::{minutes_in_window, parse_hhmm, CourseContent};
use fyd_core::render::{category_name, leg_text};
use fyd_core::request::Lang;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, Property};
use jiff::civil::Date;
use jiff::Timestamp;

/// The time zone every event is in.
const TZID: &str = "Asia/Seoul";

/// Korea has kept +09:00 all year since 1988.
const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\n\
                         TZID:Asia/Seoul\r\n\
                         BEGIN:STANDARD\r\n\
                         DTSTART:19700101T000000\r\n\
                         TZOFFSETFROM:+0900\r\n\
                         TZOFFSETTO:+0900\r\n\
                         TZNAME:KST\r\n\
                         END:STANDARD\r\n\
                         END:VTIMEZONE\r\n";

const END: &str = "END:VCALENDAR\r\n";

/// Why a course cannot be written as a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("the course has no stops to put in a calendar")]
    NoStops,
}

/// What to write: the course, the day it is on, how its events are named, and when the file
/// is made (`DTSTAMP`).
pub struct Export<'a> {
    pub content: &'a CourseContent,
    pub date: Date,
    /// Unique to the course, for the events' `UID`s: re-importing the file updates the
    /// events instead of adding them again.
    pub uid: String,
    pub lang: Lang,
    pub now: Timestamp,
}

/// The calendar file, CRLF line ends.
pub fn calendar(export: &Export) -> Result<String, IcsError> {
    let content = export.content;
    if content.stops.is_empty() {
        return Err(IcsError::NoStops);
    }
    let mut head = Calendar::empty();
    for (name, value) in [
        ("VERSION", "2.0"),
        ("PRODID", concat!("-//fyd//fyd-server ", env!("CARGO_PKG_VERSION"), "//EN")),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-TIMEZONE", TZID),
    ] {
        head.append_property(Property::new(name, value));
    }
    head.append_property(Property::new("X-WR-CALNAME", clean(&content.title)));
    let head = head.to_string();
    let mut out = head.strip_suffix(END).expect("a calendar ends with END:VCALENDAR").to_owned();
    out.push_str(VTIMEZONE);

    // Stop times are read inside the course's window, so a stop after midnight is on the next day.
    let start = content.start.as_deref().and_then(parse_hhmm).or_else(|| parse_hhmm(&content.stops[0].arrive)).unwrap_or(0);
    let stamp = chrono::DateTime::from_timestamp(export.now.as_second(), 0).expect("now is a valid time");
    for (i, stop) in content.stops.iter().enumerate() {
        let (Some(arrive), Some(leave)) = (minutes_in_window(&stop.arrive, start), minutes_in_window(&stop.leave, start)) else {
            continue;
        };
        let mut description = vec![clean(&stop.description)];
        if !stop.alternatives.is_empty() {
            let others: Vec<String> = stop.alternatives.iter().map(|a| format!("{} ({}m)", clean(&a.name), a.distance_m)).collect();
            let label = if export.lang == Lang::Ko { "근처 다른 곳" } else { "Nearby instead" };
            description.push(format!("{label}: {}", others.join(", ")));
        }
        let map = super::map_link(stop);
        description.push(format!("{}: {map}", if export.lang == Lang::Ko { "지도" } else { "Map" }));
        if let Some(leg) = content.legs.get(i) {
            let label = if export.lang == Lang::Ko { "다음 장소까지" } else { "On to the next stop" };
            description.push(format!("{label}: {}", leg_text(leg, export.lang)));
        }
        if i == 0 {
            description.extend(content.notes.iter().map(|note| format!("※ {}", clean(note))));
        }
        let name = clean(&stop.name);
        let event = Event::new()
            .uid(&format!("{}-{}-{}@fyd", export.date, i + 1, export.uid))
            .timestamp(stamp)
            .summary(&format!("{name} ({})", category_name(&stop.category, export.lang)))
            .location(&name)
            .append_property(Property::new("GEO", format!("{:.6};{:.6}", stop.lat, stop.lon)))
            .url(&map)
            .starts(seoul(export.date, arrive))
            .ends(seoul(export.date, leave.max(arrive)))
            .description(&description.join("\n"))
            .done();
        out.push_str(&event.to_string());
    }
    out.push_str(END);
    Ok(out)
}

/// `minutes` after midnight of `date` (past 1440: the next day), in Seoul.
fn seoul(date: Date, minutes: u16) -> CalendarDateTime {
    let day = fyd_core::calendar::to_chrono(date) + chrono::Days::new(u64::from(minutes / 1440));
    let time = NaiveTime::from_hms_opt(u32::from(minutes % 1440 / 60), u32::from(minutes % 60), 0).expect("within a day");
    CalendarDateTime::WithTimezone { date_time: NaiveDateTime::new(day, time), tzid: TZID.to_owned() }
}

/// `text` without control characters other than line breaks (RFC 5545 allows none in text;
/// the crate escapes `\n`, `,`, `;` and `\`).
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n").chars().filter(|c| *c == '\n' || !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_taken_out_and_line_breaks_kept() {
        assert_eq!(clean("a\r\nb\rc\u{7}\td\ne"), "a\nbcd\ne");
    }

    #[test]
    fn minutes_past_midnight_are_on_the_next_day() {
        let date = Date::constant(2026, 12, 31);
        let CalendarDateTime::WithTimezone { date_time, tzid } = seoul(date, 24 * 60 + 30) else { unreachable!() };
        assert_eq!((date_time.to_string().as_str(), tzid.as_str()), ("2027-01-01 00:30:00", "Asia/Seoul"));
    }
}
