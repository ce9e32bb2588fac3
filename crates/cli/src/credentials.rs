//! The saved login: server URL, tokens and email in `credentials.json` under the XDG config
//! dir (`FYD_CONFIG_DIR` overrides it), written with mode 0600. Never a password.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

pub fn config_dir() -> CliResult<PathBuf> {
    if let Some(dir) = std::env::var_os("FYD_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "fyd")
        .map(|dirs| dirs.config_dir().to_path_buf())
        .ok_or_else(|| CliError::Other("cannot find a config directory; set FYD_CONFIG_DIR".into()))
}

fn path() -> CliResult<PathBuf> {
    Ok(config_dir()?.join("credentials.json"))
}

pub fn load() -> CliResult<Option<Credentials>> {
    let path = path()?;
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| CliError::Other(format!("{} is damaged; delete it and log in again", path.display()))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(CliError::Other(format!("cannot read {}: {err}", path.display()))),
    }
}

/// Writes atomically (temp file, then rename) so a crash never leaves half a file.
pub fn save(credentials: &Credentials) -> CliResult<()> {
    let path = path()?;
    let dir = path.parent().expect("credentials live in a directory");
    let fail = |err: std::io::Error| CliError::Other(format!("cannot write {}: {err}", path.display()));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(fail)?;
    let temp = dir.join(".credentials.json.tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp).map_err(fail)?;
    file.write_all(&serde_json::to_vec_pretty(credentials).expect("credentials serialise")).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    fs::rename(&temp, &path).map_err(fail)
}

pub fn remove() -> CliResult<()> {
    match fs::remove_file(path()?) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(CliError::Other(format!("cannot remove credentials: {err}"))),
        _ => Ok(()),
    }
}
