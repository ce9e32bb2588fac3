//! `fyd delete ID`: remove a saved course (asks first on a terminal; `--yes` for scripts).

use std::io::{BufRead, IsTerminal, Write};

use super::Global;
use crate::error::{CliError, CliResult};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The course id (see `fyd list`).
    id: u64,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    yes: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let mut session = global.session()?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(format!("not deleting course {} without confirmation — add --yes", args.id)));
        }
        eprint!("Delete course {}? [y/N] ", args.id);
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("Kept course {}.", args.id);
            return Ok(());
        }
    }
    session.delete_course(args.id)?;
    if global.json {
        output::print_json(&serde_json::json!({"deleted": args.id}))?;
    } else {
        eprintln!("Deleted course {}.", args.id);
    }
    Ok(())
}
