//! Every bound that more than one front shares: the app's fields and
//! sliders, the file loaders, the command line's value parsers and the help
//! text all read them from here, so a lab file never holds a value its
//! field cannot show, and no two places disagree about a limit.
//!
//! Bounds that only one piece of code knows (a cache size, a worker's
//! queue) stay beside that code.

use std::ops::RangeInclusive;

/// Steps of a demo: the app's steps field, and what the app makes of a
/// scene's or lab file's `steps` (clamped into this range). A run of 10,000
/// steps of every row is still drawn at interactive speed.
pub const STEPS: RangeInclusive<usize> = 1..=10_000;

/// The most steps a scene or lab file may ask of `eval` and `basin`, which
/// run headless and can afford longer runs than a demo shows.
pub const EVAL_STEPS_MAX: usize = 100_000;

/// The most teleport steps a scene's `at` list may hold.
pub const TELEPORT_STEPS_MAX: usize = 100_000;

/// The most gradient-ascent iterations a teleport may ask for in a file.
pub const ASCENT_ITERS_MAX: usize = 100_000;

/// Ascent iterations the app's slider offers (each teleport runs them all,
/// every frame that recomputes the row).
pub const ASCENT_ITERS_UI: RangeInclusive<usize> = 1..=200;

/// "Teleport every k steps": the app's field.
pub const TELEPORT_EVERY: RangeInclusive<usize> = 1..=1000;

/// The most optimizer rows a lab file (and so a demo) may hold.
pub const ROWS_MAX: usize = 100;

/// Playback speed in steps per second: the timeline's slider, and what the
/// app makes of a saved speed.
pub const PLAYBACK_SPEED: RangeInclusive<f64> = 0.5..=200.0;

/// Steps of each run of a basin map in the app (every start runs them).
pub const BASIN_STEPS: RangeInclusive<usize> = 1..=200;

/// The most cells per side of a basin map's grid (`basin --grid`).
pub const BASIN_GRID_MAX: usize = 1024;

/// The zoom factor of the app's text and lines (Ctrl + / Ctrl −).
pub const ZOOM: RangeInclusive<f32> = 0.5..=3.0;

/// Frames per second of an exported animation.
pub const ANIMATION_FPS: RangeInclusive<u32> = 1..=60;

/// Frames each step of the playback stays on screen in an animation.
pub const FRAMES_PER_STEP: RangeInclusive<u32> = 1..=60;

/// The largest side, in pixels, of an exported image or animation frame.
pub const IMAGE_SIDE_MAX: u32 = 8192;

/// Clamps `value` into `range`; NaN goes to the range's start.
pub fn clamp_f64(value: f64, range: &RangeInclusive<f64>) -> f64 {
    if value.is_nan() {
        *range.start()
    } else {
        value.clamp(*range.start(), *range.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_never_asks_for_more_than_a_file_may_hold() {
        assert!(*STEPS.end() <= EVAL_STEPS_MAX);
        assert!(*ASCENT_ITERS_UI.end() <= ASCENT_ITERS_MAX);
        assert!(*TELEPORT_EVERY.end() <= *STEPS.end());
        assert!(*BASIN_STEPS.end() <= *STEPS.end());
        assert!(*STEPS.start() >= 1 && *BASIN_STEPS.start() >= 1);
    }

    #[test]
    fn clamping_a_speed_never_leaves_the_range() {
        for v in [f64::NAN, f64::INFINITY, -1.0, 0.0, 3.0, 1e9] {
            assert!(
                PLAYBACK_SPEED.contains(&clamp_f64(v, &PLAYBACK_SPEED)),
                "{v}"
            );
        }
        assert_eq!(clamp_f64(3.0, &PLAYBACK_SPEED), 3.0);
    }
}
