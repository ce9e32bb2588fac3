//! `fyd recommend`: ask the server for a date course (saved by default) and show it.

use std::io::{BufRead, BufReader};

use fyd_core::course::Stop;
use fyd_core::render::category_name;
use fyd_core::request::{season_of, validate_recommend, RecommendRequest};
use fyd_core::wire::{ErrorBody, RecommendDetail, RecommendResult};
use fyd_core::FieldErrors;
use reqwest::header::HeaderMap;
use reqwest::Method;

use super::{print_json, Global};
use crate::client::{explain, ApiFailure, Session};
use crate::error::{CliError, CliResult};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// Where: a place, station, area or city (불국사, 강남역, 성수, 부산, Jeonju…).
    #[arg(long)]
    place: String,
    /// spring | summer | fall | winter (봄/여름/가을/겨울); default: the season in Seoul today.
    #[arg(long)]
    season: Option<String>,
    /// When the date starts: "오후 2시", "14:00", "2pm"…
    #[arg(long, default_value = "오후 2시")]
    start: String,
    /// When it ends.
    #[arg(long, default_value = "오후 9시")]
    end: String,
    /// walk | public | car (도보/대중교통/자차).
    #[arg(long, default_value = "public")]
    transport: String,
    /// The day (YYYY-MM-DD): sets the weekday (closures) and the season.
    #[arg(long)]
    date: Option<String>,
    /// Ask for a different course for the same input.
    #[arg(long)]
    variant: Option<u32>,
    /// Do not save the course.
    #[arg(long)]
    no_save: bool,
    /// A rainy day: indoor places only, where the area allows.
    #[arg(long)]
    indoor: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let season = match (&args.season, &args.date) {
        (Some(season), _) => Some(season.clone()),
        (None, Some(_)) => None,
        (None, None) => Some(current_season()),
    };
    let request = RecommendRequest {
        date_place: args.place,
        date_season: season,
        date_start: args.start,
        date_end: args.end,
        date_transport: args.transport,
        date: args.date,
        lang: Some(global.lang_code().to_owned()),
        variant: args.variant,
        save: Some(!args.no_save),
        indoor: args.indoor.then_some(true),
    };
    // Check locally first: a typo is a usage error, not a round trip.
    validate_recommend(&request).map_err(|fields| CliError::Usage(flag_errors(&fields)))?;

    let mut session = Session::load(global.server.as_deref())?;
    // People at a terminal watch the stops arrive; scripts get one JSON answer.
    if output::stdout_is_terminal() && !global.json {
        return run_streaming(&mut session, &request, global);
    }
    let spinner = spinner();
    let reply = session.call_with_headers::<_, RecommendResult>(Method::POST, "/chat/chatbot/", Some(&request));
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let (result, headers) = reply?.map_err(explain)?;
    if global.json {
        print_json(&result);
        return Ok(());
    }
    show(&result.detail, &headers, global);
    Ok(())
}

fn spinner() -> Option<indicatif::ProgressBar> {
    output::stderr_decorated().then(|| {
        let spinner = indicatif::ProgressBar::new_spinner().with_message("planning your date…");
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            spinner.set_style(style);
        }
        spinner.enable_steady_tick(std::time::Duration::from_millis(80));
        spinner
    })
}

/// Reads `/chat/chatbot/stream/`: each `stop` is printed as it arrives, `done` brings the
/// whole course, `error` ends with the server's reason.
fn run_streaming(session: &mut Session, request: &RecommendRequest, global: &Global) -> CliResult<()> {
    let response = session.open_stream("/chat/chatbot/stream/", request)?.map_err(explain)?;
    let headers = response.headers().clone();
    let mut spinner = spinner();
    let lang = global.lang();
    let mut event = String::new();
    let mut data = String::new();
    for line in BufReader::new(response).lines() {
        let line = line.map_err(|err| CliError::Other(format!("the stream from the server broke off: {err}")))?;
        if let Some(name) = line.strip_prefix("event:") {
            event = name.trim().to_owned();
        } else if let Some(chunk) = line.strip_prefix("data:") {
            data.push_str(chunk.trim_start());
        } else if line.is_empty() && !data.is_empty() {
            if let Some(spinner) = spinner.take() {
                spinner.finish_and_clear();
            }
            let (name, payload) = (std::mem::take(&mut event), std::mem::take(&mut data));
            let unreadable = |err: serde_json::Error| CliError::Other(format!("the server sent an unreadable {name} event: {err}"));
            match name.as_str() {
                "stop" => {
                    let stop: Stop = serde_json::from_str(&payload).map_err(unreadable)?;
                    eprintln!("  {}–{}  {}  [{}]", stop.arrive, stop.leave, stop.name, category_name(&stop.category, lang));
                }
                "done" => {
                    let detail: RecommendDetail = serde_json::from_str(&payload).map_err(unreadable)?;
                    eprintln!();
                    show(&detail, &headers, global);
                    return Ok(());
                }
                "error" => {
                    let body: ErrorBody = serde_json::from_str(&payload).map_err(unreadable)?;
                    let status = if body.code == "upstream_timeout" { 504 } else { 502 };
                    return Err(explain(ApiFailure { status, body }));
                }
                _ => {}
            }
        }
    }
    Err(CliError::Other("the server ended the stream before the course was complete — try again".into()))
}

/// The course: title, timeline table, map links, then the saved id and the quota left.
fn show(detail: &RecommendDetail, headers: &HeaderMap, global: &Global) {
    println!("{} · {}", detail.course.title, detail.course.datetime);
    println!("{}", output::timeline(&detail.course, global.lang()));
    println!("{}", output::map_links(&detail.course).trim_end());
    if let Some(id) = detail.id {
        eprintln!("Saved as course {id} — `fyd show {id}` shows it again.");
    }
    if let Some(left) = remaining(headers) {
        eprintln!("{left} recommendation(s) left today.");
    }
}

fn remaining(headers: &HeaderMap) -> Option<u32> {
    headers.get("x-ratelimit-remaining")?.to_str().ok()?.parse().ok()
}

/// The season in Seoul today.
fn current_season() -> String {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Seoul").unwrap_or(jiff::tz::TimeZone::UTC)).date();
    fyd_core::render::season_name(season_of(today), fyd_core::request::Lang::En).to_owned()
}

/// Field errors named by the flags the user typed.
fn flag_errors(fields: &FieldErrors) -> String {
    let flag = |field: &str| match field {
        "datePlace" => "--place",
        "dateSeason" => "--season",
        "dateStart" => "--start",
        "dateEnd" => "--end",
        "dateTransport" => "--transport",
        "date" => "--date",
        "variant" => "--variant",
        _ => "--lang",
    };
    fields
        .clone()
        .into_map()
        .iter()
        .map(|(field, messages)| format!("{}: {}", flag(field), messages.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}
