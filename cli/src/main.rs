//! The `onsite` command: the back-office hub and command-line tool.

use std::process::ExitCode;

fn main() -> ExitCode {
    onsite_cli::cli::main()
}
