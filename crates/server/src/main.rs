//! `fyd-server`: parses settings, starts the server, shuts it down gracefully on SIGINT/SIGTERM
//! (requests drain, the store is flushed), and reads its TLS certificate files again on SIGHUP.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use fyd_server::clock::SystemClock;
use fyd_server::config::{secret_from_env, Command, DatabaseUrl};
use fyd_server::Settings;
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    // Before the runtime exists, so no other thread allocates meanwhile.
    return_large_blocks_to_the_os();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("the async runtime could not start")?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let mut settings = Settings::parse();
    settings.jwt_secret = secret_from_env(&["FYD_JWT_SECRET"]);
    settings.openai_api_key = secret_from_env(&["FYD_OPENAI_API_KEY", "OPENAI_API_KEY"]);
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if let Some(Command::Migrate { from, to, into_non_empty }) = &settings.command {
        return migrate(from, to, *into_non_empty).await;
    }

    let mut server = fyd_server::spawn(settings, Arc::new(SystemClock)).await.context("fyd-server could not start")?;
    // Scripts and tests started with `--bind 127.0.0.1:0` read the chosen address from here.
    println!("fyd-server listening on {}", server.url());
    let mut hangups = Hangups::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!("shutting down");
                server.stop().await.context("shutdown failed")?;
                break;
            }
            () = hangups.next() => {
                if !server.reload_tls() {
                    tracing::info!("SIGHUP: no certificate files to reload");
                }
            }
            served = server.finished() => {
                served.context("the server stopped")?;
                break;
            }
        }
    }
    Ok(())
}

/// `fyd-server migrate`: copies a sled store into PostgreSQL, with progress bars on a terminal
/// and the counts on stdout.
async fn migrate(from: &DatabaseUrl, to: &DatabaseUrl, into_non_empty: bool) -> anyhow::Result<()> {
    let today = fyd_server::clock::seoul_day(jiff::Timestamp::now()).to_string();
    tracing::info!(%from, %to, %today, "copying");
    let report = fyd_server::store::migrate::run(from, to, into_non_empty, &today, std::io::stderr().is_terminal())
        .await
        .with_context(|| format!("could not copy {from} into {to}"))?;
    if report.resumed {
        println!("carried on the copy an earlier run began");
    }
    for (kind, copied) in [
        ("users", report.users),
        ("sessions", report.sessions),
        ("courses", report.courses),
        ("shares", report.shares),
        ("quota days", report.quota_days),
    ] {
        println!("{kind}: {} read, {} copied, {} already there", copied.read, copied.added, copied.read - copied.added);
    }
    println!("done: {to} holds the sled store's data; start fyd-server with --database-url (FYD_DATABASE_URL) set to it");
    Ok(())
}

/// SIGHUP, the usual "read your files again" (`systemctl reload`, certbot's deploy hook).
struct Hangups {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Hangups {
    fn new() -> Self {
        Self {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).expect("SIGHUP handler installs"),
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        self.signal.recv().await;
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    }
}

/// glibc raises its mmap threshold after a large block is freed, so later 19 MiB argon2 blocks
/// come from per-thread arenas and stay resident: 32 concurrent logins left ~500 MB. A fixed
/// threshold keeps every block above 1 MiB mmapped, and freeing it gives it back.
fn return_large_blocks_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler installs");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
