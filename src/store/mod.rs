//! Persistence: secrets in the OS keychain, identity metadata as JSON files,
//! and the history of every send in SQLite.

pub mod history;
pub mod identity;
mod paths;
pub mod secrets;

pub use paths::{
    DataPaths, FileError, FileKind, Limited, PathsError, read_file, read_limited, read_up_to,
    write_atomically, write_private,
};
