//! The current task: switching to a preset, a draw or a scene, editing
//! its parameters, and the step sizes that go with a preset.

use super::state::{self, EntryKind, RowId, TaskSource};
use super::{TeleportApp, objective_of};
use teleport_core::io::scene::{LoadedScene, ObjectiveSpec};
use teleport_core::limits;
use teleport_core::objective::Preset;
use teleport_core::pretrained::Family;

impl TeleportApp {
    /// Takes a scene's task, start point, steps and optimizer.
    pub fn apply_scene(&mut self, scene: &LoadedScene) {
        let spec = scene.scene.objective.clone();
        self.state.network.active = false;
        self.state.source = TaskSource::Custom(spec.clone());
        self.rt.objective = scene.objective.clone();
        self.rt.draft = spec;
        self.rt.task_error = None;
        self.state.x0 = scene.scene.x0;
        // A scene is another demo: the caption of the last one goes.
        self.state.caption = None;
        self.state.steps = scene
            .scene
            .steps
            .clamp(*limits::STEPS.start(), *limits::STEPS.end());
        self.state.manual_teleports.clear();
        self.state.playback.t = self.state.playback.t.min(self.state.steps);
        let teleport = scene
            .teleport
            .as_ref()
            .map(state::AppTeleport::from_schedule);
        let kind = EntryKind::Classical {
            spec: scene.scene.optimizer,
            teleport,
        };
        // The scene's optimizer becomes the first, selected row.
        if !matches!(
            scene.scene.optimizer,
            teleport_core::optim::OptimizerSpec::Alg2 { .. }
        ) {
            let same: Vec<RowId> = self
                .state
                .optimizers
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.id)
                .collect();
            for id in same {
                self.state.remove_row(id);
            }
            let id = self.state.add_row(state::OptimizerEntry::new(true, kind));
            let row = self.state.optimizers.pop();
            self.state.optimizers.splice(0..0, row);
            self.state.selected = id;
        }
        self.state.normalize();
    }

    /// Replaces the task; an invalid one leaves the current task in place.
    pub fn set_source(&mut self, source: TaskSource) -> Result<(), String> {
        let objective = objective_of(&source)?;
        let family_changed = Family::of(&objective) != Family::of(&self.rt.objective);
        if let TaskSource::Preset(p) = &source
            && (family_changed || self.state.source != source)
        {
            self.state.x0 = p.default_x0().into();
        }
        // Refit the view for a new task, but not while parameters are edited.
        let editing = matches!(source, TaskSource::Custom(_)) && !family_changed;
        self.rt.draft = ObjectiveSpec::of(&objective);
        self.rt.objective = objective;
        self.rt.task_error = None;
        // A caption describes its demo: another task is another demo (Undo
        // brings it back). Editing the task's parameters keeps it.
        if !editing && self.state.source != source {
            self.state.caption = None;
        }
        self.state.source = source;
        self.state.network.active = false;
        self.state.manual_teleports.clear();
        self.rt.level_set.invalidate();
        self.rt.level_set.reset_view |= !editing;
        Ok(())
    }

    /// Gives the classical rows the step sizes that work on `preset` (GD,
    /// with or without teleports; momentum; Adam). Returns whether any
    /// changed.
    pub fn apply_step_sizes(&mut self, preset: Preset) -> bool {
        use teleport_core::optim::OptimizerSpec;
        let s = preset.step_sizes();
        let mut changed = false;
        for row in &mut self.state.optimizers {
            if let EntryKind::Classical { spec, .. } = &mut row.kind {
                let (lr, want) = match spec {
                    OptimizerSpec::Gd { lr } => (lr, s.gd),
                    OptimizerSpec::Momentum { lr, .. } => (lr, s.momentum),
                    OptimizerSpec::Adam { lr, .. } => (lr, s.adam),
                    OptimizerSpec::Newton { .. } | OptimizerSpec::Alg2 { .. } => continue,
                };
                changed |= *lr != want;
                *lr = want;
            }
        }
        changed
    }

    /// Applies hand-edited parameters: valid ones become the task; invalid
    /// ones are flagged at the fields and the last valid task stays.
    pub fn edit_custom(&mut self, spec: ObjectiveSpec) {
        match spec.build() {
            Ok(_) => {
                if let Err(e) = self.set_source(TaskSource::Custom(spec.clone())) {
                    self.rt.task_error = Some(e);
                }
            }
            Err(e) => self.rt.task_error = Some(e.to_string()),
        }
        self.rt.draft = spec;
    }
}

/// What a preset shows, in two sentences: its caption when it opens, so
/// that it makes a slide as it is.
pub fn preset_story(preset: Preset) -> &'static str {
    match preset {
        Preset::ElliFixed => {
            "The paper's fixed ellipse (Figure 3): GD crawls along the long axis, while the teleport jumps along the level set (dashed purple) to where the slope is steepest. The learned rows are dimmed past the 21 steps they were trained on."
        }
        Preset::Booth => {
            "Booth's function (Zhao et al. 2022): one teleport to the steepest point of a level set and GD reaches the minimum in a few steps. Its level sets are ellipses, so every teleport is exact."
        }
        Preset::Rosenbrock => {
            "Rosenbrock's curved valley: teleporting to the steepest point of a level set throws GD out of the valley — a red ✕ marks where a run diverges. Teleports that raise ‖∇f‖ can hurt (the paper's section 6)."
        }
        Preset::RosFixed => {
            "The paper's fixed Rosenbrock (Figure 5): teleports help less here, and the learned optimizers, trained on 21 steps of random Rosenbrock tasks, swing once past their horizon (dimmed)."
        }
    }
}
