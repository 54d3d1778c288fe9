//! `relais`: the CRM in one binary.
// A bad input must never panic a worker: no unwrap or expect outside tests, no string
// slicing by byte index (a char boundary panics), in every crate of Relais.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)
)]
mod cli;
mod config;

use std::process::ExitCode;

/// mimalloc serves every allocation of the process, SQLite's included ("override"): glibc's
/// malloc spent a fifth of a large import merging and splitting free blocks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relais: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cli::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the reason and its causes.
            let causes: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("relais: {}", causes.join(": "));
            ExitCode::FAILURE
        }
    }
}
