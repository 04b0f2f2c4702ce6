//! The `teleport-lab` binary: see `teleport-lab --help`. Built for
//! `wasm32-unknown-unknown` (`web/build.sh`), it is the same app in a web
//! page's canvas.

/// mimalloc keeps freed pages in its heaps. With glibc's allocator, the
/// UI's large per-frame buffers (tessellated meshes, plot series) were
/// unmapped and faulted back in every frame: `bench ui` measured 2.6 ms
/// median / 4–10 ms p99 per frame, against 1.3 ms / 1.8 ms with the pages kept.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    teleport_lab::cli::main()
}

/// On the web, `main` runs when the module loads and starts the app in the
/// page's canvas (`web/index.html`).
#[cfg(target_arch = "wasm32")]
fn main() {
    teleport_lab::app::web::start();
}
