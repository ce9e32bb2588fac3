//! `fyd list`: my saved courses, newest first.

use fyd_core::course::Course;
use reqwest::Method;

use super::{print_json, Global};
use crate::client::{explain, Session};
use crate::error::CliResult;
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// How many, newest first (1–100).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
    limit: u32,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let mut session = Session::load(global.server.as_deref())?;
    let courses: Vec<Course> = session.call::<(), _>(Method::GET, &format!("/chat/chat/?limit={}", args.limit), None)?.map_err(explain)?;
    if global.json {
        print_json(&courses);
    } else if output::stdout_is_terminal() {
        if courses.is_empty() {
            eprintln!("No saved courses yet — try `fyd recommend --place 성수`.");
            return Ok(());
        }
        let mut table = output::table(&["ID", "Title", "When", "Created"]);
        for course in &courses {
            table.add_row(vec![
                course.id.to_string(),
                course.content.title.clone(),
                course.content.datetime.clone(),
                created(&course.created_at),
            ]);
        }
        println!("{table}");
    } else {
        // Piped: one tab-separated line per course, whole, for cut/awk.
        for course in &courses {
            println!("{}\t{}\t{}\t{}", course.id, course.content.title, course.content.datetime, course.created_at);
        }
    }
    Ok(())
}

/// "2026-11-26T22:09:12.692+09:00" → "2026-11-26 22:09".
fn created(iso: &str) -> String {
    iso.get(..16).map_or_else(|| iso.to_owned(), |s| s.replace('T', " "))
}
