//! `fyd completions SHELL`: a completion script for bash, zsh, fish, elvish or PowerShell.

#[derive(clap::Args)]
pub struct Args {
    shell: clap_complete::Shell,
}

pub fn run(args: Args, mut command: clap::Command) {
    clap_complete::generate(args.shell, &mut command, "fyd", &mut std::io::stdout());
}
