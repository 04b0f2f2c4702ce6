//! `Scene::from_json` on arbitrary text: it must return a result, never
//! panic, overflow the stack or hang; errors must be one readable line; and a
//! scene it accepts must run to a trajectory of finite records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teleport_core::io::scene::{Scene, trajectory_csv, trajectory_json};
use teleport_core::symmetry::Strategy;

/// Work bound for running accepted scenes, so that a scene asking for
/// 100 000 steps of 100 000 ascent iterations is not reported as a hang.
const MAX_RUN_STEPS: usize = 2_000;
const MAX_RUN_ASCENT: usize = 200;

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 never reaches the parser (`Scene::load` reports it as a
    // read error), so feed its lossy decoding.
    let text = String::from_utf8_lossy(data);
    match Scene::from_json(&text) {
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "multi-line error: {message:?}");
            assert!(message.chars().count() < 1_000, "overlong error: {message}");
        }
        Ok(loaded) => {
            let ascent = match loaded.teleport.as_ref().map(|t| t.strategy) {
                Some(Strategy::Ascent { iters, .. }) => iters,
                _ => 0,
            };
            if loaded.scene.steps > MAX_RUN_STEPS || ascent > MAX_RUN_ASCENT {
                return;
            }
            let traj = loaded.run();
            assert!(traj.records.len() <= loaded.scene.steps + 1);
            for r in &traj.records {
                let values = [r.x[0], r.x[1], r.f, r.grad[0], r.grad[1]];
                assert!(
                    values.iter().all(|v| v.is_finite()),
                    "non-finite record {r:?}"
                );
            }
            if traj.stop.is_none() {
                assert_eq!(traj.records.len(), loaded.scene.steps + 1);
            }
            // The outputs `eval` prints.
            let json = trajectory_json(&traj);
            assert!(
                serde_json::from_str::<serde_json::Value>(&json).is_ok(),
                "{json}"
            );
            let _ = trajectory_csv(&traj);
        }
    }
});
