//! fyd's test harness, shared by the server's suites and the CLI's: the real fyd-server
//! in-process on 127.0.0.1:0 with a temporary data dir and a manual clock ([`app`]), a local
//! OpenAI-compatible upstream speaking the real wire format ([`upstream`]), the server binary
//! as a child process for the crash and signal suites ([`process`]), a CA made at test time and
//! the ACME test server pebble for the HTTPS suites ([`tls`]), a reader of server-sent events
//! ([`sse`]), forged tokens ([`tokens`]) and one copy of each fixture ([`fixtures`]), and real PostgreSQL databases
//! ([`postgres`]; `FYD_TEST_BACKEND=postgres` puts every [`TestApp`] on one). Real parts
//! only: HTTP(S) over TCP, the real store, the real binaries.

pub mod app;
pub mod fixtures;
pub mod postgres;
#[cfg(unix)]
pub mod process;
pub mod sse;
pub mod tls;
pub mod tokens;
pub mod upstream;

pub use app::{join_at, BackgroundApp, Reply, TestApp};
pub use fixtures::*;
/// What [`TestApp::spawn_with`] and [`BackgroundApp::start`] let a test adjust.
pub use fyd_server::Settings;
