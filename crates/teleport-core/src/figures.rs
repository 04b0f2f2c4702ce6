//! `teleport-lab figures`: the paper's experiments, reproduced headless as
//! CSV and PNG (and SVG, with [`Formats::svg`]), with a Markdown summary of
//! the final-step statistics.
//!
//! - Figure 1: Proposition 4.1's vectors at a point of a convex quadratic.
//! - Figure 2: Algorithm 2's iterates and its angle θ_t.
//! - Figures 3–6: `l2o` vs `l2o-tele` (with GD and Adam) on `elli_fixed`,
//!   `elli_vary`, `ros_fixed`, `ros_vary`.
//! - Figure 7: GD vs `lr-tele` vs `lr-tele-momentum` on the ellipse and
//!   Rosenbrock families.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contour::Grid;
use crate::eval::{AnyOptimizer, StepStats, evaluate};
use crate::l2o::{Control, ModelConfig, TrainConfig, Trainer, Variant};
use crate::objective::{Mat2, Objective, Preset, Quadratic, TaskDist, Vec2, rotation};
use crate::optim::{OptimizerSpec, Trajectory, alg2};
use crate::plot::{Arrow, Band, Chart, Color, Figure, HLine, Line, Marker, Markers, PALETTE};
use crate::theory::decompose;

/// Settings of a reproduction run.
#[derive(Clone, Debug)]
pub struct FiguresConfig {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Training trajectories per learned optimizer (paper: 500).
    pub trajectories: usize,
    /// Hidden size for Figures 3–6 (paper: 100).
    pub hidden: usize,
    /// Hidden size for Figure 7 (paper: 300).
    pub hidden_momentum: usize,
    /// Test tasks per evaluation (paper: 200).
    pub runs: usize,
    /// Steps per test run (paper: 12).
    pub steps: usize,
    /// Seed of training; test tasks use `seed + 1`.
    pub seed: u64,
    /// Which image files each figure is written as (default: PNG only).
    pub formats: Formats,
    /// Threads running the experiments (at least one); the files are the
    /// same bit for bit whatever the count.
    pub threads: usize,
}

/// The image formats a figure is written in, each as `NAME.png` / `NAME.svg`
/// side by side. Both come from the same drawing ([`Figure::to_png`],
/// [`Figure::to_svg`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// Write `NAME.png`.
    pub png: bool,
    /// Write `NAME.svg` (text kept as text).
    pub svg: bool,
}

impl Default for Formats {
    /// PNG only.
    fn default() -> Self {
        Formats {
            png: true,
            svg: false,
        }
    }
}

impl FiguresConfig {
    /// The paper's protocol, writing into `out`.
    pub fn paper(out: PathBuf) -> Self {
        Self {
            out,
            trajectories: 500,
            hidden: 100,
            hidden_momentum: 300,
            runs: 200,
            steps: 12,
            seed: 0,
            formats: Formats::default(),
            threads: 1,
        }
    }
}

/// One optimizer's final-step statistics in one experiment.
#[derive(Clone, Debug)]
pub struct SummaryRow {
    /// The experiment, e.g. `fig4_elli_vary`.
    pub figure: String,
    /// The optimizer's name.
    pub optimizer: String,
    /// Statistics of `f` after the last step.
    pub last: StepStats,
}

/// Progress events, for a terminal progress bar.
#[derive(Clone, Debug)]
pub enum Event {
    /// A unit of work is starting.
    Start(String),
    /// A unit of work is done.
    Done,
}

/// The number of [`Event::Done`] events a full run emits.
pub const UNITS: usize = 2 + 4 * 3 + 2 * 3;

/// Why figures could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("cannot draw {figure}: {message}")]
    Plot {
        /// The figure.
        figure: String,
        /// Why.
        message: String,
    },
    /// Training could not start.
    #[error("cannot train: {0}")]
    Train(#[source] crate::l2o::TrainError),
}

struct Writer<'a> {
    dir: &'a Path,
    formats: Formats,
}

impl Writer<'_> {
    fn file(&self, name: &str, bytes: &[u8]) -> Result<(), FiguresError> {
        let path = self.dir.join(name);
        crate::io::write_atomic(&path, bytes).map_err(|source| FiguresError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    fn figure(&self, name: &str, figure: &Figure) -> Result<(), FiguresError> {
        let plot_error = |e: crate::plot::PlotError| FiguresError::Plot {
            figure: name.to_owned(),
            message: e.to_string(),
        };
        if self.formats.png {
            let png = figure.to_png().map_err(plot_error)?;
            self.file(&format!("{name}.png"), &png)?;
        }
        if self.formats.svg {
            let svg = figure.to_svg().map_err(plot_error)?;
            self.file(&format!("{name}.svg"), svg.as_bytes())?;
        }
        Ok(())
    }
}

/// Runs every experiment; returns the summary rows.
pub fn run(
    config: &FiguresConfig,
    on_event: &mut dyn FnMut(Event),
) -> Result<Vec<SummaryRow>, FiguresError> {
    std::fs::create_dir_all(&config.out).map_err(|source| FiguresError::Write {
        path: config.out.display().to_string(),
        source,
    })?;
    let w = Writer {
        dir: &config.out,
        formats: config.formats,
    };
    let mut summary = Vec::new();

    on_event(Event::Start("Figure 1: Proposition 4.1".into()));
    figure1(&w)?;
    on_event(Event::Done);
    on_event(Event::Start("Figure 2: Algorithm 2".into()));
    figure2(&w)?;
    on_event(Event::Done);

    // Figures 3–7 are six independent experiments: each trains its own
    // models from its own seeds and writes its own files, so they run on
    // `config.threads` threads with the same results as on one. Progress
    // events come back through a channel to `on_event`, on this thread.
    let mut jobs: Vec<(&str, TaskDist, bool)> = vec![
        ("fig3_elli_fixed", TaskDist::ElliFixed, false),
        ("fig4_elli_vary", TaskDist::ElliVary, false),
        ("fig5_ros_fixed", TaskDist::RosFixed, false),
        ("fig6_ros_vary", TaskDist::RosVary, false),
        ("fig7_elli_vary", TaskDist::ElliVary, true),
        ("fig7_ros_vary", TaskDist::RosVary, true),
    ];
    let experiment = |name: &str,
                      dist: TaskDist,
                      momentum: bool,
                      events: &dyn Fn(Event)|
     -> Result<Vec<SummaryRow>, FiguresError> {
        let (variants, hidden, mut opts) = if momentum {
            (
                [Variant::LrTele, Variant::LrTeleMomentum],
                config.hidden_momentum,
                vec![gd_baseline(dist)],
            )
        } else {
            ([Variant::L2o, Variant::L2oTele], config.hidden, Vec::new())
        };
        for variant in variants {
            events(Event::Start(format!("{name}: training {variant}")));
            opts.push(train(config, variant, hidden, dist)?);
            events(Event::Done);
        }
        if !momentum {
            opts.extend(baselines(dist));
        }
        events(Event::Start(format!("{name}: evaluating")));
        let rows = comparison(&w, config, name, dist, &opts)?;
        events(Event::Done);
        Ok(rows)
    };
    let threads = config.threads.clamp(1, jobs.len());
    let mut results: Vec<Option<Result<Vec<SummaryRow>, FiguresError>>> =
        (0..jobs.len()).map(|_| None).collect();
    if threads == 1 {
        for (i, (name, dist, momentum)) in jobs.drain(..).enumerate() {
            let forward = |e: Event| on_event(e);
            // `on_event` is FnMut: events go through a cell on one thread.
            let cell = std::cell::RefCell::new(forward);
            results[i] = Some(experiment(name, dist, momentum, &|e| {
                (cell.borrow_mut())(e)
            }));
        }
    } else {
        let (tx, rx) = std::sync::mpsc::channel::<Event>();
        std::thread::scope(|scope| {
            let experiment = &experiment;
            let handles: Vec<_> = (0..threads)
                .map(|k| {
                    let tx = tx.clone();
                    let mine: Vec<(usize, (&str, TaskDist, bool))> = jobs
                        .iter()
                        .copied()
                        .enumerate()
                        .filter(|(i, _)| i % threads == k)
                        .collect();
                    scope.spawn(move || {
                        mine.into_iter()
                            .map(|(i, (name, dist, momentum))| {
                                let send = |e: Event| {
                                    let _ = tx.send(e);
                                };
                                (i, experiment(name, dist, momentum, &send))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            drop(tx);
            for event in rx {
                on_event(event);
            }
            for h in handles {
                for (i, result) in h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                    results[i] = Some(result);
                }
            }
        });
    }
    for result in results.into_iter().flatten() {
        summary.extend(result?);
    }

    w.file("summary.md", summary_markdown(&summary).as_bytes())?;
    Ok(summary)
}

fn is_ellipse(dist: TaskDist) -> bool {
    matches!(dist, TaskDist::ElliFixed | TaskDist::ElliVary)
}

/// GD with the step size used throughout: 0.05 on ellipses, 1e−3 on
/// Rosenbrock tasks (the reference configuration's).
fn gd_baseline(dist: TaskDist) -> AnyOptimizer {
    let lr = if is_ellipse(dist) { 0.05 } else { 1e-3 };
    let spec = OptimizerSpec::Gd { lr };
    AnyOptimizer::Classical {
        name: spec.label(),
        spec,
        teleport: None,
    }
}

fn baselines(dist: TaskDist) -> Vec<AnyOptimizer> {
    let adam = OptimizerSpec::adam(0.3);
    vec![
        gd_baseline(dist),
        AnyOptimizer::Classical {
            name: adam.label(),
            spec: adam,
            teleport: None,
        },
    ]
}

/// Trains one learned optimizer in the paper's configuration.
pub fn train(
    config: &FiguresConfig,
    variant: Variant,
    hidden: usize,
    dist: TaskDist,
) -> Result<AnyOptimizer, FiguresError> {
    let model = ModelConfig {
        hidden,
        ..ModelConfig::paper(variant)
    };
    let mut train = TrainConfig::paper(&model, dist, config.seed);
    train.trajectories = config.trajectories;
    let mut trainer = Trainer::new(model, train).map_err(FiguresError::Train)?;
    trainer.run(|_, _| Control::Continue);
    Ok(AnyOptimizer::Learned {
        name: variant.label().to_owned(),
        model: Arc::new(trainer.into_model()),
    })
}

/// The task drawn in a comparison's trajectory panel: the fixed task, or the
/// first test task, from the paper's plotted start point.
fn showcase_task(dist: TaskDist, seed: u64) -> (Objective, Vec2) {
    let x0 = if is_ellipse(dist) {
        Preset::ElliFixed.default_x0()
    } else {
        Preset::RosFixed.default_x0()
    };
    let obj = dist
        .sample_many(seed, 1, Default::default())
        .into_iter()
        .next()
        .map(|t| t.objective)
        .unwrap_or_else(|| Preset::ElliFixed.objective());
    (obj, x0)
}

fn comparison(
    w: &Writer<'_>,
    config: &FiguresConfig,
    name: &str,
    dist: TaskDist,
    opts: &[AnyOptimizer],
) -> Result<Vec<SummaryRow>, FiguresError> {
    let tasks = dist.sample_many(config.seed + 1, config.runs, Default::default());
    let stats: Vec<Vec<StepStats>> = opts
        .iter()
        .map(|o| evaluate(o, &tasks, config.steps))
        .collect();

    let mut csv = String::from("optimizer,t,mean,median,std,q25,q75,runs,diverged\n");
    for (o, s) in opts.iter().zip(&stats) {
        for st in s {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{}",
                o.name(),
                st.t,
                st.mean,
                st.median,
                st.std,
                st.q25,
                st.q75,
                st.runs,
                st.diverged
            );
        }
    }
    w.file(&format!("{name}.csv"), csv.as_bytes())?;

    // Left: trajectories on the showcase task; right: f per step.
    let (obj, x0) = showcase_task(dist, config.seed + 1);
    let runs: Vec<Trajectory> = opts
        .iter()
        .map(|o| o.trajectory(&obj, x0, config.steps))
        .collect();
    let mut traj_csv = String::from("optimizer,t,x0,x1,f,teleported\n");
    for (o, r) in opts.iter().zip(&runs) {
        for rec in &r.records {
            let _ = writeln!(
                traj_csv,
                "{},{},{},{},{},{}",
                o.name(),
                rec.t,
                rec.x[0],
                rec.x[1],
                rec.f,
                rec.teleported
            );
        }
    }
    w.file(&format!("{name}_trajectories.csv"), traj_csv.as_bytes())?;

    let mut left = level_set_chart(
        &obj,
        &runs,
        &format!("{name}: trajectories from x0 = ({}, {})", x0.x, x0.y),
    );
    for (k, (o, r)) in opts.iter().zip(&runs).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points = r.records.iter().map(|rec| rec.x).collect();
        left = left.push(Line::new(o.name(), points).color(color).width(2.0));
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
    let mut right = Chart::new(
        format!(
            "{name}: f over {} test tasks (mean, quartile band)",
            config.runs
        ),
        "step",
        "f(x_t)",
    )
    .log_y();
    for (k, (o, s)) in opts.iter().zip(&stats).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let x: Vec<f64> = s.iter().map(|st| st.t as f64).collect();
        let lo = s.iter().map(|st| st.q25).collect();
        let hi = s.iter().map(|st| st.q75).collect();
        let means = s.iter().map(|st| [st.t as f64, st.mean]).collect();
        right = right
            .push(Band::new("", x, lo, hi).color(color.with_alpha(40)))
            .push(Line::new(o.name(), means).color(color).width(2.0));
    }
    w.figure(
        name,
        &Figure {
            width: 1400,
            height: 600,
            title: None,
            panels: vec![left, right],
        },
    )?;
    Ok(opts
        .iter()
        .zip(&stats)
        .filter_map(|(o, s)| {
            s.last().map(|last| SummaryRow {
                figure: name.to_owned(),
                optimizer: o.name().to_owned(),
                last: *last,
            })
        })
        .collect())
}

/// Contours of `f` around a set of trajectories.
fn level_set_chart(obj: &Objective, runs: &[Trajectory], title: &str) -> Chart {
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
fn pad_bounds(min: [f64; 2], max: [f64; 2]) -> ([f64; 2], [f64; 2]) {
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
fn contour_chart(
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

fn figure1(w: &Writer<'_>) -> Result<(), FiguresError> {
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

fn figure2(w: &Writer<'_>) -> Result<(), FiguresError> {
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

/// The summary as a Markdown table.
pub fn summary_markdown(rows: &[SummaryRow]) -> String {
    let mut out = String::from(
        "| experiment | optimizer | t | mean f | median f | q25 | q75 | diverged |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3e} | {:.3e} | {:.3e} | {:.3e} | {} |",
            r.figure,
            r.optimizer,
            r.last.t,
            r.last.mean,
            r.last.median,
            r.last.q25,
            r.last.q75,
            r.last.diverged
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("figures-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `--format svg` adds `NAME.svg` beside an unchanged `NAME.png`.
    #[test]
    fn svg_format_writes_beside_the_same_png() {
        let (png_only, both, svg_only) = (temp_dir("png"), temp_dir("both"), temp_dir("svg"));
        let formats = |png, svg| Formats { png, svg };
        for (dir, formats) in [
            (&png_only, Formats::default()),
            (&both, formats(true, true)),
            (&svg_only, formats(false, true)),
        ] {
            figure1(&Writer { dir, formats }).unwrap();
        }
        let name = "fig1_proposition_4_1";
        let png = std::fs::read(png_only.join(format!("{name}.png"))).unwrap();
        assert_eq!(
            std::fs::read(both.join(format!("{name}.png"))).unwrap(),
            png
        );
        assert!(!png_only.join(format!("{name}.svg")).exists());
        assert!(!svg_only.join(format!("{name}.png")).exists());
        let svg = std::fs::read_to_string(both.join(format!("{name}.svg"))).unwrap();
        assert_eq!(
            std::fs::read_to_string(svg_only.join(format!("{name}.svg"))).unwrap(),
            svg
        );
        assert!(svg.starts_with("<?xml") && svg.ends_with("</svg>\n"));
        assert!(
            svg.contains(">Proposition 4.1: v_perp · <"),
            "title as text"
        );
        assert!(svg.contains(">v_par</text>"), "legend as text");
        for dir in [png_only, both, svg_only] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
