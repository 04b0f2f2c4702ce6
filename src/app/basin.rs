//! The basin map (issue 9 §4): every start point of the level-set plot's
//! visible view shaded by log f after N steps of the selected row, from the
//! current task. A worker thread refines it progressively ([`LEVELS`]),
//! sending each finished level; the frame never waits for it. Any change of
//! task, row, steps or view cancels the computation under way: a view
//! change keeps the last map drawn until the new view's first level is
//! ready (it is still right where it lies), any other change drops it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;
use web_time::Instant;

use teleport_core::basin::{BasinGrid, BasinMap, basin};
use teleport_core::eval::AnyOptimizer;

use super::TeleportApp;
use super::runs::RowInputs;
use super::state::RowId;
use teleport_core::basin::Shade;

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

struct Job {
    rx: Receiver<BasinMap>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    started: Instant,
}

/// The basin map, its worker and the last finished level.
#[derive(Default)]
pub struct BasinRuntime {
    key: Option<BasinKey>,
    job: Option<Job>,
    /// Cancelled workers still finishing their chunk; joined once done,
    /// so a cancel never waits.
    retired: Vec<JoinHandle<()>>,
    /// The last finished level, and what it was computed for.
    shown: Option<(Source, BasinMap)>,
    texture: Option<egui::TextureHandle>,
    /// Computations started (for tests: a change starts a new one).
    pub started: u64,
    /// Seconds from the start of the latest computation to its first
    /// level.
    pub first_level_secs: Option<f64>,
}

impl BasinRuntime {
    /// Whether a computation is under way.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// The map drawn now, if any.
    pub fn shown(&self) -> Option<&BasinMap> {
        self.shown.as_ref().map(|(_, map)| map)
    }

    /// Cancels the computation under way without waiting for it.
    fn cancel(&mut self) {
        if let Some(mut job) = self.job.take() {
            job.cancel.store(true, Ordering::Relaxed);
            self.retired.extend(job.handle.take());
        }
    }

    /// Forgets everything (the map is off).
    fn clear(&mut self) {
        self.cancel();
        self.key = None;
        self.shown = None;
        self.texture = None;
    }
}

impl Drop for BasinRuntime {
    fn drop(&mut self) {
        self.cancel();
        for handle in self.retired.drain(..) {
            let _ = handle.join();
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
        self.rt.basin.retired.retain(|h| !h.is_finished());
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
            self.rt.basin.cancel();
            // A new view of the same map keeps the old picture until the
            // first level arrives; anything else makes it wrong.
            if self.rt.basin.shown.as_ref().map(|(s, _)| s) != Some(&source) {
                self.rt.basin.shown = None;
                self.rt.basin.texture = None;
            }
            self.rt.basin.key = Some(key);
            if let Some(opt) = self.optimizer_of(source.row) {
                self.start_basin(ctx, opt, view, (source.steps, source.eps));
            }
        }
        self.poll_basin(ctx, &source);
    }

    fn start_basin(
        &mut self,
        ctx: &egui::Context,
        opt: AnyOptimizer,
        (min, max): ([f64; 2], [f64; 2]),
        (steps, eps): (usize, f64),
    ) {
        let obj = self.rt.objective.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::sync_channel(LEVELS.len());
        let flag = Arc::clone(&cancel);
        let repaint = ctx.clone();
        // On the web (no threads) the levels are computed in this frame,
        // a finer one only while the coarser took under 30 ms: classical
        // rows reach 128², learned rows stop at 32².
        let budget = cfg!(target_arch = "wasm32").then(|| std::time::Duration::from_millis(30));
        let work = move || {
            let started = Instant::now();
            for n in LEVELS {
                let grid = BasinGrid {
                    x: (min[0], max[0]),
                    y: (min[1], max[1]),
                    n,
                };
                let Some(map) = basin(&opt, &obj, &grid, steps, eps, &flag) else {
                    return;
                };
                // The channel holds every level: sending never waits.
                if tx.send(map).is_err() {
                    return;
                }
                repaint.request_repaint();
                if budget.is_some_and(|b| started.elapsed() > b) {
                    return;
                }
            }
        };
        let started = Instant::now();
        let handle = if budget.is_some() {
            work();
            None
        } else {
            match std::thread::Builder::new()
                .name("basin-map".into())
                .spawn(work)
            {
                Ok(handle) => Some(handle),
                Err(e) => {
                    self.notify(ctx, format!("Cannot compute the basin map: {e}"), true);
                    return;
                }
            }
        };
        self.rt.basin.job = Some(Job {
            rx,
            cancel,
            handle,
            started,
        });
        self.rt.basin.started += 1;
    }

    fn poll_basin(&mut self, ctx: &egui::Context, source: &Source) {
        let rt = &mut self.rt.basin;
        let Some(job) = &mut rt.job else {
            return;
        };
        let mut newest = None;
        let done = loop {
            match job.rx.try_recv() {
                Ok(map) => newest = Some(map),
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        if let Some(map) = newest {
            if map.grid.n == LEVELS[0] {
                rt.first_level_secs = Some(job.started.elapsed().as_secs_f64());
            }
            let image = egui::ColorImage::from_rgba_unmultiplied(
                [map.grid.n, map.grid.n],
                &map.rgba_by(source.shade),
            );
            rt.texture = Some(ctx.load_texture("basin-map", image, egui::TextureOptions::NEAREST));
            rt.shown = Some((source.clone(), map));
        }
        if done {
            if let Some(handle) = job.handle.take() {
                // The worker has sent its last level or stopped: joining
                // does not wait.
                let _ = handle.join();
            }
            rt.job = None;
        } else {
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
