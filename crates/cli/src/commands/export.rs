//! `fyd export ID --ics > date.ics`: one of my courses as an iCalendar file for a calendar app,
//! one event per stop in Seoul time, written to stdout as the server made it.

use fyd_core::course::parse_date;

use super::Global;
use crate::error::{CliError, CliResult};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The course id (see `fyd list`).
    id: u64,
    /// Write an iCalendar file (.ics), the one format there is.
    #[arg(long, required = true)]
    ics: bool,
    /// The day (YYYY-MM-DD); needed when the course was planned for a season, not a date.
    #[arg(long)]
    date: Option<String>,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    debug_assert!(args.ics, "clap requires --ics");
    if args.date.as_deref().is_some_and(|date| parse_date(date).is_none()) {
        return Err(CliError::Usage("--date: use a real day as YYYY-MM-DD".into()));
    }
    let mut session = global.session()?;
    let calendar = session.course_ics(args.id, args.date.as_deref(), global.lang_code())?;
    output::write(&calendar)
}
