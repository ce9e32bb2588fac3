//! Planning with a language model, the pure parts: which catalogue places the model may use,
//! the messages that ask for a course, the JSON schema of the answer, reading an answer (whole
//! or as it streams in), and turning it into a course that keeps every rule of [`check`].
//!
//! The model only chooses places (by catalogue id) and times. Coordinates, legs, map links and
//! the text come from the catalogue, so a model cannot invent a place or a map pin.
//!
//! An answer that is not the JSON asked for (prose, or whatever a model said before time ran
//! out) still counts for what it names: [`named_places`] finds the candidate places in free
//! text, and [`plan_around`] has the built-in planner include them wherever the rules allow.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::anchor;
use crate::calendar::{self, Day};
use crate::catalogue::{key, Catalogue, Place};
use crate::check;
use crate::course::{hhmm, minutes_in_window, CourseContent};
use crate::geo;
use crate::planner::{meal_alternatives, plan_including, pool, PlanError, PlannedStop};
use crate::render::{build_course, question, season_name, Visit};
use crate::request::{Lang, PlanRequest};
use crate::rules::{self, Needs};

/// The most candidate places put in a prompt (the nearest to the anchor).
pub const MAX_CANDIDATES: usize = 60;
/// `provider` of a course that fell back to the built-in planner after the model failed.
pub const FALLBACK_PROVIDER: &str = "builtin-fallback";
/// `provider` of a course the built-in planner made around places the model named.
pub const PLANNER_PROVIDER: &str = "openai+planner";
/// Names shorter than this many letters and digits are not looked for in free text: Korean
/// names of one syllable, Latin names under five letters ("P.ARK" would be every "park").
const MIN_HANGUL_NAME: usize = 2;
const MIN_LATIN_NAME: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.to_owned(), content: content.into() }
    }
}

/// One stop as the model writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerStop {
    #[serde(default)]
    pub place_id: String,
    /// Some models add the name; it is used when the id is unknown.
    #[serde(default)]
    pub name: Option<String>,
    pub arrive: String,
    pub leave: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub stops: Vec<AnswerStop>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// The places the model may choose from: the planner's pool near the anchor, nearest first.
pub fn candidates<'c>(catalogue: &'c Catalogue, request: &PlanRequest) -> Vec<&'c Place> {
    let Ok(anchor) = anchor::resolve(catalogue, request) else {
        return Vec::new();
    };
    let mut places = pool(catalogue, &anchor, request);
    places.truncate(MAX_CANDIDATES);
    places
}

/// The JSON schema the answer must follow (`response_format: json_schema`, strict).
pub fn answer_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["stops", "summary"],
        "properties": {
            "stops": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["place_id", "arrive", "leave", "note"],
                    "properties": {
                        "place_id": {"type": "string", "description": "id of a candidate place"},
                        "arrive": {"type": "string", "description": "HH:MM, 24-hour"},
                        "leave": {"type": "string", "description": "HH:MM, 24-hour"},
                        "note": {"type": "string", "description": "one sentence on why this stop, in the couple's language"}
                    }
                }
            },
            "summary": {"type": "string"}
        }
    })
}

/// The conversation that asks for a course. The rules are [`rules::statements`], the same
/// ones the answer is checked against.
pub fn messages(catalogue: &Catalogue, request: &PlanRequest, candidates: &[&Place]) -> Vec<ChatMessage> {
    let day = Day::new(request.date, request.season);
    let anchor = anchor::resolve(catalogue, request).ok();
    let sunset = anchor.map_or(18 * 60 + 30, |a| calendar::sunset(day.reference_date(), a.lat, a.lon));
    let needs = Needs::of(request.start, request.end, sunset);
    let language = match request.lang {
        Lang::Ko => "Korean",
        Lang::En => "English",
    };
    let mut rules = rules::statements(request, &needs, sunset, rules::max_stops(request.start, request.end));
    rules.push(format!(
        "Travel {}. No walking leg over {} m of route, no ride over {} minutes.",
        geo::timing_in_words(request.transport),
        rules::WALK_LEG_LIMIT_M,
        rules::RIDE_LEG_MINUTES
    ));
    if let Some(anchor) = &anchor {
        rules.push(format!(
            "The course is anchored on {} ({:.4},{:.4}): the first stop within {} m of it.",
            anchor.name(Lang::Ko),
            anchor.lat,
            anchor.lon,
            if request.transport == crate::course::Transport::Walk { rules::FIRST_STOP_WALK_M } else { rules::FIRST_STOP_RIDE_M }
        ));
        if let Some(place) = anchor.place {
            rules.push(format!("The couple named {} ({}): include it if it is open.", place.ko, place.id));
        }
    }
    let system = format!(
        "You plan date courses in Korea for couples. Choose only from the candidate places, by id. \
         Answer with JSON only, exactly this shape: {{\"stops\":[{{\"place_id\":\"…\",\"arrive\":\"HH:MM\",\"leave\":\"HH:MM\",\"note\":\"…\"}}],\"summary\":\"…\"}}. \
         Write notes and the summary in {language}. Rules:\n- {}",
        rules.join("\n- ")
    );
    let mut user = format!(
        "{}\nSeason: {}. {}Window {}–{}.\nCandidates (id | name | category | in/out | opening hours | typical stay | lat,lon):\n",
        question(request),
        season_name(request.season, Lang::En),
        request.date.map(|d| format!("Date {d} ({:?}). ", d.weekday())).unwrap_or_default(),
        hhmm(request.start),
        hhmm(request.end),
    );
    for place in candidates {
        user.push_str(&format!(
            "{} | {} | {} | {} | {} | {} min | {:.4},{:.4}\n",
            place.id,
            place.ko,
            place.category.code(),
            match (place.indoor, place.tags.daylight, place.tags.climb) {
                (true, _, _) => "in",
                (false, true, _) => "out, daylight only",
                (false, false, true) => "out, a climb",
                (false, false, false) => "out",
            },
            place.hours.text(),
            place.stay,
            place.lat,
            place.lon
        ));
    }
    vec![ChatMessage::new("system", system), ChatMessage::new("user", user)]
}

/// The follow-up that asks the model to mend a course that broke rules.
pub fn repair_message(problems: &[String]) -> ChatMessage {
    ChatMessage::new(
        "user",
        format!(
            "That course breaks these rules:\n- {}\nAnswer again with a corrected course, JSON only, in the same shape.",
            problems.join("\n- ")
        ),
    )
}

/// Reads an answer: plain JSON, JSON in a code fence, or JSON with prose around it.
pub fn parse_answer(text: &str) -> Result<Answer, String> {
    let start = text.find('{').ok_or("the answer has no JSON object")?;
    let end = text.rfind('}').ok_or("the answer has no JSON object")?;
    if end < start {
        return Err("the answer has no JSON object".into());
    }
    serde_json::from_str(&text[start..=end]).map_err(|err| format!("the JSON does not have the asked shape: {err}"))
}

/// The catalogue place a stop names: by id, else by name.
pub fn place_of<'c>(catalogue: &'c Catalogue, stop: &AnswerStop) -> Option<&'c Place> {
    catalogue
        .place(stop.place_id.trim())
        .or_else(|| stop.name.as_deref().and_then(|n| catalogue.find_place(n)))
        .or_else(|| catalogue.find_place(&stop.place_id))
}

/// A stop to show while the answer is still streaming: catalogue facts, the model's times.
pub fn preview_stop(catalogue: &Catalogue, stop: &AnswerStop, request: &PlanRequest) -> Option<crate::course::Stop> {
    let place = place_of(catalogue, stop)?;
    let (arrive, leave) = (minutes_in_window(stop.arrive.trim(), request.start)?, minutes_in_window(stop.leave.trim(), request.start)?);
    Some(crate::course::Stop {
        name: crate::render::place_name(place, request.lang).to_owned(),
        category: place.category.code().to_owned(),
        arrive: hhmm(arrive),
        leave: hhmm(leave),
        description: stop.note.clone().unwrap_or_default(),
        lat: place.lat,
        lon: place.lon,
        map_url: crate::render::map_url(&place.ko, place.lat, place.lon),
        alternatives: Vec::new(),
    })
}

/// Turns an answer into a course and checks it: `Err` lists every problem, in words the model
/// can act on.
pub fn course_from_answer(
    catalogue: &Catalogue,
    answer: &Answer,
    request: &PlanRequest,
    provider: &str,
    model: &str,
) -> Result<CourseContent, Vec<String>> {
    let anchor = anchor::resolve(catalogue, request).map_err(|err| vec![err.to_string()])?;
    let allowed = candidates(catalogue, request);
    let day = Day::new(request.date, request.season);
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    let mut notes = Vec::new();
    for stop in &answer.stops {
        let Some(place) = place_of(catalogue, stop) else {
            problems.push(format!("{:?} is not one of the candidate places", stop.place_id));
            continue;
        };
        if !allowed.iter().any(|p| std::ptr::eq(*p, place)) {
            problems.push(format!("{} ({}) is not one of the candidate places", place.ko, place.id));
        }
        match (minutes_in_window(stop.arrive.trim(), request.start), minutes_in_window(stop.leave.trim(), request.start)) {
            (Some(arrive), Some(leave)) => {
                planned.push(PlannedStop { place, arrive, leave });
                notes.push(stop.note.clone());
            }
            _ => problems.push(format!("{}: arrive and leave must be HH:MM", place.ko)),
        }
    }
    if planned.is_empty() {
        problems.push("the course has no usable stops".into());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let visits: Vec<Visit> = planned
        .iter()
        .zip(notes)
        .map(|(s, note)| Visit {
            place: s.place,
            arrive: s.arrive,
            leave: s.leave,
            note,
            alternatives: meal_alternatives(catalogue, s.place, s.arrive, s.leave, day, request, &planned),
        })
        .collect();
    let legs = planned.windows(2).map(|pair| geo::leg(pair[0].place.position(), pair[1].place.position(), request.transport)).collect();
    let sunset = calendar::sunset(day.reference_date(), anchor.lat, anchor.lon);
    let course = build_course(&anchor, &visits, legs, request, provider, Some(model.to_owned()), sunset, Vec::new());
    let found = check::problems(catalogue, &course, request);
    if found.is_empty() {
        Ok(course)
    } else {
        Err(found.into_iter().map(|p| p.message).collect())
    }
}

/// The candidate places a free-text answer names, in the order it first names them. Names are
/// the Korean and English names, aliases and ids, compared as [`key`]s (case, spaces and
/// punctuation ignored), so "서울숲을", "seoul  forest" and `"seoul-forest"` all name 서울숲.
/// Where names overlap the longest wins ("서울숲 아틀리에길" is not also 서울숲); a name that
/// begins or ends with a Latin letter or digit must not run on into a Latin word of the text
/// ("Mijin" is not in "Mijinsky"), while Korean particles may follow any name ("서울숲에서").
pub fn named_places<'c>(text: &str, candidates: &[&'c Place]) -> Vec<&'c Place> {
    let chars: Vec<char> = text.chars().collect();
    // The text as one key, and for each of its bytes the character of `chars` it came from.
    let mut folded = String::new();
    let mut origin = Vec::new();
    for (i, c) in chars.iter().enumerate().filter(|(_, c)| c.is_alphanumeric()) {
        for lower in c.to_lowercase() {
            folded.push(lower);
            origin.extend(std::iter::repeat_n(i, lower.len_utf8()));
        }
    }
    let mut names: Vec<(String, usize)> = candidates
        .iter()
        .enumerate()
        .flat_map(|(i, p)| [&p.id, &p.ko, &p.en].into_iter().chain(&p.aliases).map(move |name| (key(name), i)))
        .filter(|(name, _)| long_enough(name))
        .collect();
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.chars().count()));
    let mut claimed = vec![false; folded.len()];
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (name, candidate) in &names {
        for (at, _) in folded.match_indices(name.as_str()) {
            let span = at..at + name.len();
            let (first, last) = (origin[at], origin[span.end - 1]);
            if claimed[span.clone()].contains(&true) || !stands_alone(&chars, first, last, name) {
                continue;
            }
            claimed[span].fill(true);
            found.push((first, *candidate));
        }
    }
    found.sort_unstable();
    let mut places: Vec<&Place> = Vec::new();
    for (_, candidate) in found {
        if !places.iter().any(|p| std::ptr::eq(*p, candidates[candidate])) {
            places.push(candidates[candidate]);
        }
    }
    places
}

fn is_latin(c: char) -> bool {
    c.is_alphanumeric() && (c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c))
}

fn long_enough(name: &str) -> bool {
    let letters = name.chars().count();
    if name.chars().all(is_latin) {
        letters >= MIN_LATIN_NAME
    } else {
        letters >= MIN_HANGUL_NAME
    }
}

/// Whether a name found at characters `first..=last` of the text is not part of a longer
/// Latin word there.
fn stands_alone(chars: &[char], first: usize, last: usize, name: &str) -> bool {
    let runs_on_before = name.starts_with(is_latin) && first.checked_sub(1).is_some_and(|i| is_latin(chars[i]));
    let runs_on_after = name.ends_with(is_latin) && chars.get(last + 1).copied().is_some_and(is_latin);
    !runs_on_before && !runs_on_after
}

/// A course of the built-in planner around places a model named.
#[derive(Debug, Clone)]
pub struct PlannedAround<'c> {
    /// Marked [`PLANNER_PROVIDER`] when it keeps a named place, else [`FALLBACK_PROVIDER`];
    /// `model` says which model was asked.
    pub course: CourseContent,
    /// The named places the course includes, in the order they were named.
    pub kept: Vec<&'c Place>,
}

/// The built-in planner's course including the `named` places wherever the rules allow
/// ([`plan_including`]); the ones it cannot fit are left out.
pub fn plan_around<'c>(
    catalogue: &'c Catalogue,
    request: &PlanRequest,
    named: &[&'c Place],
    model: &str,
) -> Result<PlannedAround<'c>, PlanError> {
    let plan = plan_including(catalogue, request, named)?;
    let kept: Vec<&Place> = named.iter().copied().filter(|p| plan.stops.iter().any(|s| std::ptr::eq(s.place, *p))).collect();
    let mut course = plan.course;
    course.provider = Some(if kept.is_empty() { FALLBACK_PROVIDER } else { PLANNER_PROVIDER }.to_owned());
    course.model = Some(model.to_owned());
    Ok(PlannedAround { course, kept })
}

/// Finds each stop object as soon as its closing brace streams in, so a stop can be shown
/// before the model has finished. Feed text chunks; get the stops completed by each chunk.
#[derive(Debug, Default)]
pub struct StopScanner {
    text: String,
    scanned: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Byte offset where the object at depth 3 (a stop inside the stops array) began.
    stop_start: Option<usize>,
    /// Whether the container at depth 2 is an array (the stops list).
    in_array: bool,
}

impl StopScanner {
    pub fn feed(&mut self, chunk: &str) -> Vec<AnswerStop> {
        self.text.push_str(chunk);
        let mut found = Vec::new();
        let bytes = self.text.as_bytes();
        for (i, &b) in bytes.iter().enumerate().skip(self.scanned) {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth == 2 {
                        self.in_array = b == b'[';
                    }
                    if self.depth == 3 && b == b'{' && self.in_array {
                        self.stop_start = Some(i);
                    }
                }
                b'}' | b']' => {
                    if self.depth == 3 && b == b'}' {
                        if let Some(start) = self.stop_start.take() {
                            if let Ok(stop) = serde_json::from_str::<AnswerStop>(&self.text[start..=i]) {
                                found.push(stop);
                            }
                        }
                    }
                    self.depth = self.depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        self.scanned = bytes.len();
        found
    }

    /// Everything fed so far.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;
    use crate::course::{Season, Transport};
    use crate::testing::{good_answer, GOOD_NOTE};
    use proptest::prelude::*;

    fn request() -> PlanRequest {
        PlanRequest {
            place: "성수".into(),
            season: Season::Fall,
            date: None,
            start: 14 * 60,
            end: 21 * 60,
            transport: Transport::Walk,
            lang: Lang::Ko,
            variant: 0,
            indoor: false,
        }
    }

    #[test]
    fn a_good_answer_becomes_a_checked_course_with_catalogue_facts() {
        let req = request();
        let answer = parse_answer(&format!("```json\n{}\n```", good_answer(&req))).unwrap();
        let course = course_from_answer(catalogue(), &answer, &req, "openai", "test-model").unwrap();
        assert_eq!(course.provider.as_deref(), Some("openai"));
        assert_eq!(course.model.as_deref(), Some("test-model"));
        assert!(course.stops.iter().all(|s| s.map_url.starts_with("https://map.kakao.com/") && s.description == GOOD_NOTE));
    }

    #[test]
    fn a_wrong_answer_lists_its_problems() {
        let req = request();
        let answer = Answer {
            stops: vec![
                AnswerStop { place_id: "seoul-forest".into(), name: None, arrive: "09:00".into(), leave: "10:00".into(), note: None },
                AnswerStop { place_id: "atlantis".into(), name: None, arrive: "10:00".into(), leave: "23:30".into(), note: None },
            ],
            summary: None,
        };
        let problems = course_from_answer(catalogue(), &answer, &req, "openai", "m").unwrap_err();
        assert!(problems.iter().any(|p| p.contains("atlantis")), "{problems:?}");
        let only_forest = Answer { stops: answer.stops[..1].to_vec(), summary: None };
        let problems = course_from_answer(catalogue(), &only_forest, &req, "openai", "m").unwrap_err();
        assert!(problems.iter().any(|p| p.contains("must start at 14:00")), "{problems:?}");
    }

    #[test]
    fn the_prompt_names_candidates_rules_and_the_window() {
        let req = request();
        let found = candidates(catalogue(), &req);
        assert!(!found.is_empty() && found.len() <= MAX_CANDIDATES);
        let messages = messages(catalogue(), &req, &found);
        assert_eq!(messages[0].role, "system");
        assert!(messages[0].content.contains("Dinner") && messages[0].content.contains("Sunset"));
        assert!(messages[1].content.contains("seoul-forest | 서울숲"));
        assert!(messages[1].content.contains("14:00–21:00"));
    }

    #[test]
    fn prose_is_not_an_answer() {
        assert!(parse_answer("성수에서는 서울숲을 걷고 카페에 가세요.").is_err());
    }

    /// The character offset of each stop's closing brace in `text`: fed one character at a
    /// time, the scanner gives each stop exactly when that character arrives, once, in order.
    fn closing_braces(text: &str, stops: &[AnswerStop]) -> Vec<usize> {
        let chars: Vec<char> = text.chars().collect();
        let mut scanner = StopScanner::default();
        let mut ends = Vec::new();
        let mut seen = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            for stop in scanner.feed(&c.to_string()) {
                assert_eq!(*c, '}', "stop {} came out at {c:?}", seen.len());
                ends.push(i);
                seen.push(stop);
            }
        }
        assert_eq!(seen, stops);
        assert!(ends.last() < Some(&(chars.len() - 1)), "the last stop comes before the answer ends");
        ends
    }

    /// Feeds `text` cut before each character offset in `cuts` (ascending) and checks that
    /// each chunk gives exactly the stops whose closing brace it holds: the same stops as the
    /// whole answer, each as soon as its object is complete.
    fn assert_each_chunk_gives_the_stops_it_completes(text: &str, stops: &[AnswerStop], ends: &[usize], cuts: &[usize]) {
        let chars: Vec<char> = text.chars().collect();
        let mut scanner = StopScanner::default();
        let bounds: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).chain([chars.len()]).collect();
        for window in bounds.windows(2) {
            let (from, to) = (window[0], window[1]);
            let due: Vec<AnswerStop> =
                stops.iter().zip(ends).filter(|(_, end)| (from..to).contains(*end)).map(|(stop, _)| stop.clone()).collect();
            let chunk: String = chars[from..to].iter().collect();
            assert_eq!(scanner.feed(&chunk), due, "the chunk of characters {from}..{to} (cut at {cuts:?})");
        }
        assert_eq!(scanner.text(), text);
    }

    #[test]
    fn the_scanner_gives_each_stop_in_the_chunk_that_completes_it_for_every_chunk_size() {
        let text = good_answer(&request());
        let stops = parse_answer(&text).unwrap().stops;
        assert!(stops.len() >= 3);
        let ends = closing_braces(&text, &stops);
        let length = text.chars().count();
        for size in 1..=length {
            let cuts: Vec<usize> = (size..length).step_by(size).collect();
            assert_each_chunk_gives_the_stops_it_completes(&text, &stops, &ends, &cuts);
        }
    }

    fn ids(places: &[&Place]) -> Vec<String> {
        places.iter().map(|p| p.id.clone()).collect()
    }

    #[test]
    fn prose_names_candidates_in_the_order_it_names_them() {
        let found = candidates(catalogue(), &request());
        let prose = "성수라면 서울숲을 걷고 어니언 성수에서 빵을 먹은 뒤, 저녁엔 성수족발이 좋아요. 서울숲은 가을이 예뻐요.";
        assert_eq!(ids(&named_places(prose, &found)), ["seoul-forest", "onion-seongsu", "seongsu-jokbal"]);
        let english = "Walk in SEOUL forest, then coffee at Onion Seongsu; D Museum if it rains.";
        assert_eq!(ids(&named_places(english, &found)), ["seoul-forest", "onion-seongsu", "dmuseum"]);
    }

    #[test]
    fn the_longest_name_wins_and_latin_names_stand_alone() {
        let found = candidates(catalogue(), &request());
        assert_eq!(ids(&named_places("서울숲 아틀리에길을 걸어요", &found)), ["atelier-gil"]);
        assert_eq!(ids(&named_places("센터커피 서울숲점에서 커피", &found)), ["center-coffee-seoul-forest"]);
        assert!(named_places("the Seoul Forestry Museum", &found).is_empty());
        assert_eq!(ids(&named_places("Seoul Forest에서 산책", &found)), ["seoul-forest"]);
    }

    #[test]
    fn ids_in_a_broken_off_json_answer_count_and_a_cut_id_does_not() {
        let found = candidates(catalogue(), &request());
        let partial = r#"{"stops":[{"place_id":"seoul-forest","arrive":"14:00","leave":"15:10","note":"…"},{"place_id":"dmus"#;
        assert_eq!(ids(&named_places(partial, &found)), ["seoul-forest"]);
    }

    #[test]
    fn only_candidates_and_only_names_long_enough_are_found() {
        let found = candidates(catalogue(), &request());
        assert!(named_places("해운대 해수욕장과 광안리", &found).is_empty(), "not near 성수");
        let park = catalogue().place("p-ark").unwrap();
        assert_eq!(park.en, "P.ARK");
        assert!(named_places("a park by the sea, P.ARK", &[park]).is_empty(), "four Latin letters are too few");
        assert_eq!(ids(&named_places("피아크에서 커피", &[park])), ["p-ark"]);
    }

    #[test]
    fn the_planner_keeps_what_fits_and_says_so() {
        let req = request();
        let found = candidates(catalogue(), &req);
        let named = named_places("서울숲을 걷고 저녁은 성수족발", &found);
        let planned = plan_around(catalogue(), &req, &named, "test-model").unwrap();
        assert_eq!(ids(&planned.kept), ["seoul-forest", "seongsu-jokbal"]);
        assert_eq!((planned.course.provider.as_deref(), planned.course.model.as_deref()), (Some(PLANNER_PROVIDER), Some("test-model")));
        assert!(check::problems(catalogue(), &planned.course, &req).is_empty());
        let nothing = plan_around(catalogue(), &req, &[], "test-model").unwrap();
        assert!(nothing.kept.is_empty());
        assert_eq!(nothing.course.provider.as_deref(), Some(FALLBACK_PROVIDER));
    }

    proptest! {
        #[test]
        fn reading_answers_never_panics(text in "\\PC{0,200}") {
            let _ = parse_answer(&text);
            let mut scanner = StopScanner::default();
            let _ = scanner.feed(&text);
            let found = candidates(catalogue(), &request());
            let named = named_places(&text, &found);
            prop_assert!(named.iter().all(|p| found.iter().any(|c| std::ptr::eq(*c, *p))));
        }

        #[test]
        fn a_candidate_named_in_a_sentence_is_found(
            index in 0usize..MAX_CANDIDATES,
            before in prop::sample::select(vec!["", " ", "오늘은 ", "Then ", "(", "1. "]),
            after in prop::sample::select(vec!["", "을", "에서 ", "은요. ", "!", ")", " and"]),
            english in any::<bool>(),
        ) {
            let found = candidates(catalogue(), &request());
            let place = found[index % found.len()];
            let name = if english { &place.en } else { &place.ko };
            prop_assume!(long_enough(&key(name)));
            let named = named_places(&format!("{before}{name}{after}"), &found);
            prop_assert!(named.iter().any(|p| key(&p.ko) == key(&place.ko) || key(&p.en) == key(&place.en)), "{name}: {:?}", ids(&named));
        }

        #[test]
        fn the_scanner_gives_the_same_stops_at_the_same_points_under_any_cuts(cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..60)) {
            let text = good_answer(&request());
            let stops = parse_answer(&text).unwrap().stops;
            let ends = closing_braces(&text, &stops);
            let length = text.chars().count();
            // Chunks of any lengths: cuts anywhere strictly inside the text.
            let cuts: std::collections::BTreeSet<usize> = cuts.iter().map(|cut| 1 + cut.index(length - 1)).collect();
            assert_each_chunk_gives_the_stops_it_completes(&text, &stops, &ends, &cuts.into_iter().collect::<Vec<_>>());
        }
    }
}
