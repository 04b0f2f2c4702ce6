//! Network lab files in the app: opening one shows its task and rows
//! (File → Open, drag and drop, `teleport-lab FILE`, `#lab=` links), and
//! File → Save lab as… writes the network demo as one
//! ([`teleport_core::io::net_lab`]). What only the app shows — the step,
//! the selected row, the teleports applied by hand, the scrubber, the
//! views, the open windows — is the file's `app` object
//! ([`NetLabAppView`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use teleport_core::io::lab::{LAB_VERSION, WeightsRef};
use teleport_core::io::net_lab::{
    LoadedNetLab, NetLabFile, NetRowKind as FileRowKind, NetRowOptimizer, NetRowSpec,
    NetStrategyName, NetTeleportSpec,
};
use teleport_core::limits;
use teleport_core::net::Unit;
use teleport_core::net::task::NetObjectiveSpec;

use super::state::{
    MainView, NetData, NetDemo, NetManualTeleport, NetRow, NetRowKind, NetScrubber,
    NetTaskSettings, NetTeleport, NetTeleportStrategy, SliceDirections,
};
use crate::app::TeleportApp;
use crate::app::state::{PALETTE_LEN, Panels};

/// A teleport applied by hand, by row position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetHandTeleport {
    /// The row's position in `optimizers`.
    pub row: usize,
    /// The step.
    pub step: usize,
    /// The unit's hidden layer.
    pub layer: usize,
    /// The unit in that layer.
    pub unit: usize,
    /// Its log-scale θ.
    pub theta: f64,
}

/// The `app` object of a network lab file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetLabAppView {
    /// The timeline's step.
    pub step: usize,
    /// The selected row's position.
    pub selected: Option<usize>,
    /// Teleports applied by hand.
    pub teleports_by_hand: Vec<NetHandTeleport>,
    /// The scrubber's unit and θ.
    pub scrubber: Option<NetScrubber>,
    /// What the main pane shows.
    pub main: Option<MainView>,
    /// The slice's directions.
    pub slice: Option<SliceDirections>,
    /// Open windows.
    pub windows: Option<Panels>,
}

/// A schedule as the file writes it.
pub fn teleport_spec(t: &NetTeleport) -> NetTeleportSpec {
    let (at, every) = if t.at.is_empty() {
        (None, Some(t.every.max(1)))
    } else {
        (Some(t.at.clone()), None)
    };
    let mut spec = NetTeleportSpec {
        strategy: NetStrategyName::Oracle,
        max_log_scale: None,
        lr: None,
        iters: None,
        layer: None,
        unit: None,
        theta: None,
        at,
        every,
    };
    match t.strategy {
        NetTeleportStrategy::Oracle { max_log_scale } => {
            spec.max_log_scale = Some(max_log_scale);
        }
        NetTeleportStrategy::Ascent { lr, iters } => {
            spec.strategy = NetStrategyName::Ascent;
            spec.lr = Some(lr);
            spec.iters = Some(iters);
        }
        NetTeleportStrategy::Unit { unit, theta } => {
            spec.strategy = NetStrategyName::Unit;
            spec.layer = Some(unit.layer);
            spec.unit = Some(unit.index);
            spec.theta = Some(theta);
        }
    }
    spec
}

impl TeleportApp {
    /// Everything the network demo shows as a network lab file. Learned
    /// rows are embedded when `embed` (or when they have no file), else
    /// written as their path; a live row with no weights yet is left out.
    pub fn network_lab_file(&self, embed: bool) -> Result<NetLabFile, String> {
        let net = &self.state.network;
        let mut rows = Vec::new();
        let mut index_of = std::collections::HashMap::new();
        for (row, label) in net.rows.iter().zip(net.row_labels()) {
            let kind = match &row.kind {
                NetRowKind::Classical(spec) => FileRowKind::Classical(*spec),
                kind @ (NetRowKind::Learned { .. } | NetRowKind::Live(_)) => {
                    let Some(model) = self.network_model(kind) else {
                        continue;
                    };
                    let weights = match kind {
                        NetRowKind::Learned { source, .. }
                            if !embed && !source.starts_with("embedded:") =>
                        {
                            WeightsRef::Path(source.clone())
                        }
                        _ => WeightsRef::Embedded(teleport_core::io::net_weights::embed(&model)),
                    };
                    FileRowKind::Learned {
                        variant: model.variant(),
                        weights,
                    }
                }
            };
            index_of.insert(row.id, rows.len());
            rows.push(NetRowSpec {
                kind,
                teleport: row.teleport.as_ref().map(teleport_spec),
                label: Some(label),
                color: row.color,
                shown: Some(row.enabled),
                // The app's rows have no gradient noise (a lab file's noisy
                // row is run by `eval`; see `show_network`).
                noise: None,
            });
        }
        let view = NetLabAppView {
            step: self.state.playback.t,
            selected: index_of.get(&net.selected).copied(),
            teleports_by_hand: net
                .manual
                .iter()
                .filter_map(|m| {
                    Some(NetHandTeleport {
                        row: *index_of.get(&m.row)?,
                        step: m.step,
                        layer: m.unit.layer,
                        unit: m.unit.index,
                        theta: m.theta,
                    })
                })
                .collect(),
            scrubber: Some(net.scrubber),
            main: Some(net.view.main),
            slice: Some(net.view.slice),
            windows: Some(self.state.panels.clone()),
        };
        Ok(NetLabFile {
            version: LAB_VERSION,
            objective: NetObjectiveSpec::Mlp(net.task.spec()),
            steps: self.state.steps,
            optimizers: rows,
            caption: self.state.caption.clone(),
            app: serde_json::to_value(&view).ok(),
        })
    }

    /// Shows a network lab file: its task, rows (in order, with colours
    /// and weights), caption and view. A bad `app` part changes nothing.
    pub fn show_network(&mut self, lab: LoadedNetLab) -> Result<(), String> {
        let view: NetLabAppView = match &lab.lab.app {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("`app`: {e}"))?,
            None => NetLabAppView::default(),
        };
        let NetObjectiveSpec::Mlp(spec) = &lab.lab.objective;
        let mut settings = NetTaskSettings::of_spec(spec, None);
        if let Some(path) = &lab.dataset_path {
            let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            settings.data = NetData::Csv {
                path: path.display().to_string(),
            };
        }
        let mut demo = NetDemo {
            active: true,
            task: settings.clone(),
            rows: Vec::new(),
            manual: Vec::new(),
            ..self.state.network.clone()
        };
        let mut models = Vec::new();
        let mut ids = Vec::new();
        for (i, row) in lab.rows.iter().enumerate() {
            let kind = match (&row.spec.kind, &row.optimizer) {
                (FileRowKind::Classical(spec), _) => NetRowKind::Classical(*spec),
                (FileRowKind::Learned { variant, .. }, NetRowOptimizer::Learned(model)) => {
                    let source = match &row.weights_path {
                        Some(path) => std::fs::canonicalize(path)
                            .unwrap_or_else(|_| path.clone())
                            .display()
                            .to_string(),
                        None => format!("embedded:{}:{i}", self.rt.network.models.len()),
                    };
                    models.push((source.clone(), Arc::clone(model)));
                    NetRowKind::Learned {
                        variant: *variant,
                        source,
                    }
                }
                (FileRowKind::Learned { .. }, NetRowOptimizer::Classical(_)) => continue,
            };
            let teleport = row.teleport.as_ref().map(NetTeleport::of_schedule);
            let mut entry = NetRow::new(row.spec.shown.unwrap_or(true), kind, teleport);
            if row.spec.label.as_ref().is_some_and(|l| *l != entry.label()) {
                entry.label = row.spec.label.clone();
            }
            let id = demo.add_row(entry);
            if let (Some(c), Some(r)) = (
                row.spec.color.filter(|&c| c < PALETTE_LEN),
                demo.row_mut(id),
            ) {
                r.color = Some(c);
            }
            ids.push(id);
        }
        demo.selected = view
            .selected
            .and_then(|i| ids.get(i).copied())
            .or_else(|| ids.first().copied())
            .unwrap_or_default();
        for h in &view.teleports_by_hand {
            if let Some(&row) = ids.get(h.row)
                && h.theta.is_finite()
            {
                demo.manual.push(NetManualTeleport {
                    row,
                    step: h.step,
                    unit: Unit {
                        layer: h.layer,
                        index: h.unit,
                    },
                    theta: h.theta,
                });
            }
        }
        if let Some(s) = view.scrubber {
            demo.scrubber = s;
        }
        if let Some(m) = view.main {
            demo.view.main = m;
        }
        if let Some(s) = view.slice {
            demo.view.slice = s;
        }
        demo.normalize();
        // Nothing has failed: take it all.
        for (source, model) in models {
            self.keep_network_model(source, model);
        }
        if let NetData::Csv { path } = &settings.data {
            self.rt
                .network
                .datasets
                .insert(path.clone(), Arc::clone(&lab.task.data));
        }
        self.rt.network.task = Some((settings, Arc::new(lab.task.clone())));
        self.rt.network.runs.clear();
        let state = &mut self.state;
        state.network = demo;
        state.steps = lab
            .lab
            .steps
            .clamp(*limits::STEPS.start(), *limits::STEPS.end());
        state.caption = lab.lab.caption.clone();
        state.playback.t = view.step.min(state.steps);
        state.playback.playing = false;
        if let Some(windows) = view.windows {
            state.panels = windows;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_round_trips_through_the_file_form() {
        let mlp =
            teleport_core::net::Mlp::new(&[4, 3], teleport_core::net::Activation::Relu).unwrap();
        for t in [
            NetTeleport::every(NetTeleportStrategy::ORACLE, 7),
            NetTeleport {
                strategy: NetTeleportStrategy::Ascent { lr: 0.5, iters: 3 },
                every: 1,
                at: vec![2, 9],
            },
            NetTeleport::every(
                NetTeleportStrategy::Unit {
                    unit: Unit { layer: 1, index: 2 },
                    theta: -0.25,
                },
                4,
            ),
        ] {
            let back = NetTeleport::of_schedule(&teleport_spec(&t).build(&mlp).unwrap());
            assert_eq!(back, t);
        }
    }
}
