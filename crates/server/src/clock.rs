//! "Now", injected so that tests can expire tokens and cross Seoul's midnight without waiting,
//! and the Asia/Seoul calendar that quota days and every timestamp on the wire use.

use std::sync::{LazyLock, Mutex};

use jiff::{civil::Date, tz::TimeZone, SignedDuration, Timestamp, Zoned};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; for tests.
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().unwrap();
        *now = now.checked_add(by).expect("test clock stays in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// Asia/Seoul, from the tz database bundled into the binary (a fresh machine may have none).
pub static SEOUL: LazyLock<TimeZone> = LazyLock::new(|| TimeZone::get("Asia/Seoul").expect("the bundled tz database has Asia/Seoul"));

pub fn in_seoul(at: Timestamp) -> Zoned {
    at.to_zoned(SEOUL.clone())
}

/// The Seoul calendar day of `at`; quota counters are kept per such day.
pub fn seoul_day(at: Timestamp) -> Date {
    in_seoul(at).date()
}

/// The first instant of the Seoul day after the one `at` falls in.
pub fn next_seoul_midnight(at: Timestamp) -> Timestamp {
    let tomorrow = seoul_day(at).tomorrow().expect("dates stay in range");
    tomorrow.to_zoned(SEOUL.clone()).expect("Seoul has a midnight every day").timestamp()
}

/// ISO 8601 with the +09:00 offset and millisecond precision, which JavaScript's `Date` parses.
pub fn iso_seoul(at: Timestamp) -> String {
    in_seoul(at).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seoul_day_turns_at_15_utc() {
        let before: Timestamp = "2026-11-26T14:59:59Z".parse().unwrap();
        let after: Timestamp = "2026-11-26T15:00:00Z".parse().unwrap();
        assert_eq!(seoul_day(before).to_string(), "2026-11-26");
        assert_eq!(seoul_day(after).to_string(), "2026-11-27");
        assert_eq!(next_seoul_midnight(before), after);
        assert_eq!(iso_seoul(after), "2026-11-27T00:00:00.000+09:00");
    }
}
