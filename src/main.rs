//! The `rambok` binary: parse arguments, run the command, map errors to messages and exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    rambok::cli::main()
}
