//! The level sets of the network's loss: `f` on a plane through parameter
//! space, `θ(α, β) = θ_c + α·d₁ + β·d₂` with `θ_c` the selected row's
//! parameters at the playback's step, drawn with the plane tasks'
//! contours and colour map, every visible row's run projected onto the
//! plane (least squares on `d₁, d₂`) and each teleport drawn as a jump.
//!
//! The directions ([`SliceDirections`]):
//! - `−∇f` and the teleport direction: the orbit's tangent at `θ_c` toward
//!   the steepest increase of ‖∇f‖² over the log-scales (the oracle's and
//!   the learned teleport's first move). `f` is constant on the orbit, so
//!   `∇f` is orthogonal to its tangent: along `β` the plane follows the
//!   level set to first order, and a teleport's jump runs along it.
//! - The two principal components of the selected row's trajectory (of
//!   at most [`PCA_RECORDS`] records, evenly spaced): the plane the run
//!   moves in most.
//! - Two random Gaussian directions, each rescaled filter by filter (a
//!   unit's incoming weights and bias) to the norms of `θ_c`'s (Li et al.
//!   2018, *Visualizing the Loss Landscape of Neural Nets*), so that the
//!   picture does not depend on the rescaling symmetry itself.
//!
//! The grid is computed on a `loss-slice` worker, coarse to fine
//! ([`LEVELS`]), each level's rows on every core; a new centre or new
//! directions cancel it. The window shows the newest level finished, with
//! the plane and the projections it was computed for.

use std::sync::Arc;

use egui::Color32;
use egui_plot::{Line, LineStyle, MarkerShape, Plot, PlotImage, PlotPoint, Points};
use rand::RngExt as _;

use teleport_core::contour::{Grid, auto_levels, contours, polylines};
use teleport_core::net::NetTask;
use teleport_core::net::learned::steepest_direction;
use teleport_core::net::rescale::tangent;
use teleport_core::numfmt::short;

use super::runs::NetRunResult;
use super::state::SliceDirections;
use crate::app::TeleportApp;
use crate::app::job::{Sink, Step, Worker};
use crate::app::state::RowId;

/// Samples per side of each level of the grid, coarse to fine.
pub const LEVELS: [usize; 3] = [16, 32, 64];
/// The most records of a trajectory its principal components are taken of.
pub const PCA_RECORDS: usize = 200;

/// A plane through parameter space.
#[derive(Clone, Debug, PartialEq)]
pub struct SlicePlane {
    /// `θ_c`: the plane's origin.
    pub center: Vec<f64>,
    /// The first direction (the horizontal axis).
    pub d1: Vec<f64>,
    /// The second direction (the vertical axis).
    pub d2: Vec<f64>,
    /// The half-widths along `α` and `β` the grid spans.
    pub span: [f64; 2],
    /// What each direction is, for the axes.
    pub labels: [&'static str; 2],
    /// Why the directions are not the ones asked for, if they are not.
    pub note: Option<String>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalized(mut v: Vec<f64>) -> Option<Vec<f64>> {
    let n = dot(&v, &v).sqrt();
    (n > 0.0 && n.is_finite()).then(|| {
        v.iter_mut().for_each(|x| *x /= n);
        v
    })
}

impl SlicePlane {
    /// The point `θ_c + α·d₁ + β·d₂`, into `out`.
    pub fn point(&self, alpha: f64, beta: f64, out: &mut [f64]) {
        for (((o, c), a), b) in out.iter_mut().zip(&self.center).zip(&self.d1).zip(&self.d2) {
            *o = c + alpha * a + beta * b;
        }
    }

    /// The coordinates `(α, β)` of the point of the plane nearest to
    /// `params` (least squares on `d₁, d₂`, which need not be orthogonal).
    pub fn project(&self, params: &[f64]) -> Option<[f64; 2]> {
        let (mut r1, mut r2) = (0.0, 0.0);
        for (((p, c), a), b) in params.iter().zip(&self.center).zip(&self.d1).zip(&self.d2) {
            let v = p - c;
            r1 += a * v;
            r2 += b * v;
        }
        let (g11, g12, g22) = (
            dot(&self.d1, &self.d1),
            dot(&self.d1, &self.d2),
            dot(&self.d2, &self.d2),
        );
        let det = g11 * g22 - g12 * g12;
        let coords = [(g22 * r1 - g12 * r2) / det, (g11 * r2 - g12 * r1) / det];
        (det.abs() > 1e-300 && coords.iter().all(|v| v.is_finite())).then_some(coords)
    }
}

/// `−∇f/‖∇f‖` and the unit tangent of the orbit toward larger ‖∇f‖² at
/// `center` (made orthogonal to the first against rounding).
fn gradient_and_teleport(task: &NetTask, center: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut ws = task.workspace();
    let mut grad = vec![0.0; center.len()];
    task.fit_grad(center, &mut ws, &mut grad);
    let d1 = normalized(grad.iter().map(|g| -g).collect())?;
    let ds = steepest_direction(&task.mlp, &grad);
    let mut t = vec![0.0; center.len()];
    tangent(&task.mlp, center, &ds, &mut t);
    let along = dot(&t, &d1);
    t.iter_mut().zip(&d1).for_each(|(x, a)| *x -= along * a);
    Some((d1, normalized(t)?))
}

/// The top two principal components of `records` (parameter vectors), by
/// power iteration on their Gram matrix.
pub fn principal_components(records: &[&[f64]]) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = records.len();
    let p = records.first()?.len();
    if n < 3 {
        return None;
    }
    let mut mean = vec![0.0; p];
    for r in records {
        mean.iter_mut()
            .zip(*r)
            .for_each(|(m, x)| *m += x / n as f64);
    }
    let centered: Vec<Vec<f64>> = records
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(x, m)| x - m).collect())
        .collect();
    let mut gram = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v = dot(&centered[i], &centered[j]);
            gram[i * n + j] = v;
            gram[j * n + i] = v;
        }
    }
    let mut components = Vec::new();
    for k in 0..2 {
        // A fixed, uneven start: never orthogonal to a component by chance.
        let mut u: Vec<f64> = (0..n)
            .map(|i| 1.0 + (i * (k + 2)) as f64 / n as f64)
            .collect();
        let mut lambda = 0.0;
        for _ in 0..300 {
            let mut next: Vec<f64> = (0..n).map(|i| dot(&gram[i * n..i * n + n], &u)).collect();
            for c in &components {
                let (cu, _): &(Vec<f64>, f64) = c;
                let along = dot(&next, cu);
                next.iter_mut().zip(cu).for_each(|(x, c)| *x -= along * c);
            }
            let norm = dot(&next, &next).sqrt();
            if !(norm > 0.0 && norm.is_finite()) {
                return None;
            }
            next.iter_mut().for_each(|x| *x /= norm);
            let change: f64 = next.iter().zip(&u).map(|(a, b)| (a - b).abs()).sum();
            u = next;
            lambda = norm;
            if change < 1e-12 {
                break;
            }
        }
        components.push((u, lambda));
    }
    let direction = |u: &[f64]| {
        let mut d = vec![0.0; p];
        for (c, w) in centered.iter().zip(u) {
            d.iter_mut().zip(c).for_each(|(d, x)| *d += w * x);
        }
        normalized(d)
    };
    Some((direction(&components[0].0)?, direction(&components[1].0)?))
}

/// Two random directions from `seed`, each rescaled filter by filter (a
/// unit's incoming weights and bias, and the logit's) to the norms of
/// `center`'s.
pub fn random_filter_normalized(task: &NetTask, center: &[f64], seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = teleport_core::rng(seed);
    let mut draw = || -> Vec<f64> {
        // Standard normal draws by Box–Muller, from the seeded generator.
        let mut d: Vec<f64> = (0..center.len())
            .map(|_| {
                let u: f64 = 1.0 - rng.random::<f64>();
                let v: f64 = rng.random::<f64>();
                (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
            })
            .collect();
        for layer in task.mlp.layers() {
            for j in 0..layer.outputs {
                let row = layer.weights + j * layer.inputs..layer.weights + (j + 1) * layer.inputs;
                let filter: Vec<usize> = row.chain([layer.bias + j]).collect();
                let (dn, cn) = filter.iter().fold((0.0, 0.0), |(dn, cn), &k| {
                    (dn + d[k] * d[k], cn + center[k] * center[k])
                });
                let scale = if dn > 0.0 { (cn / dn).sqrt() } else { 0.0 };
                filter.iter().for_each(|&k| d[k] *= scale);
            }
        }
        d
    };
    let d1 = draw();
    let d2 = draw();
    (d1, d2)
}

/// The plane of `mode` through `center`; `records` are the selected run's
/// parameters (for the principal components). Directions that do not
/// exist there (a zero gradient, a run too short) fall back to random
/// ones, and the plane says so.
pub fn plane(
    task: &NetTask,
    center: &[f64],
    mode: SliceDirections,
    records: &[&[f64]],
) -> SlicePlane {
    let fallback = |why: &str| {
        let (d1, d2) = random_filter_normalized(task, center, 0);
        SlicePlane {
            center: center.to_vec(),
            d1,
            d2,
            span: [1.0, 1.0],
            labels: ["random direction 1", "random direction 2"],
            note: Some(format!(
                "{why}: two random filter-normalised directions instead"
            )),
        }
    };
    let made = match mode {
        SliceDirections::GradientAndTeleport => gradient_and_teleport(task, center)
            .map(|(d1, d2)| (d1, d2, ["−∇f (unit)", "teleport direction (unit)"]))
            .ok_or("∇f or the teleport direction is zero here"),
        SliceDirections::Principal => {
            let stride = records.len().div_ceil(PCA_RECORDS).max(1);
            let picked: Vec<&[f64]> = records.iter().step_by(stride).copied().collect();
            principal_components(&picked)
                .map(|(d1, d2)| (d1, d2, ["principal component 1", "principal component 2"]))
                .ok_or("the run is too short or does not move in two directions")
        }
        SliceDirections::Random { seed } => {
            let (d1, d2) = random_filter_normalized(task, center, seed);
            return SlicePlane {
                center: center.to_vec(),
                d1,
                d2,
                span: [1.0, 1.0],
                labels: ["random direction 1", "random direction 2"],
                note: None,
            };
        }
    };
    match made {
        Ok((d1, d2, labels)) => SlicePlane {
            center: center.to_vec(),
            d1,
            d2,
            span: [1.0, 1.0],
            labels,
            note: None,
        },
        Err(why) => fallback(why),
    }
}

/// `f` on an `n × n` grid over the plane's span, rows on `threads`
/// threads; `None` once `cancelled` says stop.
pub fn slice_grid(
    task: &NetTask,
    plane: &SlicePlane,
    n: usize,
    threads: usize,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Grid> {
    let n = n.max(2);
    let [sa, sb] = plane.span;
    let rows: Vec<usize> = (0..n).collect();
    let computed = teleport_core::eval::map_pooled(&rows, threads, |&j| {
        if cancelled() {
            return None;
        }
        let beta = -sb + 2.0 * sb * j as f64 / (n - 1) as f64;
        let mut ws = task.workspace();
        let mut params = vec![0.0; plane.center.len()];
        Some(
            (0..n)
                .map(|i| {
                    let alpha = -sa + 2.0 * sa * i as f64 / (n - 1) as f64;
                    plane.point(alpha, beta, &mut params);
                    task.fit(&params, &mut ws).f
                })
                .collect::<Vec<f64>>(),
        )
    });
    let mut values = Vec::with_capacity(n * n);
    for row in computed {
        values.extend(row?);
    }
    Some(Grid {
        min: [-sa, -sb],
        max: [sa, sb],
        nx: n,
        ny: n,
        values,
    })
}

/// One row's run on the plane.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectedRun {
    /// The row.
    pub row: RowId,
    /// Every record's `(α, β)`, in step order (the hand's branch when the
    /// row has one).
    pub points: Vec<[f64; 2]>,
    /// Each teleport: its step, and where it jumped from and to.
    pub jumps: Vec<(usize, [f64; 2], [f64; 2])>,
}

/// Projects each run onto the plane.
fn project_runs(plane: &SlicePlane, runs: &[(RowId, Arc<NetRunResult>)]) -> Vec<ProjectedRun> {
    runs.iter()
        .map(|(row, result)| {
            let run = result.shown();
            let points: Vec<[f64; 2]> = run
                .trajectory
                .records
                .iter()
                .map(|r| plane.project(&r.params).unwrap_or([f64::NAN; 2]))
                .collect();
            let jumps = run
                .jumps
                .iter()
                .filter_map(|j| {
                    let from = plane.project(&j.before)?;
                    let to = *points.get(j.t)?;
                    Some((j.t, from, to))
                })
                .collect();
            ProjectedRun {
                row: *row,
                points,
                jumps,
            }
        })
        .collect()
}

/// A finished level of the slice, with what it was computed for.
#[derive(Clone, Debug)]
pub struct SliceLevel {
    /// The job it belongs to.
    pub job: u64,
    /// The plane.
    pub plane: Arc<SlicePlane>,
    /// `f` over the plane.
    pub grid: Grid,
    /// The runs on the plane.
    pub runs: Arc<Vec<ProjectedRun>>,
    /// Seconds the worker took for this level's grid.
    pub secs: f64,
}

/// What a slice is computed for.
#[derive(Clone, Debug, PartialEq)]
struct SliceKey {
    task: super::state::NetTaskSettings,
    center: Vec<f64>,
    mode: SliceDirections,
    zoom: f64,
    selected: RowId,
    runs_version: u64,
}

/// The slice's worker and what it last finished.
pub struct SliceRuntime {
    worker: Worker<SliceLevel>,
    key: Option<SliceKey>,
    jobs: u64,
    /// The newest level finished, of the newest job that finished one.
    pub shown: Option<SliceLevel>,
    /// Its contours (16 log-spaced levels) as polylines.
    pub lines: Vec<Vec<[f64; 2]>>,
    texture: Option<egui::TextureHandle>,
    /// Seconds the last finished level took on the worker.
    pub last_secs: f64,
}

impl Default for SliceRuntime {
    fn default() -> Self {
        Self {
            worker: Worker::new("loss-slice"),
            key: None,
            jobs: 0,
            shown: None,
            lines: Vec::new(),
            texture: None,
            last_secs: 0.0,
        }
    }
}

impl SliceRuntime {
    /// Whether a level is being computed.
    pub fn computing(&self) -> bool {
        self.worker.busy()
    }
}

/// The grid's values as the plane tasks' colour map, rows from the top.
fn colormap(grid: &Grid) -> egui::ColorImage {
    let colors = teleport_core::plot::shade(&grid.values, true, true);
    let mut pixels = Vec::with_capacity(grid.nx * grid.ny);
    for j in (0..grid.ny).rev() {
        for i in 0..grid.nx {
            let c = colors
                .get(j * grid.nx + i)
                .copied()
                .unwrap_or(teleport_core::plot::Color::rgb(255, 255, 255));
            pixels.push(Color32::from_rgba_unmultiplied(c.r, c.g, c.b, c.a));
        }
    }
    egui::ColorImage::new([grid.nx, grid.ny], pixels)
}

/// The half-widths that hold the selected run's projection (and a little
/// around the centre), times `zoom`.
fn auto_span(plane: &SlicePlane, selected: Option<&ProjectedRun>, zoom: f64) -> [f64; 2] {
    let scale = dot(&plane.center, &plane.center).sqrt().max(1.0);
    let mut span = [0.05 * scale, 0.05 * scale];
    if let Some(run) = selected {
        for p in run.points.iter().chain(run.jumps.iter().map(|j| &j.1)) {
            for k in 0..2 {
                if p[k].is_finite() {
                    span[k] = span[k].max(1.1 * p[k].abs());
                }
            }
        }
    }
    span.map(|s| (s * zoom).min(1e6))
}

impl TeleportApp {
    /// The loss slice: its newest finished level.
    pub fn network_slice(&self) -> &SliceRuntime {
        &self.rt.network.slice
    }

    /// Starts the slice again when its centre, directions or runs changed;
    /// takes finished levels. Only while the slice is on screen.
    pub(super) fn update_net_slice(&mut self, ctx: &egui::Context) {
        let slice = &mut self.rt.network.slice;
        for level in slice.worker.poll() {
            if slice.shown.as_ref().is_none_or(|s| s.job <= level.job) {
                let levels = auto_levels(&level.grid, 16);
                slice.lines = contours(&level.grid, &levels)
                    .into_iter()
                    .flat_map(|c| polylines(&c.segments))
                    .collect();
                slice.texture = Some(ctx.load_texture(
                    "net-slice",
                    colormap(&level.grid),
                    egui::TextureOptions::LINEAR,
                ));
                slice.last_secs = level.secs;
                slice.shown = Some(level);
            }
        }
        if self.state.network.view.main == super::state::MainView::Data {
            return;
        }
        let (Some(task), Some(center)) = (self.network_task().cloned(), self.network_params())
        else {
            return;
        };
        let net = &self.state.network;
        let key = SliceKey {
            task: net.task.clone(),
            center: center.clone(),
            mode: net.view.slice,
            zoom: net.view.slice_zoom,
            selected: net.selected,
            runs_version: self.rt.network.runs.version,
        };
        if self.rt.network.slice.key.as_ref() == Some(&key) {
            return;
        }
        let runs: Vec<(RowId, Arc<NetRunResult>)> = net
            .rows
            .iter()
            .filter_map(|r| Some((r.id, Arc::clone(self.rt.network.runs.runs.get(&r.id)?))))
            .collect();
        let selected = net.selected;
        let mode = key.mode;
        let zoom = key.zoom;
        let slice = &mut self.rt.network.slice;
        slice.key = Some(key);
        slice.jobs += 1;
        let job = slice.jobs;
        let mut state: Option<(Arc<SlicePlane>, Arc<Vec<ProjectedRun>>)> = None;
        let mut level = 0;
        let threads = teleport_core::plot::all_cores();
        let started = slice.worker.start(ctx, move |sink: &Sink<SliceLevel>| {
            let (plane, projected) = match &state {
                Some(s) => s.clone(),
                None => {
                    let records: Vec<&[f64]> = runs
                        .iter()
                        .find(|(id, _)| *id == selected)
                        .map(|(_, r)| {
                            r.shown()
                                .trajectory
                                .records
                                .iter()
                                .map(|rec| rec.params.as_slice())
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut p = plane(&task, &center, mode, &records);
                    let projected = project_runs(&p, &runs);
                    if !matches!(mode, SliceDirections::Random { .. }) && p.note.is_none() {
                        p.span = auto_span(&p, projected.iter().find(|r| r.row == selected), zoom);
                    } else {
                        p.span = [zoom, zoom];
                    }
                    let made = (Arc::new(p), Arc::new(projected));
                    state = Some(made.clone());
                    made
                }
            };
            let Some(&n) = LEVELS.get(level) else {
                return Step::Done;
            };
            level += 1;
            let start = web_time::Instant::now();
            let cancelled = || sink.cancelled();
            let Some(grid) = slice_grid(&task, &plane, n, threads, &cancelled) else {
                return Step::Done;
            };
            sink.send(SliceLevel {
                job,
                plane,
                grid,
                runs: projected,
                secs: start.elapsed().as_secs_f64(),
            });
            if level < LEVELS.len() {
                Step::More
            } else {
                Step::Done
            }
        });
        if started.is_err() {
            self.rt.network.slice.key = None;
        }
    }

    /// The loss slice's view.
    pub(in crate::app) fn network_slice_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.state.playback.t;
        let slice = &self.rt.network.slice;
        let Some(level) = slice.shown.clone() else {
            ui.label("Computing the slice of the loss…");
            return;
        };
        let plane = &level.plane;
        let status = format!(
            "f on the plane through the parameters: α along {}, β along {} ({}², {})",
            plane.labels[0],
            plane.labels[1],
            level.grid.nx,
            if slice.computing() {
                "refining…"
            } else {
                "done"
            }
        );
        ui.label(egui::RichText::new(status).small());
        if let Some(note) = &plane.note {
            ui.label(
                egui::RichText::new(note)
                    .small()
                    .color(ui.visuals().warn_fg_color),
            );
        }
        let colors: std::collections::HashMap<RowId, (Color32, String)> = self
            .state
            .network
            .rows
            .iter()
            .zip(self.state.network.row_labels())
            .map(|(r, l)| (r.id, (crate::app::color(r.color.unwrap_or(0)), l)))
            .collect();
        let (min, max) = (level.grid.min, level.grid.max);
        let texture = slice.texture.clone();
        let lines = slice.lines.clone();
        let x_label = plane.labels[0];
        let y_label = plane.labels[1];
        Plot::new("net-slice")
            .x_axis_label(format!("α: {x_label}"))
            .y_axis_label(format!("β: {y_label}"))
            .include_x(min[0])
            .include_x(max[0])
            .include_y(min[1])
            .include_y(max[1])
            .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightTop))
            .width(ui.available_width().max(60.0))
            .label_formatter(|hover| {
                let p = match hover {
                    egui_plot::HoverPosition::NearDataPoint { position, .. }
                    | egui_plot::HoverPosition::Elsewhere { position } => *position,
                };
                Some(format!("α = {}, β = {}", short(p.x), short(p.y)))
            })
            .height(ui.available_height().max(60.0))
            .show(ui, |plot_ui| {
                // The grid's span is the view: runs that leave it (a
                // teleport far along the orbit) are cut at its edge.
                plot_ui.set_plot_bounds(egui_plot::PlotBounds::from_min_max(min, max));
                if let Some(tex) = &texture {
                    let center = PlotPoint::new((min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0);
                    let size = egui::vec2((max[0] - min[0]) as f32, (max[1] - min[1]) as f32);
                    plot_ui.image(PlotImage::new("", tex.id(), center, size).allow_hover(false));
                }
                for (k, line) in lines.iter().enumerate() {
                    plot_ui.line(
                        Line::new("", line.clone())
                            .id(("slice-contour", k))
                            .allow_band(false)
                            .color(Color32::from_rgba_unmultiplied(90, 100, 130, 110))
                            .width(1.0)
                            .allow_hover(false),
                    );
                }
                for run in level.runs.iter() {
                    let Some((color, name)) = colors.get(&run.row) else {
                        continue;
                    };
                    let finite = |p: &&[f64; 2]| p.iter().all(|v| v.is_finite());
                    let whole: Vec<[f64; 2]> = run.points.iter().filter(finite).copied().collect();
                    let shown: Vec<[f64; 2]> = run
                        .points
                        .iter()
                        .take(t + 1)
                        .filter(finite)
                        .copied()
                        .collect();
                    plot_ui.line(
                        Line::new("", whole)
                            .id(("slice-run-whole", run.row))
                            .allow_band(false)
                            .color(color.gamma_multiply(0.3))
                            .allow_hover(false),
                    );
                    plot_ui.line(
                        Line::new(name.clone(), shown)
                            .id(("slice-run", run.row))
                            .allow_band(false)
                            .color(*color)
                            .width(2.0),
                    );
                    for (k, (step, from, to)) in run.jumps.iter().enumerate() {
                        let c = if *step <= t {
                            *color
                        } else {
                            color.gamma_multiply(0.3)
                        };
                        plot_ui.line(
                            Line::new("", vec![*from, *to])
                                .id(("slice-jump", run.row, k))
                                .allow_band(false)
                                .color(c)
                                .width(1.5)
                                .style(LineStyle::dotted_dense())
                                .allow_hover(false),
                        );
                        plot_ui.points(
                            Points::new("", vec![*to])
                                .id(("slice-jump-to", run.row, k))
                                .shape(MarkerShape::Diamond)
                                .radius(4.0)
                                .color(c),
                        );
                    }
                    if let Some(p) = run.points.get(t).or(run.points.last()).filter(finite) {
                        plot_ui.points(
                            Points::new("", vec![*p])
                                .id(("slice-now", run.row))
                                .radius(4.0)
                                .color(*color),
                        );
                    }
                }
                plot_ui.points(
                    Points::new("θ_c (the plane's centre)", vec![[0.0, 0.0]])
                        .shape(MarkerShape::Circle)
                        .radius(5.0)
                        .color(Color32::BLACK),
                );
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projection_recovers_the_coordinates_of_a_point_of_the_plane() {
        let plane = SlicePlane {
            center: vec![1.0, 2.0, 3.0],
            d1: vec![1.0, 1.0, 0.0],
            d2: vec![0.0, 1.0, 2.0],
            span: [1.0, 1.0],
            labels: ["a", "b"],
            note: None,
        };
        let mut p = vec![0.0; 3];
        plane.point(0.3, -1.7, &mut p);
        let [a, b] = plane.project(&p).unwrap();
        assert!(
            (a - 0.3).abs() < 1e-12 && (b + 1.7).abs() < 1e-12,
            "{a} {b}"
        );
    }

    #[test]
    fn principal_components_of_points_on_a_line_and_a_bump_span_them() {
        // Points x = s·e₁ + s²/10·e₂ (s from −5 to 5) in ℝ⁴: the first
        // component is e₁, the second e₂, independently of the Gram trick.
        let records: Vec<Vec<f64>> = (-5..=5)
            .map(|s| {
                let s = f64::from(s);
                vec![s, s * s / 10.0, 0.0, 0.0]
            })
            .collect();
        let refs: Vec<&[f64]> = records.iter().map(Vec::as_slice).collect();
        let (d1, d2) = principal_components(&refs).unwrap();
        assert!((d1[0].abs() - 1.0).abs() < 1e-9, "{d1:?}");
        assert!((d2[1].abs() - 1.0).abs() < 1e-9, "{d2:?}");
    }
}
