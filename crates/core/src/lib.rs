//! `fyd-core` owns fyd's domain: the shapes that cross the wire between server and CLI,
//! the rules an account and a saved course must follow, request parsing, the catalogue of
//! real places and the built-in date planner over it, and the rendering of a course.
//!
//! It must not do I/O: no files, sockets, clocks or randomness are reached from here.
//! Whatever needs "now" or the network receives it as an argument, so everything in this
//! crate is a pure function that the server, the CLI and the tests can call alike.
//!
//! With the `openapi` feature (turned on by the server only) the wire types also derive
//! poem-openapi schemas; serde stays the single serialiser on the wire.

pub mod account;
pub mod anchor;
pub mod calendar;
pub mod catalogue;
pub mod check;
pub mod course;
pub mod fields;
pub mod geo;
pub mod llm;
pub mod planner;
pub mod render;
pub mod request;
pub mod rules;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod wire;

pub use fields::FieldErrors;
