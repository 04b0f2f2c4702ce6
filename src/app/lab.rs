//! Lab files in the app: File → Save writes everything on screen as a
//! version-2 scene (see [`teleport_core::io::lab`]); opening one restores it.
//!
//! The core's lab file carries the task, x₀, steps, every row (settings,
//! teleports, label, colour, shown) with its weights, and a caption; the
//! `app` object below carries what only the app uses.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::{
    AppTeleport, EntryKind, OptimizerEntry, PALETTE_LEN, Panels, ShowFlags, TaskSource,
};
use super::{TeleportApp, objective_of};
use teleport_core::io::lab::{LAB_VERSION, LabFile, LoadedLab, RowKind, RowSpec, WeightsRef};
use teleport_core::io::scene::{ObjectiveSpec, StrategyName, TeleportSpec};
use teleport_core::limits;
use teleport_core::symmetry::Strategy;

/// A teleport applied by hand, by row position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandTeleport {
    /// The row's position in `optimizers`.
    pub row: usize,
    /// The step.
    pub step: usize,
    /// The angle.
    pub theta: f64,
}

/// The `app` object of a lab file: what only the app shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabAppView {
    /// Where the task came from (a preset or a seeded draw), when it
    /// matches the file's objective.
    pub source: Option<TaskSource>,
    /// The scrubber's angle.
    pub theta: f64,
    /// The timeline's step.
    pub step: usize,
    /// The level-set plot's view: `[[x_min, y_min], [x_max, y_max]]`.
    pub view: Option<[[f64; 2]; 2]>,
    /// Display toggles.
    pub show: Option<ShowFlags>,
    /// Open windows.
    pub windows: Option<Panels>,
    /// The selected row's position.
    pub selected: Option<usize>,
    /// Teleports applied by hand.
    pub teleports_by_hand: Vec<HandTeleport>,
    /// The basin map of the selected row: on or off, and its steps.
    pub basin: Option<super::state::BasinSettings>,
}

/// A row's teleport schedule as a file writes it.
pub fn teleport_spec(t: &AppTeleport) -> TeleportSpec {
    let (at, every) = if t.at.is_empty() {
        (None, Some(t.every.max(1)))
    } else {
        (Some(t.at.clone()), None)
    };
    let (strategy, theta, theta0, lr, iters) = match t.strategy {
        Strategy::Angle { theta } => (StrategyName::Angle, Some(theta), None, None, None),
        Strategy::Oracle => (StrategyName::Oracle, None, None, None, None),
        Strategy::Ascent { theta0, lr, iters } => (
            StrategyName::Ascent,
            None,
            Some(theta0),
            Some(lr),
            Some(iters),
        ),
    };
    TeleportSpec {
        strategy,
        theta,
        theta0,
        lr,
        iters,
        at,
        every,
    }
}

impl TeleportApp {
    /// Everything on screen as a lab file. Learned rows with weights of
    /// their own (live-trained, or from a file) are embedded when `embed`
    /// (or when they have no file), else written as their path.
    pub fn lab_file(&self, embed: bool) -> Result<LabFile, String> {
        let labels = self.state.row_labels();
        let mut rows = Vec::new();
        let mut index_of = std::collections::HashMap::new();
        for (row, label) in self.state.optimizers.iter().zip(labels) {
            let (kind, teleport) = match &row.kind {
                EntryKind::Classical { spec, teleport } => (
                    RowKind::Classical(*spec),
                    teleport.as_ref().map(teleport_spec),
                ),
                EntryKind::Learned(variant) => (
                    RowKind::Learned {
                        variant: *variant,
                        weights: WeightsRef::Pretrained,
                    },
                    None,
                ),
                EntryKind::Live(variant) | EntryKind::Loaded { variant, .. } => {
                    let Some(model) = self.learned_model(&row.kind) else {
                        // A live row before any training has nothing to
                        // save: it is left out rather than written wrong.
                        continue;
                    };
                    let weights = match &row.kind {
                        EntryKind::Loaded { source, .. }
                            if !embed && !source.starts_with("embedded:") =>
                        {
                            WeightsRef::Path(source.clone())
                        }
                        _ => WeightsRef::Embedded(
                            teleport_core::io::lab::embed(&model).map_err(|e| e.to_string())?,
                        ),
                    };
                    (
                        RowKind::Learned {
                            variant: *variant,
                            weights,
                        },
                        None,
                    )
                }
            };
            index_of.insert(row.id, rows.len());
            rows.push(RowSpec {
                kind,
                teleport,
                noise: None,
                label: Some(label),
                color: row.color,
                shown: Some(row.enabled),
            });
        }
        let view = LabAppView {
            source: Some(self.state.source.clone()),
            theta: self.state.theta,
            step: self.state.playback.t,
            view: self.rt.level_set.view.map(|(lo, hi)| [lo, hi]),
            show: Some(self.state.show.clone()),
            windows: Some(self.state.panels.clone()),
            basin: Some(self.state.basin.clone()),
            selected: index_of.get(&self.state.selected).copied(),
            teleports_by_hand: self
                .state
                .manual_teleports
                .iter()
                .filter_map(|m| {
                    Some(HandTeleport {
                        row: *index_of.get(&m.row)?,
                        step: m.step,
                        theta: m.theta,
                    })
                })
                .collect(),
        };
        Ok(LabFile {
            version: LAB_VERSION,
            objective: ObjectiveSpec::of(&self.rt.objective),
            x0: self.state.x0,
            steps: self.state.steps,
            optimizers: rows,
            caption: self.state.caption.clone(),
            app: serde_json::to_value(&view).ok(),
        })
    }

    /// Shows a lab file: its task, rows (in order, with their colours and
    /// weights), caption and view. A bad `app` part changes nothing.
    pub fn apply_lab(&mut self, lab: &LoadedLab) -> Result<(), String> {
        let view: LabAppView = match &lab.lab.app {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("`app`: {e}"))?,
            None => LabAppView::default(),
        };
        let file = &lab.lab;
        let mut rows = Vec::new();
        let mut models = Vec::new();
        for (i, row) in lab.rows.iter().enumerate() {
            let kind = match (&row.spec.kind, &row.model) {
                (RowKind::Classical(spec), _) => EntryKind::Classical {
                    spec: *spec,
                    teleport: row.teleport.as_ref().map(AppTeleport::from_schedule),
                },
                (RowKind::Learned { variant, .. }, _)
                    if matches!(
                        row.spec.kind,
                        RowKind::Learned {
                            weights: WeightsRef::Pretrained,
                            ..
                        }
                    ) =>
                {
                    EntryKind::Learned(*variant)
                }
                (RowKind::Learned { variant, .. }, Some(model)) => {
                    let source = match &row.weights_path {
                        Some(path) => std::fs::canonicalize(path)
                            .unwrap_or_else(|_| path.clone())
                            .display()
                            .to_string(),
                        None => format!("embedded:{}:{i}", self.rt.models.len()),
                    };
                    models.push((source.clone(), std::sync::Arc::clone(model)));
                    EntryKind::Loaded {
                        variant: *variant,
                        source,
                        label: row.name.clone(),
                    }
                }
                (RowKind::Learned { .. }, None) => continue,
            };
            let mut entry = OptimizerEntry::new(row.spec.shown.unwrap_or(true), kind);
            // A label that only repeats the settings is not kept: it would go
            // stale when the settings change.
            if row.spec.label.as_ref().is_some_and(|l| *l != entry.label()) {
                entry.label = row.spec.label.clone();
            }
            rows.push((entry, row.spec.color));
        }
        let source = match view.source {
            Some(s) if objective_of(&s).is_ok_and(|o| o == lab.objective) => s,
            _ => TaskSource::Custom(ObjectiveSpec::of(&lab.objective)),
        };
        // Nothing has failed: take it all.
        for (source, model) in models {
            self.rt.models.insert(source, model);
        }
        let state = &mut self.state;
        state.source = source;
        state.x0 = file.x0;
        state.steps = file
            .steps
            .clamp(*limits::STEPS.start(), *limits::STEPS.end());
        state.caption = file.caption.clone();
        state.optimizers.clear();
        state.manual_teleports.clear();
        let mut ids = Vec::new();
        for (entry, color) in rows {
            let id = state.add_row(entry);
            if let (Some(c), Some(row)) = (color.filter(|&c| c < PALETTE_LEN), state.row_mut(id)) {
                row.color = Some(c);
            }
            ids.push(id);
        }
        state.selected = view
            .selected
            .and_then(|i| ids.get(i).copied())
            .or_else(|| ids.first().copied())
            .unwrap_or_default();
        for h in &view.teleports_by_hand {
            if let Some(&row) = ids.get(h.row)
                && h.theta.is_finite()
            {
                state.manual_teleports.push(super::state::ManualTeleport {
                    row,
                    step: h.step,
                    theta: h.theta,
                });
            }
        }
        state.theta = if view.theta.is_finite() {
            view.theta
        } else {
            0.0
        };
        state.playback.t = view.step.min(state.steps);
        state.playback.playing = false;
        if let Some(show) = view.show {
            state.show = show;
        }
        if let Some(windows) = view.windows {
            state.panels = windows;
        }
        if let Some(basin) = view.basin {
            state.basin = basin;
        }
        state.normalize();
        self.rt.objective = lab.objective.clone();
        self.rt.draft = ObjectiveSpec::of(&lab.objective);
        self.rt.task_error = None;
        self.rt.level_set.invalidate();
        match view.view {
            Some([lo, hi])
                if lo.iter().chain(&hi).all(|v| v.is_finite())
                    && lo[0] < hi[0]
                    && lo[1] < hi[1] =>
            {
                self.rt.level_set.pending_view = Some((lo, hi));
            }
            _ => self.rt.level_set.reset_view = true,
        }
        self.recompute_if_needed();
        Ok(())
    }

    /// File → Save: the lab file, with learned weights embedded when the
    /// File menu's "embed weights" is on.
    pub(super) fn save_lab(&mut self, ctx: &egui::Context) {
        let json = match self
            .lab_file(self.state.embed_weights)
            .and_then(|lab| serde_json::to_string_pretty(&lab).map_err(|e| e.to_string()))
        {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot write the lab file: {e}"), true);
                return;
            }
        };
        if let Some(path) = self.save_bytes(ctx, "lab.json", "json", json.as_bytes(), "the lab") {
            self.state.remember_recent(&path);
        }
    }

    /// Opens a scene or lab file; a bad file is reported and changes nothing.
    pub fn open_file(&mut self, ctx: &egui::Context, path: &Path) {
        if path.is_dir() {
            self.open_lesson(ctx, path);
            return;
        }
        match self.load_file(path) {
            Ok(()) => {
                self.state.remember_recent(path);
                self.notify(ctx, format!("Opened {}", path.display()), false);
            }
            Err(e) => self.notify(ctx, format!("Cannot open {}: {e}", path.display()), true),
        }
    }

    /// Shows a scene or lab file; a bad file changes nothing.
    pub fn load_file(&mut self, path: &Path) -> Result<(), String> {
        let scene = teleport_core::io::lab::load(path).map_err(|e| e.to_string())?;
        self.show_scene(scene)
    }

    /// Shows a parsed scene or lab file; one that cannot be shown changes
    /// nothing.
    pub fn show_scene(&mut self, scene: teleport_core::io::lab::AnyScene) -> Result<(), String> {
        use teleport_core::io::lab::AnyScene;
        match scene {
            AnyScene::V1(scene) => {
                self.apply_scene(&scene);
                self.rt.level_set.invalidate();
                self.rt.level_set.reset_view = true;
                Ok(())
            }
            AnyScene::V2(lab) => self.apply_lab(&lab),
            AnyScene::Net(lab) => self.show_network(lab),
        }
    }
}

impl TeleportApp {
    /// File → Copy link to this demo: the lab file in the page's address
    /// (`#lab=…`) and on the clipboard.
    pub(super) fn copy_link(&mut self, ctx: &egui::Context) {
        let json = match self
            .lab_file(false)
            .and_then(|lab| serde_json::to_string(&lab).map_err(|e| e.to_string()))
        {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot make the link: {e}"), true);
                return;
            }
        };
        let fragment = teleport_core::io::link::fragment(&json);
        #[cfg(target_arch = "wasm32")]
        match web::set_fragment(&fragment) {
            Ok(url) => {
                let chars = url.len();
                ctx.copy_text(url);
                self.notify(
                    ctx,
                    format!("Link to this demo copied ({chars} characters); the address bar shows it too."),
                    false,
                );
            }
            Err(e) => self.notify(ctx, format!("Cannot make the link: {e}"), true),
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            ctx.copy_text(format!("#{fragment}"));
            self.notify(
                ctx,
                "The demo's link fragment is on the clipboard (add it to the web app's address).",
                false,
            );
        }
    }
}

impl TeleportApp {
    /// Shows a network lab file.
    pub fn show_network(
        &mut self,
        lab: teleport_core::io::net_lab::LoadedNetLab,
    ) -> Result<(), String> {
        let _ = lab;
        Err("network lab files open with `teleport-lab eval`; the app's network view is not built yet".to_owned())
    }
}
