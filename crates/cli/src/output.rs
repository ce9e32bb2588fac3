//! How things look and where they go: colour and spinners only on a terminal (never with
//! `NO_COLOR` or `TERM=dumb`), tables that align Korean (wide) characters, plain
//! tab-separated lines when stdout is piped, and every write to stdout through [`print`], so
//! that a reader that stops early (`fyd list | head -1`) ends fyd quietly instead of with a
//! panic.

use std::fmt::Display;
use std::io::{IsTerminal, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, ContentArrangement, Table};
use fyd_core::course::CourseContent;
use fyd_core::render::{category_name, clock_time, leg_text};
use fyd_core::request::Lang;
use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Writes `text` and a newline to stdout. A closed stdout is [`CliError::StdoutClosed`].
pub fn print(text: impl Display) -> CliResult<()> {
    write(format!("{text}\n").as_bytes())
}

/// Writes `value` as pretty JSON to stdout (what `--json` prints).
pub fn print_json<T: Serialize>(value: &T) -> CliResult<()> {
    print(serde_json::to_string_pretty(value).expect("wire types serialise"))
}

/// Writes `bytes` to stdout as they are.
pub fn write(bytes: &[u8]) -> CliResult<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(|err| match err.kind() {
        std::io::ErrorKind::BrokenPipe => CliError::StdoutClosed,
        _ => CliError::Other(format!("cannot write to stdout: {err}")),
    })
}

/// Narrower than this, tables are not wrapped to the terminal.
const MIN_WRAP_COLUMNS: u16 = 40;

/// Decorations (colour, spinner) are for people at a terminal.
pub fn decorate(stream_is_terminal: bool) -> bool {
    stream_is_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stderr_decorated() -> bool {
    decorate(std::io::stderr().is_terminal())
}

/// A server timestamp to the minute: "2026-11-26T22:09:12.692+09:00" → "2026-11-26 22:09".
pub fn short_time(iso: &str) -> String {
    iso.get(..16).unwrap_or(iso).replace('T', " ")
}

/// A table for stdout; bold headers only when decorated.
pub fn table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    let styled = decorate(stdout_is_terminal());
    if !styled {
        table.force_no_tty();
    }
    // Wrap to the terminal only when it reports a usable width: a pseudo-terminal that says
    // 0 columns (`script`, some CI and IDE terminals) would squeeze every column to one letter.
    if table.width().is_some_and(|width| width >= MIN_WRAP_COLUMNS) {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table.set_header(headers.iter().map(|h| if styled { Cell::new(h).add_attribute(Attribute::Bold) } else { Cell::new(h) }));
    table
}

/// The course as a timeline: time, place, kind, and the way to the next stop.
fn timeline(course: &CourseContent, lang: Lang) -> Table {
    let headers = match lang {
        Lang::Ko => ["시간", "장소", "종류", "다음 장소까지"],
        Lang::En => ["Time", "Place", "Kind", "To the next stop"],
    };
    let mut table = table(&headers);
    for (i, stop) in course.stops.iter().enumerate() {
        let next = course.legs.get(i).map(|leg| leg_text(leg, lang)).unwrap_or_default();
        table.add_row(vec![
            format!("{}–{}", clock_time(&stop.arrive, lang), clock_time(&stop.leave, lang)),
            stop.name.clone(),
            category_name(&stop.category, lang).to_owned(),
            next,
        ]);
    }
    table
}

/// The course's stops: the timeline, then one line per stop with its map link (and, for a
/// meal, the places nearby to eat instead), then what the course wants the couple to know.
pub fn course(course: &CourseContent, lang: Lang) -> String {
    let mut lines = Vec::new();
    for stop in &course.stops {
        lines.push(format!("  {}  {}", stop.name, stop.map_url));
        if !stop.alternatives.is_empty() {
            let others: Vec<String> = stop.alternatives.iter().map(|a| format!("{} ({}m)", a.name, a.distance_m)).collect();
            let label = if lang == Lang::Ko { "근처 다른 곳" } else { "nearby instead" };
            lines.push(format!("    ↳ {label}: {}", others.join(", ")));
        }
    }
    lines.extend(course.notes.iter().map(|note| format!("※ {note}")));
    format!("{}\n{}", timeline(course, lang), lines.join("\n"))
}
