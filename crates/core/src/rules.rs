//! The rules of a date course a couple would actually take, in one place.
//!
//! The planner builds courses to them, [`crate::check`] holds every course to them (the
//! built-in planner's and every LLM answer), and the LLM prompt states them in words from
//! [`statements`]. Nothing else in fyd writes these numbers down.
//!
//! Times are minutes after the date's midnight; a window may run past it to [`LATEST_END`].

use crate::catalogue::{Category, Place};
use crate::course::{Season, Transport};
use crate::request::PlanRequest;

/// The latest a date may end: 새벽 2시 the next morning.
pub const LATEST_END: u16 = 26 * 60;

/// Lunch arrives between 11:30 and 13:30; dinner between 17:30 and 19:30 (Korean meal times).
pub const LUNCH: (u16, u16) = (11 * 60 + 30, 13 * 60 + 30);
pub const DINNER: (u16, u16) = (17 * 60 + 30, 19 * 60 + 30);
/// A morning date that ends by 14:00 may eat a brunch from 10:00 instead of lunch.
pub const BRUNCH_FROM: u16 = 10 * 60;
pub const BRUNCH_ENDS_BY: u16 = 14 * 60;
/// A date that starts between 17:00 and 19:30 begins with dinner (from its start, when that is
/// before 17:30).
pub const DINNER_FIRST: (u16, u16) = (17 * 60, 19 * 60 + 30);
/// Two meals start at least this far apart.
pub const MEAL_GAP: u16 = 3 * 60;
/// A meal needs this much of the window after it starts.
pub const MEAL_MINUTES: u16 = 60;

/// About one stop per 80–100 minutes, travel included: at most one per [`PACE_MAX_MINUTES`].
pub const PACE_MAX_MINUTES: u16 = 90;
/// The pace the planner aims for.
pub const PACE_MINUTES: u16 = 100;
/// At most this many cafés in a course.
pub const MAX_CAFES: usize = 2;
/// Below this window, two stops of the same kind may follow each other.
pub const SHORT_WINDOW: u16 = 4 * 60;
/// A visit lasts at least this long, and at most [`MAX_STAY`].
pub const MIN_STAY: u16 = 30;
pub const MAX_STAY: u16 = 180;
/// A visit lasts at least this share of the place's usual stay (what the catalogue says it
/// takes), in percent, where the pace allows.
pub const SHORTEST_VISIT_PERCENT: u16 = 60;
/// The day's last stop may be this short: a view, a walk or a drink to end on.
pub const LAST_STOP_MIN_STAY: u16 = 20;
/// A place whose usual visit is longer than this — a show, a museum, a theme park, an island —
/// is visited for at least the shortest of [`stay_range`], even as the day's last stop: the
/// last forty minutes of a musical are no visit.
pub const LONG_VISIT: u16 = 90;

/// The course starts within this of the window's start and ends by its end, no more than
/// [`END_SLACK`] before it unless nothing within reach is open later.
pub const START_SLACK: u16 = 15;
pub const END_SLACK: u16 = 30;
/// The longest wait between two stops beyond the travel itself.
pub const GAP_SLACK: u16 = 15;

/// No coming back within [`RETURN_RADIUS_M`] of an earlier stop after going more than
/// [`AWAY_M`] from it.
pub const RETURN_RADIUS_M: f64 = 300.0;
pub const AWAY_M: f64 = 1_000.0;
/// Walking legs add up to at most this share of the window.
pub const WALK_SHARE: f64 = 0.20;
/// The longest walking leg (about 2 km as planned, a quarter over at most).
pub const WALK_LEG_LIMIT_M: u32 = 2_500;
/// The longest leg by transit or car, in minutes.
pub const RIDE_LEG_MINUTES: u32 = 40;

/// The first stop is within this of the spot the couple named: on foot, and otherwise.
pub const FIRST_STOP_WALK_M: f64 = 1_000.0;
pub const FIRST_STOP_RIDE_M: f64 = 3_000.0;
/// On foot, every stop stays within this of the named spot.
pub const WALK_RADIUS_M: f64 = 2_500.0;

/// A visit a winter evening cuts short may still last only [`MIN_STAY`] where the place usually
/// takes at most this long: half an hour on a beach or in a park is a visit, on an island or in
/// a theme park it is not.
pub const COLD_SHORT_VISIT_MAX_STAY: u16 = 75;

/// How long after sunset a place seen by daylight only (tag `daylight`: an unlit valley or
/// forest path) may still be visited: about civil twilight.
pub const DAYLIGHT_AFTER_SUNSET: u16 = 30;

/// A climb up a mountain path (tag `climb`) is left by this hour (23:00): its lit walls make
/// an evening view, a mountain at midnight makes no date.
pub const CLIMB_LEFT_BY: u16 = 23 * 60;

/// A night view starts no earlier than this before sunset.
pub const NIGHT_VIEW_BEFORE_SUNSET: u16 = 15;
/// A sunset stop begins between this long before sunset and [`SUNSET_LATEST_AFTER`] after it.
pub const SUNSET_EARLIEST_BEFORE: u16 = 75;
pub const SUNSET_LATEST_AFTER: u16 = 10;
/// A date that runs this long past sunset has a night stop: a night view, a sunset place, an
/// evening walk or drinks, with at least [`NIGHT_STOP_AFTER_SUNSET`] minutes after sunset.
pub const NIGHT_AFTER_SUNSET: u16 = 60;
pub const NIGHT_STOP_AFTER_SUNSET: u16 = 20;
/// Winter evenings: after 19:00, at most 30 minutes at any one outdoor stop.
pub const WINTER_EVENING: u16 = 19 * 60;
pub const WINTER_OUTDOOR_MINUTES: u16 = 30;

/// What a window asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub lunch: bool,
    /// A brunch may stand for lunch.
    pub brunch_ok: bool,
    pub dinner: bool,
    /// The course begins with dinner.
    pub dinner_first: bool,
    /// The date runs well past sunset: a night stop is due.
    pub night: bool,
}

impl Needs {
    pub fn of(start: u16, end: u16, sunset: u16) -> Self {
        let dinner_first = (DINNER_FIRST.0..=DINNER_FIRST.1).contains(&start);
        Self {
            lunch: start <= LUNCH.1 - MEAL_MINUTES && end >= start.max(LUNCH.0) + MEAL_MINUTES + 30,
            brunch_ok: end <= BRUNCH_ENDS_BY && start < LUNCH.0,
            dinner: dinner_first || (start <= DINNER.1 - MEAL_MINUTES && end >= start.max(DINNER.0) + MEAL_MINUTES + 30),
            dinner_first,
            night: end >= sunset + NIGHT_AFTER_SUNSET,
        }
    }
}

/// When lunch may start: 11:30–13:30, or from 10:00 at a brunch place in a morning date.
pub fn lunch_window(needs: &Needs, place: &Place) -> (u16, u16) {
    if needs.brunch_ok && place.tags.brunch {
        (BRUNCH_FROM, LUNCH.1)
    } else {
        LUNCH
    }
}

/// When dinner may start: 17:30–19:30, or at the start of a date that begins at 17:00–17:30.
pub fn dinner_window(start: u16) -> (u16, u16) {
    if (DINNER_FIRST.0..DINNER.0).contains(&start) {
        (start, DINNER.1)
    } else {
        DINNER
    }
}

/// The most stops a window holds (one per 90 minutes, rounded up): 10–21 holds 8, 14–21 holds
/// 5, 18–23 holds 4.
pub fn max_stops(start: u16, end: u16) -> usize {
    usize::from((end - start).div_ceil(PACE_MAX_MINUTES))
}

/// Two stops of the same category may follow each other only in a short window.
pub fn same_kind_in_a_row_allowed(start: u16, end: u16) -> bool {
    end - start < SHORT_WINDOW
}

/// The shortest visit a course may hold, as its last stop or not, at `place` (`None`: a stop
/// that names no catalogue place, as an LLM answer's may).
pub fn shortest_visit(place: Option<&Place>, last: bool) -> u16 {
    match place {
        Some(place) if place.stay > LONG_VISIT => stay_range(place).0,
        _ if last => LAST_STOP_MIN_STAY,
        _ => MIN_STAY,
    }
}

/// A visit this place may take: from a short stop to a lingering one (walks, views, cafés and
/// bars stretch further than a museum).
pub fn stay_range(place: &Place) -> (u16, u16) {
    let shortest = MIN_STAY.max(place.stay * SHORTEST_VISIT_PERCENT / 100);
    let stretch = match place.category {
        Category::Walk | Category::NightView | Category::Cafe | Category::Bar | Category::Shopping => 2.0,
        _ => 1.5,
    };
    let longest = ((f64::from(place.stay) * stretch) as u16).clamp(shortest, MAX_STAY);
    (shortest, longest)
}

/// How a visit reads: a place known for its sunset, visited around sunset, is a sunset stop
/// (노을); a night-view place visited in daylight is a sight (a tower's deck) or a walk (a hill,
/// a bridge), not a night view; any other visit is of the place's own category.
pub fn presented_category(place: &Place, arrive: u16, sunset: u16) -> Category {
    if place.tags.sunset && (sunset.saturating_sub(SUNSET_EARLIEST_BEFORE)..=sunset + SUNSET_LATEST_AFTER).contains(&arrive) {
        Category::Sunset
    } else if place.category == Category::NightView && arrive + NIGHT_VIEW_BEFORE_SUNSET < sunset {
        if place.indoor {
            Category::Sight
        } else {
            Category::Walk
        }
    } else {
        place.category
    }
}

/// Whether a place may be in a course for this request at all (before hours and timing).
pub fn allowed(place: &Place, request: &PlanRequest, named: Option<&Place>) -> Result<(), Rule> {
    let is_named = named.is_some_and(|n| std::ptr::eq(n, place));
    if place.is_drinking() && request.transport == Transport::Car {
        return Err(Rule::DrinkingByCar);
    }
    if place.tags.car_only && request.transport != Transport::Car {
        return Err(Rule::CarOnly);
    }
    if place.tags.memorial && !is_named {
        return Err(Rule::Memorial);
    }
    Ok(())
}

/// Whether two stops at one site (a place and what lies within it) would visit it twice: two
/// sights there are one place split in two, and two meals there (lunch and dinner in one market)
/// are one meal repeated; a meal at a site the course visits otherwise (lunch on 남이섬) is fine.
pub fn repeats_site(a: &Place, b: &Place) -> bool {
    (a.category == Category::Meal) == (b.category == Category::Meal)
}

/// Whether two places are branches of one chain: a second 앤트러사이트 in one course reads as
/// a planner that forgot the first.
pub fn same_brand(a: &Place, b: &Place) -> bool {
    a.brand == b.brand && !std::ptr::eq(a, b)
}

/// The latest a visit to `place` may end: shortly after sunset for a place seen by daylight
/// only, 23:00 on a climb, else none.
pub fn left_by(place: &Place, sunset: u16) -> Option<u16> {
    match (place.tags.daylight, place.tags.climb) {
        (true, _) => Some(sunset + DAYLIGHT_AFTER_SUNSET),
        (false, true) => Some(CLIMB_LEFT_BY),
        (false, false) => None,
    }
}

/// Whether a visit ending at `leave` runs later than [`left_by`] allows.
pub fn after_dark(place: &Place, leave: u16, sunset: u16) -> bool {
    left_by(place, sunset).is_some_and(|by| leave > by)
}

/// Minutes an outdoor visit spends after the winter evening begins.
pub fn winter_evening_minutes(season: Season, indoor: bool, arrive: u16, leave: u16) -> u16 {
    if season != Season::Winter || indoor || leave <= WINTER_EVENING {
        0
    } else {
        leave - arrive.max(WINTER_EVENING)
    }
}

/// Every rule a course keeps, by name: a problem names the rule it breaks, and the planner
/// may relax only the ones marked so, saying so in the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    Shape,
    Start,
    End,
    EndsEarly,
    Travel,
    IdleGap,
    WalkLeg,
    WalkOnly,
    RideLeg,
    Closed,
    Twice,
    SameSite,
    SameBrand,
    StayLength,
    Lunch,
    Dinner,
    DinnerFirst,
    MealGap,
    MealTime,
    Pace,
    Cafes,
    SameKindInARow,
    Return,
    WalkShare,
    NightViewTooEarly,
    SunsetOffTime,
    NightStop,
    WinterOutdoor,
    AfterDark,
    DrinkingByCar,
    CarOnly,
    Memorial,
    FirstStopFar,
    WalkRadius,
    NamedPlace,
    Indoor,
}

impl Rule {
    /// The rules the planner may relax, in the order it relaxes them, when nothing else fits;
    /// every other rule holds for every course fyd returns.
    pub const RELAXABLE: [Rule; 3] = [Rule::Indoor, Rule::NightStop, Rule::SameKindInARow];

    /// What relaxing the rule means for the couple, said in the course.
    pub fn relaxed_note(self, lang: crate::request::Lang) -> &'static str {
        use crate::request::Lang::*;
        match (self, lang) {
            (Rule::Indoor, Ko) => "이 동네는 실내 장소만으로 코스를 채울 수 없어 야외 장소가 들어 있어요.",
            (Rule::Indoor, En) => "This area cannot fill the course with indoor places only, so some stops are outdoors.",
            (Rule::NightStop, Ko) => "이 시간에 갈 수 있는 야경 명소가 없어 밤 일정은 실내로 채웠어요.",
            (Rule::NightStop, En) => "No night view is open and within reach then, so the evening stays indoors.",
            (Rule::SameKindInARow, Ko) => "이 시간에 열린 곳이 적어 비슷한 종류의 장소가 이어져요.",
            (Rule::SameKindInARow, En) => "Few places are open then, so two stops of the same kind follow each other.",
            (_, Ko) => "일부 규칙을 완화했어요.",
            (_, En) => "Some rules were relaxed.",
        }
    }

    /// Whether `note` says this rule was relaxed: its [`Rule::relaxed_note`], or for the night
    /// stop the [`no_time_for_the_night_note`] too.
    pub fn declared_by(self, note: &str, lang: crate::request::Lang) -> bool {
        note == self.relaxed_note(lang) || (self == Rule::NightStop && note == no_time_for_the_night_note(lang))
    }
}

/// The night stop's note when a night view is within reach but the window cannot hold it with
/// everything else (an 11–19 date in autumn: dinner, then the window ends an hour after sunset).
pub fn no_time_for_the_night_note(lang: crate::request::Lang) -> &'static str {
    match lang {
        crate::request::Lang::Ko => {
            "끝나는 시간까지 저녁 식사와 야경을 함께 넣기엔 빠듯해 야경은 뺐어요. 야경까지 보려면 끝나는 시간을 늦춰 보세요."
        }
        crate::request::Lang::En => {
            "The window is too short for both dinner and a night view, so the night view is left out: end later to have both."
        }
    }
}

/// The rules in words, for the LLM prompt. Numbers come from the constants above.
pub fn statements(request: &PlanRequest, needs: &Needs, sunset: u16, max_stops: usize) -> Vec<String> {
    use crate::course::hhmm;
    let mut rules = vec![
        format!(
            "The first stop starts at {} and the last ends by {} (no more than {END_SLACK} minutes before).",
            hhmm(request.start),
            hhmm(request.end)
        ),
        format!(
            "At most {max_stops} stops: about one stop per 80–100 minutes, each visit {MIN_STAY}–{MAX_STAY} minutes; one place is one stop, and so is one chain (two branches of one brand)."
        ),
        format!(
            "A place whose stay is over {LONG_VISIT} min (a show, a museum, a theme park) is visited for at least {SHORTEST_VISIT_PERCENT}% of it, even at the end; the last stop may otherwise be {LAST_STOP_MIN_STAY} minutes."
        ),
        format!("Times only move forward; leave time to travel between stops and no idle gaps over {GAP_SLACK} minutes."),
        "Every place must be open for the whole visit (see its hours); never use a place twice.".to_owned(),
        format!(
            "At most {MAX_CAFES} cafés; never two stops of the same category in a row. Never come back within {RETURN_RADIUS_M:.0} m of \
             an earlier stop after going more than {AWAY_M:.0} m away; walking legs add up to at most {:.0}% of the window.",
            WALK_SHARE * 100.0
        ),
        format!(
            "A nightview stop starts no earlier than {} (15 minutes before sunset at {}).",
            hhmm(sunset - NIGHT_VIEW_BEFORE_SUNSET),
            hhmm(sunset)
        ),
    ];
    if needs.lunch {
        rules.push(format!("Lunch at a meal place starting between {} and {}.", hhmm(LUNCH.0), hhmm(LUNCH.1)));
    }
    if needs.dinner_first {
        rules.push(format!("Start with dinner at a meal place, starting by {}.", hhmm(DINNER.1)));
    } else if needs.dinner {
        rules.push(format!("Dinner at a meal place starting between {} and {}.", hhmm(DINNER.0), hhmm(DINNER.1)));
    }
    rules.push(format!("Two meals start at least {} hours apart.", MEAL_GAP / 60));
    if needs.night {
        rules.push(format!(
            "Sunset is at {}: include a nightview, sunset or evening walk stop that lasts until at least {NIGHT_STOP_AFTER_SUNSET} minutes after it.",
            hhmm(sunset)
        ));
    }
    if request.end > sunset + DAYLIGHT_AFTER_SUNSET {
        rules.push(format!("A place marked \"daylight only\" is left by {}.", hhmm(sunset + DAYLIGHT_AFTER_SUNSET)));
    }
    if request.end > CLIMB_LEFT_BY {
        rules.push(format!("A place marked \"a climb\" is left by {}.", hhmm(CLIMB_LEFT_BY)));
    }
    if request.season == Season::Winter {
        rules.push(format!("Winter: after {}, at most {WINTER_OUTDOOR_MINUTES} minutes at any outdoor stop.", hhmm(WINTER_EVENING)));
    }
    if request.transport == Transport::Car {
        rules.push("They drive: no bar or drinking place.".to_owned());
    }
    if request.indoor {
        rules.push("It rains: indoor places only.".to_owned());
    }
    rules
}
