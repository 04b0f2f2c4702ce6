//! FIFOs and folders for the tests that check they are refused, not opened
//! or replaced. Shared with the app's CLI tests (`tests/common` at the top
//! includes this file; both define the `temp_dir` used here).
#![allow(dead_code, reason = "each test file uses a subset")]
#![allow(clippy::unwrap_used, reason = "test setup panics on failure")]

use std::os::unix::fs::FileTypeExt as _;
use std::path::{Path, PathBuf};
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

/// Whether `path` itself is a symbolic link.
pub fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A fresh temporary folder `name` holding a FIFO `pipe`, as
/// `(folder, fifo)`; `None` (with a note) when `mkfifo` is missing.
pub fn temp_fifo(name: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = super::temp_dir(name);
    let fifo = dir.join("pipe");
    mkfifo(&fifo).then_some((dir, fifo))
}

/// Creates the folder `dir/name` holding one file `file` with the bytes
/// `keep`, and returns the folder.
pub fn folder_with_a_file(dir: &Path, name: &str, file: &str) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join(file), b"keep").unwrap();
    folder
}
