//! The `teleport-lab` binary: see `teleport-lab --help`.

fn main() -> std::process::ExitCode {
    teleport_lab::cli::main()
}
