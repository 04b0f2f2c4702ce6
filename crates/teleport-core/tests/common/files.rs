//! FIFOs for the tests that check they are refused, not opened. Shared with
//! the app's CLI tests (`tests/common` at the top includes this file).
#![allow(dead_code, reason = "each test file uses a subset")]

use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;
use std::process::Command;

/// Makes a FIFO, or returns `false` (with a note) when `mkfifo` is missing.
pub fn mkfifo(path: &Path) -> bool {
    match Command::new("mkfifo").arg(path).status() {
        Ok(s) => {
            assert!(s.success(), "mkfifo {} failed: {s}", path.display());
            true
        }
        Err(e) => {
            eprintln!("note: mkfifo is not available ({e}); skipping the FIFO cases");
            false
        }
    }
}

/// Whether `path` itself (not what a link points to) is a FIFO.
pub fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}
