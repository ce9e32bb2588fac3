//! Reading a password: prompted without echo on a terminal, or one line of stdin with
//! `--password-stdin`. There is no password flag (it would show in `ps` and shell history).

use std::io::{BufRead, IsTerminal};

use crate::error::{CliError, CliResult};

pub fn read(prompt: &str, from_stdin: bool) -> CliResult<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|err| CliError::Other(format!("cannot read stdin: {err}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage("no terminal to ask for the password — pipe it in with --password-stdin".into()));
    }
    rpassword::prompt_password(prompt).map_err(|err| CliError::Other(format!("cannot read the password: {err}")))
}
