//! One file per command. Each takes its own arguments and the global options, prints data on
//! stdout (JSON with `--json`) and lets errors rise to `main`, which prints one line on stderr.

pub mod completions;
pub mod delete;
pub mod export;
pub mod join;
pub mod list;
pub mod login;
pub mod logout;
pub mod man;
pub mod recommend;
pub mod share;
pub mod show;
pub mod whoami;

use fyd_core::request::Lang;
use fyd_core::wire::TokenPair;

use crate::client::{Client, Connection, Session, DEFAULT_SERVER};
use crate::credentials::{self, Credentials};
use crate::error::CliResult;

/// Options every command takes.
pub struct Global {
    pub server: Option<String>,
    pub json: bool,
    pub lang: Lang,
    pub connection: Connection,
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

    /// The client for `command`, which starts a session with a password: to the flag's or
    /// `FYD_SERVER`'s server, else the saved login's, else the default; refused (exit 2) when
    /// the password would travel in clear text.
    pub fn client_for_login(&self, command: &str) -> CliResult<Client> {
        let server = match &self.server {
            Some(server) => server.clone(),
            None => credentials::load()?.map_or_else(|| DEFAULT_SERVER.to_owned(), |c| c.server),
        };
        let client = Client::new(&server, &self.connection)?;
        client.refuse_clear_text(command)?;
        Ok(client)
    }

    /// The saved login, on the flag's or `FYD_SERVER`'s server if given.
    pub fn session(&self) -> CliResult<Session> {
        Session::load(self.server.as_deref(), &self.connection)
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
