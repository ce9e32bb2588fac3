//! The built-in planner: from a [`PlanRequest`] to a timed course over the catalogue.
//!
//! A date course is a small orienteering problem with time windows: choose and order places
//! that please the couple most, each visited while open, with travel between them, inside the
//! couple's window. fyd's instances are small (a hundred candidates, four to eight stops), so
//! the planner runs a **beam search** over the course in time order:
//!
//! 1. **Anchor and pool.** The course is anchored on the most specific thing the couple named
//!    ([`crate::anchor`]); the candidates are the allowed places near it (on foot within
//!    [`rules::WALK_RADIUS_M`]), open at some point of the window on that day.
//! 2. **Slots.** The time decides what the next stop is for: lunch near 12:00 and dinner near
//!    18:00 when the window covers them (dinner first for a date starting at 17:00–19:30), a
//!    night stop once it is dark, a sunset place around sunset, else a free stop.
//! 3. **Pace.** A free stop's visit is sized so the stops still to come before the next meal (or
//!    the end) each take about [`rules::PACE_MINUTES`] with travel — within what the place
//!    takes ([`rules::stay_range`]), its hours, and the winter-evening cap.
//! 4. **Search.** Each partial course keeps its best few continuations by score (season,
//!    hour, variety, travel, distance from the anchor, a meal with a backup open nearby, a
//!    deterministic jitter); hard rules (hours, no zig-zag, walking share, one café too
//!    many…) prune. The best finished courses are rendered and held to [`crate::check`]; the
//!    first that keeps every rule wins.
//! 5. **Relax or refuse.** If none does, the planner drops its preference for meals with a
//!    backup, then relaxes [`Rule::RELAXABLE`] rules one at a time, saying so in the course;
//!    if still none, it refuses with [`PlanError::NoCourse`].
//!
//! Same input, same course: nothing is random, only hashed. A `variant` other than 0 avoids
//! the places of the default course where the area has alternatives.

use std::sync::Arc;

use crate::anchor::{self, Anchor, UnknownPlace};
use crate::calendar::{self, Day};
use crate::catalogue::{Catalogue, Category, Place, Usual};
use crate::check;
use crate::course::{hhmm, Alternative, CourseContent, Leg, LegMode, Season, Transport};
use crate::geo::{self, distance_m};
use crate::render::{self, Visit};
use crate::request::{Lang, PlanRequest};
use crate::rules::{self, Needs, Rule};

/// Candidates kept for transit and car courses (the nearest to the anchor).
const MAX_POOL: usize = 110;
/// How far transit and car courses may reach from the anchor.
const PUBLIC_REACH_M: f64 = 7_000.0;
const CAR_REACH_M: f64 = 18_000.0;
/// Partial courses kept at each step, and continuations tried from each.
const BEAM_WIDTH: usize = 7;
const BRANCHES: usize = 5;
/// When lunch and dinner are aimed at.
const LUNCH_TARGET: u16 = 12 * 60;
const DINNER_TARGET: u16 = 18 * 60;
/// Meal alternatives lie within this of the meal (a short walk).
const ALTERNATIVE_M: f64 = 700.0;
/// A window that ends less than this after sunset may have no room for both dinner (an hour)
/// and a night stop (from just before sunset to 20 minutes after it), with the ways between.
const NIGHT_WITH_DINNER_MINUTES: u16 = 120;
/// What a meal with no other place to eat within [`ALTERNATIVE_M`] loses in the score.
const NO_BACKUP_PENALTY: f64 = 2.0;

#[derive(Debug, Clone)]
pub struct PlannedStop<'a> {
    pub place: &'a Place,
    pub arrive: u16,
    pub leave: u16,
}

#[derive(Debug, Clone)]
pub struct Plan<'a> {
    pub anchor: Anchor<'a>,
    pub stops: Vec<PlannedStop<'a>>,
    /// The plan as the couple reads it — legs, sunset, meal alternatives, notes: the very course
    /// the checker passed.
    pub course: CourseContent,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    UnknownPlace(#[from] UnknownPlace),
    #[error("no course near {place} from {start} to {end} keeps fyd's rules (too little is open then); {hint}")]
    NoCourse { place: String, start: String, end: String, hint: &'static str },
}

/// Plans a course.
pub fn plan<'a>(catalogue: &'a Catalogue, request: &PlanRequest) -> Result<Plan<'a>, PlanError> {
    plan_including(catalogue, request, &[])
}

/// Plans a course that includes `wanted` places wherever the rules allow them (the places a
/// language model named in prose, say): each is scored as if the couple had named it, and left
/// out only when it cannot fit — closed then, out of reach, or against a rule.
pub fn plan_including<'a>(catalogue: &'a Catalogue, request: &PlanRequest, wanted: &[&Place]) -> Result<Plan<'a>, PlanError> {
    let anchor = anchor::resolve(catalogue, request)?;
    let day = Day::new(request.date, request.season);
    let sunset = calendar::sunset(day.reference_date(), anchor.lat, anchor.lon);
    let mut search = Search::new(catalogue, request, anchor, day, sunset);
    search.wanted = wanted.iter().map(|p| *p as *const Place).collect();
    if request.variant > 0 {
        // Another variant of the same request avoids the default course's places.
        let default = PlanRequest { variant: 0, ..request.clone() };
        let mut first = Search::new(catalogue, &default, anchor, day, sunset);
        if let Some(plan) = first.best() {
            search.avoid = plan.stops.iter().map(|s| s.place as *const Place).collect();
        }
    }
    search.best().ok_or_else(|| PlanError::NoCourse {
        place: anchor.name(request.lang).to_owned(),
        start: hhmm(request.start),
        end: hhmm(request.end),
        hint: match request.transport {
            // Most refusals on foot are thin areas whose restaurants lie beyond a walk.
            Transport::Walk => "on foot little is within reach there: try public transport or a car, other hours or a nearby area",
            Transport::Public | Transport::Car => "try other hours or a nearby area",
        },
    })
}

/// The course `stops` read as, with meal alternatives and `notes`.
fn course_content(
    catalogue: &Catalogue,
    anchor: &Anchor,
    stops: &[PlannedStop],
    legs: &[Leg],
    sunset: u16,
    notes: &[String],
    request: &PlanRequest,
) -> CourseContent {
    let day = Day::new(request.date, request.season);
    let visits: Vec<Visit> = stops
        .iter()
        .map(|s| Visit {
            place: s.place,
            arrive: s.arrive,
            leave: s.leave,
            note: None,
            alternatives: meal_alternatives(catalogue, s.place, s.arrive, s.leave, day, request, stops),
        })
        .collect();
    render::build_course(anchor, &visits, legs.to_vec(), request, render::BUILTIN_PROVIDER, None, sunset, notes.to_vec())
}

/// For a meal stop: up to two other meal places within a short walk, open for the same visit
/// and fit for the couple (nothing to drink on a car date), nearest first.
pub fn meal_alternatives(
    catalogue: &Catalogue,
    place: &Place,
    arrive: u16,
    leave: u16,
    day: Day,
    request: &PlanRequest,
    course: &[PlannedStop],
) -> Vec<Alternative> {
    if place.category != Category::Meal {
        return Vec::new();
    }
    let mut near: Vec<(f64, &Place)> = catalogue
        .places
        .iter()
        .filter(|other| other.category == Category::Meal && !std::ptr::eq(*other, place))
        .filter(|other| geo::maybe_within(place.position(), other.position(), ALTERNATIVE_M))
        .filter(|other| !course.iter().any(|s| std::ptr::eq(s.place, *other)))
        .map(|other| (distance_m(place.position(), other.position()), other))
        .filter(|(d, other)| *d <= ALTERNATIVE_M && rules::allowed(other, request, None).is_ok() && other.open_for(day, arrive, leave))
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    near.into_iter()
        .take(2)
        .map(|(d, other)| Alternative {
            name: render::place_name(other, request.lang).to_owned(),
            distance_m: d.round() as u32,
            map_url: render::map_url(&other.ko, other.lat, other.lon),
        })
        .collect()
}

/// The places a course near the anchor may use, nearest first: allowed for how the couple
/// travels, within reach, and open at some time of the window on the day.
pub fn pool<'a>(catalogue: &'a Catalogue, anchor: &Anchor<'a>, request: &PlanRequest) -> Vec<&'a Place> {
    let day = Day::new(request.date, request.season);
    let reach = match request.transport {
        Transport::Walk => rules::WALK_RADIUS_M,
        Transport::Public => PUBLIC_REACH_M,
        Transport::Car => CAR_REACH_M,
    };
    let mut near: Vec<(f64, &Place)> = catalogue
        .places
        .iter()
        .map(|p| (distance_m(anchor.position(), p.position()), p))
        .filter(|(d, p)| *d <= reach && rules::allowed(p, request, anchor.place).is_ok())
        .filter(|(_, p)| p.hours.on(day).open.any_between(request.start, request.end))
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    if request.transport != Transport::Walk {
        near.truncate(MAX_POOL);
    }
    near.into_iter().map(|(_, p)| p).collect()
}

/// A candidate place with what the search needs at hand.
struct Candidate<'a> {
    place: &'a Place,
    /// Metres east and north of the anchor (a flat map is exact enough within a city, and
    /// spares the search a cosine per distance).
    xy: (f64, f64),
    hours: Arc<Usual>,
    site: usize,
    from_anchor: f64,
    is_named: bool,
    avoided: bool,
    /// For a meal place: the other places to eat in the pool within [`ALTERNATIVE_M`], from
    /// which the course can name a backup if this one is full.
    backups: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Lunch,
    Dinner,
    Night,
    Free,
}

/// A course under construction.
#[derive(Clone)]
struct Partial {
    /// (candidate index, arrive, leave).
    stops: Vec<(usize, u16, u16)>,
    legs: Vec<Leg>,
    score: f64,
    walked: u32,
    finished: bool,
}

impl Partial {
    fn time(&self, start: u16) -> u16 {
        self.stops.last().map_or(start, |s| s.2)
    }
}

/// What a partial course has already done of what its window needs: worked out once per
/// partial course, not once per candidate.
#[derive(Debug, Clone, Copy)]
struct Done {
    lunch: bool,
    dinner: bool,
    night: bool,
}

struct Search<'a, 'r> {
    catalogue: &'a Catalogue,
    request: &'r PlanRequest,
    anchor: Anchor<'a>,
    day: Day,
    sunset: u16,
    needs: Needs,
    candidates: Vec<Candidate<'a>>,
    seed: u64,
    avoid: Vec<*const Place>,
    /// Places to include where the rules allow.
    wanted: Vec<*const Place>,
    relaxed: Vec<Rule>,
    /// Whether meals with another place to eat nearby score higher (see [`NO_BACKUP_PENALTY`]).
    prefer_backups: bool,
}

impl<'a, 'r> Search<'a, 'r> {
    fn new(catalogue: &'a Catalogue, request: &'r PlanRequest, anchor: Anchor<'a>, day: Day, sunset: u16) -> Self {
        Self {
            catalogue,
            request,
            anchor,
            day,
            sunset,
            needs: Needs::of(request.start, request.end, sunset),
            candidates: Vec::new(),
            seed: seed(&anchor.area.id, request),
            avoid: Vec::new(),
            wanted: Vec::new(),
            relaxed: Vec::new(),
            prefer_backups: true,
        }
    }

    /// The best course that keeps every rule, relaxing the relaxable ones in turn if needed.
    fn best(&mut self) -> Option<Plan<'a>> {
        self.candidates = pool(self.catalogue, &self.anchor, self.request)
            .into_iter()
            .map(|place| Candidate {
                place,
                xy: project(self.anchor.position(), place.position()),
                hours: place.hours.on(self.day),
                site: self.catalogue.site_of(place),
                from_anchor: distance_m(self.anchor.position(), place.position()),
                is_named: self.anchor.place.is_some_and(|named| std::ptr::eq(named, place))
                    || self.wanted.contains(&(place as *const Place)),
                avoided: self.avoid.contains(&(place as *const Place)),
                backups: Vec::new(),
            })
            .collect();
        self.mark_backups();
        let mut relaxable = Rule::RELAXABLE.iter().copied().filter(|rule| *rule != Rule::Indoor || self.request.indoor);
        loop {
            if let Some(plan) = self.search() {
                return Some(plan);
            }
            // A backup near the meal is a preference: given up before any rule is.
            if self.prefer_backups {
                self.prefer_backups = false;
                continue;
            }
            self.relaxed.push(relaxable.next()?);
        }
    }

    /// What the course says of a rule relaxed for it. A night stop left out says why: no time
    /// for one beside dinner (the window ends within [`NIGHT_WITH_DINNER_MINUTES`] of sunset and
    /// a night view is within reach), or none within reach.
    fn relaxed_note(&self, rule: Rule) -> &'static str {
        let lang = self.request.lang;
        let night_within_reach = || {
            let (dusk, by) = (self.sunset, self.sunset + rules::NIGHT_STOP_AFTER_SUNSET);
            self.candidates.iter().any(|c| {
                matches!(rules::presented_category(c.place, dusk, self.sunset), Category::NightView | Category::Sunset)
                    && c.hours.open.covers(dusk, by)
                    && !rules::after_dark(c.place, by, self.sunset)
            })
        };
        let short_night = self.request.end < self.sunset + NIGHT_WITH_DINNER_MINUTES;
        if rule == Rule::NightStop && self.needs.dinner && short_night && night_within_reach() {
            rules::no_time_for_the_night_note(lang)
        } else {
            rule.relaxed_note(lang)
        }
    }

    /// Gives each meal candidate the meal candidates within a short walk. An estimate of the
    /// alternatives the course will list (`meal_alternatives`, over the whole catalogue and
    /// every stop of the finished course): the pool holds what is allowed for the couple and
    /// within reach, which is where nearly all of them stand.
    fn mark_backups(&mut self) {
        let meals: Vec<(usize, (f64, f64))> =
            self.candidates.iter().enumerate().filter(|(_, c)| c.place.category == Category::Meal).map(|(i, c)| (i, c.xy)).collect();
        for &(i, xy) in &meals {
            self.candidates[i].backups =
                meals.iter().filter(|&&(j, other)| j != i && flat_distance(xy, other) <= ALTERNATIVE_M).map(|&(j, _)| j).collect();
        }
    }

    /// Whether a meal at `candidate` from `arrive` to `leave` has a backup open then that the
    /// course has not used.
    fn has_backup(&self, partial: &Partial, candidate: &Candidate, arrive: u16, leave: u16) -> bool {
        candidate.backups.iter().any(|&j| self.candidates[j].hours.open.covers(arrive, leave) && !partial.stops.iter().any(|s| s.0 == j))
    }

    fn search(&self) -> Option<Plan<'a>> {
        let mut beam = vec![Partial { stops: Vec::new(), legs: Vec::new(), score: 0.0, walked: 0, finished: false }];
        let mut finished: Vec<Partial> = Vec::new();
        for _ in 0..rules::max_stops(self.request.start, self.request.end) + 1 {
            let mut children = Vec::new();
            for partial in &beam {
                let next = self.continuations(partial);
                if next.is_empty() && !partial.stops.is_empty() {
                    finished.push(self.stretched(partial));
                }
                children.extend(next);
            }
            children.sort_by(|a, b| b.score.total_cmp(&a.score));
            children.dedup_by(|a, b| same_places(a, b));
            let (done, open): (Vec<Partial>, Vec<Partial>) = children.into_iter().partition(|p| p.finished);
            finished.extend(done);
            beam = open.into_iter().take(BEAM_WIDTH).collect();
            if beam.is_empty() {
                break;
            }
        }
        finished.sort_by(|a, b| b.score.total_cmp(&a.score));
        finished.iter().take(BEAM_WIDTH * 2).find_map(|partial| self.keeps_the_rules(partial))
    }

    /// The plan of a finished course, if the course it reads as keeps every rule not relaxed.
    fn keeps_the_rules(&self, partial: &Partial) -> Option<Plan<'a>> {
        let stops: Vec<PlannedStop> =
            partial.stops.iter().map(|&(i, arrive, leave)| PlannedStop { place: self.candidates[i].place, arrive, leave }).collect();
        let lang = self.request.lang;
        let mut notes: Vec<String> = self.relaxed.iter().map(|rule| self.relaxed_note(*rule).to_owned()).collect();
        notes.extend(self.closed_highlights());
        notes.extend(stops.last().and_then(|last| self.ends_early(last.leave)));
        let render =
            |notes: &[String]| course_content(self.catalogue, &self.anchor, &stops, &partial.legs, self.sunset, notes, self.request);
        let mut course = render(&notes);
        let broken = check::every_problem(self.catalogue, &course, self.request);
        if broken.iter().any(|problem| !self.relaxed.contains(&problem.rule)) {
            return None;
        }
        // A rule relaxed to find a course that this course keeps after all is not said: "no
        // night view within reach" under a course that ends on the beach at dusk would mislead.
        let kept: Vec<Rule> = self.relaxed.iter().copied().filter(|rule| !broken.iter().any(|p| p.rule == *rule)).collect();
        if !kept.is_empty() {
            notes.retain(|note| !kept.iter().any(|rule| rule.declared_by(note, lang)));
            course = render(&notes);
        }
        Some(Plan { anchor: self.anchor, stops, course })
    }

    /// Why a course ends more than [`rules::END_SLACK`] before the window does: the checker
    /// passes such a course only when nothing within reach is open for a visit later.
    fn ends_early(&self, leave: u16) -> Option<String> {
        let end = self.request.end;
        (leave + rules::END_SLACK < end).then(|| match self.request.lang {
            Lang::Ko => {
                let (leave_at, end_at) = (hhmm(leave), hhmm(end));
                format!("이 근처엔 {leave_at} 이후 더 들를 만한 곳이 열려 있지 않아, 코스는 {end_at}보다 일찍 {leave_at}에 끝나요.")
            }
            Lang::En => {
                let (leave_at, end_at) = (render::english_time(leave), render::english_time(end));
                format!("Nothing within reach is open for another visit after {leave_at}, so the course ends then, before {end_at}.")
            }
        })
    }

    /// Highlights near the anchor that are closed on the couple's date, one line each.
    fn closed_highlights(&self) -> Vec<String> {
        let Day::Date(date) = self.day else { return Vec::new() };
        let reach = if self.request.transport == Transport::Walk { rules::WALK_RADIUS_M } else { PUBLIC_REACH_M };
        self.catalogue
            .places
            .iter()
            .filter(|p| p.tags.highlight && distance_m(self.anchor.position(), p.position()) <= reach)
            .filter(|p| !p.hours.on(self.day).open.any_between(self.request.start, self.request.end))
            .filter(|p| !p.hours.usual(self.request.season).open.is_empty())
            .take(2)
            .map(|p| match self.request.lang {
                Lang::Ko => format!("{}은(는) {date} 그 시간에 문을 열지 않아 코스에서 뺐어요.", p.ko),
                Lang::En => format!("{} is closed then on {date}, so it is not in the course.", p.en),
            })
            .collect()
    }

    fn slot(&self, partial: &Partial, done: Done, at: u16) -> Slot {
        let needs = &self.needs;
        if partial.stops.is_empty() && needs.dinner_first {
            return Slot::Dinner;
        }
        if needs.lunch && !done.lunch && at + rules::PACE_MINUTES / 2 >= LUNCH_TARGET {
            return Slot::Lunch;
        }
        if needs.dinner && !done.dinner && at + rules::PACE_MINUTES / 2 >= DINNER_TARGET {
            return Slot::Dinner;
        }
        if needs.night && !done.night && at + rules::NIGHT_VIEW_BEFORE_SUNSET >= self.sunset {
            return Slot::Night;
        }
        Slot::Free
    }

    /// What `partial` has done so far: lunch and dinner in their windows, a night stop.
    fn done(&self, partial: &Partial) -> Done {
        let meal_in = |(from, to): (u16, u16)| {
            partial.stops.iter().any(|&(i, arrive, _)| self.candidates[i].place.category == Category::Meal && (from..=to).contains(&arrive))
        };
        Done {
            lunch: meal_in((rules::BRUNCH_FROM, rules::LUNCH.1)),
            dinner: meal_in(rules::dinner_window(self.request.start)),
            night: partial.stops.iter().any(|&(i, arrive, leave)| self.is_night_stop(self.shown(i, arrive), leave)),
        }
    }

    /// Whether a visit shown as `shown` that lasts until `leave` is the date's night stop.
    fn is_night_stop(&self, shown: Category, leave: u16) -> bool {
        matches!(shown, Category::NightView | Category::Sunset) && leave >= self.sunset + rules::NIGHT_STOP_AFTER_SUNSET
    }

    /// The next fixed point after `at`: a meal still to come, or the end.
    fn next_fixed(&self, at: u16, done: Done) -> u16 {
        if self.needs.lunch && at < LUNCH_TARGET && !done.lunch {
            LUNCH_TARGET
        } else if self.needs.dinner && at < DINNER_TARGET && !done.dinner {
            DINNER_TARGET
        } else {
            self.request.end
        }
    }

    fn travel_estimate(&self) -> u16 {
        match self.request.transport {
            Transport::Walk => 10,
            _ => 16,
        }
    }

    /// The best few ways to go on from a partial course.
    fn continuations(&self, partial: &Partial) -> Vec<Partial> {
        let request = self.request;
        let now = partial.time(request.start);
        if partial.finished
            || request.end.saturating_sub(now) < rules::MIN_STAY
            || partial.stops.len() >= rules::max_stops(request.start, request.end)
        {
            return Vec::new();
        }
        let previous = partial.stops.last().map(|&(i, _, _)| &self.candidates[i]);
        let done = self.done(partial);
        let slot = self.slot(partial, done, now + if previous.is_some() { self.travel_estimate() } else { 0 });
        let mut options: Vec<Partial> = self
            .candidates
            .iter()
            .enumerate()
            .filter_map(|(index, candidate)| self.extend(partial, done, slot, index, candidate, previous))
            .collect();
        options.sort_by(|a, b| b.score.total_cmp(&a.score));
        options.truncate(BRANCHES);
        options
    }

    /// `partial` with `candidate` as its next stop in `slot`, if that keeps the rules so far.
    fn extend(
        &self,
        partial: &Partial,
        done: Done,
        slot: Slot,
        index: usize,
        candidate: &Candidate<'a>,
        previous: Option<&Candidate<'a>>,
    ) -> Option<Partial> {
        let request = self.request;
        let place = candidate.place;
        let used = |i: usize| partial.stops.iter().any(|s| s.0 == i);
        if used(index) {
            return None;
        }
        let is_meal = place.category == Category::Meal;
        if partial.stops.iter().any(|&(i, _, _)| {
            let other = self.candidates[i].place;
            (self.candidates[i].site == candidate.site && rules::repeats_site(other, place)) || rules::same_brand(other, place)
        }) {
            return None;
        }
        if request.indoor && !place.indoor && !self.relaxed.contains(&Rule::Indoor) {
            return None;
        }
        let leg = previous.map(|p| geo::leg_over(flat_distance(p.xy, candidate.xy), request.transport));
        let now = partial.time(request.start);
        let arrive = now + leg.as_ref().map_or(0, |l| l.minutes as u16);
        match &leg {
            None if candidate.from_anchor
                > if request.transport == Transport::Walk { rules::FIRST_STOP_WALK_M } else { rules::FIRST_STOP_RIDE_M } =>
            {
                return None;
            }
            Some(leg) if leg.mode == LegMode::Walk && leg.distance_m > geo::MAX_WALK_LEG_M => return None,
            Some(leg) if leg.mode != LegMode::Walk && leg.minutes > rules::RIDE_LEG_MINUTES => return None,
            _ => {}
        }
        let walked = partial.walked + leg.as_ref().filter(|l| l.mode == LegMode::Walk).map_or(0, |l| l.minutes);
        if f64::from(walked) > f64::from(request.end - request.start) * rules::WALK_SHARE {
            return None;
        }
        if self.comes_back(partial, candidate) {
            return None;
        }
        // What the slot allows.
        let count = |c: Category| partial.stops.iter().filter(|s| self.shown(s.0, s.1) == c).count();
        let shown = rules::presented_category(place, arrive, self.sunset);
        let meal_window = match slot {
            Slot::Lunch if is_meal => Some(rules::lunch_window(&self.needs, place)),
            Slot::Dinner if is_meal => Some(rules::dinner_window(request.start)),
            Slot::Lunch | Slot::Dinner => return None,
            _ if is_meal => {
                // A meal outside meal slots only in a date with no meal time (a late bite).
                if self.needs.lunch || self.needs.dinner || count(Category::Meal) > 0 {
                    return None;
                }
                None
            }
            _ => None,
        };
        if let Some((from, to)) = meal_window {
            if !(from..=to).contains(&arrive) {
                return None;
            }
            let last_meal = partial.stops.iter().filter(|s| self.candidates[s.0].place.category == Category::Meal).map(|s| s.1).max();
            if last_meal.is_some_and(|t| arrive < t + rules::MEAL_GAP) {
                return None;
            }
        }
        match shown {
            Category::Bar if arrive < 18 * 60 + 30 || (self.needs.dinner && count(Category::Meal) == 0) => return None,
            Category::Cafe if count(Category::Cafe) >= rules::MAX_CAFES => return None,
            _ => {}
        }
        let short_window = rules::same_kind_in_a_row_allowed(request.start, request.end) || self.relaxed.contains(&Rule::SameKindInARow);
        if !short_window && partial.stops.last().is_some_and(|s| self.shown(s.0, s.1) == shown) {
            return None;
        }
        let (stay, target) = self.stay(partial, done, slot, candidate, arrive)?;
        let leave = arrive + stay;
        if rules::after_dark(place, leave, self.sunset) {
            return None;
        }
        // The pace: the last stop the window holds must carry the course to its end.
        let max_stops = rules::max_stops(request.start, request.end);
        if partial.stops.len() + 1 >= max_stops && leave + rules::END_SLACK + self.room(partial) < request.end {
            return None;
        }
        // Keep stops in hand for the meals (and the night stop) still to come.
        let due = self.still_due(done, slot, shown, leave);
        if partial.stops.len() + 1 + due > max_stops {
            return None;
        }
        // The last free stop before a meal must carry the course to the meal's window.
        if partial.stops.len() + 1 + due == max_stops && slot == Slot::Free {
            if let Some(meal_opens) = self.next_meal_opens(done, leave) {
                if leave + self.travel_estimate() + 45 < meal_opens {
                    return None;
                }
            }
        }
        let mut next = partial.clone();
        next.score += self.score(partial, slot, candidate, arrive, leg.as_ref(), previous);
        // A visit much shorter than the pace wants means one stop more later.
        next.score -= 0.025 * f64::from(target.saturating_sub(stay));
        if self.prefer_backups
            && matches!(slot, Slot::Lunch | Slot::Dinner)
            && shown == Category::Meal
            && !self.has_backup(partial, candidate, arrive, leave)
        {
            next.score -= NO_BACKUP_PENALTY; // a full restaurant would leave them nowhere near to go
        }
        next.stops.push((index, arrive, leave));
        if let Some(leg) = leg {
            next.legs.push(leg);
        }
        next.walked = walked;
        if request.end.saturating_sub(leave) < rules::MIN_STAY || leave >= request.end {
            next.finished = true;
        }
        Some(next)
    }

    /// A course with no way on, with the time it leaves before the end spread over its stops:
    /// from the last one back, a stop lingers up to its longest visit, pushing the later ones
    /// back, as long as every visit stays open, meals stay in their windows, night views and
    /// sunsets keep their hours and winter evenings stay short outdoors.
    fn stretched(&self, partial: &Partial) -> Partial {
        let mut done = Partial { finished: true, ..partial.clone() };
        let end = self.request.end;
        for i in (0..done.stops.len()).rev() {
            let slack = end.saturating_sub(done.stops.last().map_or(end, |s| s.2));
            if slack == 0 {
                break;
            }
            let (index, arrive, leave) = done.stops[i];
            let candidate = &self.candidates[index];
            let (_, longest) = rules::stay_range(candidate.place);
            let close = candidate.hours.open.closes_after(arrive).unwrap_or(leave);
            let mut delta = slack.min((arrive + longest).saturating_sub(leave)).min(close.saturating_sub(leave));
            while delta > 0 && !self.may_shift(&done, i, delta) {
                delta = delta.saturating_sub(5);
            }
            done.stops[i].2 += delta;
            for later in &mut done.stops[i + 1..] {
                later.1 += delta;
                later.2 += delta;
            }
        }
        done
    }

    /// When the next meal still due may start, if one is.
    fn next_meal_opens(&self, done: Done, at: u16) -> Option<u16> {
        let dinner = rules::dinner_window(self.request.start);
        if self.needs.lunch && at < rules::LUNCH.1 && !done.lunch {
            Some(rules::LUNCH.0)
        } else if self.needs.dinner && at < dinner.1 && !done.dinner {
            Some(dinner.0)
        } else {
            None
        }
    }

    /// Stops the course still owes after this one: lunch and dinner when the window covers
    /// them, and a night stop when it runs past dark.
    fn still_due(&self, done: Done, slot: Slot, shown: Category, leave: u16) -> usize {
        let lunch_due = self.needs.lunch && slot != Slot::Lunch && !done.lunch && leave <= rules::LUNCH.1;
        let dinner_due = self.needs.dinner && slot != Slot::Dinner && !done.dinner && leave <= rules::DINNER.1;
        let night_due = self.needs.night && !self.is_night_stop(shown, leave) && !done.night;
        // A winter night stop is short (outdoors at most 30 minutes after 19:00), so a long
        // winter evening needs an indoor stop after it as well.
        let winter_evening = self.request.season == Season::Winter
            && night_due
            && self.request.end >= rules::WINTER_EVENING + 90
            && leave < rules::WINTER_EVENING;
        usize::from(lunch_due)
            + usize::from(dinner_due)
            + usize::from(night_due && !self.relaxed.contains(&Rule::NightStop))
            + usize::from(winter_evening)
    }

    /// How the candidate visited at `arrive` reads (a sunset place around sunset is a sunset stop).
    fn shown(&self, index: usize, arrive: u16) -> Category {
        rules::presented_category(self.candidates[index].place, arrive, self.sunset)
    }

    /// How much longer the stops of a partial course could stay, at most.
    fn room(&self, partial: &Partial) -> u16 {
        partial
            .stops
            .iter()
            .map(|&(index, arrive, leave)| (arrive + rules::stay_range(self.candidates[index].place).1).saturating_sub(leave))
            .sum()
    }

    /// Whether stop `i` may stay `delta` minutes longer, and every later stop start that much
    /// later, keeping the rules of time.
    fn may_shift(&self, partial: &Partial, i: usize, delta: u16) -> bool {
        let request = self.request;
        let (index, arrive, leave) = partial.stops[i];
        let place = self.candidates[index].place;
        if rules::winter_evening_minutes(request.season, place.indoor, arrive, leave + delta)
            > rules::WINTER_OUTDOOR_MINUTES.max(rules::winter_evening_minutes(request.season, place.indoor, arrive, leave))
            || rules::after_dark(place, leave + delta, self.sunset)
        {
            return false;
        }
        partial.stops[i + 1..].iter().all(|&(index, arrive, leave)| {
            let candidate = &self.candidates[index];
            let place = candidate.place;
            let (arrive, leave) = (arrive + delta, leave + delta);
            let in_window = match place.category {
                Category::Meal => {
                    let lunch = rules::lunch_window(&self.needs, place);
                    let dinner = rules::dinner_window(request.start);
                    let was = arrive - delta;
                    let window = if (lunch.0..=lunch.1).contains(&was) {
                        lunch
                    } else if (dinner.0..=dinner.1).contains(&was) {
                        dinner
                    } else {
                        (0, u16::MAX)
                    };
                    arrive <= window.1
                }
                _ if self.shown(index, arrive - delta) == Category::Sunset => arrive <= self.sunset + rules::SUNSET_LATEST_AFTER,
                _ => true,
            };
            in_window
                && leave <= request.end
                && candidate.hours.open.covers(arrive, leave)
                && candidate.hours.open.closes_after(arrive).is_some_and(|close| arrive + place.last_entry <= close)
                && rules::winter_evening_minutes(request.season, place.indoor, arrive, leave) <= rules::WINTER_OUTDOOR_MINUTES
                && !rules::after_dark(place, leave, self.sunset)
        })
    }

    /// Coming back near an earlier stop after going well away from it.
    fn comes_back(&self, partial: &Partial, candidate: &Candidate) -> bool {
        let stops = &partial.stops;
        stops.iter().enumerate().any(|(i, earlier)| {
            let earlier = self.candidates[earlier.0].xy;
            flat_distance(earlier, candidate.xy) <= rules::RETURN_RADIUS_M
                && stops[i + 1..].iter().any(|between| flat_distance(earlier, self.candidates[between.0].xy) > rules::AWAY_M)
        })
    }

    /// How long to stay, and how long the pace wanted, or `None` when the place cannot take a
    /// worthwhile visit then.
    fn stay(&self, partial: &Partial, done: Done, slot: Slot, candidate: &Candidate, arrive: u16) -> Option<(u16, u16)> {
        let request = self.request;
        let place = candidate.place;
        let (shortest, longest) = rules::stay_range(place);
        let close = candidate.hours.open.closes_after(arrive)?;
        if arrive + place.last_entry > close {
            return None;
        }
        let end = request.end;
        let target = match slot {
            Slot::Lunch | Slot::Dinner => place.stay.clamp(60, 90),
            _ => {
                let fixed = self.next_fixed(arrive, done);
                let remaining = fixed.saturating_sub(arrive);
                // As many free stops as the pace wants, and no more than the window holds once
                // the meals and the night stop still due are counted.
                let due = self.still_due(done, Slot::Free, Category::Shopping, arrive);
                let budget = rules::max_stops(request.start, request.end).saturating_sub(partial.stops.len() + due).max(1) as u16;
                let free_left = ((remaining + rules::PACE_MINUTES / 2) / rules::PACE_MINUTES).clamp(1, budget);
                let hops = if fixed == end { free_left - 1 } else { free_left };
                remaining.saturating_sub(hops * self.travel_estimate()) / free_left
            }
        };
        let mut stay = target.clamp(shortest, longest).min(close - arrive).min(end.saturating_sub(arrive));
        let winter = rules::winter_evening_minutes(request.season, place.indoor, arrive, arrive + stay);
        let cut_by_cold = winter > rules::WINTER_OUTDOOR_MINUTES;
        if cut_by_cold {
            stay -= winter - rules::WINTER_OUTDOOR_MINUTES;
        }
        // The last stop of the day runs to the end when it can.
        if end.saturating_sub(arrive + stay) < rules::MIN_STAY + self.travel_estimate() {
            let to_end = end.saturating_sub(arrive).min(longest).min(close - arrive);
            let winter = rules::winter_evening_minutes(request.season, place.indoor, arrive, arrive + to_end);
            if winter <= rules::WINTER_OUTDOOR_MINUTES {
                stay = stay.max(to_end);
            }
        }
        let floor = if arrive + stay >= end {
            rules::shortest_visit(Some(place), true)
        } else if cut_by_cold && place.stay <= rules::COLD_SHORT_VISIT_MAX_STAY {
            rules::MIN_STAY
        } else {
            shortest
        };
        (stay >= floor && candidate.hours.open.covers(arrive, arrive + stay)).then_some((stay, target))
    }

    fn score(
        &self,
        partial: &Partial,
        slot: Slot,
        candidate: &Candidate,
        arrive: u16,
        leg: Option<&Leg>,
        previous: Option<&Candidate>,
    ) -> f64 {
        use Category::*;
        let request = self.request;
        let place = candidate.place;
        let count = |c: Category| partial.stops.iter().filter(|s| self.shown(s.0, s.1) == c).count();
        let shown = rules::presented_category(place, arrive, self.sunset);
        let mut score = match (slot, shown) {
            (Slot::Lunch | Slot::Dinner, Meal) => 3.0,
            (Slot::Night, NightView) => 4.0,
            (Slot::Night, Sunset) => 3.5,
            (Slot::Night, Walk) if !place.indoor => 2.6,
            (Slot::Night, Bar) => 2.0,
            (Slot::Night, _) => 0.5,
            (_, Sunset) => 3.2,
            (_, Sight) => 2.4,
            (_, Culture | Walk) => 2.1,
            (_, Activity) => 1.9,
            (_, Cafe) => 1.8,
            (_, Bar) => 1.6,
            (_, NightView) => 2.0,
            (_, Shopping) => 1.1,
            (_, Meal) => 1.5,
        };
        if place.shines_in(request.season) {
            score += 1.5;
        }
        if place.tags.highlight {
            score += 1.0;
        }
        if candidate.is_named {
            score += 15.0;
        }
        if candidate.avoided {
            score -= 12.0;
        }
        let hot_midday = request.season == Season::Summer && (12 * 60..16 * 60).contains(&arrive);
        match (request.season, place.indoor) {
            (Season::Summer, false) if hot_midday => score -= 2.0,
            (Season::Summer, true) if hot_midday => score += 0.5,
            (Season::Winter, false) if arrive >= 17 * 60 && !matches!(shown, NightView | Sunset) => score -= 1.5,
            (Season::Winter, false) => score -= 0.5,
            _ => {}
        }
        if request.indoor && !place.indoor {
            score -= 4.0;
        }
        if place.category == NightView && shown != NightView && request.end >= self.sunset + rules::NIGHT_AFTER_SUNSET {
            score -= 1.0; // its point is the night, and this date has one: keep it for then
        }
        if let Some(previous) = previous {
            if previous.place.category == Meal && place.category == Cafe {
                score += 1.2; // 밥 먹고 카페: coffee after a meal is the classic
            }
        }
        score -= 0.7 * count(shown) as f64;
        score -= 0.1 * leg.map_or(0.0, |l| f64::from(l.minutes));
        score -= match (request.transport, previous) {
            // Start where the couple said.
            (_, None) => candidate.from_anchor / 600.0,
            (Transport::Walk, _) => candidate.from_anchor / 1_200.0,
            _ => candidate.from_anchor / 2_500.0,
        };
        if request.date.is_none() && !candidate.hours.closed_days.is_empty() {
            score -= 0.5; // the weekday is unknown: prefer places open every day
        }
        score + jitter(self.seed, &place.id)
    }
}

/// Metres east and north of `origin`.
fn project(origin: (f64, f64), point: (f64, f64)) -> (f64, f64) {
    const METRES_PER_DEGREE: f64 = 6_371_000.0 * std::f64::consts::PI / 180.0;
    let east = (point.1 - origin.1) * METRES_PER_DEGREE * origin.0.to_radians().cos();
    (east, (point.0 - origin.0) * METRES_PER_DEGREE)
}

fn flat_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn same_places(a: &Partial, b: &Partial) -> bool {
    a.stops.len() == b.stops.len() && a.stops.iter().all(|s| b.stops.iter().any(|t| t.0 == s.0))
}

/// Same input, same course: the jitter that separates near-equal places is a hash of the
/// request (variant included) and the place, never a random number.
fn seed(area: &str, request: &PlanRequest) -> u64 {
    let text = format!(
        "{area}|{}|{:?}|{:?}|{}|{}|{:?}|{}|{}",
        request.place, request.season, request.date, request.start, request.end, request.transport, request.variant, request.indoor
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
