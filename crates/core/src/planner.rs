//! The built-in planner: from a [`PlanRequest`] to a timed course over the catalogue.
//!
//! It walks the couple's window from the start, filling one slot at a time. Each slot has a
//! kind — a meal (lunch 11:00–13:30, dinner 17:00–19:30, when the window covers them), a
//! night stop (after the season's sunset), or a free stop — and the best open, reachable,
//! unused place of that kind wins. Stays stretch or shrink (60–150% of the typical stay) so
//! the course reaches each meal on time and ends at the end, and each arrival is the previous
//! departure plus the travel leg, so there are no idle gaps. See `docs/planner.md`.

use crate::calendar::Day;
use crate::catalogue::{catalogue, Area, Catalogue, Category, Place, Resolved};
use crate::course::{Leg, LegMode, Season, Transport};
use crate::geo;
use crate::request::PlanRequest;

pub const LUNCH: (u16, u16) = (11 * 60, 13 * 60 + 30);
pub const DINNER: (u16, u16) = (17 * 60, 19 * 60 + 30);
/// A meal may start this many minutes before its window opens.
pub const MEAL_EARLY: u16 = 15;
/// A stop shorter than this is not worth the trip.
pub const MIN_STAY: u16 = 30;
/// A course ends at most this long before the couple's end.
pub const END_SLACK: u16 = 30;
/// Nearby areas a transit or car course may reach into (centre to centre).
const PUBLIC_REACH_M: f64 = 5_000.0;
const CAR_REACH_M: f64 = 12_000.0;
/// A walking course keeps within this distance of its first stop (straight line).
const WALK_RADIUS_M: f64 = 2_000.0;

#[derive(Debug, Clone)]
pub struct PlannedStop<'a> {
    pub place: &'a Place,
    pub arrive: u16,
    pub leave: u16,
}

#[derive(Debug, Clone)]
pub struct Plan<'a> {
    pub area: &'a Area,
    pub stops: Vec<PlannedStop<'a>>,
    /// `legs[i]` joins `stops[i]` and `stops[i + 1]`.
    pub legs: Vec<Leg>,
    /// Sunset for the date or season, minutes after midnight.
    pub sunset: u16,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("fyd cannot plan a date in {place:?} yet")]
    UnknownPlace { place: String, suggestions: Vec<String> },
    #[error("nothing in {area} is open between {start} and {end}; try other hours")]
    NothingOpen { area: String, start: String, end: String },
}

/// What the window asks for: which meals, and whether it runs past sunset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub lunch: bool,
    pub dinner: bool,
    pub night: bool,
}

impl Needs {
    pub fn of(start: u16, end: u16, sunset: u16) -> Self {
        Self {
            lunch: start <= 12 * 60 + 30 && end >= 13 * 60 + 30,
            dinner: start <= 18 * 60 + 30 && end >= 19 * 60 + 30,
            night: end >= sunset + 45,
        }
    }
}

/// Sunset in Seoul, minutes after midnight: from the date when there is one (a sine fit of
/// the year, within about 10 minutes), else typical for the season.
pub fn sunset(season: Season, date: Option<jiff::civil::Date>) -> u16 {
    match date {
        Some(date) => {
            let day = f64::from(date.day_of_year());
            let swing = (2.0 * std::f64::consts::PI * (day - 81.0) / 365.0).sin();
            (18.0 * 60.0 + 37.0 + 80.0 * swing).round() as u16
        }
        None => match season {
            Season::Spring => 19 * 60 + 5,
            Season::Summer => 19 * 60 + 45,
            Season::Fall => 18 * 60,
            Season::Winter => 17 * 60 + 25,
        },
    }
}

pub fn plan(request: &PlanRequest) -> Result<Plan<'static>, PlanError> {
    plan_with(catalogue(), request)
}

pub fn plan_with<'a>(catalogue: &'a Catalogue, request: &PlanRequest) -> Result<Plan<'a>, PlanError> {
    let area = choose_area(catalogue, request)?;
    let sunset = sunset(request.season, request.date);
    let base_seed = seed(&area.id, request);
    let pool = pool(catalogue, area, request);
    let area_index = catalogue.areas.iter().position(|a| std::ptr::eq(a, area)).expect("the area is in the catalogue");
    // Greedy choices can paint a course into a corner (nothing open late nearby, a meal
    // missed by minutes). Each attempt reseeds the tie-breaking deterministically; the first
    // course that keeps every rule wins, else the one with the fewest problems.
    let mut best: Option<(usize, Plan<'a>)> = None;
    for attempt in 0..ATTEMPTS {
        let mut planner = Planner {
            request,
            area,
            area_index,
            pool: pool.clone(),
            needs: Needs::of(request.start, request.end, sunset),
            sunset,
            seed: splitmix64(base_seed ^ attempt),
            stops: Vec::new(),
            legs: Vec::new(),
            day: Day::new(request.date, request.season),
        };
        planner.fill();
        if planner.stops.is_empty() {
            continue;
        }
        let plan = Plan { area, stops: planner.stops, legs: planner.legs, sunset };
        let problems = crate::check::problems(&crate::render::course_content(&plan, request), request).len();
        if problems == 0 {
            return Ok(plan);
        }
        if best.as_ref().is_none_or(|(fewest, _)| problems < *fewest) {
            best = Some((problems, plan));
        }
    }
    best.map(|(_, plan)| plan).ok_or_else(|| PlanError::NothingOpen {
        area: area.ko.to_owned(),
        start: crate::request::hhmm(request.start),
        end: crate::request::hhmm(request.end),
    })
}

/// How many reseeded greedy passes a plan may take.
const ATTEMPTS: u64 = 8;

/// The area a place text names; for a city, its best area for the season (the variant
/// rotates through the three best).
pub fn choose_area<'a>(catalogue: &'a Catalogue, request: &PlanRequest) -> Result<&'a Area, PlanError> {
    match catalogue.resolve(&request.place) {
        Ok(Resolved::Area(area)) => Ok(area),
        Ok(Resolved::Place(place)) => Ok(&catalogue.areas[place.area]),
        Ok(Resolved::Spot(spot)) => Ok(&catalogue.areas[spot.area]),
        Ok(Resolved::City(city)) => {
            let mut ranked: Vec<&Area> = city.areas.iter().map(|&i| &catalogue.areas[i]).collect();
            let fit = |area: &Area| {
                let shining = catalogue.places_of(area).filter(|p| p.shines_in(request.season)).count();
                let compact = request.transport != Transport::Walk || area.places.len() >= 12;
                shining * 2 + area.places.len() + if compact { 10 } else { 0 }
            };
            ranked.sort_by_key(|area| std::cmp::Reverse(fit(area)));
            let choices = ranked.len().min(3);
            Ok(ranked[request.variant as usize % choices])
        }
        Err(suggestions) => Err(PlanError::UnknownPlace { place: request.place.clone(), suggestions }),
    }
}

/// Places the course may use: the area's own, plus nearby areas' for transit and car.
pub fn pool<'a>(catalogue: &'a Catalogue, area: &'a Area, request: &PlanRequest) -> Vec<&'a Place> {
    let reach = match request.transport {
        Transport::Walk => 0.0,
        Transport::Public => PUBLIC_REACH_M,
        Transport::Car => CAR_REACH_M,
    };
    let weekday = request.weekday();
    catalogue
        .areas
        .iter()
        .filter(|other| std::ptr::eq(*other, area) || geo::distance_m((area.lat, area.lon), (other.lat, other.lon)) <= reach)
        .flat_map(|other| catalogue.places_of(other))
        .filter(|place| weekday.is_none_or(|_| !place.hours.on(Day::new(request.date, request.season)).open.is_empty()))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Lunch,
    Dinner,
    Night,
    Free,
}

struct Planner<'a, 'r> {
    request: &'r PlanRequest,
    area: &'a Area,
    area_index: usize,
    pool: Vec<&'a Place>,
    needs: Needs,
    sunset: u16,
    seed: u64,
    stops: Vec<PlannedStop<'a>>,
    legs: Vec<Leg>,
    day: Day,
}

struct Candidate<'a> {
    place: &'a Place,
    leg: Option<Leg>,
    arrive: u16,
    leave: u16,
    score: f64,
}

impl<'a> Planner<'a, '_> {
    fn fill(&mut self) {
        let mut free_at = self.request.start;
        while self.request.end.saturating_sub(free_at) >= MIN_STAY {
            let slot = self.slot(free_at + if self.stops.is_empty() { 0 } else { 10 });
            let pick = self
                .best(slot, free_at, 1.0)
                .or_else(|| self.best(slot, free_at, 1.25))
                .or_else(|| (slot != Slot::Free).then(|| self.best(Slot::Free, free_at, 1.0)).flatten())
                .or_else(|| (self.needs.night && slot != Slot::Night).then(|| self.best(Slot::Night, free_at, 1.0)).flatten());
            let Some(pick) = pick else { break };
            if let Some(leg) = pick.leg {
                self.legs.push(leg);
            }
            free_at = pick.leave;
            self.stops.push(PlannedStop { place: pick.place, arrive: pick.arrive, leave: pick.leave });
        }
        self.stretch_last_stop();
    }

    fn done(&self, slot: Slot) -> bool {
        let night_stop = |s: &PlannedStop| {
            s.arrive + 20 >= self.sunset && matches!(s.place.category, Category::NightView | Category::Walk | Category::Bar)
        };
        match slot {
            Slot::Lunch => self.stops.iter().any(|s| s.place.category == Category::Meal && s.arrive < 15 * 60),
            Slot::Dinner => self.stops.iter().any(|s| s.place.category == Category::Meal && s.arrive >= 16 * 60),
            Slot::Night => self.stops.iter().any(night_stop),
            Slot::Free => false,
        }
    }

    /// What the slot starting around `at` is for.
    fn slot(&self, at: u16) -> Slot {
        if self.needs.lunch && !self.done(Slot::Lunch) && (LUNCH.0 - MEAL_EARLY..=LUNCH.1).contains(&at) {
            Slot::Lunch
        } else if self.needs.dinner && !self.done(Slot::Dinner) && (DINNER.0 - MEAL_EARLY..=DINNER.1).contains(&at) {
            Slot::Dinner
        } else if self.needs.night && !self.done(Slot::Night) && at + 45 >= self.sunset {
            Slot::Night
        } else {
            Slot::Free
        }
    }

    /// When the stop after a free one should start: the next meal still to come, or the end.
    fn next_anchor(&self, arrive: u16) -> u16 {
        if self.needs.lunch && !self.done(Slot::Lunch) && arrive < 12 * 60 {
            12 * 60
        } else if self.needs.dinner && !self.done(Slot::Dinner) && arrive < 18 * 60 {
            18 * 60
        } else if self.needs.night && !self.done(Slot::Night) && arrive < self.sunset {
            self.sunset
        } else {
            self.request.end
        }
    }

    fn best(&self, slot: Slot, free_at: u16, reach: f64) -> Option<Candidate<'a>> {
        let previous = self.stops.last();
        self.pool
            .iter()
            .filter(|place| !self.stops.iter().any(|s| std::ptr::eq(s.place, **place)))
            .filter_map(|&place| {
                let leg = previous.map(|p| geo::leg(p.place.position(), place.position(), self.request.transport));
                if let Some(leg) = &leg {
                    let walk_cap = f64::from(geo::MAX_WALK_LEG_M) * reach;
                    if leg.mode == LegMode::Walk && f64::from(leg.distance_m) > walk_cap {
                        return None;
                    }
                    if leg.mode != LegMode::Walk && f64::from(leg.minutes) > 40.0 * reach {
                        return None;
                    }
                }
                if previous.is_none() && place.area != self.area_index {
                    return None;
                }
                if let Some(first) = self.stops.first() {
                    let from_start = geo::distance_m(first.place.position(), place.position());
                    if self.request.transport == Transport::Walk && from_start > WALK_RADIUS_M * reach {
                        return None;
                    }
                }
                let arrive = free_at + leg.as_ref().map_or(0, |l| l.minutes as u16);
                let meal_window = match slot {
                    Slot::Lunch => Some(LUNCH),
                    Slot::Dinner => Some(DINNER),
                    _ => None,
                };
                if meal_window.is_some_and(|(from, to)| !(from - MEAL_EARLY..=to).contains(&arrive)) {
                    return None;
                }
                let stay = self.stay(place, slot, arrive)?;
                let leave = arrive + stay;
                let mut score = self.score(place, slot, arrive, leg.as_ref())?;
                if self.request.end.saturating_sub(leave) >= MIN_STAY && !self.has_follow_up(place, leave) {
                    score -= 4.0; // the course would have to stop early after this place
                }
                Some(Candidate { place, leg, arrive, leave, score })
            })
            .max_by(|a, b| a.score.total_cmp(&b.score))
    }

    /// Whether some other unused place can be reached from `place` and visited after `leave`.
    fn has_follow_up(&self, place: &Place, leave: u16) -> bool {
        self.pool.iter().any(|next| {
            if std::ptr::eq(*next, place) || self.stops.iter().any(|s| std::ptr::eq(s.place, *next)) {
                return false;
            }
            // Meals only fill meal slots, so they cannot carry the course to its end.
            if next.category == Category::Meal {
                return false;
            }
            let leg = geo::leg(place.position(), next.position(), self.request.transport);
            let arrive = leave + leg.minutes as u16;
            (leg.mode != LegMode::Walk || leg.distance_m <= geo::MAX_WALK_LEG_M)
                && arrive + MIN_STAY <= self.request.end
                && next.open_for(self.day, arrive, arrive + MIN_STAY)
        })
    }

    /// How long to stay, or `None` when the place cannot take a worthwhile visit then.
    fn stay(&self, place: &Place, slot: Slot, arrive: u16) -> Option<u16> {
        let end = self.request.end;
        if arrive + MIN_STAY > end {
            return None;
        }
        let typical = place.stay;
        let shortest = MIN_STAY.max(typical * 6 / 10);
        let longest = longest_stay(place).max(shortest);
        let mut stay = typical;
        if slot != Slot::Lunch && slot != Slot::Dinner {
            let anchor = self.next_anchor(arrive);
            // Leave time to reach the next meal, or stop right at the end.
            let room = anchor.saturating_sub(arrive + if anchor == end { 0 } else { 10 });
            if room <= longest || room.saturating_sub(typical) < 40 {
                stay = room;
            }
        }
        let stay = stay
            .clamp(shortest, longest)
            .min(end - arrive)
            .min(place.hours.on(self.day).open.closes_after(arrive).unwrap_or(0).saturating_sub(arrive));
        (stay >= shortest.min(end - arrive) && stay >= MIN_STAY && place.open_for(self.day, arrive, arrive + stay)).then_some(stay)
    }

    fn score(&self, place: &Place, slot: Slot, arrive: u16, leg: Option<&Leg>) -> Option<f64> {
        use Category::*;
        let dinner_behind = !self.needs.dinner || self.done(Slot::Dinner);
        let count = |c: Category| self.stops.iter().filter(|s| s.place.category == c).count();
        let base = match (slot, place.category) {
            (Slot::Lunch | Slot::Dinner, Meal) => 2.0,
            (Slot::Lunch | Slot::Dinner, _) | (_, Meal) => return None,
            (Slot::Night, NightView | Sunset) => 3.0,
            (Slot::Night, Walk) if !place.indoor => 2.2,
            (Slot::Night, Bar) if dinner_behind => 1.2,
            (Slot::Night, _) => return None,
            (Slot::Free, NightView) if self.needs.night => return None,
            (Slot::Free, NightView | Sunset) => 0.8,
            (Slot::Free, Bar) if arrive >= 18 * 60 + 30 && dinner_behind && count(Bar) == 0 => 1.5,
            (Slot::Free, Bar) => return None,
            (Slot::Free, Cafe) if count(Cafe) >= 2 => return None,
            (Slot::Free, Sight) => 2.2,
            (Slot::Free, Culture | Walk) => 2.0,
            (Slot::Free, Activity) => 1.8,
            (Slot::Free, Cafe) => 1.6,
            (Slot::Free, Shopping) => 1.0,
        };
        let mut score = base;
        if place.shines_in(self.request.season) {
            score += 1.5;
        }
        let hot_midday = self.request.season == Season::Summer && (12 * 60..16 * 60).contains(&arrive);
        match (self.request.season, place.indoor) {
            (Season::Summer, false) if hot_midday => score -= 2.0,
            (Season::Summer, true) if hot_midday => score += 0.5,
            (Season::Winter, false) if arrive >= 17 * 60 && place.category != NightView => score -= 1.5,
            (Season::Winter, false) => score -= 0.5,
            _ => {}
        }
        if let Some(previous) = self.stops.last() {
            if previous.place.category == place.category {
                score -= 2.0;
            }
            if previous.place.category == Meal && place.category == Cafe {
                score += 1.0; // 밥 먹고 카페: coffee after a meal is the classic
            }
        }
        score -= 0.8 * count(place.category) as f64;
        score -= 0.12 * leg.map_or(0.0, |l| f64::from(l.minutes));
        if place.area != self.area_index {
            score -= 1.0;
        }
        match self.stops.first() {
            None => score -= geo::distance_m((self.area.lat, self.area.lon), place.position()) / 1_000.0,
            // A walking course stays compact around where it began, so the places it still
            // needs (dinner, a night view) stay within walking distance.
            Some(first) if self.request.transport == Transport::Walk => {
                score -= geo::distance_m(first.place.position(), place.position()) / 1_500.0;
            }
            Some(_) => {}
        }
        if self.request.date.is_none() && !place.hours.usual(self.request.season).closed_days.is_empty() {
            score -= 0.6; // the weekday is unknown: prefer places open every day
        }
        Some(score + jitter(self.seed, &place.id))
    }

    /// Lets the last stop run to the end when it can, so the course does not stop early.
    fn stretch_last_stop(&mut self) {
        let end = self.request.end;
        if let Some(last) = self.stops.last_mut() {
            let longest = last.arrive + longest_stay(last.place);
            last.leave =
                last.leave.max(end.min(longest).min(last.place.hours.on(self.day).open.closes_after(last.arrive).unwrap_or(last.leave)));
        }
    }
}

/// The longest a visit may stretch: half again its typical stay, or twice for the places
/// where an evening can linger (a walk, a view, a café, a bar).
fn longest_stay(place: &Place) -> u16 {
    match place.category {
        Category::Walk | Category::NightView | Category::Cafe | Category::Bar => place.stay * 2,
        _ => place.stay * 3 / 2,
    }
}

/// Same input, same course: the jitter that separates near-equal places is a hash of the
/// request (variant included) and the place, never a random number.
fn seed(area: &str, request: &PlanRequest) -> u64 {
    let text = format!(
        "{area}|{:?}|{:?}|{}|{}|{:?}|{}",
        request.season, request.date, request.start, request.end, request.transport, request.variant
    );
    fnv1a(text.as_bytes())
}

fn jitter(seed: u64, place_id: &str) -> f64 {
    let mixed = splitmix64(seed ^ fnv1a(place_id.as_bytes()));
    (mixed % 10_000) as f64 / 10_000.0 * 1.6
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
