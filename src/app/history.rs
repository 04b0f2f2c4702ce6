//! Undo and redo of every change to the demo: the task and its parameters,
//! x₀, the steps, the rows and their settings, teleports by hand, the
//! caption, the display toggles, the open instruments and the layout, and
//! Reset to defaults (which therefore asks for no confirmation).
//!
//! The history keeps snapshots of the demo ([`Demo`]: the saved state less
//! what moves by itself or is not part of a demo — the playback step,
//! recent files, the zoom, the 3D surface's camera). A change becomes one
//! step when the user lets go: a slider dragged for ten seconds is one
//! step, as is a formula typed into a field (committed a second after the
//! last keystroke).

use std::collections::VecDeque;

use super::state::AppState;

/// Undo steps kept; older ones are forgotten.
pub const MAX_STEPS: usize = 200;

/// Frames whose changes belong to the step an undo or redo put back.
const RESTORE_FRAMES: u8 = 2;

/// Seconds without a keystroke after which typing in a field is one step.
const TYPING_PAUSE_SECS: f64 = 1.0;

/// The part of the state an undo restores: the state with what is not
/// part of the demo set to fixed values.
#[derive(Clone, Debug, PartialEq)]
pub struct Demo(AppState);

impl Demo {
    /// The demo shown by `state`.
    pub fn of(state: &AppState) -> Self {
        let mut demo = state.clone();
        let neutral = AppState::default();
        demo.playback = neutral.playback;
        demo.recent = Vec::new();
        demo.view = neutral.view;
        demo.embed_weights = neutral.embed_weights;
        // Algorithm 2's own timeline moves while it plays.
        demo.alg2.t = 0;
        demo.alg2.playing = false;
        // Turning the 3D surface is looking, not changing the demo (as
        // panning the plot is): every wheel notch would be a step.
        demo.surface.camera = neutral.surface.camera;
        Self(demo)
    }

    /// The demo as a state (with the parts that are not the demo neutral).
    pub fn state(&self) -> &AppState {
        &self.0
    }

    /// The parts of the demo where `self` and `other` differ, by name (for
    /// failure messages: two demos' text can be equal where they are not).
    pub fn differences(&self, other: &Self) -> Vec<&'static str> {
        let (a, b) = (&self.0, &other.0);
        let mut out = Vec::new();
        macro_rules! compare {
            ($($field:ident)*) => {
                $(if a.$field != b.$field {
                    out.push(stringify!($field));
                })*
            };
        }
        compare!(source x0 steps theta optimizers selected next_row manual_teleports show panels
            alg2 training caption across_tasks basin layout surface network);
        if out.is_empty() && a != b {
            out.push("a part not named here");
        }
        out
    }

    /// Puts this demo into `state`, keeping what is not part of a demo.
    pub fn restore_into(&self, state: &mut AppState) {
        let playback = state.playback.clone();
        let recent = std::mem::take(&mut state.recent);
        let view = state.view.clone();
        let embed = state.embed_weights;
        let (t, playing) = (state.alg2.t, state.alg2.playing);
        let camera = state.surface.camera;
        *state = self.0.clone();
        state.surface.camera = camera;
        state.playback = playback;
        state.playback.t = state.playback.t.min(state.steps);
        state.recent = recent;
        state.view = view;
        state.embed_weights = embed;
        state.alg2.t = t.min(state.alg2.steps);
        state.alg2.playing = playing;
    }
}

/// The undo and redo stacks around the demo as last settled.
#[derive(Debug)]
pub struct History {
    past: VecDeque<Demo>,
    future: Vec<Demo>,
    /// The demo after the last committed change.
    settled: Demo,
    /// An uncommitted change: the demo and when it last changed.
    moving: Option<(Demo, f64)>,
    /// Frames left after an undo or redo put `settled` back: what the app
    /// makes of it in those frames (the frame of the undo, and the next,
    /// whose UI lays the restored state out: a pane opened for an open
    /// instrument, tiles regrouped, a selection kept in range) is that
    /// step, not a change of the user's. Without this an undo to such a
    /// snapshot made a new step each time and undo never reached the first.
    restored: u8,
}

impl History {
    /// A history whose first state is `state`'s demo.
    pub fn new(state: &AppState) -> Self {
        Self {
            past: VecDeque::new(),
            future: Vec::new(),
            settled: Demo::of(state),
            moving: None,
            restored: 0,
        }
    }

    /// Called once per frame with the state and whether the user is still
    /// in the middle of a change (`pointer_down`: a drag; `typing`: a text
    /// field has the keyboard). A finished change becomes one undo step.
    pub fn feed(&mut self, state: &AppState, now: f64, pointer_down: bool, typing: bool) {
        let demo = Demo::of(state);
        if self.restored > 0 {
            self.restored -= 1;
            self.settled = demo;
            self.moving = None;
            return;
        }
        if demo == self.settled {
            self.moving = None;
            return;
        }
        let changed_at = match &mut self.moving {
            Some((latest, at)) if *latest == demo => *at,
            _ => {
                self.moving = Some((demo.clone(), now));
                now
            }
        };
        let paused = now - changed_at >= TYPING_PAUSE_SECS;
        if !pointer_down && (!typing || paused) {
            self.commit(demo);
        }
    }

    fn commit(&mut self, demo: Demo) {
        let before = std::mem::replace(&mut self.settled, demo);
        self.past.push_back(before);
        while self.past.len() > MAX_STEPS {
            self.past.pop_front();
        }
        self.future.clear();
        self.moving = None;
    }

    /// Whether there is anything to undo from `state`.
    pub fn can_undo(&self, state: &AppState) -> bool {
        !self.past.is_empty() || (self.restored == 0 && Demo::of(state) != self.settled)
    }

    /// Whether there is anything to redo from `state`.
    pub fn can_redo(&self, state: &AppState) -> bool {
        !self.future.is_empty() && (self.restored > 0 || Demo::of(state) == self.settled)
    }

    /// Within the frames after an undo or redo, what the app made of the
    /// restored step is that step (see `restored`): an undo or redo pressed
    /// again right away starts from it, so that a widget that rounds a
    /// restored value cannot make undo take back only its rounding, again
    /// and again.
    fn adopt_restored(&mut self, state: &AppState) {
        if self.restored > 0 {
            self.settled = Demo::of(state);
            self.moving = None;
        }
    }

    /// Takes back the last change: a change under way first, else the last
    /// committed one. Returns whether `state` changed.
    pub fn undo(&mut self, state: &mut AppState) -> bool {
        self.adopt_restored(state);
        let current = Demo::of(state);
        if current != self.settled {
            self.future.push(current);
            self.moving = None;
            self.settled.restore_into(state);
            self.restored = RESTORE_FRAMES;
            return true;
        }
        let Some(previous) = self.past.pop_back() else {
            return false;
        };
        let now = std::mem::replace(&mut self.settled, previous);
        self.future.push(now);
        self.settled.restore_into(state);
        self.restored = RESTORE_FRAMES;
        true
    }

    /// Does again what the last undo took back; nothing once the demo has
    /// changed since. Returns whether `state` changed.
    pub fn redo(&mut self, state: &mut AppState) -> bool {
        self.adopt_restored(state);
        if Demo::of(state) != self.settled {
            self.future.clear();
            return false;
        }
        let Some(next) = self.future.pop() else {
            return false;
        };
        let now = std::mem::replace(&mut self.settled, next);
        self.past.push_back(now);
        self.settled.restore_into(state);
        self.restored = RESTORE_FRAMES;
        true
    }

    /// Commits a change under way now, as if the user had let go.
    pub fn settle(&mut self, state: &AppState) {
        let demo = Demo::of(state);
        if demo != self.settled {
            self.commit(demo);
        }
    }

    /// Undo steps kept.
    pub fn undo_steps(&self) -> usize {
        self.past.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drag_is_one_step_and_undo_goes_back_through_each() {
        let mut state = AppState::default();
        let start = state.clone();
        let mut h = History::new(&state);
        // A drag of x₀ over 30 frames: one step when the button is let go.
        for k in 0..30 {
            state.x0[0] += 0.1;
            h.feed(&state, f64::from(k) / 60.0, true, false);
        }
        h.feed(&state, 0.6, false, false);
        let dragged = state.clone();
        // Two clicks: two steps.
        state.steps = 40;
        h.feed(&state, 0.7, false, false);
        state.optimizers[1].enabled = true;
        h.feed(&state, 0.8, false, false);
        assert_eq!(h.undo_steps(), 3);
        assert!(h.undo(&mut state) && state.optimizers[1].enabled == start.optimizers[1].enabled);
        assert!(h.undo(&mut state) && state.steps == start.steps);
        assert!(h.undo(&mut state));
        assert_eq!(Demo::of(&state), Demo::of(&start));
        assert!(!h.undo(&mut state), "nothing left");
        // Redo all of it.
        assert!(h.redo(&mut state) && h.redo(&mut state) && h.redo(&mut state));
        assert_eq!(state.x0, dragged.x0);
        assert!(state.steps == 40 && state.optimizers[1].enabled);
        assert!(!h.redo(&mut state));
    }

    #[test]
    fn an_undo_in_the_middle_of_a_change_takes_it_back() {
        let mut state = AppState::default();
        let mut h = History::new(&state);
        state.theta = 1.0;
        h.feed(&state, 0.0, true, false);
        assert!(h.can_undo(&state));
        assert!(h.undo(&mut state));
        assert_eq!(state.theta, 0.0);
        assert!(h.redo(&mut state));
        assert_eq!(state.theta, 1.0);
    }

    #[test]
    fn typing_is_one_step_after_a_pause_and_a_new_change_clears_redo() {
        let mut state = AppState::default();
        let first = state.caption.clone();
        let mut h = History::new(&state);
        for (k, caption) in ["T", "Te", "Tel"].into_iter().enumerate() {
            state.caption = Some(caption.to_owned());
            h.feed(&state, k as f64 * 0.2, false, true);
        }
        assert_eq!(h.undo_steps(), 0, "still typing");
        h.feed(&state, 2.0, false, true);
        assert_eq!(h.undo_steps(), 1);
        assert!(h.undo(&mut state) && state.caption == first);
        // The frame of the undo and the next lay the restored step out.
        for k in 0..RESTORE_FRAMES {
            h.feed(&state, 2.1 + f64::from(k) * 0.1, false, false);
        }
        assert!(h.can_redo(&state));
        state.steps = 7;
        h.feed(&state, 3.0, false, false);
        assert!(!h.can_redo(&state));
        assert!(!h.redo(&mut state));
    }

    #[test]
    fn what_is_not_the_demo_neither_makes_steps_nor_is_undone() {
        let mut state = AppState::default();
        let mut h = History::new(&state);
        state.playback.t = 50;
        state.playback.playing = true;
        state.view.zoom = 2.0;
        h.feed(&state, 0.0, false, false);
        assert_eq!(h.undo_steps(), 0);
        state.x0 = [1.0, 1.0];
        h.feed(&state, 1.0, false, false);
        assert!(h.undo(&mut state));
        assert_eq!(state.x0, AppState::default().x0);
        assert!(state.playback.playing && state.view.zoom == 2.0);
    }

    #[test]
    fn what_the_app_makes_of_a_restored_step_is_that_step() {
        let mut state = AppState::default();
        let mut h = History::new(&state);
        state.steps = 40;
        h.feed(&state, 0.0, false, false);
        assert!(h.undo(&mut state));
        // The next frame's UI normalizes the restored state (say, a
        // θ wrapped into range): no new step, redo still there, and
        // undo has nothing left.
        state.theta = 0.5;
        h.feed(&state, 0.1, false, false);
        assert_eq!(h.undo_steps(), 0);
        assert!(!h.can_undo(&state));
        assert!(h.can_redo(&state));
        // Once laid out, a change is the user's again.
        h.feed(&state, 0.2, false, false);
        state.x0 = [1.0, 2.0];
        h.feed(&state, 0.3, false, false);
        assert_eq!(h.undo_steps(), 1);
        assert!(!h.can_redo(&state));
    }

    #[test]
    fn the_history_is_bounded() {
        let mut state = AppState::default();
        let mut h = History::new(&state);
        for k in 0..(MAX_STEPS + 50) {
            state.steps = k + 2;
            h.feed(&state, k as f64, false, false);
        }
        assert_eq!(h.undo_steps(), MAX_STEPS);
        let mut undone = 0;
        while h.undo(&mut state) {
            undone += 1;
        }
        assert_eq!(undone, MAX_STEPS);
        assert_eq!(state.steps, 50 + 1);
    }
}
