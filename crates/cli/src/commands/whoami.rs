//! `fyd whoami`: the logged-in user and today's quota.

use fyd_core::wire::User;
use reqwest::Method;

use super::{print_json, Global};
use crate::client::{explain, Session};
use crate::error::CliResult;

pub fn run(global: &Global) -> CliResult<()> {
    let mut session = Session::load(global.server.as_deref())?;
    let user: User = session.call::<(), _>(Method::GET, "/user/user/", None)?.map_err(explain)?;
    if global.json {
        print_json(&user);
        return Ok(());
    }
    let resets = user.quota.resets_at.get(..16).unwrap_or(&user.quota.resets_at).replace('T', " ");
    let quota = match user.quota.remaining {
        Some(left) => format!("{left} of {} recommendations left today (resets {resets} Seoul time)", user.quota.limit),
        None => "no daily limit on recommendations".to_owned(),
    };
    println!("{} <{}> on {}", user.nickname, user.email, session.client.server);
    println!("{quota}");
    Ok(())
}
