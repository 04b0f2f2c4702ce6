//! Helpers shared by the core's integration tests (`mod common;` in each).
//! A test file uses some of them, so the others are dead code there.
#![allow(dead_code, reason = "each test file uses a subset")]
#![allow(clippy::unwrap_used, reason = "test setup panics on failure")]

pub mod files;
pub mod hostile;
pub mod optimizers;
pub mod svg;

use std::path::PathBuf;

use teleport_core::objective::{Mat2, Vec2};

/// A fresh, empty folder for one test, under the system's temporary folder
/// and named after the test and this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tl-core-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `|got − want| ≤ tol`, with both in the message.
pub fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e}, |diff| = {:e} > {tol:e}",
        (got - want).abs()
    );
}

/// `‖got − want‖ ≤ tol`, with both in the message.
pub fn assert_vec_close(what: &str, got: &Vec2, want: &Vec2, tol: f64) {
    assert!(
        (got - want).norm() <= tol,
        "{what}: got {got:?}, want {want:?}, |diff| = {:e} > {tol:e}",
        (got - want).norm()
    );
}

/// The largest entry of `|got − want|` is at most `tol`.
pub fn assert_mat_close(what: &str, got: &Mat2, want: &Mat2, tol: f64) {
    assert!(
        (got - want).abs().max() <= tol,
        "{what}: got {got:?}, want {want:?}, max |diff| = {:e} > {tol:e}",
        (got - want).abs().max()
    );
}
