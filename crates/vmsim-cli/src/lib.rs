//! The `vmsim` commands as a library. The binary (`main.rs`) parses the command line and calls [`commands::dispatch`];
//! the Python package (crates/vmsim-py) builds the same argument structs and calls the same functions with a
//! buffer for standard output, so `vmsim.replay(...)` returns exactly the JSON `vmsim replay --json` prints.
//!
//! anyhow stays in this crate (the model and trace crates have typed errors); a caller that needs the typed error
//! behind an `anyhow::Error` downcasts it ([`vmsim::config::ConfigError`], [`vmsim::sim::StepError`],
//! [`vmsim_trace::ParseError`]).

pub mod args;
pub mod commands;
mod outfile;
pub mod output;
