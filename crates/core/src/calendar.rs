//! Which day a course is on, and the sun over it.
//!
//! A couple may give a date (then its weekday, public holidays and season count) or only a
//! season. Without a date, fyd plans for the season's *usual* day: opening hours are those a
//! place keeps on most days of a reference week in the middle of the season, and sunset is the
//! season's middle day's. The reference weeks hold no public holiday, so "usual" means usual.
//!
//! Both the opening-hours and the sunrise crates speak chrono; jiff is fyd's own date type,
//! so dates cross to chrono here and only here.

use jiff::civil::{Date, Weekday};

use crate::course::Season;

/// The day a course is planned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Day {
    Date(Date),
    /// No date given: a usual day of the season.
    Usual(Season),
}

impl Day {
    pub fn new(date: Option<Date>, season: Season) -> Self {
        date.map_or(Day::Usual(season), Day::Date)
    }

    /// The date itself, or the middle day of the season (for the sun).
    pub fn reference_date(self) -> Date {
        match self {
            Day::Date(date) => date,
            Day::Usual(season) => season_middle(season),
        }
    }

    pub fn weekday(self) -> Option<Weekday> {
        match self {
            Day::Date(date) => Some(date.weekday()),
            Day::Usual(_) => None,
        }
    }
}

/// The middle day of a meteorological season (as Koreans count them: March–May is spring).
pub fn season_middle(season: Season) -> Date {
    match season {
        Season::Spring => Date::constant(2026, 4, 15),
        Season::Summer => Date::constant(2026, 7, 15),
        Season::Fall => Date::constant(2026, 10, 15),
        Season::Winter => Date::constant(2026, 1, 15),
    }
}

/// The Monday-to-Sunday week that stands for a usual week of the season: the one around the
/// middle day, chosen so that it holds no Korean public holiday.
pub fn season_week(season: Season) -> [Date; 7] {
    let monday = match season {
        Season::Spring => Date::constant(2026, 4, 13),
        Season::Summer => Date::constant(2026, 7, 20),
        Season::Fall => Date::constant(2026, 10, 12),
        Season::Winter => Date::constant(2026, 1, 12),
    };
    std::array::from_fn(|i| monday.checked_add(jiff::Span::new().days(i as i64)).expect("a week in 2026"))
}

pub fn to_chrono(date: Date) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(i32::from(date.year()), date.month() as u32, date.day() as u32).expect("jiff dates are valid")
}

/// Sunset at a place on a date, in minutes after midnight, Korean time (UTC+9, no daylight
/// saving). The sun sets more than half an hour later in Jeju's west than in Gangneung's east.
pub fn sunset(date: Date, lat: f64, lon: f64) -> u16 {
    let Some(coordinates) = sunrise::Coordinates::new(lat, lon) else {
        return 18 * 60 + 30;
    };
    let day = sunrise::SolarDay::new(coordinates, to_chrono(date));
    match day.event_time(sunrise::SolarEvent::Sunset) {
        Some(utc) => ((utc.timestamp() + 9 * 3_600).rem_euclid(86_400) / 60) as u16,
        None => 18 * 60 + 30,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sunset_follows_the_year_and_the_longitude() {
        let seoul = (37.5665, 126.9780);
        let june = sunset(Date::constant(2026, 6, 21), seoul.0, seoul.1);
        let december = sunset(Date::constant(2026, 12, 21), seoul.0, seoul.1);
        // Published figures for Seoul: about 19:57 at the summer solstice, 17:17 at the winter one.
        assert!((19 * 60 + 52..=20 * 60 + 2).contains(&june), "{june}");
        assert!((17 * 60 + 12..=17 * 60 + 22).contains(&december), "{december}");
        let gangneung = sunset(Date::constant(2026, 10, 15), 37.7519, 128.8761);
        let jeju_west = sunset(Date::constant(2026, 10, 15), 33.3940, 126.2397);
        assert!(jeju_west > gangneung + 8, "{gangneung} vs {jeju_west}");
    }

    #[test]
    fn the_usual_week_runs_monday_to_sunday() {
        for season in [Season::Spring, Season::Summer, Season::Fall, Season::Winter] {
            let week = season_week(season);
            assert_eq!(week[0].weekday(), Weekday::Monday);
            assert_eq!(week[6].weekday(), Weekday::Sunday);
        }
    }
}
