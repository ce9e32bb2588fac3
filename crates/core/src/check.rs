//! The rules every course must keep, checked mechanically on the course as it goes out on the
//! wire: inside the window and ending near its end (unless nothing within reach is open
//! later), times that only move forward, travel no faster than estimated and
//! no idle gaps, every known place open when visited, meals at meal times, a night stop after
//! sunset, no place twice, short walking legs. The built-in planner's courses are tested
//! against it, and answers from an LLM are checked with it before anyone sees them.

use crate::calendar::Day;
use crate::catalogue::{catalogue, Category, Place};
use crate::course::{parse_hhmm, CourseContent, LegMode, Transport};
use crate::geo::MAX_WALK_LEG_M;
use crate::planner::{sunset, Needs, DINNER, END_SLACK, LUNCH, MEAL_EARLY, MIN_STAY};
use crate::request::{hhmm, PlanRequest};

/// Slack allowed on top of the estimated travel before a gap counts as idle.
pub const GAP_SLACK_MINUTES: u16 = 15;
/// "About 2 km": walking legs may run a quarter over the planner's own cap.
pub const WALK_LEG_LIMIT_M: u32 = MAX_WALK_LEG_M + MAX_WALK_LEG_M / 4;

/// Every rule the course breaks, in words; empty when it is good.
pub fn problems(content: &CourseContent, request: &PlanRequest) -> Vec<String> {
    let mut problems = Vec::new();
    let stops = &content.stops;
    if stops.is_empty() {
        return vec!["the course has no stops".to_owned()];
    }
    let times: Vec<Option<(u16, u16)>> = stops.iter().map(|s| Some((parse_hhmm(&s.arrive)?, parse_hhmm(&s.leave)?))).collect();
    if times.iter().any(Option::is_none) {
        return vec!["every stop needs arrive and leave as HH:MM".to_owned()];
    }
    let times: Vec<(u16, u16)> = times.into_iter().flatten().collect();
    let day = Day::new(request.date, request.season);
    let (first, last) = (times[0].0, times[times.len() - 1].1);
    if first < request.start || first > request.start + GAP_SLACK_MINUTES {
        problems.push(format!("the course must start at {}, not {}", hhmm(request.start), hhmm(first)));
    }
    if last > request.end {
        problems.push(format!("the course must end by {} (it ends at {})", hhmm(request.end), hhmm(last)));
    }
    if last + END_SLACK < request.end {
        if let Some(open) = find_place(&stops[stops.len() - 1].name).and_then(|p| still_open_nearby(p, last, content, request)) {
            problems.push(format!(
                "the course ends at {} although {} is open and within reach until {}",
                hhmm(last),
                open.ko,
                hhmm(request.end)
            ));
        } else if find_place(&stops[stops.len() - 1].name).is_none() {
            problems.push(format!("the course must end close to {} (it ends at {})", hhmm(request.end), hhmm(last)));
        }
    }
    if content.legs.len() + 1 != stops.len() {
        problems.push("there must be one leg between each two stops".to_owned());
    }
    for (i, (stop, &(arrive, leave))) in stops.iter().zip(&times).enumerate() {
        if leave <= arrive {
            problems.push(format!("{} ends before it starts", stop.name));
        }
        if let Some(place) = find_place(&stop.name) {
            if !place.open_for(day, arrive, leave) {
                problems.push(format!("{} is not open from {} to {}", stop.name, stop.arrive, stop.leave));
            }
        }
        if stops[..i].iter().any(|other| other.name == stop.name) {
            problems.push(format!("{} appears twice", stop.name));
        }
        if let (Some(leg), Some(&(next_arrive, _))) = (content.legs.get(i), times.get(i + 1)) {
            let travel = leg.minutes as u16;
            if next_arrive < leave + travel {
                problems.push(format!("the way from {} takes {} minutes, more than the plan allows", stop.name, travel));
            } else if next_arrive > leave + travel + GAP_SLACK_MINUTES {
                problems.push(format!("there is an idle gap after {}", stop.name));
            }
            if leg.mode == LegMode::Walk && leg.distance_m > WALK_LEG_LIMIT_M {
                problems.push(format!("the walk after {} is {} m, too far on foot", stop.name, leg.distance_m));
            }
            if request.transport == Transport::Walk && leg.mode != LegMode::Walk {
                problems.push("a walking course must only walk".to_owned());
            }
        }
    }
    let needs = Needs::of(request.start, request.end, sunset(request.season, request.date));
    let meal_in = |window: (u16, u16)| {
        stops.iter().zip(&times).any(|(s, t)| s.category == Category::Meal.code() && (window.0 - MEAL_EARLY..=window.1).contains(&t.0))
    };
    if needs.lunch && !meal_in(LUNCH) {
        problems.push("the window covers lunch but no meal starts between 10:45 and 13:30".to_owned());
    }
    if needs.dinner && !meal_in(DINNER) {
        problems.push("the window covers dinner but no meal starts between 16:45 and 19:30".to_owned());
    }
    let sunset = sunset(request.season, request.date);
    let night_codes = [Category::NightView.code(), Category::Walk.code(), Category::Bar.code()];
    // A night stop is one where the couple spends at least 20 minutes after sunset.
    if needs.night && !stops.iter().zip(&times).any(|(s, t)| t.1 >= sunset + 20 && night_codes.contains(&s.category.as_str())) {
        problems.push(format!("the date runs past sunset ({}) but has no night view or evening walk", hhmm(sunset)));
    }
    problems
}

/// A place the course could still have gone on to after leaving `last` at `leave`: not in
/// the course, not a meal (meals only fill meal times), reachable as the course travels, and
/// open for a worthwhile visit before the end. A course may end early only when there is none.
fn still_open_nearby(last: &Place, leave: u16, content: &CourseContent, request: &PlanRequest) -> Option<&'static Place> {
    catalogue().places.iter().find(|place| {
        if place.category == Category::Meal || content.stops.iter().any(|s| s.name == place.ko || s.name == place.en) {
            return false;
        }
        let leg = crate::geo::leg(last.position(), place.position(), request.transport);
        let arrive = leave + leg.minutes as u16;
        let reachable = match leg.mode {
            LegMode::Walk => leg.distance_m <= MAX_WALK_LEG_M,
            _ => leg.minutes <= 40,
        };
        reachable && arrive + MIN_STAY <= request.end && place.open_for(Day::new(request.date, request.season), arrive, arrive + MIN_STAY)
    })
}

/// A catalogue place by its Korean or English name.
pub fn find_place(name: &str) -> Option<&'static Place> {
    catalogue().find_place(name)
}
