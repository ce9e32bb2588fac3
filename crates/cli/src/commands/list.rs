//! `fyd list`: my saved courses, newest first, a page at a time.

use fyd_core::render::when;
use fyd_core::request::Lang;

use super::Global;
use crate::error::CliResult;
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// How many, newest first (1–100).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
    limit: u32,
    /// Only courses older than this id: the next page after a list that ended with it.
    #[arg(long, value_name = "ID")]
    before: Option<u64>,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let mut session = global.session()?;
    let courses = session.courses(args.limit, args.before)?;
    if global.json {
        return output::print_json(&courses);
    }
    if !output::stdout_is_terminal() {
        // Piped: one tab-separated line per course, whole, for cut/awk.
        for course in &courses {
            output::print(format_args!(
                "{}\t{}\t{}\t{}",
                course.id,
                course.content.title,
                when(&course.content, global.lang()),
                course.created_at
            ))?;
        }
        return Ok(());
    }
    let lang = global.lang();
    if courses.is_empty() {
        match lang {
            Lang::Ko => eprintln!("저장한 코스가 아직 없어요 — `fyd recommend --place 성수`로 시작해 보세요."),
            Lang::En => eprintln!("No saved courses yet — try `fyd recommend --place 성수`."),
        }
        return Ok(());
    }
    // The table's words follow --lang, as the course it lists does.
    let headers = match lang {
        Lang::Ko => ["번호", "제목", "날짜·시간", "저장"],
        Lang::En => ["ID", "Title", "When", "Created"],
    };
    let mut table = output::table(&headers);
    for course in &courses {
        table.add_row(vec![
            course.id.to_string(),
            course.content.title.clone(),
            when(&course.content, lang),
            output::short_time(&course.created_at),
        ]);
    }
    output::print(table)
}
