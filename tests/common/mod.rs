//! Helpers shared by the top-level tests that run the real binary.
#![allow(dead_code, reason = "each test crate uses some of these")]

use std::process::{Command, Stdio};

/// Whether `xvfb-run` is here. Under CI (`CI` set) it must be: `.ci/run`
/// installs it, so its absence is a failure, not a skip.
pub fn xvfb_available() -> bool {
    let found = Command::new("xvfb-run")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "xvfb-run is missing under CI"
    );
    if !found {
        eprintln!("xvfb-run not found: skipping a real-window test");
    }
    found
}
