//! Push Console: send and inspect Apple Push Notification service pushes.
//!
//! The library holds everything; `main.rs` only picks the GUI or the CLI.

#![forbid(unsafe_code)]

#[warn(missing_docs)]
pub mod apns;
pub mod cli;
pub mod engine;
pub mod net;
pub mod rest;
pub mod simulator;
pub mod store;
#[cfg(feature = "gui")]
pub mod ui;
