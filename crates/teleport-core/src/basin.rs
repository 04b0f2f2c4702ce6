//! Basin maps: one optimizer run from every cell of a grid of start
//! points, and `f` after `S` steps of each run (and the first step reaching
//! `f ≤ ε`, and for a function with listed minima which of them the run
//! ended at) — where in the plane an optimizer, or a teleport, helps.
//!
//! Classical rows run [`crate::optim::run`] from each start, exactly as
//! `eval` does. Learned rows step every start together
//! ([`BatchRunner`]: the LSTM as matrix–matrix products), in chunks of
//! [`CHUNK`] starts, which agrees with single runs to `f32` round-off.
//!
//! A row with gradient noise ([`basin_noisy`]) runs every start with noise
//! run 0 ([`crate::optim::noise`]): the same noise sequence at every start,
//! so the map shows what the start point changes, and the cell whose start
//! is the file's x₀ is the run the plot and `eval` show.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::eval::AnyOptimizer;
use crate::l2o::BatchRunner;
use crate::limits::BASIN_GRID_MAX;
use crate::objective::{KnownMinimum, Objective, Vec2};
use crate::optim::{GradNoise, NoiseStream, Stop, Trajectory, record};

/// Starts per batch of a learned row: large enough that each packed weight
/// serves many starts, small enough that the batch's activations stay in
/// the core's cache.
pub const CHUNK: usize = 96;

/// A grid of `n × n` start points over the rectangle `x × y`: the centres
/// of its cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BasinGrid {
    /// `(x_min, x_max)`.
    pub x: (f64, f64),
    /// `(y_min, y_max)`.
    pub y: (f64, f64),
    /// Cells per side.
    pub n: usize,
}

impl BasinGrid {
    /// The start point of cell `(i, j)`: column `i` from `x_min`, row `j`
    /// from `y_min`, at the cell's centre.
    pub fn start(&self, i: usize, j: usize) -> Vec2 {
        let n = self.n as f64;
        Vec2::new(
            self.x.0 + (i as f64 + 0.5) / n * (self.x.1 - self.x.0),
            self.y.0 + (j as f64 + 0.5) / n * (self.y.1 - self.y.0),
        )
    }

    /// Every start point in grid order: row by row from `y_min`, `x`
    /// varying fastest.
    pub fn starts(&self) -> Vec<Vec2> {
        (0..self.n)
            .flat_map(|j| (0..self.n).map(move |i| (i, j)))
            .map(|(i, j)| self.start(i, j))
            .collect()
    }

    /// Whether the bounds are finite and ordered and `n` is 1 to
    /// [`BASIN_GRID_MAX`].
    pub fn check(&self) -> Result<(), BasinError> {
        let ordered = |(a, b): (f64, f64)| a.is_finite() && b.is_finite() && a < b;
        if !(ordered(self.x) && ordered(self.y)) {
            return Err(BasinError::Bounds);
        }
        if !(1..=BASIN_GRID_MAX).contains(&self.n) {
            return Err(BasinError::Grid(self.n));
        }
        Ok(())
    }
}

/// Why a basin map cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BasinError {
    /// Bounds that are not finite with min < max.
    #[error("bounds must be finite with xmin < xmax and ymin < ymax")]
    Bounds,
    /// A grid side out of range.
    #[error("the grid must have 1 to {BASIN_GRID_MAX} cells per side, got {0}")]
    Grid(usize),
}

/// The outcome of the run from one start point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BasinCell {
    /// `f` after the steps; `+∞` when the run diverged, NaN when it failed
    /// (a teleport across a fold of a custom `h`, a singular Hessian).
    pub f: f64,
    /// The first step `t` (0 is the start) with `f(x_t) ≤ ε`.
    pub first: Option<usize>,
    /// The listed minimum the run ended at ([`landing`]), by its index in
    /// the objective's known minima; `None` where it ended at none of them,
    /// diverged or failed (and for an objective that lists none).
    pub minimum: Option<usize>,
}

impl BasinCell {
    /// The cell of a recorded run of `steps` steps.
    pub fn of(run: &Trajectory, steps: usize, eps: f64) -> Self {
        Self::of_with(run, steps, eps, &[])
    }

    /// [`Self::of`], also saying which of `minima` the run ended at.
    pub fn of_with(run: &Trajectory, steps: usize, eps: f64, minima: &[KnownMinimum]) -> Self {
        let last = match (&run.stop, run.records.get(steps)) {
            (None, Some(rec)) => Some(rec),
            _ => None,
        };
        let f = match (last, &run.stop) {
            (Some(rec), _) => rec.f,
            (None, Some(Stop::Failed { .. })) => f64::NAN,
            _ => f64::INFINITY,
        };
        Self {
            f,
            first: run.records.iter().find(|r| r.f <= eps).map(|r| r.t),
            minimum: last.and_then(|rec| landing(Vec2::from(rec.x), minima)),
        }
    }
}

/// How close a run's last iterate must come to a listed minimum `m` to
/// have ended there: `‖x − m‖ ≤ LANDING_RADIUS · (1 + ‖m‖)`, and nearer to
/// `m` than half the distance to any other listed minimum.
pub const LANDING_RADIUS: f64 = 1e-2;

/// The index of the listed minimum `x` lies at ([`LANDING_RADIUS`]), if any.
pub fn landing(x: Vec2, minima: &[KnownMinimum]) -> Option<usize> {
    if !x.iter().all(|v| v.is_finite()) {
        return None;
    }
    let distance = |k: usize| (x - minima[k].point()).norm();
    let nearest = (0..minima.len()).min_by(|&a, &b| distance(a).total_cmp(&distance(b)))?;
    let m = minima[nearest].point();
    let d = distance(nearest);
    let separation = minima
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != nearest)
        .map(|(_, o)| (o.point() - m).norm())
        .fold(f64::INFINITY, f64::min);
    (d <= LANDING_RADIUS * (1.0 + m.norm()) && d < 0.5 * separation).then_some(nearest)
}

/// A per-cell number of an optional CSV column.
type CellColumn = fn(&BasinCell) -> Option<usize>;

/// A computed basin map.
#[derive(Clone, Debug, PartialEq)]
pub struct BasinMap {
    /// The start points.
    pub grid: BasinGrid,
    /// Steps of every run.
    pub steps: usize,
    /// The threshold of [`BasinCell::first`].
    pub eps: f64,
    /// One per start, in [`BasinGrid::starts`] order.
    pub cells: Vec<BasinCell>,
    /// The objective's listed minima that [`BasinCell::minimum`] indexes
    /// (a gallery test function's; empty otherwise).
    pub minima: Vec<KnownMinimum>,
}

/// What a basin map's colours show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shade {
    /// `log10 f` after the steps.
    #[default]
    FinalF,
    /// The first step with `f ≤ ε` (how fast a start gets there).
    FirstStep,
    /// Which listed minimum each run ends at ([`BasinCell::minimum`]): one
    /// colour per minimum ([`minimum_color`]).
    Minimum,
}

impl BasinMap {
    /// The map as CSV: `x0,x1,f`, one row per start in grid order (`x0`
    /// varying fastest); a diverged run's `f` is `inf`, a failed one's `NaN`.
    pub fn csv(&self) -> String {
        self.csv_with(false)
    }

    /// [`Self::csv`] with a fourth column, `first_step`: the first step `t`
    /// with `f(x_t) ≤ ε` ([`Self::eps`]), empty where the run never got
    /// there.
    pub fn csv_with_first_step(&self) -> String {
        self.csv_with(true)
    }

    /// [`Self::csv`] with a fourth column, `minimum`: the index of the
    /// listed minimum the run ended at ([`BasinCell::minimum`], indexing
    /// [`Self::minima`]), empty where it ended at none of them.
    pub fn csv_with_minimum(&self) -> String {
        self.csv_by(Some(("minimum", |c| c.minimum)))
    }

    fn csv_with(&self, first_step: bool) -> String {
        let first: CellColumn = |c| c.first;
        self.csv_by(first_step.then_some(("first_step", first)))
    }

    /// `x0,x1,f` and the optional fourth column, empty where it is `None`.
    fn csv_by(&self, column: Option<(&str, CellColumn)>) -> String {
        let mut out = String::with_capacity(self.cells.len() * 52 + 32);
        out.push_str("x0,x1,f");
        if let Some((name, _)) = column {
            out.push(',');
            out.push_str(name);
        }
        out.push('\n');
        for (p, c) in self.grid.starts().iter().zip(&self.cells) {
            out.push_str(&format!("{},{},{}", p.x, p.y, c.f));
            if let Some((_, value)) = column {
                out.push(',');
                if let Some(v) = value(c) {
                    out.push_str(&v.to_string());
                }
            }
            out.push('\n');
        }
        out
    }

    /// `log10 f` of every cell (a zero `f` as 1e−300; `+∞` and NaN as
    /// they are), in grid order.
    pub fn log_f(&self) -> Vec<f64> {
        self.cells.iter().map(|c| log_f(c.f)).collect()
    }
}

/// Runs `opt` on `obj` from every start of `grid` for `steps` steps.
/// Returns `None` when `cancel` is set (checked between chunks of starts).
pub fn basin(
    opt: &AnyOptimizer,
    obj: &Objective,
    grid: &BasinGrid,
    steps: usize,
    eps: f64,
    cancel: &AtomicBool,
) -> Option<BasinMap> {
    basin_pooled(opt, obj, grid, steps, eps, cancel, 1)
}

/// [`basin`] on `threads` threads (at least one), which take the next
/// chunk of [`CHUNK`] starts as they become free: the same cells whatever
/// the thread count (each start's run depends on nothing else). Native
/// only in effect: with one thread nothing is spawned, which the web build
/// needs.
pub fn basin_pooled(
    opt: &AnyOptimizer,
    obj: &Objective,
    grid: &BasinGrid,
    steps: usize,
    eps: f64,
    cancel: &AtomicBool,
    threads: usize,
) -> Option<BasinMap> {
    basin_noisy(opt, None, obj, grid, steps, eps, cancel, threads)
}

/// [`basin_pooled`] for a row with gradient `noise`: every start draws
/// noise run 0 (see the module's documentation). Without noise, or with
/// σ = 0, the cells are [`basin_pooled`]'s bit for bit.
#[expect(
    clippy::too_many_arguments,
    reason = "basin_pooled's seven inputs and the row's noise; a struct would only rename them"
)]
pub fn basin_noisy(
    opt: &AnyOptimizer,
    noise: Option<&GradNoise>,
    obj: &Objective,
    grid: &BasinGrid,
    steps: usize,
    eps: f64,
    cancel: &AtomicBool,
    threads: usize,
) -> Option<BasinMap> {
    let starts = grid.starts();
    let minima = obj.as_formula().map_or(&[][..], |f| f.known_minima());
    let chunks: Vec<&[Vec2]> = starts.chunks(CHUNK).collect();
    let runner = match opt {
        AnyOptimizer::Learned { model, .. } => Some(BatchRunner::new(model)),
        AnyOptimizer::Classical { .. } => None,
    };
    let done = crate::eval::map_pooled(&chunks, threads, |chunk| {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        Some(match &runner {
            Some(runner) => learned_chunk(
                runner,
                obj,
                chunk,
                (steps, eps),
                minima,
                NoiseStream::of(noise, 0),
            ),
            None => chunk
                .iter()
                .map(|&x0| {
                    let run = opt.trajectory_with(obj, x0, steps, &[], NoiseStream::of(noise, 0));
                    BasinCell::of_with(&run, steps, eps, minima)
                })
                .collect(),
        })
    });
    let mut cells = Vec::with_capacity(starts.len());
    for chunk in done {
        cells.extend(chunk?);
    }
    Some(BasinMap {
        grid: *grid,
        steps,
        eps,
        cells,
        minima: minima.to_vec(),
    })
}

/// The cells of a learned optimizer's runs from `starts`, stepped as one
/// batch; each run stops as [`crate::l2o::MetaOptimizer::trajectory`]'s
/// does (a failed teleport, then the first non-finite iterate, `f` or
/// gradient). Every run reads the same draw of `noise` at a step, as each
/// single run of noise run 0 would.
fn learned_chunk(
    runner: &BatchRunner<'_>,
    obj: &Objective,
    starts: &[Vec2],
    (steps, eps): (usize, f64),
    minima: &[KnownMinimum],
    mut noise: NoiseStream,
) -> Vec<BasinCell> {
    let mut roll = runner.start(starts);
    let mut last = starts.to_vec();
    let mut cells: Vec<BasinCell> = Vec::with_capacity(starts.len());
    // The gradient each run reads next; zero once it has stopped.
    let mut z = Vec::with_capacity(starts.len());
    let mut alive = Vec::with_capacity(starts.len());
    for &x in starts {
        let (cell, grad) = match record(obj, 0, &x, None, None) {
            Some(r) => (
                BasinCell {
                    f: r.f,
                    first: (r.f <= eps).then_some(0),
                    minimum: None,
                },
                Vec2::from(r.grad),
            ),
            None => (
                BasinCell {
                    f: f64::INFINITY,
                    first: None,
                    minimum: None,
                },
                Vec2::zeros(),
            ),
        };
        alive.push(cell.f.is_finite());
        cells.push(cell);
        z.push(grad);
    }
    let mut outcomes = Vec::with_capacity(starts.len());
    let mut noisy: Vec<Vec2> = Vec::new();
    for t in 1..=steps {
        if !alive.contains(&true) {
            break;
        }
        let inputs = match noise.draw() {
            // Stopped runs keep reading zero.
            Some(d) => {
                noisy.clear();
                noisy.extend(
                    z.iter()
                        .zip(&alive)
                        .map(|(g, &a)| if a { g + d } else { *g }),
                );
                &noisy
            }
            None => &z,
        };
        runner.step(obj, &mut roll, inputs, &mut outcomes);
        for (i, o) in outcomes.iter().enumerate() {
            if !alive[i] {
                continue;
            }
            let stopped = if o.teleport_error.is_some() {
                Some(f64::NAN)
            } else {
                match record(obj, t, &o.x, None, None) {
                    Some(r) => {
                        cells[i].f = r.f;
                        if cells[i].first.is_none() && r.f <= eps {
                            cells[i].first = Some(t);
                        }
                        z[i] = Vec2::from(r.grad);
                        last[i] = o.x;
                        None
                    }
                    None => Some(f64::INFINITY),
                }
            };
            if let Some(f) = stopped {
                cells[i].f = f;
                alive[i] = false;
                z[i] = Vec2::zeros();
            }
        }
    }
    for (cell, (x, alive)) in cells.iter_mut().zip(last.iter().zip(&alive)) {
        if *alive {
            cell.minimum = landing(*x, minima);
        }
    }
    cells
}

/// The largest coordinate a fitted view reaches.
pub const VIEW_LIMIT: f64 = 1e12;

/// Fits a view around `x0`, the minimizer `m` and the sane part of `runs`
/// (points farther than four times the start's distance from the centre
/// are ignored, so a diverging run cannot zoom out to 1e100), with 15 %
/// margins: the app's default view of the level-set plot, and the view of
/// `teleport-lab basin` when a file saves none. Returns `(min, max)`.
pub fn fit_view<'a>(
    x0: Vec2,
    m: Vec2,
    runs: impl IntoIterator<Item = &'a Trajectory>,
    limit: f64,
) -> ([f64; 2], [f64; 2]) {
    let radius = 4.0 * ((x0 - m).norm() + 1.0);
    let centre = (x0 + m) / 2.0;
    let mut min = [x0.x.min(m.x), x0.y.min(m.y)];
    let mut max = [x0.x.max(m.x), x0.y.max(m.y)];
    for run in runs {
        for rec in &run.records {
            let p = Vec2::from(rec.x);
            if (p - centre).norm() <= radius {
                for k in 0..2 {
                    min[k] = min[k].min(p[k]);
                    max[k] = max[k].max(p[k]);
                }
            }
        }
    }
    let mut lo = [0.0; 2];
    let mut hi = [0.0; 2];
    for k in 0..2 {
        // Far-out tasks (offsets of 1e300) still get a view a plot can
        // represent: spans and centres stay well inside f64's range.
        let (a, b) = (min[k].clamp(-limit, limit), max[k].clamp(-limit, limit));
        // At least a millionth of the magnitude: at x₀ = −7e61 a span
        // of 1 vanishes in rounding and leaves an empty view.
        let span = (b - a).max(1.0).max(1e-6 * a.abs().max(b.abs()));
        lo[k] = a - 0.15 * span;
        hi[k] = b + 0.15 * span;
    }
    (lo, hi)
}

/// `log10 f` for a finite `f` (at least −300), `f` itself otherwise.
fn log_f(f: f64) -> f64 {
    if f.is_finite() {
        f.max(1e-300).log10()
    } else {
        f
    }
}

/// The colour of a diverged run on a basin map.
pub const DIVERGED: crate::plot::Color = crate::plot::Color::rgb(200, 40, 40);

/// The colour of a failed run on a basin map (a teleport across a fold of
/// a custom `h`, a singular Hessian).
pub const FAILED: crate::plot::Color = crate::plot::Color::rgb(255, 255, 255);

/// The colour of a start whose run never reached `f ≤ ε` (first-step maps),
/// or ended at none of the listed minima (which-minimum maps).
pub const NEVER: crate::plot::Color = crate::plot::Color::rgb(190, 190, 190);

/// The colour of the `k`-th listed minimum on a which-minimum map: the
/// plot palette's first seven colours (blue, orange, green, …), then hues
/// a golden angle apart, so that every minimum of Rastrigin's 25 differs
/// from its neighbours. None is grey, red or white, the colours of the
/// other outcomes.
pub fn minimum_color(k: usize) -> crate::plot::Color {
    use crate::plot::{Color, PALETTE};
    // The palette's red (index 3) is the diverged colour's neighbour.
    const FIRST: [usize; 6] = [0, 1, 2, 4, 5, 6];
    if let Some(&i) = FIRST.get(k) {
        return PALETTE[i];
    }
    let hue = ((k - FIRST.len()) as f64 * 137.507_764).rem_euclid(360.0);
    // An HSV colour at saturation 0.65, value 0.8.
    let (s, v) = (0.65, 0.8);
    let c = v * s;
    let x = c * (1.0 - ((hue / 60.0).rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match (hue / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    let byte = |u: f64| ((u + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    Color::rgb(byte(r), byte(g), byte(b))
}

/// The basin maps' ramp for `log10 f`, at `t` in `0..=1` (clamped; NaN
/// gives the low end): dark blue where a run ends lowest, through teal and
/// green, to pale yellow where it ends highest — saturated, unlike the
/// level-set plot's light background ramp, so a basin map reads at a glance
/// on top of it.
pub fn basin_ramp(t: f64) -> crate::plot::Color {
    let stops = [
        (0.0, [40.0, 30.0, 110.0]),
        (0.3, [40.0, 100.0, 150.0]),
        (0.6, [60.0, 170.0, 120.0]),
        (1.0, [245.0, 235.0, 150.0]),
    ];
    crate::plot::Color::ramp(&stops, t)
}

impl BasinMap {
    /// The range of `log10 f` the colours span: from the lowest finite
    /// value (but no more than 16 decades below the highest, so one run
    /// reaching 1e−300 does not wash the others out) to the highest.
    /// `None` when no run ended finite.
    pub fn log_range(&self) -> Option<(f64, f64)> {
        let logs = self.log_f();
        let finite = || logs.iter().copied().filter(|v| v.is_finite());
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        let lo = finite().fold(f64::INFINITY, f64::min).max(hi - 16.0);
        hi.is_finite().then_some((lo, hi))
    }

    /// [`Self::log_range`] in words for a caption: `log10 f from … (dark
    /// blue) to … (yellow)`, with `log10` written as given, or that no run
    /// ended finite.
    pub fn log_range_words(&self, log10: &str) -> String {
        match self.log_range() {
            Some((lo, hi)) => format!(
                "{log10} f from {} (dark blue) to {} (yellow)",
                crate::numfmt::short(lo),
                crate::numfmt::short(hi)
            ),
            None => "no run ended finite".to_owned(),
        }
    }

    /// What the colours of `shade` mean, for a caption or a title
    /// (`log10` written as given).
    pub fn shade_words(&self, shade: Shade, log10: &str) -> String {
        match shade {
            Shade::FinalF => format!(
                "f after {} steps, {}; red: diverged",
                self.steps,
                self.log_range_words(log10)
            ),
            Shade::FirstStep => format!(
                "first step with f ≤ {}, from 0 (dark blue) to {} (yellow); grey: not within \
                 {} steps, red: diverged first",
                crate::numfmt::short(self.eps),
                self.steps,
                self.steps
            ),
            Shade::Minimum => format!(
                "which of the {} listed minima the run ends at after {} steps, one colour each; \
                 grey: none, red: diverged",
                self.minima.len(),
                self.steps
            ),
        }
    }

    /// The map as `n × n` RGBA pixels shaded by `shade`, rows from the top
    /// (`y_max`) down.
    pub fn rgba_by(&self, shade: Shade) -> Vec<u8> {
        match shade {
            Shade::FinalF => self.rgba(),
            Shade::FirstStep => self.pixels(|c| match c.first {
                Some(t) => basin_ramp(t as f64 / self.steps.max(1) as f64),
                None if c.f == f64::INFINITY => DIVERGED,
                None if c.f.is_nan() => FAILED,
                None => NEVER,
            }),
            Shade::Minimum => self.pixels(|c| match c.minimum {
                Some(k) => minimum_color(k),
                None if c.f == f64::INFINITY => DIVERGED,
                None if c.f.is_nan() => FAILED,
                None => NEVER,
            }),
        }
    }

    /// `n × n` RGBA pixels, rows from the top down, each cell's colour by
    /// `color`.
    fn pixels(&self, color: impl Fn(&BasinCell) -> crate::plot::Color) -> Vec<u8> {
        let n = self.grid.n;
        let mut out = Vec::with_capacity(n * n * 4);
        for j in (0..n).rev() {
            for cell in &self.cells[j * n..(j + 1) * n] {
                let c = color(cell);
                out.extend([c.r, c.g, c.b, c.a]);
            }
        }
        out
    }

    /// The map as `n × n` RGBA pixels, rows from the top (`y_max`) down:
    /// [`basin_ramp`] over [`Self::log_range`], [`DIVERGED`] where a run
    /// diverged, white where it failed.
    pub fn rgba(&self) -> Vec<u8> {
        let (lo, hi) = self.log_range().unwrap_or((0.0, 1.0));
        let span = (hi - lo).max(1e-9);
        self.pixels(|c| {
            if c.f.is_finite() {
                basin_ramp((log_f(c.f) - lo) / span)
            } else if c.f == f64::INFINITY {
                DIVERGED
            } else {
                FAILED
            }
        })
    }

    /// The map as a figure of `size` pixels: the shaded grid over its
    /// bounds, the minimizer and x₀ marked, and a title that names the row
    /// and says what the colours mean.
    pub fn figure(
        &self,
        row: &str,
        size: [u32; 2],
        (minimizer, x0): (Option<Vec2>, Option<Vec2>),
        shade: Shade,
    ) -> crate::plot::Figure {
        use crate::plot::{Chart, Color, Figure, Image, Marker, Markers};
        let n = u32::try_from(self.grid.n).unwrap_or(u32::MAX);
        let title = format!("Basin map of {row}: {}", self.shade_words(shade, "log10"));
        let (x, y) = (self.grid.x, self.grid.y);
        let mut chart = Chart::new(title, "x₀ (first coordinate)", "x₀ (second coordinate)")
            .x_range(x.0, x.1)
            .y_range(y.0, y.1)
            .push(Image::new(x, y, [n, n], self.rgba_by(shade)));
        let inside = |p: &Vec2| p.x >= x.0 && p.x <= x.1 && p.y >= y.0 && p.y <= y.1;
        if shade == Shade::Minimum {
            // Each listed minimum in its colour, ringed in black; named in
            // the legend when there are few.
            let named = self.minima.len() <= 8;
            for (k, m) in self.minima.iter().enumerate() {
                let p = m.point();
                if !inside(&p) {
                    continue;
                }
                let name = if named {
                    format!("minimum {k}")
                } else {
                    String::new()
                };
                let ring = Markers::new("", vec![m.at]).color(Color::BLACK).size(13.0);
                let dot = Markers::new(name, vec![m.at])
                    .color(minimum_color(k))
                    .size(9.0);
                chart = chart.push(ring).push(dot);
            }
        } else if let Some(m) = minimizer.filter(inside) {
            let marker = Markers::new("minimum", vec![[m.x, m.y]]);
            chart = chart.push(
                marker
                    .color(Color::rgb(255, 255, 255))
                    .shape(Marker::Cross)
                    .size(12.0),
            );
        }
        if let Some(p) = x0.filter(inside) {
            let marker = Markers::new("x₀ of the file", vec![[p.x, p.y]]);
            chart = chart.push(marker.color(Color::BLACK).shape(Marker::Square).size(9.0));
        }
        Figure::new(size[0], size[1], vec![chart])
    }
}
