//! One file per command. Each takes its own arguments and the global options, prints data on
//! stdout (JSON with `--json`) and lets errors rise to `main`, which prints one line on stderr.

pub mod completions;
pub mod delete;
pub mod join;
pub mod list;
pub mod login;
pub mod logout;
pub mod recommend;
pub mod show;
pub mod whoami;

use fyd_core::request::Lang;
use fyd_core::wire::TokenPair;

use crate::client::{Client, DEFAULT_SERVER};
use crate::credentials::{self, Credentials};
use crate::error::CliResult;

/// Options every command takes.
pub struct Global {
    pub server: Option<String>,
    pub json: bool,
    pub lang: Lang,
}

impl Global {
    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The server for a command that starts a session: flag or `FYD_SERVER`, else the saved
    /// login's, else the default.
    pub fn server_for_login(&self) -> CliResult<String> {
        if let Some(server) = &self.server {
            return Ok(server.clone());
        }
        Ok(credentials::load()?.map_or_else(|| DEFAULT_SERVER.to_owned(), |c| c.server))
    }
}

/// Saves the tokens of a new session (join or login) for later commands.
pub fn remember(client: &Client, pair: &TokenPair) -> CliResult<()> {
    credentials::save(&Credentials {
        server: client.server.clone(),
        email: pair.user.email.clone(),
        access: pair.access.clone(),
        refresh: pair.refresh.clone(),
    })
}
