//! The share page: a course, read-only, for someone without an account — on a phone, without
//! JavaScript, in Korean or English.
//!
//! Templates are maud's `html!`, which escapes every value it is given; nothing here writes
//! markup by string. Links go out only as `https://` URLs ([`super::map_link`]). The page has
//! no script at all, and [`CONTENT_SECURITY_POLICY`] forbids any: its only style is the
//! inline [`STYLE`], allowed by its hash.

use std::sync::LazyLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fyd_core::calendar::{season_middle, sunset};
use fyd_core::course::{hhmm, parse_date, Course, CourseContent, Stop};
use fyd_core::render::{category_name, clock_time, leg_text, season_name, transport_name, unescape_html, when};
use fyd_core::request::Lang;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

/// The page's only style: mobile first, light and dark.
const STYLE: &str = r#"
:root{color-scheme:light dark;--fg:#1f1d1b;--muted:#6d6660;--bg:#fbf8f4;--card:#fff;--line:#e9e1d7;--accent:#c8434f}
@media (prefers-color-scheme:dark){:root{--fg:#f1ece6;--muted:#ada59c;--bg:#181614;--card:#221f1c;--line:#3a3430;--accent:#ff8490}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.6 system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR","Noto Sans CJK KR","Malgun Gothic",sans-serif;word-break:keep-all;overflow-wrap:anywhere}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem 3rem}
.kicker{margin:0;color:var(--accent);font-size:.85rem;font-weight:600;letter-spacing:.02em}
h1{margin:.2rem 0 .4rem;font-size:1.6rem;line-height:1.3}
.meta{margin:0;color:var(--muted)}
ol{list-style:none;margin:1.5rem 0;padding:0}
.stop{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:.9rem 1rem}
.time{margin:0;color:var(--accent);font-weight:600;font-variant-numeric:tabular-nums}
h2{margin:.1rem 0 .3rem;font-size:1.15rem}
.kind{color:var(--muted);font-size:.85rem;font-weight:400;white-space:nowrap}
.stop p{margin:.3rem 0}
.alt{color:var(--muted);font-size:.9rem}
.leg{margin:0 0 0 1.2rem;padding:.45rem 0 .45rem 1rem;border-left:2px dashed var(--line);color:var(--muted);font-size:.9rem}
a{color:var(--accent)}
a.map{display:inline-block;margin-top:.2rem;padding:.35rem .8rem;border:1px solid var(--accent);border-radius:999px;text-decoration:none;font-size:.9rem}
.notes{padding-left:1.2rem;color:var(--muted)}
.sun{margin:1rem 0;color:var(--muted)}
.answer{white-space:pre-wrap;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:1rem}
footer{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
input,button{font:inherit;padding:.3rem .6rem}
"#;

/// Sent with every share page (and its 404 and 429): nothing but the inline style may load or
/// run; no script, no frame, no plugin; forms only back to this server (the calendar's day).
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
});

/// A shared course, as the page shows it.
pub struct SharedCourse<'a> {
    pub course: &'a Course,
    /// The owner's nickname, when they chose to show it.
    pub nickname: Option<&'a str>,
    /// The page's own token, for the relative link to its calendar file.
    pub token: &'a str,
}

/// The reader's language from `Accept-Language`: Korean or English, whichever is preferred
/// (by q-value, then order); Korean without the header, English when it names neither.
pub fn reader_lang(accept_language: Option<&str>) -> Lang {
    let Some(header) = accept_language.filter(|h| !h.trim().is_empty()) else {
        return Lang::Ko;
    };
    let mut best: Option<(f32, Lang)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let lang = match tag.split('-').next() {
            Some("ko") => Lang::Ko,
            Some("en") => Lang::En,
            _ => continue,
        };
        let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok())).unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
}

/// The words of the page around the course, in the reader's language.
struct Words {
    lang: &'static str,
    kicker: &'static str,
    shared_by: fn(&str) -> String,
    open_map: &'static str,
    nearby: &'static str,
    notes: &'static str,
    sunset: fn(&str) -> String,
    calendar: &'static str,
    calendar_day: &'static str,
    calendar_button: &'static str,
    made_with: &'static str,
    gone_title: &'static str,
    gone_text: &'static str,
    busy_title: &'static str,
    busy_text: &'static str,
}

fn words(lang: Lang) -> &'static Words {
    static KO: Words = Words {
        lang: "ko",
        kicker: "공유된 데이트 코스",
        shared_by: |name| format!("{name}님이 공유했어요"),
        open_map: "지도에서 보기",
        nearby: "근처 다른 곳",
        notes: "알아 두세요",
        sunset: |time| format!("해 지는 시각은 {time} 무렵이에요."),
        calendar: "캘린더에 추가 (.ics)",
        calendar_day: "날짜",
        calendar_button: "캘린더 파일 받기",
        made_with: "fyd(데이트를 부탁해)로 만든 코스예요.",
        gone_title: "없는 링크예요",
        gone_text: "이 공유 링크는 없거나 더 이상 쓸 수 없어요. 공유한 분께 새 링크를 부탁해 보세요.",
        busy_title: "잠시 후에 다시 열어 주세요",
        busy_text: "짧은 시간에 요청이 너무 많았어요. 잠시 뒤에 다시 시도해 주세요.",
    };
    static EN: Words = Words {
        lang: "en",
        kicker: "A shared date course",
        shared_by: |name| format!("Shared by {name}"),
        open_map: "Open the map",
        nearby: "Nearby instead",
        notes: "Good to know",
        sunset: |time| format!("Sunset is around {time}."),
        calendar: "Add to calendar (.ics)",
        calendar_day: "Day",
        calendar_button: "Get the calendar file",
        made_with: "Planned with fyd (For Your Date).",
        gone_title: "No such link",
        gone_text: "This share link does not exist or no longer works. Ask whoever shared it for a new one.",
        busy_title: "Please try again in a moment",
        busy_text: "Too many requests in a short time. Please try again shortly.",
    };
    match lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    }
}

/// The page of a shared course.
pub fn course_page(shared: &SharedCourse, lang: Lang) -> String {
    let words = words(lang);
    let content = &shared.course.content;
    let meta: Vec<String> = [
        Some(when(content, lang)),
        content.season.map(|s| season_name(s, lang).to_owned()),
        content.transport.map(|t| transport_name(t, lang).to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let body = html! {
        header {
            p.kicker { (words.kicker) }
            h1 { (content.title) }
            p.meta { (meta.join(" · ")) }
            @if let Some(place) = &content.place {
                p.meta { "📍 " (place) }
            }
            @if let Some(nickname) = shared.nickname {
                p.meta { ((words.shared_by)(nickname)) }
            }
        }
        @if content.stops.is_empty() {
            // A course the old web front saved has only its text (HTML-escaped when saved).
            div.answer { (unescape_html(&content.answer)) }
        } @else {
            ol {
                @for (i, stop) in content.stops.iter().enumerate() {
                    li.stop { (stop_card(stop, lang, words)) }
                    @if let Some(leg) = content.legs.get(i).filter(|_| i + 1 < content.stops.len()) {
                        li.leg { "↓ " (leg_text(leg, lang)) }
                    }
                }
            }
        }
        @if !content.notes.is_empty() {
            section {
                h2 { (words.notes) }
                ul.notes { @for note in &content.notes { li { (note) } } }
            }
        }
        @if let Some(sunset) = sunset_time(content) {
            p.sun { "🌇 " ((words.sunset)(&clock_time(&hhmm(sunset), lang))) }
        }
        footer {
            @if !content.stops.is_empty() {
                @if content.date.as_deref().and_then(parse_date).is_some() {
                    p { a href={ (shared.token) ".ics" } { (words.calendar) } }
                } @else {
                    form method="get" action={ (shared.token) ".ics" } {
                        label { (words.calendar_day) " " input type="date" name="date" required; }
                        button type="submit" { (words.calendar_button) }
                    }
                }
            }
            p { (words.made_with) }
        }
    };
    document(&content.title, words, body)
}

fn stop_card(stop: &Stop, lang: Lang, words: &Words) -> Markup {
    html! {
        p.time { (clock_time(&stop.arrive, lang)) " – " (clock_time(&stop.leave, lang)) }
        h2 { (stop.name) " " span.kind { (category_name(&stop.category, lang)) } }
        @if !stop.description.trim().is_empty() {
            p { (stop.description) }
        }
        @if !stop.alternatives.is_empty() {
            p.alt {
                (words.nearby) ": "
                @for (i, alt) in stop.alternatives.iter().enumerate() {
                    @if i > 0 { ", " }
                    @match super::safe_link(&alt.map_url) {
                        Some(link) => a href=(link) rel="noopener noreferrer nofollow" { (alt.name) },
                        None => (alt.name),
                    }
                    " (" (alt.distance_m) "m)"
                }
            }
        }
        p { a.map href=(super::map_link(stop)) rel="noopener noreferrer nofollow" { "🗺 " (words.open_map) } }
    }
}

/// Sunset at the first stop on the course's day (or its season's usual day).
fn sunset_time(content: &CourseContent) -> Option<u16> {
    let first = content.stops.first()?;
    let day = content.date.as_deref().and_then(parse_date).or_else(|| content.season.map(season_middle))?;
    Some(sunset(day, first.lat, first.lon))
}

/// The page for a link that does not open: unknown, revoked, expired or malformed.
pub fn not_found_page(lang: Lang) -> String {
    let words = words(lang);
    document(words.gone_title, words, html! { h1 { (words.gone_title) } p { (words.gone_text) } })
}

/// The page for a client past the per-IP limit.
pub fn too_many_page(lang: Lang) -> String {
    let words = words(lang);
    document(words.busy_title, words, html! { h1 { (words.busy_title) } p { (words.busy_text) } })
}

fn document(title: &str, words: &Words, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(words.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                meta name="referrer" content="no-referrer";
                title { (title) " · fyd" }
                style { (PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_gets_korean_or_english_by_preference() {
        assert_eq!(reader_lang(None), Lang::Ko);
        assert_eq!(reader_lang(Some("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7")), Lang::Ko);
        assert_eq!(reader_lang(Some("en-US,en;q=0.9,ko;q=0.8")), Lang::En);
        assert_eq!(reader_lang(Some("ko;q=0.3, en;q=0.6")), Lang::En);
        assert_eq!(reader_lang(Some("ja-JP,ja;q=0.9")), Lang::En, "neither: English");
        assert_eq!(reader_lang(Some("ja, ko;q=0.5")), Lang::Ko);
        assert_eq!(reader_lang(Some("en;q=0, ko")), Lang::Ko);
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style() {
        let policy = &*CONTENT_SECURITY_POLICY;
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"), "{policy}");
        assert!(!policy.contains("script-src") && !policy.contains("unsafe"), "{policy}");
        let page = not_found_page(Lang::En);
        let style = page.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
        assert_eq!(style, STYLE, "the hashed style is the one on the page");
    }
}
