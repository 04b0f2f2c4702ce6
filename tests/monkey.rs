//! The seeded UI monkey on the real app: 20,000 random actions over four
//! seeds, every invariant checked after each (see `teleport_lab::monkey`).
//! `teleport-lab bench monkey --actions N --seed S` runs longer.

use teleport_lab::monkey;

fn run(seed: u64, actions: usize) {
    let dir = std::env::temp_dir().join(format!("tl-monkey-{seed}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    match monkey::run(seed, actions, dir.clone(), |_| {}) {
        Ok(report) => {
            assert_eq!(report.actions, actions);
            // The mix must reach what it is meant to reach.
            let count = |kind| {
                report
                    .counts
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map_or(0, |(_, n)| *n)
            };
            for kind in [
                "click", "drag", "type", "poke", "key", "add", "remove", "train",
            ] {
                assert!(
                    count(kind) > 0,
                    "seed {seed} never did {kind}: {:?}",
                    report.counts
                );
            }
        }
        Err(failure) => panic!("{failure}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn monkey_seed_1() {
    run(1, 5_000);
}

#[test]
fn monkey_seed_2() {
    run(2, 5_000);
}

#[test]
fn monkey_seed_3() {
    run(3, 5_000);
}

#[test]
fn monkey_seed_4() {
    run(4, 5_000);
}
