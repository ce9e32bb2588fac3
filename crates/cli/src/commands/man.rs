//! `fyd man`: fyd's manual page (roff, from the same clap definitions as `--help`), on stdout
//! or, with `--out-dir`, as `fyd.1` and a `fyd-COMMAND.1` per command, for `man -l` or a
//! `man1` directory.

use std::path::PathBuf;

use clap::Command;

use crate::error::{CliError, CliResult};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// Write fyd.1 and fyd-COMMAND.1 into this directory instead.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub fn run(args: Args, command: Command) -> CliResult<()> {
    let Some(dir) = args.out_dir else {
        return output::write(&page(command)?);
    };
    let written = |err: std::io::Error| CliError::Other(format!("cannot write the manual pages to {}: {err}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(written)?;
    let command = command.version(env!("CARGO_PKG_VERSION"));
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("fyd-{}", sub.get_name());
        let sub = sub.clone().name(name.clone()).version(env!("CARGO_PKG_VERSION"));
        std::fs::write(dir.join(format!("{name}.1")), page(sub)?).map_err(written)?;
    }
    std::fs::write(dir.join("fyd.1"), page(command)?).map_err(written)?;
    eprintln!("Wrote fyd.1 and a page per command to {} — `man -l {}/fyd.1`.", dir.display(), dir.display());
    Ok(())
}

/// One command's page, rendered whole before anything is written.
fn page(command: Command) -> CliResult<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(command).render(&mut roff).map_err(|err| CliError::Other(format!("cannot render the manual: {err}")))?;
    Ok(roff)
}
