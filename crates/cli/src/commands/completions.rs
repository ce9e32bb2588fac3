//! `fyd completions SHELL`: a completion script for bash, zsh, fish, elvish or PowerShell.

use crate::error::CliResult;
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    shell: clap_complete::Shell,
}

pub fn run(args: Args, mut command: clap::Command) -> CliResult<()> {
    // Generated whole first: clap_complete panics on a failed write, and stdout may be closed.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "fyd", &mut script);
    output::write(&script)
}
