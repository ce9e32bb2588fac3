//! `fyd login`: start a session and save its tokens.

use fyd_core::wire::{LoginRequest, TokenPair};

use super::{remember, Global};
use crate::error::CliResult;
use crate::{output, password};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    email: String,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let client = global.client_for_login("login")?;
    let password = password::read("Password: ", args.password_stdin)?;
    let request = LoginRequest { email: args.email, password };
    let pair: TokenPair = client.login(&request)?;
    remember(&client, &pair)?;
    if global.json {
        output::print_json(&pair.user)?;
    } else {
        eprintln!("Logged in to {} as {}.", client.server, pair.user.nickname);
    }
    Ok(())
}
