//! Opening hours in OpenStreetMap's `opening_hours` syntax (`Tu-Su 09:00-18:00; Mo off`,
//! `Mo-Fr 11:30-15:00,17:00-21:30`, `Fr,Sa 18:00-24:00`, `Mo[1] off`, `Nov-Mar off`,
//! `PH off`, `24/7`), read and evaluated by the `opening-hours` crate with Korea's public
//! holidays.
//!
//! fyd asks one question of them: on this day, is the place open for the whole of
//! `[from, to)`? Times are minutes after the day's midnight and may run past it (up to
//! 06:00 the next morning), so a bar open `18:00-02:00` is open from 1080 to 1560.

use std::sync::{Arc, LazyLock, OnceLock};

use jiff::civil::{Date, Weekday};
use opening_hours::localization::Country;
use opening_hours::{Context, OpeningHours, RuleKind};

use crate::calendar::{season_week, to_chrono, Day};
use crate::course::Season;

/// How far past midnight a day's hours reach.
pub const NEXT_MORNING: u16 = 6 * 60;
/// A place counts as open on a usual day when it is open then on at least this many days of
/// the season's reference week (a Monday closure does not hide a restaurant; a Friday-and-
/// Saturday market is left to couples who give a date).
const USUAL_DAYS: usize = 5;

static KOREA: LazyLock<Context> = LazyLock::new(|| Context::default().with_holidays(Country::KR.holidays()));

/// Open intervals of one day, sorted and merged, in minutes after that day's midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intervals(Vec<(u16, u16)>);

impl Intervals {
    /// Open for the whole of `[from, to)`.
    pub fn covers(&self, from: u16, to: u16) -> bool {
        self.0.iter().any(|&(open, close)| open <= from && to <= close)
    }

    /// When the stretch that is open at `at` closes.
    pub fn closes_after(&self, at: u16) -> Option<u16> {
        self.0.iter().find(|&&(open, close)| open <= at && at < close).map(|&(_, close)| close)
    }

    /// Whether the place opens at all between `from` and `to`.
    pub fn any_between(&self, from: u16, to: u16) -> bool {
        self.0.iter().any(|&(open, close)| open < to && close > from)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn spans(&self) -> &[(u16, u16)] {
        &self.0
    }

    fn from_spans(mut spans: Vec<(u16, u16)>) -> Self {
        spans.retain(|(open, close)| open < close);
        spans.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(spans.len());
        for (open, close) in spans {
            match merged.last_mut() {
                Some(last) if open <= last.1 => last.1 = last.1.max(close),
                _ => merged.push((open, close)),
            }
        }
        Self(merged)
    }
}

/// A place's hours on a usual day of a season.
#[derive(Debug, Clone, Default)]
pub struct Usual {
    pub open: Intervals,
    /// Weekdays of the reference week on which it does not open at all.
    pub closed_days: Vec<Weekday>,
}

pub struct Hours {
    text: String,
    rules: OpeningHours,
    usual: [OnceLock<Arc<Usual>>; 4],
}

impl std::fmt::Debug for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hours({:?})", self.text)
    }
}

impl Hours {
    pub fn parse(text: &str) -> Result<Self, String> {
        let rules: OpeningHours = text.parse().map_err(|err| format!("hours {text:?} are not OSM opening_hours: {err}"))?;
        let hours = Self { text: text.to_owned(), rules: rules.with_context(KOREA.clone()), usual: Default::default() };
        if hours.never_opens() {
            return Err(format!("hours {text:?} never open in any season"));
        }
        Ok(hours)
    }

    /// The hours as written in the catalogue.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Open intervals on a day (a date, or a usual day of a season).
    pub fn on(&self, day: Day) -> Arc<Usual> {
        match day {
            Day::Date(date) => Arc::new(Usual { open: self.on_date(date), closed_days: Vec::new() }),
            Day::Usual(season) => self.usual(season),
        }
    }

    pub fn usual(&self, season: Season) -> Arc<Usual> {
        let index = season as usize;
        self.usual[index].get_or_init(|| Arc::new(self.compute_usual(season))).clone()
    }

    pub fn on_date(&self, date: Date) -> Intervals {
        let mut spans = self.spans(date, 0);
        if let Ok(next) = date.tomorrow() {
            spans.extend(self.spans(next, 1440).into_iter().filter(|(open, _)| *open < 1440 + NEXT_MORNING));
        }
        Intervals::from_spans(spans.into_iter().map(|(open, close)| (open, close.min(1440 + NEXT_MORNING))).collect())
    }

    fn spans(&self, date: Date, offset: u16) -> Vec<(u16, u16)> {
        self.rules
            .schedule_at(to_chrono(date))
            .into_iter()
            .filter(|range| range.kind == RuleKind::Open)
            .map(|range| (offset + range.range.start.mins_from_midnight(), offset + range.range.end.mins_from_midnight()))
            .collect()
    }

    fn compute_usual(&self, season: Season) -> Usual {
        let week = season_week(season);
        let days: Vec<Intervals> = week.iter().map(|&date| self.on_date(date)).collect();
        let closed_days =
            week.iter().zip(&days).filter(|(_, hours)| !hours.any_between(NEXT_MORNING, 1440)).map(|(date, _)| date.weekday()).collect();
        // Sweep the week's boundaries: keep each stretch open on enough days.
        let mut bounds: Vec<u16> = days.iter().flat_map(|d| d.0.iter().flat_map(|&(a, b)| [a, b])).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let spans = bounds
            .windows(2)
            .filter(|pair| days.iter().filter(|d| d.covers(pair[0], pair[1])).count() >= USUAL_DAYS)
            .map(|pair| (pair[0], pair[1]))
            .collect();
        Usual { open: Intervals::from_spans(spans), closed_days }
    }

    fn never_opens(&self) -> bool {
        [Season::Spring, Season::Summer, Season::Fall, Season::Winter]
            .iter()
            .all(|&season| season_week(season).iter().all(|&date| self.on_date(date).is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(text: &str) -> Hours {
        Hours::parse(text).unwrap()
    }

    #[test]
    fn break_times_weekly_closures_and_late_nights() {
        let tuesday = Date::constant(2026, 11, 24);
        let monday = Date::constant(2026, 11, 23);
        let palace = hours("We-Mo 09:00-18:00; Tu off");
        assert!(palace.on_date(tuesday).is_empty());
        assert!(palace.on_date(monday).covers(9 * 60, 18 * 60));
        let restaurant = hours("Mo-Su 11:30-15:00,17:00-21:30");
        assert!(restaurant.on_date(monday).covers(12 * 60, 13 * 60));
        assert!(!restaurant.on_date(monday).covers(14 * 60 + 30, 15 * 60 + 30), "the break time");
        let bar = hours("Mo-Su 18:00-02:00");
        assert!(bar.on_date(monday).covers(23 * 60, 25 * 60 + 30), "{:?}", bar.on_date(monday));
        assert!(!bar.on_date(monday).covers(25 * 60, 26 * 60 + 30));
    }

    #[test]
    fn usual_days_forgive_one_closed_day_but_not_a_weekend_only_market() {
        let museum = hours("Tu-Su 10:00-18:00; Mo off");
        let usual = museum.usual(Season::Fall);
        assert!(usual.open.covers(10 * 60, 18 * 60));
        assert_eq!(usual.closed_days, vec![Weekday::Monday]);
        let market = hours("Fr,Sa 18:00-24:00");
        assert!(market.usual(Season::Fall).open.is_empty());
        let seasonal = hours("Apr-Oct 10:00-18:00; Nov-Mar off");
        assert!(seasonal.usual(Season::Winter).open.is_empty());
        assert!(seasonal.usual(Season::Summer).open.covers(10 * 60, 18 * 60));
    }

    #[test]
    fn public_holidays_and_monthly_closures() {
        let shop = hours("Mo-Su 10:00-20:00; PH off");
        assert!(shop.on_date(Date::constant(2026, 9, 25)).is_empty(), "Chuseok 2026");
        assert!(!shop.on_date(Date::constant(2026, 9, 29)).is_empty());
        let first_monday = hours("Mo-Su 09:00-18:00; Mo[1] off");
        assert!(first_monday.on_date(Date::constant(2026, 11, 2)).is_empty());
        assert!(!first_monday.on_date(Date::constant(2026, 11, 9)).is_empty());
    }

    #[test]
    fn the_reference_weeks_hold_no_public_holiday() {
        let everyday = hours("Mo-Su 10:00-20:00; PH off");
        for season in [Season::Spring, Season::Summer, Season::Fall, Season::Winter] {
            for date in season_week(season) {
                assert!(!everyday.on_date(date).is_empty(), "{date} is a public holiday");
            }
        }
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Hours::parse("sometimes").is_err());
        assert!(Hours::parse("off").is_err());
    }
}
