//! `vmsim`: run scenarios, replay traces and show address translations on the vmsim model.
//!
//! `main` delegates to `run()`, prints one line `error: ...` and exits 2 on failure (as clap does for bad
//! arguments). anyhow lives only in this crate.

use vmsim_cli::{args, commands};

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match args::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match commands::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`vmsim mrc ... | head`): nothing more to say, as for SIGPIPE.
        Err(err) if broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether writing the output failed because its reader closed the pipe.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let kind = e
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| e.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind));
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
