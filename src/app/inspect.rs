//! What tests and benchmarks see of the app's runtime.

use super::{LiveModel, Notification, TeleportApp, TeleportQuality};
use super::{
    across, basin, export, inbox, level_set, presentation, trainer, training_view, validation,
};
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::objective::Objective;

/// The app's inspection surface for tests and benchmarks: what they read of
/// the runtime (which is otherwise private to the app), and the few narrow
/// pokes they need (a fault to inject, an arrival to deliver, a path to
/// type, training to stop). The app itself uses the fields directly.
impl TeleportApp {
    /// The current (always valid) task.
    pub fn objective(&self) -> &Objective {
        &self.rt.objective
    }

    /// Why the editor's draft is not used, as shown at the field; `None`
    /// while the draft is the task.
    pub fn task_error(&self) -> Option<&str> {
        self.rt.task_error.as_deref()
    }

    /// The editor's values for hand-edited parameters.
    pub fn draft(&self) -> &ObjectiveSpec {
        &self.rt.draft
    }

    /// The live-trained (or loaded) model, once there is one.
    pub fn live_model(&self) -> Option<&LiveModel> {
        self.rt.live.as_ref()
    }

    /// Live training: its thread, progress and last problem.
    pub fn training(&self) -> &training_view::TrainingRuntime {
        &self.rt.training
    }

    /// Stops and joins the training thread, if any; the live weights stay.
    pub fn stop_training(&mut self) {
        self.rt.training.stop();
    }

    /// Makes the next training thread fail as `fault` says (a test hook);
    /// the default [`trainer::FaultInjection`] injects none.
    pub fn inject_training_fault(&mut self, fault: trainer::FaultInjection) {
        self.rt.training.fault = fault;
    }

    /// The validation curve of live training.
    pub fn validation(&self) -> &validation::ValidationRuntime {
        &self.rt.validation
    }

    /// Starts the undo history afresh from the state now: the monkey's
    /// "undo everything" goes back to here.
    pub fn restart_history(&mut self) {
        self.rt.history = super::history::History::new(&self.state);
    }

    /// Commits a change under way to the undo history, as if the user had
    /// let go.
    pub fn settle_history(&mut self) {
        self.rt.history.settle(&self.state);
    }

    /// Whether Edit → Undo and Edit → Redo have something to do.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        (
            self.rt.history.can_undo(&self.state),
            self.rt.history.can_redo(&self.state),
        )
    }

    /// The messages in the corner, oldest first.
    pub fn notifications(&self) -> &[Notification] {
        &self.rt.notifications
    }

    /// The level-set plot's caches, and its rectangle, view and x₀ as drawn
    /// in the last frame.
    pub fn level_set(&self) -> &level_set::LevelSetCache {
        &self.rt.level_set
    }

    /// The central panel's rectangle in the last frame.
    pub fn central_rect(&self) -> egui::Rect {
        self.rt.central_rect
    }

    /// The loss plot's view in the last frame (step, log₁₀ f).
    pub fn loss_bounds(&self) -> Option<&egui_plot::PlotBounds> {
        self.rt.loss_bounds.as_ref()
    }

    /// The loss plot across test tasks.
    pub fn across(&self) -> &across::AcrossRuntime {
        &self.rt.across
    }

    /// The basin map of the selected row.
    pub fn basin(&self) -> &basin::BasinRuntime {
        &self.rt.basin
    }

    /// θ* at the current point.
    pub fn oracle(&self) -> &teleport_core::symmetry::OracleResult {
        &self.rt.oracle
    }

    /// How well the teleport that landed on the current point chose its
    /// angle, when the selected row teleported at this step.
    pub fn teleport_quality(&self) -> Option<&TeleportQuality> {
        self.rt.teleport_quality.as_ref()
    }

    /// The in-app "open a file" prompt, while it is open.
    pub fn path_prompt(&self) -> Option<&export::PathPrompt> {
        self.rt.export.prompt.as_ref()
    }

    /// Puts `path` in the open path prompt's field, as if typed over what it
    /// held; `false` (and nothing typed) when no prompt is open.
    pub fn type_in_path_prompt(&mut self, path: impl Into<String>) -> bool {
        match &mut self.rt.export.prompt {
            Some(prompt) => {
                prompt.text = path.into();
                true
            }
            None => false,
        }
    }

    /// The last file an export wrote.
    pub fn last_written(&self) -> Option<&std::path::Path> {
        self.rt.export.last_written.as_deref()
    }

    /// Queues `arrival` as the browser's callbacks do; the next frame opens
    /// it.
    pub fn deliver(&self, arrival: inbox::Arrival) {
        self.rt.inbox.push(arrival);
    }

    /// Whether an animation is being recorded.
    pub fn is_recording(&self) -> bool {
        self.rt.animation.is_some()
    }

    /// The lesson being presented, if any.
    pub fn lesson(&self) -> Option<&presentation::Lesson> {
        self.rt.lesson.as_ref()
    }
}
