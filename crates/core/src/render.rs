//! Turning a plan into what people read: the course (`CourseContent`), the request as one
//! Korean sentence (`question`), the course as text (`answer`, Korean or English), and a
//! Kakao Map link per stop.
//!
//! The old web front inserts `answer` as HTML, so every text that came from the catalogue or
//! from the couple is escaped: the answer is plain text that is also safe HTML.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::anchor::Anchor;
use crate::catalogue::{Category, Place};
use crate::course::{
    hhmm, minutes_in_window, parse_date, parse_hhmm, Alternative, CourseContent, Leg, LegMode, Season, Stop, Transport, MAX_PLACE_CHARS,
};
use crate::request::{korean_time, Lang, PlanRequest};

pub const BUILTIN_PROVIDER: &str = "builtin";

/// One visit of a course, from whichever provider planned it.
#[derive(Debug, Clone)]
pub struct Visit<'a> {
    pub place: &'a Place,
    pub arrive: u16,
    pub leave: u16,
    /// The provider's own words about the visit; the catalogue's description otherwise.
    pub note: Option<String>,
    /// Other places to eat nearby, for a meal.
    pub alternatives: Vec<Alternative>,
}

/// A course from visits and legs: names, map links, title, question and answer text.
#[allow(clippy::too_many_arguments)]
pub fn build_course(
    anchor: &Anchor,
    visits: &[Visit],
    legs: Vec<Leg>,
    request: &PlanRequest,
    provider: &str,
    model: Option<String>,
    sunset: u16,
    notes: Vec<String>,
) -> CourseContent {
    let stops: Vec<Stop> = visits
        .iter()
        .map(|v| Stop {
            name: place_name(v.place, request.lang).to_owned(),
            category: crate::rules::presented_category(v.place, v.arrive, sunset).code().to_owned(),
            arrive: hhmm(v.arrive),
            leave: hhmm(v.leave),
            description: v.note.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| describe(v.place, request)),
            lat: v.place.lat,
            lon: v.place.lon,
            map_url: map_url(&v.place.ko, v.place.lat, v.place.lon),
            alternatives: v.alternatives.clone(),
        })
        .collect();
    let anchored_on: String = anchor.name(Lang::Ko).chars().take(MAX_PLACE_CHARS).collect();
    let mut content = CourseContent {
        title: title(anchor.name(request.lang), request),
        datetime: datetime(request),
        question: question(request),
        answer: String::new(),
        place: Some(anchored_on),
        season: Some(request.season),
        date: request.date.map(|date| date.to_string()),
        start: Some(hhmm(request.start)),
        end: Some(hhmm(request.end)),
        transport: Some(request.transport),
        stops,
        legs,
        notes,
        provider: Some(provider.to_owned()),
        model,
    };
    content.answer = answer(&content, request.lang, Some(sunset));
    content
}

pub fn place_name(place: &Place, lang: Lang) -> &str {
    match lang {
        Lang::Ko => &place.ko,
        Lang::En => &place.en,
    }
}

fn describe(place: &Place, request: &PlanRequest) -> String {
    let text = match request.lang {
        Lang::Ko => &place.desc_ko,
        Lang::En => &place.desc_en,
    };
    let closed_days = &place.hours.usual(request.season).closed_days;
    if request.date.is_some() || closed_days.is_empty() {
        return text.to_owned();
    }
    // Without a date the weekday is unknown: say when the place is closed.
    let days: Vec<&str> = closed_days.iter().map(|d| weekday_name(*d, request.lang)).collect();
    match request.lang {
        Lang::Ko => format!("{text} ({} 휴무)", days.join("·")),
        Lang::En => format!("{text} (closed {})", days.join(", ")),
    }
}

fn weekday_name(day: jiff::civil::Weekday, lang: Lang) -> &'static str {
    use jiff::civil::Weekday::*;
    let (ko, en) = match day {
        Monday => ("월요일", "Mondays"),
        Tuesday => ("화요일", "Tuesdays"),
        Wednesday => ("수요일", "Wednesdays"),
        Thursday => ("목요일", "Thursdays"),
        Friday => ("금요일", "Fridays"),
        Saturday => ("토요일", "Saturdays"),
        Sunday => ("일요일", "Sundays"),
    };
    if lang == Lang::Ko {
        ko
    } else {
        en
    }
}

/// A Kakao Map link that opens a pin at the place, labelled with its Korean name.
pub fn map_url(name: &str, lat: f64, lon: f64) -> String {
    let label = utf8_percent_encode(name, NON_ALPHANUMERIC);
    format!("https://map.kakao.com/link/map/{label},{lat:.6},{lon:.6}")
}

pub fn season_name(season: Season, lang: Lang) -> &'static str {
    match (season, lang) {
        (Season::Spring, Lang::Ko) => "봄",
        (Season::Summer, Lang::Ko) => "여름",
        (Season::Fall, Lang::Ko) => "가을",
        (Season::Winter, Lang::Ko) => "겨울",
        (Season::Spring, Lang::En) => "spring",
        (Season::Summer, Lang::En) => "summer",
        (Season::Fall, Lang::En) => "fall",
        (Season::Winter, Lang::En) => "winter",
    }
}

pub fn transport_name(transport: Transport, lang: Lang) -> &'static str {
    match (transport, lang) {
        (Transport::Walk, Lang::Ko) => "도보",
        (Transport::Public, Lang::Ko) => "대중교통",
        (Transport::Car, Lang::Ko) => "자차",
        (Transport::Walk, Lang::En) => "on foot",
        (Transport::Public, Lang::En) => "by public transport",
        (Transport::Car, Lang::En) => "by car",
    }
}

pub fn category_name(code: &str, lang: Lang) -> &str {
    let names = [
        (Category::Meal, "식사", "meal"),
        (Category::Cafe, "카페", "café"),
        (Category::Walk, "산책", "walk"),
        (Category::Sight, "명소", "sight"),
        (Category::Culture, "문화", "culture"),
        (Category::NightView, "야경", "night view"),
        (Category::Sunset, "노을", "sunset"),
        (Category::Activity, "체험", "activity"),
        (Category::Shopping, "쇼핑", "shopping"),
        (Category::Bar, "술 한잔", "drinks"),
    ];
    names.iter().find(|(c, _, _)| c.code() == code).map_or(code, |(_, ko, en)| if lang == Lang::Ko { ko } else { en })
}

pub fn leg_text(leg: &Leg, lang: Lang) -> String {
    let distance =
        if leg.distance_m >= 1000 { format!("{:.1}km", f64::from(leg.distance_m) / 1000.0) } else { format!("{}m", leg.distance_m) };
    match (leg.mode, lang) {
        (LegMode::Walk, Lang::Ko) => format!("도보 {}분 ({distance})", leg.minutes),
        (LegMode::Transit, Lang::Ko) => format!("대중교통 {}분 ({distance})", leg.minutes),
        (LegMode::Car, Lang::Ko) => format!("차로 {}분 ({distance}, 주차 포함)", leg.minutes),
        (LegMode::Walk, Lang::En) => format!("{} min walk ({distance})", leg.minutes),
        (LegMode::Transit, Lang::En) => format!("{} min by transit ({distance})", leg.minutes),
        (LegMode::Car, Lang::En) => format!("{} min by car ({distance}, parking included)", leg.minutes),
    }
}

fn title(anchor: &str, request: &PlanRequest) -> String {
    match request.lang {
        Lang::Ko => format!("{anchor} {} 데이트", season_name(request.season, Lang::Ko)),
        Lang::En => format!("{anchor} {} date", season_name(request.season, Lang::En)),
    }
}

/// "2:30 PM", "midnight", for English text.
pub fn english_time(minutes: u16) -> String {
    if minutes == 1440 {
        return "midnight".to_owned();
    }
    let minutes = minutes % 1440;
    let (hour, minute) = (minutes / 60, minutes % 60);
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    format!("{hour12}:{minute:02} {}", if hour < 12 { "AM" } else { "PM" })
}

fn datetime(request: &PlanRequest) -> String {
    window(request.date, request.start, request.end, request.lang)
}

/// "2026-11-28 오후 2시 ~ 오후 9시", "2:00 PM – 9:00 PM": a day (if any) and a window, in
/// minutes after that day's midnight.
fn window(date: Option<jiff::civil::Date>, start: u16, end: u16, lang: Lang) -> String {
    let window = match lang {
        Lang::Ko => format!("{} ~ {}", korean_time(start), korean_time(end)),
        Lang::En => format!("{} – {}", english_time(start), english_time(end)),
    };
    match date {
        Some(date) => format!("{date} {window}"),
        None => window,
    }
}

/// When a saved course is, in `lang`: rendered from its `date`, `start` and `end` when it has
/// them (so a course planned in Korean reads "2:00 PM – 9:00 PM" in English), else its
/// `datetime` as it was saved.
pub fn when(content: &CourseContent, lang: Lang) -> String {
    let start = content.start.as_deref().and_then(parse_hhmm);
    let end = content.end.as_deref().zip(start).and_then(|(end, start)| minutes_in_window(end, start));
    match (start, end) {
        (Some(start), Some(end)) => window(content.date.as_deref().and_then(parse_date), start, end, lang),
        _ => content.datetime.clone(),
    }
}

/// A stop's "HH:MM" as people read it in `lang`: as it is in Korean, "2:30 PM" in English.
/// Text that is not "HH:MM" is left as it is.
pub fn clock_time(text: &str, lang: Lang) -> String {
    match (lang, parse_hhmm(text)) {
        (Lang::En, Some(minutes)) => english_time(minutes),
        _ => text.to_owned(),
    }
}

/// The request as one Korean sentence, as the old service stored it.
pub fn question(request: &PlanRequest) -> String {
    let when = match request.date {
        Some(date) => format!("{date}({}) ", &weekday_name(date.weekday(), Lang::Ko)[..3]),
        None => String::new(),
    };
    let how = match request.transport {
        Transport::Walk => "걸어서",
        Transport::Public => "대중교통으로",
        Transport::Car => "차로",
    };
    format!(
        "{when}{}에서 {}에 {}부터 {}까지 {how} 다니는 데이트 코스를 추천해 주세요.",
        request.place,
        season_name(request.season, Lang::Ko),
        korean_time(request.start),
        korean_time(request.end),
    )
}

/// The course as text: one block per stop with its time, kind, description and the way on.
pub fn answer(content: &CourseContent, lang: Lang, sunset: Option<u16>) -> String {
    let mut out = String::new();
    let transport = content.transport.map(|t| transport_name(t, lang)).unwrap_or_default();
    out.push_str(&format!("{} · {} · {transport}\n", content.title, content.datetime));
    if let Some(place) = &content.place {
        out.push_str(&match lang {
            Lang::Ko => format!("{place}에서 시작하는 코스예요.\n"),
            Lang::En => format!("The course starts around {place}.\n"),
        });
    }
    for (i, stop) in content.stops.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. {}–{} {} [{}]\n   {}\n",
            i + 1,
            stop.arrive,
            stop.leave,
            stop.name,
            category_name(&stop.category, lang),
            stop.description
        ));
        if !stop.alternatives.is_empty() {
            let others: Vec<String> = stop.alternatives.iter().map(|a| format!("{} ({}m)", a.name, a.distance_m)).collect();
            out.push_str(&match lang {
                Lang::Ko => format!("   ↳ 근처 다른 곳: {}\n", others.join(", ")),
                Lang::En => format!("   ↳ Nearby instead: {}\n", others.join(", ")),
            });
        }
        if let Some(leg) = content.legs.get(i) {
            let next = if lang == Lang::Ko { "다음 장소까지" } else { "On to the next stop:" };
            out.push_str(&format!("   → {next} {}\n", leg_text(leg, lang)));
        }
    }
    for note in &content.notes {
        out.push_str(&format!("\n※ {note}"));
    }
    if !content.notes.is_empty() {
        out.push('\n');
    }
    if let Some(sunset) = sunset {
        out.push_str(&match lang {
            Lang::Ko => format!("\n해 지는 시각은 {} 무렵이에요. 장소마다 지도 링크가 함께 있어요.", hhmm(sunset)),
            Lang::En => format!("\nSunset is around {}. Each stop comes with a map link.", hhmm(sunset)),
        });
    }
    escape_html(&out)
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape_html`], for showing an answer in a terminal.
pub fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(datetime: &str, date: Option<&str>, start: Option<&str>, end: Option<&str>) -> CourseContent {
        let mut content: CourseContent =
            serde_json::from_value(serde_json::json!({"title": "t", "datetime": datetime, "question": "q", "answer": "a"})).unwrap();
        content.date = date.map(str::to_owned);
        content.start = start.map(str::to_owned);
        content.end = end.map(str::to_owned);
        content
    }

    #[test]
    fn a_saved_course_reads_in_the_language_asked_for() {
        let korean = saved("2026-11-28 오후 8시 ~ 새벽 1시", Some("2026-11-28"), Some("20:00"), Some("01:00"));
        assert_eq!(when(&korean, Lang::En), "2026-11-28 8:00 PM – 1:00 AM");
        assert_eq!(when(&korean, Lang::Ko), "2026-11-28 오후 8시 ~ 새벽 1시");
        let no_date = saved("오후 2시 ~ 오후 9시", None, Some("14:00"), Some("21:00"));
        assert_eq!(when(&no_date, Lang::En), "2:00 PM – 9:00 PM");
        // A course the old web front saved has only its text.
        let old_front = saved("토요일 오후", None, None, None);
        assert_eq!(when(&old_front, Lang::En), "토요일 오후");
        assert_eq!(clock_time("00:30", Lang::En), "12:30 AM");
        assert_eq!(clock_time("14:05", Lang::En), "2:05 PM");
        assert_eq!(clock_time("14:05", Lang::Ko), "14:05");
        assert_eq!(clock_time("late", Lang::En), "late");
    }
}
