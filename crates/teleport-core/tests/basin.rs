//! Basin maps against independent computations: the grid's order and
//! points by their definition, classical cells against single runs of
//! `optim::run` (bit for bit), learned cells (stepped as one batch) against
//! single `MetaOptimizer::trajectory` runs to f32 round-off, and the
//! vectorized `exp` against the standard library's.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use teleport_core::basin::{BasinCell, BasinGrid, basin};
use teleport_core::eval::AnyOptimizer;
use teleport_core::l2o::batch::exp_fast;
use teleport_core::l2o::{MetaOptimizer, ModelConfig, Variant};
use teleport_core::objective::{Objective, Preset, TaskDist, Vec2};
use teleport_core::optim::{OptimizerSpec, Stop, TeleportSchedule, When, run};
use teleport_core::pretrained::{Family, load};
use teleport_core::symmetry::Strategy;

fn never() -> AtomicBool {
    AtomicBool::new(false)
}

/// `f` after `steps` steps of a recorded run, as `basin` defines it,
/// written out from the run's records: the last record when the run went
/// the distance, +∞ when it diverged, NaN when it failed.
fn final_f(records: &[teleport_core::optim::Record], stop: &Option<Stop>, steps: usize) -> f64 {
    match stop {
        None => {
            assert_eq!(records.len(), steps + 1);
            records[steps].f
        }
        Some(Stop::Diverged { .. }) => f64::INFINITY,
        Some(Stop::Failed { .. }) => f64::NAN,
    }
}

#[test]
fn the_grid_is_cell_centres_row_by_row_with_x_fastest() {
    let grid = BasinGrid {
        x: (-2.0, 6.0),
        y: (1.0, 3.0),
        n: 4,
    };
    let starts = grid.starts();
    assert_eq!(starts.len(), 16);
    // Cells are 2 wide and 0.5 high; the first centre is half a cell in.
    assert_eq!(starts[0], Vec2::new(-1.0, 1.25));
    assert_eq!(starts[1], Vec2::new(1.0, 1.25));
    assert_eq!(starts[3], Vec2::new(5.0, 1.25));
    assert_eq!(starts[4], Vec2::new(-1.0, 1.75));
    assert_eq!(starts[15], Vec2::new(5.0, 2.75));
    for j in 0..4 {
        for i in 0..4 {
            assert_eq!(starts[j * 4 + i], grid.start(i, j));
        }
    }
    assert!(grid.check().is_ok());
    for bad in [
        BasinGrid { n: 0, ..grid },
        BasinGrid {
            x: (1.0, 1.0),
            ..grid
        },
        BasinGrid {
            y: (0.0, f64::NAN),
            ..grid
        },
        BasinGrid { n: 5000, ..grid },
    ] {
        assert!(bad.check().is_err(), "{bad:?}");
    }
}

#[test]
fn classical_cells_are_single_runs_bit_for_bit() {
    let grid = BasinGrid {
        x: (-6.0, 6.0),
        y: (-4.0, 5.0),
        n: 9,
    };
    let steps = 15;
    let eps = 1e-2;
    let oracle = TeleportSchedule {
        strategy: Strategy::Oracle,
        when: When::Every(5),
    };
    let cases: Vec<(Objective, OptimizerSpec, Option<TeleportSchedule>)> = vec![
        (
            Preset::ElliFixed.objective(),
            OptimizerSpec::Gd { lr: 0.05 },
            None,
        ),
        (
            Preset::ElliFixed.objective(),
            OptimizerSpec::Gd { lr: 0.05 },
            Some(oracle.clone()),
        ),
        (
            Preset::Rosenbrock.objective(),
            OptimizerSpec::Momentum {
                lr: 0.002,
                beta: 0.9,
            },
            None,
        ),
        // Diverges from every start far enough out.
        (
            Preset::Booth.objective(),
            OptimizerSpec::Gd { lr: 3.0 },
            None,
        ),
        (
            Preset::Booth.objective(),
            OptimizerSpec::Newton { lr: 1.0 },
            None,
        ),
    ];
    let mut diverged = 0;
    for (obj, spec, teleport) in cases {
        let opt = AnyOptimizer::Classical {
            name: spec.label(),
            spec,
            teleport: teleport.clone(),
        };
        let map = basin(&opt, &obj, &grid, steps, eps, &never()).unwrap();
        assert_eq!(map.cells.len(), 81);
        for j in 0..grid.n {
            for i in 0..grid.n {
                let x0 = grid.start(i, j);
                let tr = run(&obj, x0, steps, spec, teleport.as_ref());
                let want = final_f(&tr.records, &tr.stop, steps);
                let cell = map.cells[j * grid.n + i];
                assert!(
                    cell.f.to_bits() == want.to_bits() || (cell.f.is_nan() && want.is_nan()),
                    "{spec:?} at {x0:?}: {} vs {want}",
                    cell.f
                );
                let first = tr.records.iter().position(|r| r.f <= eps);
                assert_eq!(cell.first, first, "{spec:?} at {x0:?}");
                diverged += usize::from(want == f64::INFINITY);
            }
        }
    }
    assert!(diverged > 0, "the lr = 3 case should diverge somewhere");
}

/// Learned cells against single rollouts: every variant, shipped weights,
/// a grid of 121 starts (a full chunk of 96 and a partial one of 25, which
/// is not a whole number of register tiles). On the paper's fixed tasks the
/// runs are stable and agree to 1e−4 after 20 steps; on the stiff
/// `rosenbrock` preset vanilla L2O is chaotic and round-off grows to
/// visible differences (single runs from starts 1e−9 apart differ by more
/// than 1e−3 at 19 of these 121 starts),
/// so there the networks are compared step by step instead (below).
#[test]
fn learned_cells_match_single_runs_to_f32_round_off() {
    let grid = BasinGrid {
        x: (-5.0, 5.0),
        y: (-3.5, 4.0),
        n: 11,
    };
    let steps = 20;
    let eps = 1e-3;
    for (obj, family) in [
        (Preset::ElliFixed.objective(), Family::Ellipse),
        (Preset::RosFixed.objective(), Family::Rosenbrock),
    ] {
        for variant in Variant::ALL {
            let model = Arc::new(load(variant, family).unwrap());
            let opt = AnyOptimizer::Learned {
                name: variant.name().into(),
                model: Arc::clone(&model),
            };
            let map = basin(&opt, &obj, &grid, steps, eps, &never()).unwrap();
            let mut firsts_agree = 0;
            for (k, x0) in grid.starts().into_iter().enumerate() {
                let tr = model.trajectory(&obj, x0, steps);
                let want = final_f(&tr.records, &tr.stop, steps);
                let got = map.cells[k].f;
                if want.is_finite() {
                    let err = (got - want).abs();
                    assert!(
                        err <= 1e-3 * want.abs() + 1e-12,
                        "{variant} on {family:?} from {x0:?}: {got} vs {want}"
                    );
                } else {
                    assert_eq!(got.is_nan(), want.is_nan(), "{variant} from {x0:?}");
                }
                let first = tr.records.iter().position(|r| r.f <= eps);
                // A run crossing ε exactly at a step may cross one step
                // apart after round-off; nearly all agree exactly.
                if map.cells[k].first == first {
                    firsts_agree += 1;
                }
            }
            assert!(firsts_agree >= 119, "{variant}: {firsts_agree} of 121");
        }
    }
}

/// A start so far out that `f` overflows is a run diverged at step 0, for
/// a learned row as for a single rollout; an untrained network on a steep
/// task diverges partway.
#[test]
fn learned_runs_that_overflow_are_infinite_cells() {
    let obj = Preset::ElliFixed.objective();
    let model = Arc::new(MetaOptimizer::<f32>::init(
        ModelConfig::paper(Variant::L2oTele),
        3,
    ));
    let opt = AnyOptimizer::Learned {
        name: "untrained".into(),
        model: Arc::clone(&model),
    };
    let grid = BasinGrid {
        x: (-1e160, 1e160),
        y: (-1e160, 1e160),
        n: 3,
    };
    let map = basin(&opt, &obj, &grid, 5, 0.0, &never()).unwrap();
    for (k, x0) in grid.starts().into_iter().enumerate() {
        let tr = model.trajectory(&obj, x0, 5);
        let want = BasinCell::of(&tr, 5, 0.0);
        assert_eq!(map.cells[k].f.is_infinite(), want.f.is_infinite(), "{x0:?}");
    }
    // Off-centre cells overflow at once; the centre cell starts at 0.
    assert_eq!(map.cells[0].f, f64::INFINITY);
    assert!(map.cells[4].f.is_finite());
}

#[test]
fn a_set_cancel_flag_stops_the_computation() {
    let obj = Preset::ElliFixed.objective();
    let grid = BasinGrid {
        x: (-1.0, 1.0),
        y: (-1.0, 1.0),
        n: 16,
    };
    let cancel = AtomicBool::new(true);
    let gd = AnyOptimizer::parse_baseline("gd:lr=0.05").unwrap();
    assert!(basin(&gd, &obj, &grid, 10, 0.0, &cancel).is_none());
    let learned = AnyOptimizer::Learned {
        name: "l2o".into(),
        model: Arc::new(load(Variant::L2o, Family::Ellipse).unwrap()),
    };
    assert!(basin(&learned, &obj, &grid, 10, 0.0, &cancel).is_none());
}

#[test]
fn the_csv_lists_every_start_in_grid_order() {
    let obj = TaskDist::ElliVary.sample_many(4, 1, Default::default())[0]
        .objective
        .clone();
    let grid = BasinGrid {
        x: (0.0, 1.0),
        y: (10.0, 12.0),
        n: 2,
    };
    let gd = AnyOptimizer::parse_baseline("gd:lr=0.05").unwrap();
    let map = basin(&gd, &obj, &grid, 3, 0.0, &never()).unwrap();
    let csv = map.csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "x0,x1,f");
    assert_eq!(lines.len(), 5);
    let parsed: Vec<[f64; 3]> = lines[1..]
        .iter()
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.parse().unwrap()).collect();
            [v[0], v[1], v[2]]
        })
        .collect();
    assert_eq!(
        parsed.iter().map(|p| [p[0], p[1]]).collect::<Vec<_>>(),
        vec![[0.25, 10.5], [0.75, 10.5], [0.25, 11.5], [0.75, 11.5]]
    );
    for (p, c) in parsed.iter().zip(&map.cells) {
        assert_eq!(p[2], c.f);
    }
}

/// A first-step map: the CSV's `first_step` column is the first step of
/// each single run with f ≤ ε (empty where it never got there), and the
/// picture shades by it — the slowest start yellow, the fastest dark, grey
/// where the run never got there.
#[test]
fn first_step_maps_say_when_each_start_gets_below_eps() {
    use teleport_core::basin::{NEVER, Shade, basin_ramp};
    let (steps, eps) = (40, 0.5);
    let grid = BasinGrid {
        n: 8,
        x: (-6.0, 6.0),
        y: (-3.0, 3.0),
    };
    let (obj, gd) = (
        Preset::ElliFixed.objective(),
        OptimizerSpec::Gd { lr: 0.05 },
    );
    let map = basin(
        &AnyOptimizer::parse_baseline("gd:lr=0.05").unwrap(),
        &obj,
        &grid,
        steps,
        eps,
        &never(),
    )
    .unwrap();
    let csv = map.csv_with_first_step();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("x0,x1,f,first_step"));
    let rgba = map.rgba_by(Shade::FirstStep);
    let (mut reached, mut missed) = (0, 0);
    for (k, (line, start)) in lines.zip(grid.starts()).enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 4, "{line}");
        let single = run(&obj, start, steps, gd, None);
        let first = single.records.iter().position(|r| r.f <= eps);
        let column = (!fields[3].is_empty()).then(|| fields[3].parse::<usize>().unwrap());
        assert_eq!(column, first, "{start:?}");
        // Pixel rows run from the top: cell (i, j) is at row n − 1 − j.
        let (i, j) = (k % grid.n, k / grid.n);
        let at = 4 * ((grid.n - 1 - j) * grid.n + i);
        let want = match first {
            Some(t) => basin_ramp(t as f64 / steps as f64),
            None => NEVER,
        };
        assert_eq!(&rgba[at..at + 4], &[want.r, want.g, want.b, want.a]);
        reached += usize::from(first.is_some());
        missed += usize::from(first.is_none());
    }
    assert!(
        reached > 0 && missed > 0,
        "{reached} reached, {missed} missed"
    );
    assert!(
        map.shade_words(Shade::FirstStep, "log10")
            .contains("first step with f ≤ 0.5")
    );
}

/// The vectorizable `exp` of the batched LSTM is within a few units in the
/// last place of `f32::exp` wherever the gates evaluate it.
#[test]
fn fast_exp_matches_the_standard_library() {
    let mut worst: f32 = 0.0;
    let mut x = -87.0_f32;
    while x <= 88.0 {
        let (got, want) = (exp_fast(x), x.exp());
        worst = worst.max(((got - want) / want).abs());
        x += 0.001_37;
    }
    assert!(worst < 4.0 * f32::EPSILON, "worst relative error {worst:e}");
    assert!(exp_fast(f32::NAN).is_nan());
    assert!(exp_fast(-1000.0) >= 0.0 && exp_fast(-1000.0) < 1e-37);
    assert!(exp_fast(1000.0).is_finite());
}

/// The batched networks against the single-step ones on the same inputs,
/// step by step: 13 optimizees (two register tiles and a padded one), 20
/// steps of varied gradients, every shipped model.
#[test]
fn batched_networks_match_single_steps() {
    use teleport_core::l2o::batch::PackedNet;
    use teleport_core::l2o::lstm::NetState;
    let n = 13;
    for family in [Family::Ellipse, Family::Rosenbrock] {
        for variant in Variant::ALL {
            let model = load(variant, family).unwrap();
            for net in model.nets() {
                let shape = net.shape();
                let packed = PackedNet::new(net);
                let mut batch = packed.zeros(n);
                let padded = batch.len();
                assert_eq!(padded, 18);
                let mut singles: Vec<NetState<f32>> =
                    (0..n).map(|_| NetState::zeros(shape.hidden)).collect();
                let mut worst: f32 = 0.0;
                for t in 0..20 {
                    let inputs: Vec<f32> = (0..padded * shape.input)
                        .map(|k| (3.0 * ((k * 7 + t * 13) as f32 * 0.37).sin()).powi(3))
                        .collect();
                    let mut out = vec![0.0; padded * shape.output];
                    packed.step(&inputs, &mut batch, &mut out);
                    for (b, state) in singles.iter_mut().enumerate() {
                        let mut want = vec![0.0; shape.output];
                        let x = &inputs[b * shape.input..(b + 1) * shape.input];
                        net.step(x, state, &mut want, None);
                        for (k, w) in want.iter().enumerate() {
                            let got = out[b * shape.output + k];
                            worst = worst.max((got - w).abs() / (1.0 + w.abs()));
                        }
                    }
                }
                assert!(worst < 1e-5, "{variant} on {family:?}: {worst:e}");
            }
        }
    }
}

/// Which listed minimum each run ends at, written out here from the run's
/// last iterate: the nearest listed minimum, if within 1 % of `1 + ‖m‖`.
fn nearest_listed(x: Vec2, minima: &[teleport_core::objective::KnownMinimum]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (k, m) in minima.iter().enumerate() {
        let d = ((x.x - m.at[0]).powi(2) + (x.y - m.at[1]).powi(2)).sqrt();
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((k, d));
        }
    }
    let (k, d) = best?;
    let m = minima[k].at;
    (d <= 1e-2 * (1.0 + (m[0] * m[0] + m[1] * m[1]).sqrt())).then_some(k)
}

/// The which-minimum map of a gallery function: every cell equals a single
/// run from that start, classified independently; the CSV's `minimum`
/// column and the pixels say the same; each of Himmelblau's four minima
/// has its basin.
#[test]
fn which_minimum_cells_match_single_runs_classified_independently() {
    use teleport_core::basin::{Shade, minimum_color};
    use teleport_core::objective::TEST_FUNCTIONS;
    for (t, lr, teleport) in [
        (&TEST_FUNCTIONS[0], 0.01, None),
        (&TEST_FUNCTIONS[7], 0.01, None),
        (
            &TEST_FUNCTIONS[0],
            0.01,
            Some(TeleportSchedule {
                strategy: Strategy::Oracle,
                when: When::At(vec![3]),
            }),
        ),
    ] {
        let obj = t.objective().unwrap();
        let spec = OptimizerSpec::Gd { lr };
        let opt = AnyOptimizer::Classical {
            name: "GD".into(),
            spec,
            teleport: teleport.clone(),
        };
        let grid = BasinGrid {
            x: (t.view[0][0], t.view[1][0]),
            y: (t.view[0][1], t.view[1][1]),
            n: 12,
        };
        let steps = 50;
        let map = basin(&opt, &obj, &grid, steps, 1e-6, &never()).unwrap();
        assert_eq!(map.minima, t.minima);
        let csv = map.csv_with_minimum();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("x0,x1,f,minimum"));
        let rgba = map.rgba_by(Shade::Minimum);
        let mut seen = vec![false; t.minima.len()];
        for (k, (x0, cell)) in grid.starts().iter().zip(&map.cells).enumerate() {
            let single = run(&obj, *x0, steps, spec, teleport.as_ref());
            let want = match single.stop {
                None => nearest_listed(Vec2::from(single.records[steps].x), t.minima),
                Some(_) => None,
            };
            assert_eq!(cell.minimum, want, "{} cell {k} from {x0:?}", t.name);
            let f = final_f(&single.records, &single.stop, steps);
            assert!(cell.f == f || (cell.f.is_nan() && f.is_nan()), "{}", t.name);
            let line = lines.next().unwrap();
            let column = line.rsplit(',').next().unwrap();
            assert_eq!(column, want.map(|m| m.to_string()).unwrap_or_default());
            if let Some(m) = want {
                seen[m] = true;
                // Rows are drawn from the top: cell (i, j) is pixel row n − 1 − j.
                let (i, j) = (k % 12, k / 12);
                let at = ((11 - j) * 12 + i) * 4;
                let c = minimum_color(m);
                assert_eq!(&rgba[at..at + 3], &[c.r, c.g, c.b]);
            }
        }
        if t.name == "Himmelblau" {
            assert!(seen.iter().all(|&s| s), "{}: basins seen {seen:?}", t.name);
        }
        assert!(
            map.shade_words(Shade::Minimum, "log10")
                .contains("listed minima")
        );
    }
    // Distinct colours for Rastrigin's 25 minima.
    let colours: Vec<_> = (0..25).map(minimum_color).collect();
    for (a, ca) in colours.iter().enumerate() {
        for cb in &colours[a + 1..] {
            let d = (i32::from(ca.r) - i32::from(cb.r)).abs()
                + (i32::from(ca.g) - i32::from(cb.g)).abs()
                + (i32::from(ca.b) - i32::from(cb.b)).abs();
            assert!(d > 12, "minimum {a}: {ca:?} vs {cb:?}");
        }
    }
}

/// Spread over threads, a basin map has the same cells, learned rows too.
#[test]
fn a_pooled_basin_map_equals_the_single_threaded_one() {
    use teleport_core::basin::basin_pooled;
    use teleport_core::objective::TEST_FUNCTIONS;
    let obj = TEST_FUNCTIONS[0].objective().unwrap();
    let grid = BasinGrid {
        x: (-6.0, 6.0),
        y: (-6.0, 6.0),
        n: 10,
    };
    let config = ModelConfig {
        hidden: 8,
        ..ModelConfig::paper(Variant::LrTele)
    };
    let model = MetaOptimizer::<f32>::init(config, 5);
    for opt in [
        AnyOptimizer::Classical {
            name: "GD".into(),
            spec: OptimizerSpec::Gd { lr: 0.01 },
            teleport: None,
        },
        AnyOptimizer::Learned {
            name: "LR + teleport".into(),
            model: Arc::new(model),
        },
    ] {
        let one = basin(&opt, &obj, &grid, 6, 1e-3, &never()).unwrap();
        let two = basin_pooled(&opt, &obj, &grid, 6, 1e-3, &never(), 3).unwrap();
        assert_eq!(one.cells.len(), 100);
        for (a, b) in one.cells.iter().zip(&two.cells) {
            assert!(a.f == b.f || (a.f.is_nan() && b.f.is_nan()));
            assert_eq!((a.first, a.minimum), (b.first, b.minimum));
        }
        let cancelled = AtomicBool::new(true);
        assert!(basin_pooled(&opt, &obj, &grid, 6, 1e-3, &cancelled, 2).is_none());
    }
}
