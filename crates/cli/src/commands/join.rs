//! `fyd join`: create an account and log in to it.

use fyd_core::wire::{JoinRequest, TokenPair};

use super::{remember, Global};
use crate::error::{CliError, CliResult};
use crate::{output, password};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    email: String,
    #[arg(long)]
    nickname: String,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

pub fn run(args: Args, global: &Global) -> CliResult<()> {
    let client = global.client_for_login("join")?;
    let first = password::read("Password: ", args.password_stdin)?;
    let second = if args.password_stdin { first.clone() } else { password::read("Password again: ", false)? };
    if first != second {
        return Err(CliError::Usage("the two passwords differ — run `fyd join` again".into()));
    }
    let request = JoinRequest { email: args.email, nickname: args.nickname, password1: first, password2: second };
    let pair: TokenPair = client.join(&request)?;
    remember(&client, &pair)?;
    if global.json {
        output::print_json(&pair.user)?;
    } else {
        eprintln!("Welcome, {}! You are logged in to {}.", pair.user.nickname, client.server);
    }
    Ok(())
}
