//! `fyd-server` owns fyd's HTTP API and its storage: accounts and sessions, saved courses,
//! the daily quota, and the OpenAPI document — the public contract of the Django service it
//! replaces (`docs/api.md`).
//!
//! Handlers are thin: they parse with [`api::json`], decide with `fyd-core`'s pure functions
//! and persist through the [`store::Store`] trait, whose writes are durable when they return.
//! It must not hold CLI concerns (terminal output, local credentials); those are `fyd`'s.

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
mod listener;
pub mod provider;
mod prune;
pub mod quota;
mod server;
pub mod share;
pub mod state;
pub mod store;
mod tls;

pub use config::Settings;
pub use server::{spawn, RunningServer, StartError};
pub use tls::TlsError;
