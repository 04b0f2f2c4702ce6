//! The `teleport-lab` binary: see `teleport-lab --help`.

/// mimalloc keeps freed pages in its heaps. With glibc's allocator, the
/// UI's large per-frame buffers (tessellated meshes, plot series) were
/// unmapped and faulted back in every frame: `bench ui` measured 2.6 ms
/// median / 4–10 ms p99 per frame, against 1.3 ms / 1.8 ms with the pages kept.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    teleport_lab::cli::main()
}
