//! `fyd show ID`: one saved course — its timeline and map links; `--text` for the answer text
//! alone (what the old web front showed).

use fyd_core::render::{unescape_html, when};

use super::Global;
use crate::error::CliResult;
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The course id (see `fyd list`).
    id: u64,
    /// Print only the course's answer text.
    #[arg(long)]
    text: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let mut session = global.session()?;
    let course = session.course(args.id)?;
    if global.json {
        return output::print_json(&course);
    }
    let answer = unescape_html(&course.content.answer);
    if args.text {
        return output::print(answer);
    }
    output::print(format_args!("#{} {} · {}", course.id, course.content.title, when(&course.content, global.lang())))?;
    // A course saved without stops (by the old web front) has only its text to show.
    if course.content.stops.is_empty() {
        output::print(answer)
    } else {
        output::print(output::course(&course.content, global.lang()))
    }
}
