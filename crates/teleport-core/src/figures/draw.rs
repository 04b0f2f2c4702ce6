//! The figures: Figure 1's vectors, Figure 2's iterates, and the
//! comparison panels of Figures 3–7 (curves across seeds and trajectories).

use std::fmt::Write as _;

use crate::contour::Grid;
use crate::eval::{RunOutcome, StepStats, outcome_stats};
use crate::objective::{Mat2, Objective, Quadratic, Vec2, rotation};
use crate::optim::{Trajectory, alg2};
use crate::plot::{Arrow, Band, Chart, Color, Figure, HLine, Line, Marker, Markers, PALETTE};
use crate::stats::quantile;
use crate::theory::decompose;

use super::plan::{Experiment, showcase_task};
use super::verdicts::Entry;
use super::{FiguresConfig, FiguresError, SummaryRow, Writer};

/// The median and the range of a per-seed value at each step.
pub(super) fn across_seeds(per_seed: &[Vec<f64>], steps: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut mid = Vec::new();
    let mut lo = Vec::new();
    let mut hi = Vec::new();
    for t in 0..=steps {
        let mut v: Vec<f64> = per_seed
            .iter()
            .filter_map(|s| s.get(t).copied())
            .filter(|v| v.is_finite())
            .collect();
        mid.push(quantile(&mut v, 0.5));
        lo.push(quantile(&mut v, 0.0));
        hi.push(quantile(&mut v, 1.0));
    }
    (mid, lo, hi)
}

pub(super) fn comparison(
    w: &Writer<'_>,
    config: &FiguresConfig,
    exp: &Experiment,
    entries: &[Entry],
) -> Result<Vec<SummaryRow>, FiguresError> {
    let name = exp.name.as_str();
    let steps = config.steps;
    // Per optimizer, per seed: statistics over the test tasks.
    let stats: Vec<Vec<Vec<StepStats>>> = entries
        .iter()
        .map(|e| e.runs.iter().map(|r| outcome_stats(r, steps)).collect())
        .collect();

    let mut csv = String::from("optimizer,seed,t,mean,median,std,q25,q75,runs,diverged\n");
    for (e, per_seed) in entries.iter().zip(&stats) {
        for (k, s) in per_seed.iter().enumerate() {
            let seed = e.seeds.get(k).map_or(String::new(), u64::to_string);
            for st in s {
                let _ = writeln!(
                    csv,
                    "{},{seed},{},{},{},{},{},{},{},{}",
                    e.name, st.t, st.mean, st.median, st.std, st.q25, st.q75, st.runs, st.diverged
                );
            }
        }
    }
    w.file(&format!("{name}.csv"), csv.as_bytes())?;

    // Left: trajectories on the showcase task (the first seed's models);
    // right: f per step across seeds.
    let (obj, x0) = showcase_task(exp.dist, config.seed.wrapping_add(1), exp.sampling);
    let runs: Vec<Trajectory> = entries
        .iter()
        .map(|e| e.showcase.trajectory(&obj, x0, steps))
        .collect();
    let mut traj_csv = String::from("optimizer,t,x0,x1,f,teleported\n");
    for (e, r) in entries.iter().zip(&runs) {
        for rec in &r.records {
            let _ = writeln!(
                traj_csv,
                "{},{},{},{},{},{}",
                e.name, rec.t, rec.x[0], rec.x[1], rec.f, rec.teleported
            );
        }
    }
    w.file(&format!("{name}_trajectories.csv"), traj_csv.as_bytes())?;

    let seed_note = if entries.iter().any(Entry::is_learned) {
        format!(" (learned: seed {})", config.seed)
    } else {
        String::new()
    };
    let mut left = level_set_chart(
        &obj,
        &runs,
        &format!(
            "{name}: trajectories from x0 = ({}, {}){seed_note}",
            x0.x, x0.y
        ),
    );
    for (k, (e, r)) in entries.iter().zip(&runs).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points = r.records.iter().map(|rec| rec.x).collect();
        left = left.push(Line::new(e.name.as_str(), points).color(color).width(2.0));
        let jumps: Vec<[f64; 2]> = r
            .records
            .iter()
            .filter(|rec| rec.teleported)
            .map(|rec| rec.x)
            .collect();
        if !jumps.is_empty() {
            let jumps = Markers::new("", jumps).color(color);
            left = left.push(jumps.shape(Marker::Diamond).size(7.0));
        }
    }
    let start = Markers::new("x0", vec![[x0.x, x0.y]]).color(Color::BLACK);
    left = left.push(start.shape(Marker::Cross).size(9.0));
    // Middle: the mean over the test tasks, as the paper plots it; right:
    // the median, which a few exploding runs cannot move. Each is a seed's
    // statistic; the line is the median over seeds, the band their range.
    let seeds = config.seeds.max(1);
    let panel = |stat: &str, pick: fn(&StepStats) -> f64| {
        let mut chart = Chart::new(
            format!(
                "{name}: {stat} f over {} test tasks; median of {seeds} seeds, band min–max",
                config.runs
            ),
            "step",
            "f(x_t)",
        )
        .log_y();
        for (k, (e, per_seed)) in entries.iter().zip(&stats).enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let x: Vec<f64> = (0..=steps).map(|t| t as f64).collect();
            let values: Vec<Vec<f64>> = per_seed
                .iter()
                .map(|s| s.iter().map(pick).collect())
                .collect();
            let (mid, lo, hi) = across_seeds(&values, steps);
            if per_seed.len() > 1 {
                chart = chart.push(Band::new("", x.clone(), lo, hi).color(color.with_alpha(40)));
            }
            let line = x.iter().zip(&mid).map(|(&t, &m)| [t, m]).collect();
            chart = chart.push(Line::new(e.name.as_str(), line).color(color).width(2.0));
        }
        chart
    };
    let mean = panel("mean", |st| st.mean);
    let median = panel("median", |st| st.median);
    w.figure(
        name,
        &Figure {
            width: 2100,
            height: 600,
            title: None,
            panels: vec![left, mean, median],
        },
    )?;
    Ok(entries
        .iter()
        .map(|e| {
            let last: Vec<f64> = e
                .runs
                .iter()
                .flatten()
                .map(RunOutcome::last)
                .filter(|v| v.is_finite())
                .collect();
            let total = e.runs.iter().map(Vec::len).sum();
            SummaryRow {
                figure: name.to_owned(),
                optimizer: e.name.clone(),
                seeds: e.runs.len(),
                last: crate::eval::step_stats(steps, last, total),
            }
        })
        .collect())
}

/// Contours of `f` around a set of trajectories.
pub(super) fn level_set_chart(obj: &Objective, runs: &[Trajectory], title: &str) -> Chart {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    let mut include = |p: [f64; 2]| {
        for i in 0..2 {
            if p[i].is_finite() {
                min[i] = min[i].min(p[i]);
                max[i] = max[i].max(p[i]);
            }
        }
    };
    for r in runs {
        r.records.iter().for_each(|rec| include(rec.x));
    }
    let m = obj.minimizer();
    include([m.x, m.y]);
    let (min, max) = pad_bounds(min, max);
    let chart = contour_chart(title, "x", "y", obj, (min, max), 300);
    chart.push(Markers::new("minimum", vec![[m.x, m.y]]).color(Color::rgb(30, 30, 30)))
}

/// Widens a bounding box by 15 % and to at least 1 × 1, and caps it at ±1e4.
pub(super) fn pad_bounds(min: [f64; 2], max: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let mut lo = [0.0; 2];
    let mut hi = [0.0; 2];
    for i in 0..2 {
        let (a, b) = if min[i].is_finite() && max[i].is_finite() {
            (min[i].max(-1e4), max[i].min(1e4))
        } else {
            (-1.0, 1.0)
        };
        let span = (b - a).max(1.0);
        let mid = 0.5 * (a + b);
        lo[i] = mid - 0.575 * span;
        hi[i] = mid + 0.575 * span;
    }
    (lo, hi)
}

/// An equal-aspect chart of the view `min`..`max` with the paper figures'
/// contours of `obj` on a `side` × `side` grid: 14 levels in a light slate,
/// made as the level-set plot makes its own ([`crate::plot::LevelSetPlot`]).
pub(super) fn contour_chart(
    title: impl Into<String>,
    x_label: &str,
    y_label: &str,
    obj: &Objective,
    (min, max): ([f64; 2], [f64; 2]),
    side: usize,
) -> Chart {
    let mut chart = Chart::new(title, x_label, y_label)
        .equal_aspect()
        .x_range(min[0], max[0])
        .y_range(min[1], max[1]);
    let grid = Grid::of_objective(obj, min, max, side, side);
    let color = Color::rgb(170, 178, 196);
    chart
        .items
        .extend(crate::plot::contour_items(&grid, 14, color));
    chart
}

pub(super) fn figure1(w: &Writer<'_>) -> Result<(), FiguresError> {
    // A rotated, elongated convex quadratic, as in the paper's Figure 1.
    let a = rotation(0.5) * Mat2::from_diagonal(&Vec2::new(0.5, 3.0)) * rotation(-0.5);
    let obj = match Quadratic::new(a) {
        Ok(q) => Objective::Quadratic(q),
        Err(e) => {
            return Err(FiguresError::Plot {
                figure: "fig1".into(),
                message: e.to_string(),
            });
        }
    };
    let p = Vec2::new(1.2, 0.9);
    let d = decompose(obj.grad(&p), obj.hessian(&p)).map_err(|e| FiguresError::Plot {
        figure: "fig1".into(),
        message: e.to_string(),
    })?;
    let mut csv = String::from("vector,x,y\n");
    for (name, v) in [
        ("point", p),
        ("v1 = -grad f", d.v1),
        ("v2 = -H^-1 grad f", d.v2),
        ("v_par", d.v_par),
        ("v_perp", d.v_perp),
        ("grad |grad f|^2", d.grad_of_grad_norm_sq),
    ] {
        let _ = writeln!(csv, "{name},{},{}", v.x, v.y);
    }
    let _ = writeln!(csv, "v_perp . grad |grad f|^2,{},", d.directional);
    w.file("fig1_proposition_4_1.csv", csv.as_bytes())?;

    // Scale −∇f down to the Newton step's length so both fit the picture.
    let scale = d.v2.norm() / d.v1.norm();
    let title = format!(
        "Proposition 4.1: v_perp · ∇‖∇f‖^2 = {:.3} ≥ 0",
        d.directional
    );
    let view = ([-2.0, -1.6], [2.0, 1.6]);
    let mut chart = contour_chart(title, "w1", "w2", &obj, view, 200);
    let from = [p.x, p.y];
    for (name, v, color) in [
        ("v1 = −∇f (scaled)", d.v1 * scale, PALETTE[0]),
        ("v2 = −H⁻¹∇f (Newton)", d.v2, PALETTE[1]),
        ("v_par", d.v_par, PALETTE[2]),
        ("v_perp", d.v_perp, PALETTE[3]),
    ] {
        let arrow = Arrow::new(name, from, [p.x + v.x, p.y + v.y]);
        chart = chart.push(arrow.color(color).width(2.5));
    }
    w.figure(
        "fig1_proposition_4_1",
        &Figure {
            width: 800,
            height: 650,
            title: None,
            panels: vec![chart],
        },
    )
}

pub(super) fn figure2(w: &Writer<'_>) -> Result<(), FiguresError> {
    // f = xᵀAx with principal axes at 30°; Algorithm 2 from θ0 = 0.
    let a = rotation(std::f64::consts::FRAC_PI_6)
        * Mat2::from_diagonal(&Vec2::new(1.0, 4.0))
        * rotation(-std::f64::consts::FRAC_PI_6);
    let q = Quadratic::new(a).map_err(|e| FiguresError::Plot {
        figure: "fig2".into(),
        message: e.to_string(),
    })?;
    let obj = Objective::Quadratic(q.clone());
    let (lr, theta_lr, steps) = (0.05, 0.2, 25);
    let mut x = Vec2::new(2.0, -1.0);
    let mut theta = 0.0;
    let axis = alg2::principal_axis_angle(&a);
    let mut csv = String::from(
        "t,x0,x1,y0,y1,f,theta,theta_grad_autodiff,theta_grad_closed_form,angle_of_y,principal_axis\n",
    );
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut thetas = Vec::new();
    let mut angles = Vec::new();
    for t in 0..steps {
        let step = alg2::step(&obj, &x, theta, lr, theta_lr);
        let closed = alg2::closed_form_theta_grad(&q, &x, theta, lr);
        let angle = step.y.y.atan2(step.y.x).rem_euclid(std::f64::consts::PI);
        let _ = writeln!(
            csv,
            "{t},{},{},{},{},{},{theta},{},{closed},{angle},{axis}",
            x.x,
            x.y,
            step.y.x,
            step.y.y,
            obj.f(&x),
            step.theta_grad
        );
        xs.push([x.x, x.y]);
        ys.push([step.y.x, step.y.y]);
        thetas.push([t as f64, theta]);
        angles.push([t as f64, angle]);
        x = step.x_next;
        theta = step.theta_next;
    }
    w.file("fig2_algorithm_2.csv", csv.as_bytes())?;

    let title = "Algorithm 2: x_t and y_t = g_θt(x_t)";
    let left = contour_chart(title, "x", "y", &obj, ([-2.6, -2.0], [2.6, 2.0]), 200);
    let (c, s) = (axis.cos(), axis.sin());
    let axis_color = Color::rgb(120, 120, 120);
    let axis_line = vec![[-3.0 * c, -3.0 * s], [3.0 * c, 3.0 * s]];
    let left = left
        .push(
            Line::new("principal axis (largest eigenvalue)", axis_line)
                .color(axis_color)
                .dashed(),
        )
        .push(Markers::new("x_t", xs).color(PALETTE[0]))
        .push(
            Markers::new("y_t (teleported)", ys)
                .color(PALETTE[1])
                .shape(Marker::Diamond)
                .size(6.0),
        );
    let right = Chart::new("θ_t and the direction of y_t", "step t", "radians")
        .push(Line::new("θ_t", thetas).color(PALETTE[2]).width(2.0))
        .push(
            Line::new("angle of y_t (mod π)", angles)
                .color(PALETTE[1])
                .width(2.0),
        )
        .push(
            HLine::new("principal axis", axis)
                .color(axis_color)
                .dashed(),
        );
    w.figure(
        "fig2_algorithm_2",
        &Figure {
            width: 1400,
            height: 600,
            title: None,
            panels: vec![left, right],
        },
    )
}
