//! Persistence: secrets in the OS keychain, identity metadata as JSON files,
//! and the history of every send in SQLite.

pub mod history;
mod paths;

pub use paths::{DataPaths, PathsError, write_atomically};
