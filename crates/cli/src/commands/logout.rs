//! `fyd logout`: revoke the session on the server and forget it locally.

use fyd_core::wire::{Detail, LogoutRequest};
use reqwest::Method;

use super::Global;
use crate::client::Session;
use crate::credentials;
use crate::error::{CliError, CliResult};

pub fn run(global: &Global) -> CliResult<()> {
    let mut session = Session::load(global.server.as_deref())?;
    let request = LogoutRequest { refresh: session.credentials.refresh.clone() };
    let revoked = match session.call::<_, Detail>(Method::POST, "/user/logout/", Some(&request)) {
        // A session that already ended on the server is as good as revoked.
        Ok(_) | Err(CliError::SessionEnded(_)) => true,
        Err(err @ CliError::Unreachable { .. }) => return Err(err),
        Err(_) => false,
    };
    credentials::remove()?;
    if !global.json {
        eprintln!("Logged out{}.", if revoked { "" } else { " locally (the server did not confirm)" });
    }
    Ok(())
}
