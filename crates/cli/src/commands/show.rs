//! `fyd show ID`: one saved course — its timeline, map links and the answer text.

use fyd_core::course::Course;
use fyd_core::render::unescape_html;
use reqwest::Method;

use super::{not_yours, print_json, Global};
use crate::client::{explain, Session};
use crate::error::CliResult;
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The course id (see `fyd list`).
    id: u64,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let mut session = Session::load(global.server.as_deref())?;
    let course: Course = session
        .call::<(), _>(Method::GET, &format!("/chat/chat/{}/", args.id), None)?
        .map_err(|failure| not_yours(args.id, failure).unwrap_or_else(explain))?;
    if global.json {
        print_json(&course);
        return Ok(());
    }
    println!("#{} {} · {}", course.id, course.content.title, course.content.datetime);
    if !course.content.stops.is_empty() {
        println!("{}", output::timeline(&course.content, global.lang()));
        println!("{}", output::map_links(&course.content).trim_end());
        println!();
    }
    println!("{}", unescape_html(&course.content.answer));
    Ok(())
}
