//! The network task in the app: a small MLP classifier of 2D points
//! ([`teleport_core::net`]) in place of a function of the plane.
//!
//! The demo itself — data, layers, activation, init seed, rows, teleports
//! by hand, the scrubber, the views, the training settings — is
//! [`state::NetDemo`] in the saved [`crate::app::AppState`]; `active` says
//! whether the task on screen is the network (the plane's task stays as it
//! was beside it). Everything computed from it lives in [`NetRuntime`]:
//! the task built from the settings, the rows' runs ([`runs`], on a
//! worker), the decision boundary ([`data_view`]), the loss slice
//! ([`slice`], on a worker, coarse to fine), the by-hand scrubber's curve
//! ([`scrubber`]), the statistics across data and init seeds
//! ([`across`]), and live training of the coordinate-wise optimizers
//! ([`training`]). Each frame [`TeleportApp::update_network`] compares
//! what each of them was computed for with the state and starts again
//! what changed, so an edit, a lab file, an undo or a restart all go the
//! same way.
//!
//! Where the plane's panes are, a network shows: the data with the
//! decision boundary beside a slice of the loss through parameter space
//! (the level-set plot's tile), the scrubber's ‖∇f‖ over one unit's
//! log-scale (the θ plot's), loss, accuracy and ‖∇f‖ per step (the loss
//! plot's). The Newton window says it is for plane tasks.

pub mod across;
pub mod controls;
pub mod data_view;
pub mod lab;
pub mod loss_view;
pub mod runs;
pub mod scrubber;
pub mod slice;
pub mod state;
pub mod training;

use std::collections::HashMap;
use std::sync::Arc;

use teleport_core::net::data::Dataset;
use teleport_core::net::learned::{CwModel, CwVariant};
use teleport_core::net::{NetTask, Unit};

use self::runs::{NetRunResult, NetRuns};
use self::state::{NetData, NetDemo, NetRow, NetRowKind, NetTaskSettings};
use super::TeleportApp;
use super::state::RowId;

/// The model trained live (or loaded as the live one) for networks.
#[derive(Clone, Debug)]
pub struct NetLive {
    /// Its variant.
    pub variant: CwVariant,
    /// The weights.
    pub model: Arc<CwModel<f32>>,
    /// The trainer's snapshot version.
    pub version: u64,
    /// Counts every model taken, so a live row's key changes with its
    /// weights.
    pub generation: u64,
}

/// What the app computed for the network demo; rebuilt from the state.
#[derive(Default)]
pub struct NetRuntime {
    /// The task, with the settings it was built from.
    task: Option<(NetTaskSettings, Arc<NetTask>)>,
    /// Data sets read from CSV files (or opened from bytes on the web), by
    /// the path the state names them with.
    datasets: HashMap<String, Arc<Dataset>>,
    /// The rows' runs.
    pub(super) runs: NetRuns,
    /// Weights of learned rows, by source (a path or `embedded:<n>`).
    pub(super) models: HashMap<String, Arc<CwModel<f32>>>,
    /// Generations of the loaded models (a reloaded file is new weights).
    model_generations: HashMap<String, u64>,
    /// The live model.
    pub(super) live: Option<NetLive>,
    /// Live training.
    pub(super) training: training::NetTraining,
    /// The decision boundary's cache.
    pub(super) boundary: data_view::BoundaryCache,
    /// The loss slice.
    pub(super) slice: slice::SliceRuntime,
    /// The scrubber's curve at the current parameters.
    pub(super) scrubber: scrubber::ScrubberCache,
    /// Loss per step across data and init seeds.
    pub(super) across: across::NetAcross,
    /// Counts models given out, for generations.
    generations: u64,
    /// The CSV path field of the task editor.
    pub(super) csv_text: String,
}

impl std::fmt::Debug for NetRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetRuntime")
            .field("task", &self.task.as_ref().map(|(s, _)| s.describe()))
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

/// A task built, and the data set it read from a CSV file (to keep).
type Built = (NetTask, Option<(String, Arc<Dataset>)>);

/// Builds the task of `settings`, reading a CSV file unless `datasets`
/// holds it; a bad architecture or data set is a one-line error naming it.
fn build_task(
    settings: &NetTaskSettings,
    datasets: &HashMap<String, Arc<Dataset>>,
) -> Result<Built, String> {
    let spec = settings.spec();
    let mlp = spec.mlp().map_err(|e| e.to_string())?;
    let (data, read) = match &settings.data {
        NetData::Csv { path } => match datasets.get(path) {
            Some(d) => (Arc::clone(d), None),
            None => {
                let d = Arc::new(
                    teleport_core::net::data::read_csv(std::path::Path::new(path))
                        .map_err(|e| e.to_string())?,
                );
                (Arc::clone(&d), Some((path.clone(), d)))
            }
        },
        NetData::Generated { .. } => (
            Arc::new(spec.dataset.build(None).map_err(|e| e.to_string())?),
            None,
        ),
    };
    Ok((NetTask::new(data, mlp, settings.init_seed), read))
}

impl TeleportApp {
    /// Whether the task on screen is the network.
    pub fn network_active(&self) -> bool {
        self.state.network.active
    }

    /// The network demo's state.
    pub fn network(&self) -> &NetDemo {
        &self.state.network
    }

    /// The network task as built (`None` before the first frame on it, or
    /// when its settings cannot be built).
    pub fn network_task(&self) -> Option<&Arc<NetTask>> {
        self.rt.network.task.as_ref().map(|(_, t)| t)
    }

    /// Shows the network task (the plane's task stays for when the user
    /// goes back to it).
    pub fn show_network_task(&mut self) {
        let net = &mut self.state.network;
        net.active = true;
        if net.rows.is_empty() {
            for row in state::default_rows() {
                net.add_row(row);
            }
        }
        net.normalize();
        self.state.playback.t = self.state.playback.t.min(self.state.steps);
    }

    /// Goes back to the plane's task.
    pub fn leave_network(&mut self) {
        self.state.network.active = false;
    }

    /// Replaces the network task (and shows it) if `settings` build; else
    /// says why in one line and changes nothing.
    pub fn try_network_task(&mut self, settings: NetTaskSettings) -> Result<(), String> {
        let (task, read) = build_task(&settings, &self.rt.network.datasets)?;
        if let Some((path, data)) = read {
            self.rt.network.datasets.insert(path, data);
        }
        if settings != self.state.network.task {
            // Teleports by hand belong to the runs of the old task.
            self.state.network.manual.clear();
        }
        self.state.network.task = settings.clone();
        // Runs of another architecture have parameters of another size:
        // they go at once rather than be drawn with this network.
        if self.network_task().is_none_or(|old| old.mlp != task.mlp) {
            self.rt.network.runs.clear();
        }
        self.rt.network.task = Some((settings, Arc::new(task)));
        self.show_network_task();
        Ok(())
    }

    /// [`Self::try_network_task`], reporting a refusal as a notification.
    /// Returns whether the task was taken.
    pub fn set_network_task(&mut self, ctx: &egui::Context, settings: NetTaskSettings) -> bool {
        match self.try_network_task(settings) {
            Ok(()) => true,
            Err(e) => {
                self.notify(ctx, format!("Cannot use this network task: {e}"), true);
                false
            }
        }
    }

    /// Uses the CSV file at `path` as the network's data (File → Open of a
    /// `.csv`, a dropped one, the data set's path field); a bad file is
    /// reported in one notification and changes nothing.
    pub fn open_dataset_csv(&mut self, ctx: &egui::Context, path: &std::path::Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let key = path.display().to_string();
        match teleport_core::net::data::read_csv(&path) {
            Ok(data) => self.use_dataset(ctx, &key, data),
            Err(e) => self.notify(ctx, format!("Cannot open {key}: {e}"), true),
        }
    }

    /// Uses a CSV file's contents (picked or dropped in the browser) as the
    /// network's data; bad contents are reported and change nothing.
    pub fn open_dataset_bytes(&mut self, ctx: &egui::Context, name: &str, bytes: &[u8]) {
        if bytes.len() as u64 > teleport_core::net::data::MAX_CSV_BYTES {
            let mb = teleport_core::net::data::MAX_CSV_BYTES >> 20;
            self.notify(
                ctx,
                format!("Cannot open {name}: larger than {mb} MB"),
                true,
            );
            return;
        }
        let parsed = std::str::from_utf8(bytes)
            .map_err(|_| "not UTF-8 text".to_owned())
            .and_then(|text| teleport_core::net::data::parse_csv(text).map_err(|e| e.to_string()));
        match parsed {
            Ok(data) => self.use_dataset(ctx, name, data),
            Err(e) => self.notify(ctx, format!("Cannot open {name}: {e}"), true),
        }
    }

    /// Makes `data`, known as `key`, the network's data set.
    fn use_dataset(&mut self, ctx: &egui::Context, key: &str, data: Dataset) {
        let n = data.len();
        self.rt
            .network
            .datasets
            .insert(key.to_owned(), Arc::new(data));
        let mut settings = self.state.network.task.clone();
        settings.data = NetData::Csv {
            path: key.to_owned(),
        };
        if self.set_network_task(ctx, settings) {
            self.notify(
                ctx,
                format!("The network now trains on {key} ({n} points)."),
                false,
            );
        }
    }

    /// Builds the task when its settings changed (an undo, a restored
    /// session, a lab file) and keeps the runs, the boundary, the slice,
    /// the scrubber and the statistics up to date; once per frame, never
    /// waiting for a worker.
    pub(super) fn update_network(&mut self, ctx: &egui::Context) {
        self.poll_net_training(ctx);
        if !self.state.network.active {
            return;
        }
        let settings = &self.state.network.task;
        if self
            .rt
            .network
            .task
            .as_ref()
            .is_none_or(|(built, _)| built != settings)
        {
            match build_task(settings, &self.rt.network.datasets) {
                Ok((task, read)) => {
                    if let Some((path, data)) = read {
                        self.rt.network.datasets.insert(path, data);
                    }
                    self.rt.network.task = Some((settings.clone(), Arc::new(task)));
                    self.rt.network.runs.clear();
                }
                Err(e) => {
                    // A restored state whose CSV file is gone: back to the
                    // plane, saying why (the settings stay for later).
                    self.notify(
                        ctx,
                        format!("Cannot show the network task {}: {e}", settings.describe()),
                        true,
                    );
                    self.state.network.active = false;
                    return;
                }
            }
        }
        self.state.network.normalize();
        let generation = |source: &str| self.rt.network.model_generations.get(source).copied();
        let model =
            |kind: &NetRowKind| -> Option<(teleport_core::io::net_lab::NetRowOptimizer, u64)> {
                let (m, g) = match kind {
                    NetRowKind::Learned { source, .. } => (
                        Arc::clone(self.rt.network.models.get(source)?),
                        generation(source).unwrap_or(0),
                    ),
                    NetRowKind::Live(v) => {
                        let live = self.rt.network.live.as_ref().filter(|l| l.variant == *v)?;
                        (Arc::clone(&live.model), live.generation)
                    }
                    NetRowKind::Classical(_) => return None,
                };
                Some((teleport_core::io::net_lab::NetRowOptimizer::Learned(m), g))
            };
        let task = self.rt.network.task.as_ref().map(|(_, t)| t);
        let rows = &self.state.network.rows;
        let steps = self.state.steps.min(runs::max_steps(
            rows.len(),
            task.map_or(1, |t| t.mlp.num_params()),
        ));
        let inputs = runs::Inputs {
            task,
            settings: &self.state.network.task,
            steps,
            rows,
            manual: &self.state.network.manual,
            model: &model,
        };
        let mut net_runs = std::mem::take(&mut self.rt.network.runs);
        net_runs.update(ctx, &inputs);
        self.rt.network.runs = net_runs;
        self.update_net_across(ctx);
        self.update_net_slice(ctx);
        if self.rt.network.runs.pending() {
            ctx.request_repaint_after(std::time::Duration::from_millis(30));
        }
    }

    /// At the end of a frame: the runs of rows removed or turned off in it
    /// go.
    pub(super) fn prune_network_runs(&mut self) {
        if self.state.network.active {
            self.rt.network.runs.prune(&self.state.network.rows);
        }
    }

    /// The steps the network's runs take: the app's steps, fewer when the
    /// rows' records would pass the core's bound.
    pub fn network_steps(&self) -> usize {
        let params = self.network_task().map_or(1, |t| t.mlp.num_params());
        self.state
            .steps
            .min(runs::max_steps(self.state.network.rows.len(), params))
    }

    /// The runs of network row `id` (`None` when it is off, has no weights
    /// or is still being computed).
    pub fn network_run(&self, id: RowId) -> Option<&NetRunResult> {
        self.rt.network.runs.runs.get(&id).map(|r| &**r)
    }

    /// The network rows that have runs.
    pub fn network_run_rows(&self) -> impl Iterator<Item = RowId> + '_ {
        self.rt.network.runs.runs.keys().copied()
    }

    /// Whether network rows are being computed.
    pub fn network_runs_pending(&self) -> bool {
        self.rt.network.runs.pending()
    }

    /// The rows with runs, in row order, with their legend names.
    pub fn visible_network_runs(&self) -> Vec<(&NetRow, String, &NetRunResult)> {
        let net = &self.state.network;
        net.rows
            .iter()
            .zip(net.row_labels())
            .filter_map(|(row, label)| Some((row, label, self.network_run(row.id)?)))
            .collect()
    }

    /// The parameters the views show: the selected row's at the timeline's
    /// step (its last, if it stopped before), else the initial ones.
    pub fn network_params(&self) -> Option<Vec<f64>> {
        let net = &self.state.network;
        let t = self.state.playback.t;
        let task = self.network_task()?;
        self.network_run(net.selected)
            .and_then(|r| r.shown().at(t))
            .map(|rec| rec.params.clone())
            .filter(|p| p.len() == task.mlp.num_params())
            .or_else(|| Some(task.init.clone()))
    }

    /// The model a learned network row runs with.
    pub fn network_model(&self, kind: &NetRowKind) -> Option<Arc<CwModel<f32>>> {
        match kind {
            NetRowKind::Learned { source, .. } => self.rt.network.models.get(source).cloned(),
            NetRowKind::Live(v) => self
                .rt
                .network
                .live
                .as_ref()
                .filter(|l| l.variant == *v)
                .map(|l| Arc::clone(&l.model)),
            NetRowKind::Classical(_) => None,
        }
    }

    /// Keeps `model` as the weights of `source` (a new generation).
    pub(super) fn keep_network_model(&mut self, source: String, model: Arc<CwModel<f32>>) {
        let net = &mut self.rt.network;
        net.generations += 1;
        net.model_generations
            .insert(source.clone(), net.generations);
        net.models.insert(source, model);
    }

    /// The live model for networks, once there is one.
    pub fn network_live(&self) -> Option<&NetLive> {
        self.rt.network.live.as_ref()
    }

    /// Applies the scrubber's θ to its unit at the current step of the
    /// selected row (the run branches there) and sets θ back to 0.
    pub fn network_teleport_here(&mut self) {
        let step = self.state.playback.t.min(self.network_steps());
        let net = &mut self.state.network;
        let (row, unit, theta) = (net.selected, net.scrubber.unit, net.scrubber.theta);
        if net.row(row).is_none() || !net.has_unit(unit) {
            return;
        }
        net.manual
            .retain(|m| !(m.row == row && m.step == step && m.unit == unit));
        net.manual.push(state::NetManualTeleport {
            row,
            step,
            unit,
            theta,
        });
        net.scrubber.theta = 0.0;
    }

    /// Sets the scrubber's θ to θ*, the largest ‖∇f‖ the unit reaches
    /// inside the oracle's box.
    pub fn network_theta_to_oracle(&mut self) {
        if let Some(curve) = self.network_unit_curve() {
            let s = teleport_core::net::rescale::DEFAULT_MAX_LOG_SCALE;
            self.state.network.scrubber.theta = curve.argmax(-s, s);
        }
    }

    /// Moves the scrubber's θ by `delta`, within its range.
    pub fn nudge_network_theta(&mut self, delta: f64) {
        let s = &mut self.state.network.scrubber;
        s.theta = (s.theta + delta).clamp(-state::SCRUBBER_RANGE, state::SCRUBBER_RANGE);
    }

    /// The hidden units of the network, layer by layer.
    pub fn network_units(&self) -> Vec<Unit> {
        self.state
            .network
            .task
            .hidden
            .iter()
            .enumerate()
            .flat_map(|(layer, &w)| (0..w).map(move |index| Unit { layer, index }))
            .collect()
    }

    /// The network's tile in the level-set plot's place: the data and the
    /// decision boundary, the loss slice, or both side by side.
    pub(in crate::app) fn network_main_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(caption) = &self.state.caption {
            ui.label(egui::RichText::new(caption).heading());
        }
        let main = self.state.network.view.main;
        match main {
            state::MainView::Data => self.network_data_ui(ui),
            state::MainView::Slice => self.network_slice_ui(ui),
            state::MainView::Both => ui.columns(2, |columns| {
                self.network_data_ui(&mut columns[0]);
                self.network_slice_ui(&mut columns[1]);
            }),
        }
        // "Screenshot plot" crops to the data view (or the slice alone).
        self.rt.level_set.plot_rect = self.rt.network.boundary.plot_rect;
    }

    /// The name of the task, for the menu bar: `network: moons 2-16-1`.
    pub fn network_label(&self) -> String {
        format!("network: {}", self.state.network.task.describe())
    }
}
