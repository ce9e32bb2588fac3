//! `fyd share ID`: a link to one of my courses that anyone can open without an account — a
//! read-only page (and, with `.ics` added, its calendar file). `--revoke` ends it.

use fyd_core::wire::{ShareRequest, SHARE_SECS};

use super::Global;
use crate::error::{CliError, CliResult};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The course id (see `fyd list`).
    id: u64,
    /// The link stops opening after this long (e.g. 2h, 7d; a minute to a year). Without it,
    /// until revoked or replaced.
    #[arg(long, value_name = "DURATION", value_parser = expiry, conflicts_with = "revoke")]
    expires: Option<u64>,
    /// Show my nickname on the page (never my email).
    #[arg(long, conflicts_with = "revoke")]
    with_nickname: bool,
    /// End the course's link instead: it stops opening at once.
    #[arg(long)]
    revoke: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let mut session = global.session()?;
    if args.revoke {
        session.revoke_share(args.id)?;
        if global.json {
            return output::print_json(&serde_json::json!({"revoked": args.id}));
        }
        eprintln!("Course {} has no share link now: the old one no longer opens.", args.id);
        return Ok(());
    }
    let link = session.share(args.id, &ShareRequest { expires_in_secs: args.expires, show_nickname: args.with_nickname })?;
    if global.json {
        return output::print_json(&link);
    }
    output::print(&link.url)?;
    if link.replaced {
        eprintln!("The course's earlier link no longer opens: send this one instead.");
    }
    match &link.expires_at {
        Some(at) => eprintln!(
            "Anyone with the link can see the course until {}; `fyd share {} --revoke` ends it sooner.",
            output::short_time(at),
            args.id
        ),
        None => eprintln!("Anyone with the link can see the course until `fyd share {} --revoke`.", args.id),
    }
    Ok(())
}

/// `--expires`: a duration (humantime: 90m, 2h, 7d, 1week) in whole seconds within [`SHARE_SECS`].
fn expiry(text: &str) -> Result<u64, CliError> {
    let secs = humantime::parse_duration(text).map_err(|err| CliError::Usage(format!("{err} (try 2h or 7d)")))?.as_secs();
    if !SHARE_SECS.contains(&secs) {
        return Err(CliError::Usage("give a minute to a year (e.g. 2h, 7d)".into()));
    }
    Ok(secs)
}
