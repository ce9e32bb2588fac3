//! `fyd whoami`: the logged-in user and today's quota.

use super::Global;
use crate::error::CliResult;
use crate::output;

pub fn run(global: &Global) -> CliResult<()> {
    let mut session = global.session()?;
    let user = session.me()?;
    if global.json {
        return output::print_json(&user);
    }
    let resets = output::short_time(&user.quota.resets_at);
    let quota = match user.quota.remaining {
        Some(left) => format!("{left} of {} recommendations left today (resets {resets} Seoul time)", user.quota.limit),
        None => "no daily limit on recommendations".to_owned(),
    };
    output::print(format!("{} <{}> on {}\n{quota}", user.nickname, user.email, session.client.server))
}
