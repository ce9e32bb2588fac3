//! `fyd`: plan, save and browse date courses from a terminal or a script.
//!
//! This crate owns the command line, the local credentials file and the HTTP client; it
//! must not store courses itself (that is the server's) nor plan them (that is `fyd-core`'s).
//! Data goes to stdout (JSON with `--json`), messages to stderr, and every failure is one line
//! with a documented exit code (see `error.rs`); a reader that closes stdout early ends fyd
//! quietly.

mod client;
mod commands;
mod credentials;
mod error;
mod output;
mod password;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use fyd_core::request::Lang;

use commands::Global;

/// The end of `fyd --help` and of the manual page: what the flags do not say.
const MORE: &str = "\
Environment: FYD_SERVER, FYD_CA_CERT and FYD_ALLOW_INSECURE_HTTP stand for their flags; FYD_CONFIG_DIR \
overrides where the login is kept (credentials.json, mode 0600, in the XDG config dir); NO_COLOR or \
TERM=dumb turn colour and the spinner off.

Exit status: 0 ok; 1 any other error; 2 usage (a bad flag or value); 3 not logged in, the session ended \
or the login failed; 4 today's recommendations are used up; 5 no such course, or not yours; 6 the \
server cannot be reached or its certificate is not trusted; 141 stdout was closed early.";

#[derive(Parser)]
#[command(name = "fyd", version, about = "fyd (For Your Date): plan a date course in Korea.", after_long_help = MORE)]
struct Cli {
    /// fyd server to talk to (default: the saved login's, else http://127.0.0.1:8000).
    #[arg(long, env = "FYD_SERVER", global = true)]
    server: Option<String>,
    /// Also trust the CA certificates in this PEM file (a self-hosted server's private CA).
    #[arg(long, env = "FYD_CA_CERT", global = true, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Let join and login send a password over plain http:// to another machine (a trusted
    /// network only); also silences the warning of the other commands.
    #[arg(long, env = "FYD_ALLOW_INSECURE_HTTP", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    allow_insecure_http: bool,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Language of courses and tables.
    #[arg(long, global = true, value_enum, default_value_t = LangArg::Ko)]
    lang: LangArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an account (and log in).
    Join(commands::join::Args),
    /// Log in and save the session.
    Login(commands::login::Args),
    /// Revoke the session and forget it.
    Logout,
    /// Show who is logged in and today's quota.
    Whoami,
    /// Plan a date course (saved unless --no-save).
    Recommend(commands::recommend::Args),
    /// List my saved courses.
    List(commands::list::Args),
    /// Show one saved course.
    Show(commands::show::Args),
    /// Delete a saved course.
    Delete(commands::delete::Args),
    /// Share a saved course: a link anyone can open, no account needed (--revoke to end it).
    Share(commands::share::Args),
    /// Write a saved course as a calendar file: `fyd export ID --ics > date.ics`.
    Export(commands::export::Args),
    /// Print fyd's manual page (roff), or write one per command with --out-dir.
    Man(commands::man::Args),
    /// Print a shell completion script.
    Completions(commands::completions::Args),
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Ko,
    En,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and the version are stdout output like any other (`fyd --help | head -1`).
        Err(help) if matches!(help.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let text = help.render();
            let text = if output::decorate(output::stdout_is_terminal()) { text.ansi().to_string() } else { text.to_string() };
            return output::write(text.as_bytes()).map_or_else(|err| err.exit_code(), |()| ExitCode::SUCCESS);
        }
        Err(usage) => usage.exit(),
    };
    let lang = match cli.lang {
        LangArg::Ko => Lang::Ko,
        LangArg::En => Lang::En,
    };
    let connection = client::Connection { ca_cert: cli.ca_cert, allow_insecure_http: cli.allow_insecure_http };
    let global = Global { server: cli.server, json: cli.json, lang, connection };
    let result = match cli.command {
        Command::Join(args) => commands::join::run(args, &global),
        Command::Login(args) => commands::login::run(args, &global),
        Command::Logout => commands::logout::run(&global),
        Command::Whoami => commands::whoami::run(&global),
        Command::Recommend(args) => commands::recommend::run(args, &global),
        Command::List(args) => commands::list::run(args, &global),
        Command::Show(args) => commands::show::run(args, &global),
        Command::Delete(args) => commands::delete::run(args, &global),
        Command::Share(args) => commands::share::run(args, &global),
        Command::Export(args) => commands::export::run(args, &global),
        Command::Man(args) => commands::man::run(args, Cli::command()),
        Command::Completions(args) => commands::completions::run(args, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err.is_reported() {
                eprintln!("fyd: {err}");
            }
            err.exit_code()
        }
    }
}
