//! The basin map: every start point of the level-set plot's
//! visible view shaded by log f after N steps of the selected row, from the
//! current task. A worker thread refines it progressively ([`LEVELS`]),
//! sending each finished level; the frame never waits for it. Any change of
//! task, row, steps or view cancels the computation under way: a view
//! change keeps the last map drawn until the new view's first level is
//! ready (it is still right where it lies), any other change drops it.

use teleport_core::basin::{BasinGrid, BasinMap, Shade, basin};
use teleport_core::eval::AnyOptimizer;
use teleport_core::objective::Objective;

use super::TeleportApp;
use super::job::{Sink, Step, Worker};
use super::runs::RowInputs;
use super::state::RowId;

/// The grid sides computed in turn, coarse to fine.
pub const LEVELS: [usize; 3] = [32, 64, 128];

/// What the map depends on besides the view.
#[derive(Clone, Debug, PartialEq)]
struct Source {
    row: RowId,
    inputs: RowInputs,
    steps: usize,
    shade: Shade,
    /// ε of a first-step map (0 otherwise: nothing to find).
    eps: f64,
}

/// What one computation covers.
#[derive(Clone, Debug, PartialEq)]
struct BasinKey {
    source: Source,
    view: ([f64; 2], [f64; 2]),
}

/// The basin map, its worker and the last finished level.
pub struct BasinRuntime {
    key: Option<BasinKey>,
    worker: Worker<BasinMap>,
    /// The last finished level, and what it was computed for.
    shown: Option<(Source, BasinMap)>,
    texture: Option<egui::TextureHandle>,
}

impl Default for BasinRuntime {
    fn default() -> Self {
        Self {
            key: None,
            worker: Worker::new("basin-map"),
            shown: None,
            texture: None,
        }
    }
}

impl BasinRuntime {
    /// Whether a computation is under way.
    pub fn computing(&self) -> bool {
        self.worker.busy()
    }

    /// The map drawn now, if any.
    pub fn shown(&self) -> Option<&BasinMap> {
        self.shown.as_ref().map(|(_, map)| map)
    }

    /// Computations started (for tests: a change starts a new one).
    pub fn started(&self) -> u64 {
        self.worker.started()
    }

    /// Forgets everything (the map is off).
    fn clear(&mut self) {
        self.worker.cancel();
        self.key = None;
        self.shown = None;
        self.texture = None;
    }
}

/// The computation as a step function: one level of [`LEVELS`] per step,
/// coarse to fine. On the web a level that took over 30 ms is the last, so
/// that a learned row (slow there) stops at the coarse map: a step is not
/// sliced further.
fn levels(
    opt: AnyOptimizer,
    obj: Objective,
    (min, max): ([f64; 2], [f64; 2]),
    (steps, eps): (usize, f64),
) -> impl FnMut(&Sink<BasinMap>) -> Step + Send + 'static {
    let mut next = 0;
    move |sink| {
        let Some(&n) = LEVELS.get(next) else {
            return Step::Done;
        };
        next += 1;
        let grid = BasinGrid {
            x: (min[0], max[0]),
            y: (min[1], max[1]),
            n,
        };
        let started = web_time::Instant::now();
        let Some(map) = basin(&opt, &obj, &grid, steps, eps, sink.cancel_flag()) else {
            return Step::Done;
        };
        let slow = cfg!(target_arch = "wasm32")
            && started.elapsed() > std::time::Duration::from_millis(30);
        if !sink.send(map) || slow || next == LEVELS.len() {
            Step::Done
        } else {
            Step::More
        }
    }
}

impl TeleportApp {
    /// The basin map's source: the selected row with what its runs depend
    /// on, less the start point and the timeline's steps (a basin map
    /// starts everywhere and runs its own steps).
    fn basin_source(&self) -> Option<Source> {
        let row = self.state.selected;
        self.run(row)?;
        Some(Source {
            row,
            inputs: self.rt.run_keys.get(&row)?.for_basin(),
            steps: self.state.basin.steps,
            shade: self.state.basin.shade,
            eps: match self.state.basin.shade {
                Shade::FinalF => 0.0,
                Shade::FirstStep => self.state.basin.eps,
            },
        })
    }

    /// Starts, polls or cancels the basin map's computation; once per
    /// frame.
    pub(super) fn update_basin(&mut self, ctx: &egui::Context) {
        if !self.state.basin.shown {
            self.rt.basin.clear();
            return;
        }
        let source = self.basin_source();
        let view = self.rt.level_set.view;
        let (Some(source), Some(view)) = (source, view) else {
            self.rt.basin.clear();
            return;
        };
        let key = BasinKey {
            source: source.clone(),
            view,
        };
        if self.rt.basin.key.as_ref() != Some(&key) {
            self.rt.basin.worker.cancel();
            // A new view of the same map keeps the old picture until the
            // first level arrives; anything else makes it wrong.
            if self.rt.basin.shown.as_ref().map(|(s, _)| s) != Some(&source) {
                self.rt.basin.shown = None;
                self.rt.basin.texture = None;
            }
            self.rt.basin.key = Some(key);
            if let Some(opt) = self.optimizer_of(source.row) {
                let work = levels(
                    opt,
                    self.rt.objective.clone(),
                    view,
                    (source.steps, source.eps),
                );
                if let Err(e) = self.rt.basin.worker.start(ctx, work) {
                    self.notify(ctx, format!("Cannot compute the basin map: {e}"), true);
                }
            }
        }
        let rt = &mut self.rt.basin;
        if let Some(map) = rt.worker.poll_latest() {
            let image = egui::ColorImage::from_rgba_unmultiplied(
                [map.grid.n, map.grid.n],
                &map.rgba_by(source.shade),
            );
            rt.texture = Some(ctx.load_texture("basin-map", image, egui::TextureOptions::NEAREST));
            rt.shown = Some((source, map));
        }
        if rt.worker.busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    /// Draws the basin map under the contours of the level-set plot.
    pub(super) fn basin_plot_ui(&self, plot_ui: &mut egui_plot::PlotUi<'_>) {
        let rt = &self.rt.basin;
        let (Some(tex), Some((_, map))) = (&rt.texture, &rt.shown) else {
            return;
        };
        let (x, y) = (map.grid.x, map.grid.y);
        let center = egui_plot::PlotPoint::new((x.0 + x.1) / 2.0, (y.0 + y.1) / 2.0);
        let size = egui::vec2((x.1 - x.0) as f32, (y.1 - y.0) as f32);
        plot_ui.image(
            egui_plot::PlotImage::new("", tex.id(), center, size)
                .tint(egui::Color32::from_white_alpha(235))
                .allow_hover(false),
        );
    }

    /// One line that says what the basin map shows and how far it is.
    pub(super) fn basin_caption(&self) -> Option<String> {
        if !self.state.basin.shown {
            return None;
        }
        let rt = &self.rt.basin;
        let row = self
            .state
            .row_label(self.state.selected)
            .unwrap_or_default();
        if self.run(self.state.selected).is_none() {
            return Some(format!(
                "Basin map: the selected row {row} has no run (off, or no weights yet)."
            ));
        }
        let Some((source, map)) = &rt.shown else {
            return Some(format!("Basin map of {row}: computing…"));
        };
        let words = map.shade_words(source.shade, "log₁₀");
        let progress = if rt.computing() { ", refining…" } else { "" };
        Some(format!(
            "Basin map of {row} from each start: {words}; {}² starts{progress}",
            map.grid.n
        ))
    }
}
