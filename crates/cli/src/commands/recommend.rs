//! `fyd recommend`: ask the server for a date course (saved by default) and show it.

use fyd_core::render::{category_name, clock_time, when};
use fyd_core::request::{season_of, validate_recommend, RecommendRequest};
use fyd_core::wire::RecommendDetail;
use fyd_core::FieldErrors;

use super::Global;
use crate::client::{Session, StreamEvent};
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
    /// When the date starts: "14:00", "2pm", "오후 2시"…
    #[arg(long, default_value = "14:00")]
    start: String,
    /// When it ends (up to 02:00 the next morning).
    #[arg(long, default_value = "21:00")]
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

    let mut session = global.session()?;
    // People at a terminal watch the stops arrive; scripts get one JSON answer.
    if output::stdout_is_terminal() && !global.json {
        return run_streaming(&mut session, &request, global);
    }
    let spinner = spinner();
    let reply = session.recommend(&request);
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let recommended = reply?;
    if global.json {
        return output::print_json(&recommended.result);
    }
    show(&recommended.result.detail, recommended.remaining, global)
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

/// The streamed recommendation: each stop is printed as it arrives, then the whole course.
fn run_streaming(session: &mut Session, request: &RecommendRequest, global: &Global) -> CliResult<()> {
    let mut stream = session.recommend_stream(request)?;
    let mut spinner = spinner();
    let lang = global.lang();
    loop {
        let event = stream.next_event();
        if let Some(spinner) = spinner.take() {
            spinner.finish_and_clear();
        }
        match event? {
            StreamEvent::Stop(stop) => {
                eprintln!(
                    "  {}–{}  {}  [{}]",
                    clock_time(&stop.arrive, lang),
                    clock_time(&stop.leave, lang),
                    stop.name,
                    category_name(&stop.category, lang)
                )
            }
            StreamEvent::Done(detail) => {
                eprintln!();
                return show(&detail, stream.remaining, global);
            }
        }
    }
}

/// The course: title, timeline and map links, then the saved id and the quota left.
fn show(detail: &RecommendDetail, remaining: Option<u32>, global: &Global) -> CliResult<()> {
    output::print(format_args!("{} · {}", detail.course.title, when(&detail.course, global.lang())))?;
    output::print(output::course(&detail.course, global.lang()))?;
    if let Some(id) = detail.id {
        eprintln!("Saved as course {id} — `fyd show {id}` shows it again.");
    }
    if let Some(left) = remaining {
        eprintln!("{left} recommendation(s) left today.");
    }
    Ok(())
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
