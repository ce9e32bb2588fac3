//! fyd-server's in-process suites, one test binary (as ripgrep keeps its own): each test starts
//! the real server on 127.0.0.1:0 with a temporary data dir and a manual clock
//! (`fyd_test_support::TestApp`) and talks HTTP to it.
//!
//! Kept apart, each in a binary of its own: `crash.rs` and `signals.rs` (the real binary as a
//! child process, killed and stopped) and `timing.rs` (login timing, with nothing else hashing
//! passwords meanwhile).

mod accounts;
mod authz;
mod concurrency;
mod courses;
mod durability;
mod holds;
mod hostile;
mod llm;
mod places;
mod protocol;
mod recommend;
mod shares;
