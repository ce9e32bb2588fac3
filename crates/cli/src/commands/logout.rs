//! `fyd logout`: revoke the session on the server and forget it locally.

use super::Global;
use crate::credentials;
use crate::error::{CliError, CliResult};

pub fn run(global: &Global) -> CliResult<()> {
    let mut session = global.session()?;
    let revoked = match session.logout() {
        // A session that already ended on the server is as good as revoked.
        Ok(()) | Err(CliError::SessionEnded(_)) => true,
        Err(err @ CliError::Unreachable { .. }) => return Err(err),
        Err(_) => false,
    };
    credentials::remove()?;
    if !global.json {
        eprintln!("Logged out{}.", if revoked { "" } else { " locally (the server did not confirm)" });
    }
    Ok(())
}
