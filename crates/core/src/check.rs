//! The checker: holds a course, as it goes out on the wire, to every rule of [`crate::rules`].
//!
//! It reads the course the couple will read — names, "HH:MM" times, legs — looks each stop up
//! in the catalogue, and reports every rule broken, in words a person (or a model asked to
//! mend its answer) can act on. It knows nothing of how the course was made: the built-in
//! planner's courses and LLM answers are held to the same rules. A course may leave out only
//! the rules in [`Rule::RELAXABLE`], and only when it says so in its notes.

use crate::anchor::{self, Anchor};
use crate::calendar::{self, Day};
use crate::catalogue::{Catalogue, Category, Place};
use crate::course::{hhmm, minutes_in_window, CourseContent, LegMode, Transport};
use crate::geo::distance_m;
use crate::request::PlanRequest;
use crate::rules::{self, Needs, Rule};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: Rule,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A stop as the checker reads it.
struct Visit<'c> {
    name: &'c str,
    category: &'c str,
    place: Option<&'c Place>,
    arrive: u16,
    leave: u16,
    position: (f64, f64),
}

/// Every rule the course breaks; empty when it keeps them all.
pub fn problems(catalogue: &Catalogue, content: &CourseContent, request: &PlanRequest) -> Vec<Problem> {
    let mut found = every_problem(catalogue, content, request);
    let relaxed = declared_relaxations(content, request);
    found.retain(|p| !relaxed.contains(&p.rule));
    found
}

/// Every rule the course breaks, those it declares relaxed included.
pub fn every_problem(catalogue: &Catalogue, content: &CourseContent, request: &PlanRequest) -> Vec<Problem> {
    Checker { catalogue, content, request, problems: Vec::new() }.run()
}

/// The relaxable rules a course says it relaxed (by carrying their note).
pub fn declared_relaxations(content: &CourseContent, request: &PlanRequest) -> Vec<Rule> {
    Rule::RELAXABLE.into_iter().filter(|rule| content.notes.iter().any(|n| rule.declared_by(n, request.lang))).collect()
}

struct Checker<'c> {
    catalogue: &'c Catalogue,
    content: &'c CourseContent,
    request: &'c PlanRequest,
    problems: Vec<Problem>,
}

impl<'c> Checker<'c> {
    fn report(&mut self, rule: Rule, message: String) {
        self.problems.push(Problem { rule, message });
    }

    fn run(mut self) -> Vec<Problem> {
        let request = self.request;
        let stops = &self.content.stops;
        if stops.is_empty() {
            self.report(Rule::Shape, "the course has no stops".into());
            return self.problems;
        }
        let mut visits = Vec::with_capacity(stops.len());
        for stop in stops {
            let (Some(arrive), Some(leave)) =
                (minutes_in_window(&stop.arrive, request.start), minutes_in_window(&stop.leave, request.start))
            else {
                self.report(Rule::Shape, "every stop needs arrive and leave as HH:MM".into());
                return self.problems;
            };
            let leave = if leave < arrive && leave + 1440 <= rules::LATEST_END { leave + 1440 } else { leave };
            visits.push(Visit {
                name: &stop.name,
                category: &stop.category,
                place: self.catalogue.find_place(&stop.name),
                arrive,
                leave,
                position: (stop.lat, stop.lon),
            });
        }
        if self.content.legs.len() + 1 != visits.len() {
            self.report(Rule::Shape, "there must be one leg between each two stops".into());
            return self.problems;
        }
        let anchor = anchor::resolve(self.catalogue, request).ok();
        let day = Day::new(request.date, request.season);
        let sunset = match &anchor {
            Some(a) => calendar::sunset(day.reference_date(), a.lat, a.lon),
            None => calendar::sunset(day.reference_date(), visits[0].position.0, visits[0].position.1),
        };
        self.window(&visits, day, anchor.as_ref(), sunset);
        self.travel(&visits);
        self.places(&visits, day, anchor.as_ref());
        self.meals(&visits, sunset);
        self.shape(&visits);
        self.time_of_day(&visits, sunset);
        if let Some(anchor) = &anchor {
            self.anchor(&visits, anchor, day);
        }
        self.problems
    }

    fn window(&mut self, visits: &[Visit], day: Day, anchor: Option<&Anchor>, sunset: u16) {
        let request = self.request;
        let (first, last) = (visits[0].arrive, visits[visits.len() - 1].leave);
        if first < request.start || first > request.start + rules::START_SLACK {
            self.report(Rule::Start, format!("the course must start at {}, not {}", hhmm(request.start), hhmm(first)));
        }
        if last > request.end {
            self.report(Rule::End, format!("the course must end by {} (it ends at {})", hhmm(request.end), hhmm(last)));
        }
        if last + rules::END_SLACK < request.end {
            let final_visit = &visits[visits.len() - 1];
            match final_visit.place {
                None => {
                    self.report(Rule::EndsEarly, format!("the course must end close to {} (it ends at {})", hhmm(request.end), hhmm(last)))
                }
                Some(place) => {
                    let (_, longest) = rules::stay_range(place);
                    let close = place.hours.on(day).open.closes_after(final_visit.arrive).unwrap_or(last);
                    let mut could_leave = request.end.min(final_visit.arrive + longest).min(close);
                    let winter = rules::winter_evening_minutes(request.season, place.indoor, final_visit.arrive, could_leave);
                    could_leave -= winter.saturating_sub(rules::WINTER_OUTDOOR_MINUTES);
                    if could_leave > last && could_leave + rules::END_SLACK >= request.end {
                        self.report(
                            Rule::EndsEarly,
                            format!(
                                "the course ends at {} although {} could last until {}",
                                hhmm(last),
                                final_visit.name,
                                hhmm(could_leave)
                            ),
                        );
                    } else if visits.len() < rules::max_stops(request.start, request.end) {
                        if let Some(open) = self.still_open_nearby(place, last, visits, day, anchor, sunset) {
                            self.report(
                                Rule::EndsEarly,
                                format!(
                                    "the course ends at {} although {} is open and within reach until {}",
                                    hhmm(last),
                                    open.ko,
                                    hhmm(request.end)
                                ),
                            );
                        }
                    }
                }
            }
        }
        if visits.len() > rules::max_stops(request.start, request.end) {
            self.report(
                Rule::Pace,
                format!(
                    "{} stops is too many for {}–{}: at most {} (about one stop per 80–100 minutes)",
                    visits.len(),
                    hhmm(request.start),
                    hhmm(request.end),
                    rules::max_stops(request.start, request.end)
                ),
            );
        }
    }

    fn travel(&mut self, visits: &[Visit]) {
        let request = self.request;
        let mut walked = 0;
        for (i, pair) in visits.windows(2).enumerate() {
            let (from, to) = (&pair[0], &pair[1]);
            let leg = &self.content.legs[i];
            if to.arrive < from.leave + leg.minutes as u16 {
                self.report(Rule::Travel, format!("the way from {} takes {} minutes, more than the plan allows", from.name, leg.minutes));
            } else if to.arrive > from.leave + leg.minutes as u16 + rules::GAP_SLACK {
                self.report(Rule::IdleGap, format!("there is an idle gap after {}", from.name));
            }
            match leg.mode {
                LegMode::Walk => {
                    walked += leg.minutes;
                    if leg.distance_m > rules::WALK_LEG_LIMIT_M {
                        self.report(Rule::WalkLeg, format!("the walk after {} is {} m, too far on foot", from.name, leg.distance_m));
                    }
                }
                _ if request.transport == Transport::Walk => self.report(Rule::WalkOnly, "a walking course must only walk".into()),
                _ if leg.minutes > rules::RIDE_LEG_MINUTES => {
                    self.report(Rule::RideLeg, format!("the ride after {} takes {} minutes, too long for a date", from.name, leg.minutes))
                }
                _ => {}
            }
        }
        let window = f64::from(request.end - request.start);
        if f64::from(walked) > window * rules::WALK_SHARE {
            self.report(Rule::WalkShare, format!("{walked} minutes of walking between stops is more than a fifth of the date"));
        }
    }

    fn places(&mut self, visits: &[Visit], day: Day, anchor: Option<&Anchor>) {
        let request = self.request;
        let named = anchor.and_then(|a| a.place);
        for (i, visit) in visits.iter().enumerate() {
            if visit.leave <= visit.arrive {
                self.report(Rule::Shape, format!("{} ends before it starts", visit.name));
            }
            let stay = visit.leave.saturating_sub(visit.arrive);
            let last = i + 1 == visits.len();
            let shortest = rules::shortest_visit(visit.place, last);
            if stay < shortest || stay > rules::MAX_STAY {
                self.report(
                    Rule::StayLength,
                    format!("{} lasts {stay} minutes; a visit there lasts {shortest}–{} minutes", visit.name, rules::MAX_STAY),
                );
            }
            if visits[..i].iter().any(|other| other.name == visit.name) {
                self.report(Rule::Twice, format!("{} appears twice", visit.name));
            }
            let Some(place) = visit.place else { continue };
            if !place.open_for(day, visit.arrive, visit.leave) {
                self.report(
                    Rule::Closed,
                    format!("{} is not open (or takes no one in) from {} to {}", visit.name, hhmm(visit.arrive), hhmm(visit.leave)),
                );
            }
            let site = self.catalogue.site_of(place);
            let shares_site = visits[..i]
                .iter()
                .filter_map(|v| v.place)
                .any(|other| self.catalogue.site_of(other) == site && rules::repeats_site(other, place));
            if shares_site && !visits[..i].iter().any(|v| v.name == visit.name) {
                self.report(
                    Rule::SameSite,
                    format!("{} is part of a place the course already visits or eats at; one place is one stop", visit.name),
                );
            }
            if let Some(other) = visits[..i].iter().filter_map(|v| v.place).find(|other| rules::same_brand(other, place)) {
                self.report(Rule::SameBrand, format!("{} and {} are one brand; one brand is one stop", other.ko, visit.name));
            }
            if let Err(rule) = rules::allowed(place, request, named) {
                let message = match rule {
                    Rule::DrinkingByCar => format!("{} is a drinking place, and this couple drives", visit.name),
                    Rule::CarOnly => format!("{} can only be reached by car", visit.name),
                    _ => format!("{} is a memorial site, not a date stop unless the couple asks for it", visit.name),
                };
                self.report(rule, message);
            }
            if request.indoor && !place.indoor {
                self.report(Rule::Indoor, format!("{} is outdoors, and the couple asked for indoor places", visit.name));
            }
        }
    }

    fn meals(&mut self, visits: &[Visit], sunset: u16) {
        let request = self.request;
        let needs = Needs::of(request.start, request.end, sunset);
        let meals: Vec<&Visit> = visits.iter().filter(|v| v.category == Category::Meal.code()).collect();
        if needs.lunch {
            let in_window = meals.iter().any(|m| {
                let window = m.place.map_or(rules::LUNCH, |p| rules::lunch_window(&needs, p));
                (window.0..=window.1).contains(&m.arrive)
            });
            if !in_window {
                self.report(
                    Rule::Lunch,
                    format!("the window covers lunch but no meal starts between {} and {}", hhmm(rules::LUNCH.0), hhmm(rules::LUNCH.1)),
                );
            }
        }
        if needs.dinner {
            let window = rules::dinner_window(request.start);
            if !meals.iter().any(|m| (window.0..=window.1).contains(&m.arrive)) {
                self.report(
                    Rule::Dinner,
                    format!("the window covers dinner but no meal starts between {} and {}", hhmm(window.0), hhmm(window.1)),
                );
            }
            if needs.dinner_first && visits[0].category != Category::Meal.code() {
                self.report(Rule::DinnerFirst, format!("a date that starts at {} begins with dinner", hhmm(request.start)));
            }
        }
        for pair in meals.windows(2) {
            if pair[1].arrive < pair[0].arrive + rules::MEAL_GAP {
                self.report(Rule::MealGap, format!("{} and {} are two meals less than three hours apart", pair[0].name, pair[1].name));
            }
        }
        // When the window holds a meal time, every meal is that lunch or that dinner.
        if needs.lunch || needs.dinner {
            for meal in &meals {
                let lunchtime = (rules::BRUNCH_FROM..=rules::LUNCH.1).contains(&meal.arrive);
                let dinnertime = (rules::dinner_window(request.start).0..=rules::DINNER.1).contains(&meal.arrive);
                if !lunchtime && !dinnertime {
                    self.report(Rule::MealTime, format!("{} is a meal at {}, not at a meal time", meal.name, hhmm(meal.arrive)));
                }
            }
        }
    }

    fn shape(&mut self, visits: &[Visit]) {
        let request = self.request;
        let cafes = visits.iter().filter(|v| v.category == Category::Cafe.code()).count();
        if cafes > rules::MAX_CAFES {
            self.report(Rule::Cafes, format!("{cafes} cafés; at most {}", rules::MAX_CAFES));
        }
        if !rules::same_kind_in_a_row_allowed(request.start, request.end) {
            if let Some(pair) = visits.windows(2).find(|pair| pair[0].category == pair[1].category) {
                self.report(
                    Rule::SameKindInARow,
                    format!("{} and {} are the same kind of stop one after the other", pair[0].name, pair[1].name),
                );
            }
        }
        for (j, visit) in visits.iter().enumerate() {
            for (i, earlier) in visits[..j].iter().enumerate() {
                let back = distance_m(earlier.position, visit.position) <= rules::RETURN_RADIUS_M;
                if back && visits[i + 1..j].iter().any(|between| distance_m(earlier.position, between.position) > rules::AWAY_M) {
                    self.report(
                        Rule::Return,
                        format!("the course goes away from {} and comes back to {}: a zig-zag", earlier.name, visit.name),
                    );
                }
            }
        }
    }

    fn time_of_day(&mut self, visits: &[Visit], sunset: u16) {
        let request = self.request;
        for visit in visits {
            if visit.category == Category::NightView.code() && visit.arrive + rules::NIGHT_VIEW_BEFORE_SUNSET < sunset {
                self.report(
                    Rule::NightViewTooEarly,
                    format!("{} is a night view at {}, before dark (sunset {})", visit.name, hhmm(visit.arrive), hhmm(sunset)),
                );
            }
            if visit.category == Category::Sunset.code() {
                if visit.place.is_some_and(|p| !p.tags.sunset) {
                    self.report(Rule::SunsetOffTime, format!("{} is not known for its sunset", visit.name));
                } else if !(sunset.saturating_sub(rules::SUNSET_EARLIEST_BEFORE)..=sunset + rules::SUNSET_LATEST_AFTER)
                    .contains(&visit.arrive)
                {
                    self.report(
                        Rule::SunsetOffTime,
                        format!("{} is a sunset stop at {}, but the sun sets at {}", visit.name, hhmm(visit.arrive), hhmm(sunset)),
                    );
                }
            }
            let left_by = visit.place.and_then(|p| rules::left_by(p, sunset).map(|by| (p, by)));
            if let Some((place, by)) = left_by.filter(|(_, by)| visit.leave > *by) {
                let why =
                    if place.tags.daylight { format!("is seen by daylight only (sunset {})", hhmm(sunset)) } else { "is a climb".into() };
                self.report(Rule::AfterDark, format!("{} {why}: leave by {}, not {}", visit.name, hhmm(by), hhmm(visit.leave)));
            }
            let indoor = visit.place.is_none_or(|p| p.indoor);
            if rules::winter_evening_minutes(request.season, indoor, visit.arrive, visit.leave) > rules::WINTER_OUTDOOR_MINUTES {
                self.report(Rule::WinterOutdoor, format!("{} keeps the couple outdoors for long on a winter evening", visit.name));
            }
        }
        let needs = Needs::of(request.start, request.end, sunset);
        let night_kinds = [Category::NightView, Category::Sunset, Category::Walk, Category::Bar].map(Category::code);
        let night_stop = visits.iter().any(|v| {
            let outdoor_or_bar = v.category == Category::Bar.code() || v.place.is_none_or(|p| !p.indoor);
            night_kinds.contains(&v.category) && outdoor_or_bar && v.leave >= sunset + rules::NIGHT_STOP_AFTER_SUNSET
        });
        if needs.night && !night_stop {
            self.report(Rule::NightStop, format!("the date runs past sunset ({}) but has no night view or evening walk", hhmm(sunset)));
        }
    }

    fn anchor(&mut self, visits: &[Visit], anchor: &Anchor, day: Day) {
        let request = self.request;
        let name = anchor.name(request.lang);
        let first = distance_m(anchor.position(), visits[0].position);
        let limit = if request.transport == Transport::Walk { rules::FIRST_STOP_WALK_M } else { rules::FIRST_STOP_RIDE_M };
        if first > limit {
            self.report(Rule::FirstStopFar, format!("the first stop is {first:.0} m from {name}; it should be within {limit:.0} m"));
        }
        if request.transport == Transport::Walk {
            for visit in visits {
                let d = distance_m(anchor.position(), visit.position);
                if d > rules::WALK_RADIUS_M {
                    self.report(Rule::WalkRadius, format!("{} is {d:.0} m from {name}, too far for a walking date", visit.name));
                }
            }
        }
        if let Some(place) = anchor.place {
            let visited = visits.iter().any(|v| v.place.is_some_and(|p| std::ptr::eq(p, place)));
            if !visited && self.named_place_fits(place, day) {
                self.report(
                    Rule::NamedPlace,
                    format!("the couple asked for {}, which is open then, but it is not in the course", place.ko),
                );
            }
        }
    }

    /// Whether the named place could be in this course: allowed for how the couple travels and
    /// open for a visit inside the window.
    fn named_place_fits(&self, place: &Place, day: Day) -> bool {
        let request = self.request;
        if rules::allowed(place, request, Some(place)).is_err() || (request.indoor && !place.indoor) {
            return false;
        }
        let (shortest, _) = rules::stay_range(place);
        let hours = place.hours.on(day);
        hours.open.spans().iter().any(|&(open, close)| {
            let from = open.max(request.start);
            let to = close.min(request.end).min(close.saturating_sub(place.last_entry).max(from) + shortest);
            to >= from + shortest
        })
    }

    /// A place the course could still have gone on to after leaving `last` at `leave`, keeping
    /// the rules: not in the course, not a meal, allowed, not the same kind as the last stop,
    /// not coming back, not a night view before dark, within the walking radius on foot,
    /// reachable as the couple travels and open for a visit before the end. A course may end
    /// early only when there is none.
    fn still_open_nearby(
        &self,
        last: &Place,
        leave: u16,
        visits: &[Visit],
        day: Day,
        anchor: Option<&Anchor>,
        sunset: u16,
    ) -> Option<&'c Place> {
        let request = self.request;
        let cafes = visits.iter().filter(|v| v.category == Category::Cafe.code()).count();
        let same_kind_ok = rules::same_kind_in_a_row_allowed(request.start, request.end);
        self.catalogue.places.iter().filter(|place| crate::geo::maybe_within(last.position(), place.position(), 20_000.0)).find(|place| {
            if place.category == Category::Meal || visits.iter().any(|v| v.place.is_some_and(|p| std::ptr::eq(p, *place))) {
                return false;
            }
            if rules::allowed(place, request, None).is_err() || (request.indoor && !place.indoor) {
                return false;
            }
            if (!same_kind_ok && place.category == last.category) || (place.category == Category::Cafe && cafes >= rules::MAX_CAFES) {
                return false;
            }
            let comes_back = visits.iter().enumerate().any(|(i, earlier)| {
                distance_m(earlier.position, place.position()) <= rules::RETURN_RADIUS_M
                    && visits[i + 1..].iter().any(|between| distance_m(earlier.position, between.position) > rules::AWAY_M)
            });
            let too_far = request.transport == Transport::Walk
                && anchor.is_some_and(|a| distance_m(a.position(), place.position()) > rules::WALK_RADIUS_M);
            if comes_back || too_far {
                return false;
            }
            let leg = crate::geo::leg(last.position(), place.position(), request.transport);
            let reachable = match leg.mode {
                LegMode::Walk => leg.distance_m <= crate::geo::MAX_WALK_LEG_M,
                _ => leg.minutes <= rules::RIDE_LEG_MINUTES,
            };
            let arrive = leave + leg.minutes as u16;
            let dark_enough = match place.category {
                Category::NightView => arrive + rules::NIGHT_VIEW_BEFORE_SUNSET >= sunset,
                Category::Bar => arrive >= 18 * 60 + 30,
                _ => true,
            };
            reachable && dark_enough && arrive + rules::MIN_STAY <= request.end && place.open_for(day, arrive, arrive + rules::MIN_STAY)
        })
    }
}
