//! A seeded UI monkey: random sequences of real user actions on the real
//! app, with the app's invariants checked after every action.
//!
//! The monkey drives [`TeleportApp::ui_body`] through egui's raw input, as
//! eframe does, at 1440×900. It finds the widgets a user could use in the
//! accessibility tree of the previous frame (buttons, checkboxes, sliders,
//! drag values, combo boxes, menu items) and clicks, drags and types into
//! them; it also clicks, drags and scrolls on the plots, presses the app's
//! keys, and does what the side panel offers (add, remove, enable rows,
//! switch tasks, open windows, start, pause and stop training) — on the
//! plane's tasks and on the network task (its data, layers, rows, teleports
//! by hand, views, training, hostile CSV files) — in random orders, so
//! that sequences no single-action test meets are met.
//!
//! After each action, [`check`] asserts: no panic; every enabled row that
//! has a model has its run, and no run outlives its row; row ids are unique
//! and every row has a colour; the selection names a row; the timeline is
//! inside the run; the training timeline is bounded and a version scrubbed
//! back to is the live model; a basin map is drawn only when on, for its row's run and
//! its steps; the 3D surface's camera is finite and in range and its scene
//! finite; the network's rows, teleports by hand and runs are as
//! consistent as the plane's; nothing drawn has a NaN coordinate and no
//! drawn text reads `NaN`; and the state serializes and deserializes to
//! itself.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use egui::accesskit::Role;
use egui::{Event, Key, Modifiers, PointerButton, Pos2, Rect, pos2, vec2};
use rand::RngExt as _;

use super::app::SCREEN;
use crate::app::commands::UiCommand;
use crate::app::history::Demo;
use crate::app::state::{AppState, EntryKind, OptimizerEntry, TaskSource, default_optimizers};
use crate::app::{Action, TeleportApp};
use teleport_core::l2o::Variant;
use teleport_core::objective::{Preset, TaskDist};

/// What a monkey run did.
#[derive(Clone, Debug, Default)]
pub struct MonkeyReport {
    /// Actions taken.
    pub actions: usize,
    /// Frames drawn.
    pub frames: usize,
    /// How many of each kind of action, by name.
    pub counts: Vec<(&'static str, usize)>,
    /// The most rows seen at once.
    pub max_rows: usize,
    /// Training threads started.
    pub trainings: usize,
    /// Segments of actions taken back by undo and done again by redo.
    pub undos: usize,
}

/// An invariant that broke (or a panic), with the actions that led to it.
#[derive(Clone, Debug)]
pub struct MonkeyFailure {
    /// The seed of the run.
    pub seed: u64,
    /// The index of the action after which the check failed.
    pub action: usize,
    /// What broke.
    pub what: String,
    /// The last actions, oldest first.
    pub recent: Vec<String>,
    /// The app's state when it failed (RON), to replay by hand.
    pub state: String,
}

impl std::fmt::Display for MonkeyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "monkey seed {} failed after action {}: {}",
            self.seed, self.action, self.what
        )?;
        writeln!(f, "last actions:")?;
        for a in &self.recent {
            writeln!(f, "  {a}")?;
        }
        writeln!(f, "state: {}", self.state)
    }
}

/// A widget found in the accessibility tree.
#[derive(Clone, Debug)]
struct Target {
    role: Role,
    rect: Rect,
    label: String,
}

/// The app under test and its egui context.
struct Driver {
    ctx: egui::Context,
    app: TeleportApp,
    time: f64,
    targets: Vec<Target>,
    frames: usize,
    nan_drawn: Option<String>,
    /// Where exports go.
    dir: PathBuf,
}

impl Driver {
    fn new(export_dir: PathBuf) -> Self {
        let ctx = egui::Context::default();
        crate::app::install_fonts(&ctx);
        ctx.set_theme(egui::Theme::Light);
        ctx.enable_accesskit();
        let options = super::app::headless_options(Some(export_dir.clone()));
        let mut state = AppState::default();
        // Small enough that training finishes within a few hundred actions.
        state.training.hidden = 8;
        state.training.trajectories = 60;
        state.network.training.hidden = 8;
        state.network.training.trajectories = 20;
        state.network.training.steps = 20;
        let app = TeleportApp::new(state, &options);
        Self {
            ctx,
            app,
            time: 0.0,
            targets: Vec::new(),
            frames: 0,
            nan_drawn: None,
            dir: export_dir,
        }
    }

    /// A random one of the targets whose role is one of `roles`, if any.
    fn random_target(&self, rng: &mut teleport_core::Rng, roles: &[Role]) -> Option<Target> {
        let found: Vec<&Target> = self
            .targets
            .iter()
            .filter(|t| roles.contains(&t.role))
            .collect();
        (!found.is_empty()).then(|| found[rng.random_range(0..found.len())].clone())
    }

    /// One frame with these events.
    fn frame(&mut self, events: Vec<Event>) {
        self.time += 1.0 / 30.0;
        let input = super::app::frame_input(self.time, 1.0 / 30.0, events);
        let app = &mut self.app;
        let mut output = self.ctx.run_ui(input, |ui| app.ui_body(ui));
        // No GPU here: the textures are not uploaded anywhere.
        output.textures_delta.clear();
        self.frames += 1;
        self.nan_drawn = drawn_nan(&output.shapes);
        if let Some(update) = output.platform_output.accesskit_update {
            self.targets = update
                .nodes
                .iter()
                .filter_map(|(_, node)| {
                    let role = node.role();
                    if !interactive(role) || node.is_disabled() {
                        return None;
                    }
                    let b = node.bounds()?;
                    let rect = Rect::from_min_max(
                        pos2(b.x0 as f32, b.y0 as f32),
                        pos2(b.x1 as f32, b.y1 as f32),
                    );
                    SCREEN.contains(rect.center()).then(|| Target {
                        role,
                        rect,
                        label: node.label().unwrap_or_default().to_owned(),
                    })
                })
                .collect();
            // The tree comes from a hash map: sort so that a seed always
            // picks the same widget.
            self.targets.sort_by(|a, b| {
                (a.rect.min.y, a.rect.min.x, &a.label)
                    .partial_cmp(&(b.rect.min.y, b.rect.min.x, &b.label))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
    }

    fn click(&mut self, pos: Pos2, button: PointerButton) {
        self.frame(vec![Event::PointerMoved(pos)]);
        self.frame(vec![press(pos, button, true)]);
        self.frame(vec![press(pos, button, false)]);
    }

    fn drag(&mut self, from: Pos2, to: Pos2) {
        self.frame(vec![Event::PointerMoved(from)]);
        self.frame(vec![press(from, PointerButton::Primary, true)]);
        for k in 1..=4 {
            let p = from + (to - from) * (k as f32 / 4.0);
            self.frame(vec![Event::PointerMoved(p)]);
        }
        self.frame(vec![press(to, PointerButton::Primary, false)]);
    }

    fn key(&mut self, key: Key, modifiers: Modifiers) {
        let down = |pressed| Event::Key {
            key,
            physical_key: None,
            pressed,
            repeat: false,
            modifiers,
        };
        self.frame(vec![down(true)]);
        self.frame(vec![down(false)]);
    }
}

fn press(pos: Pos2, button: PointerButton, pressed: bool) -> Event {
    Event::PointerButton {
        pos,
        button,
        pressed,
        modifiers: Modifiers::NONE,
    }
}

/// Roles of widgets a user clicks, drags or types into.
fn interactive(role: Role) -> bool {
    matches!(
        role,
        Role::Button
            | Role::CheckBox
            | Role::RadioButton
            | Role::Slider
            | Role::SpinButton
            | Role::TextInput
            | Role::ComboBox
            | Role::MenuItem
            | Role::Tab
            | Role::Link
    )
}

/// The first drawn shape with a NaN coordinate or a `NaN` text, if any.
pub fn drawn_nan(shapes: &[egui::epaint::ClippedShape]) -> Option<String> {
    for clipped in shapes {
        if clipped.clip_rect.any_nan() {
            return Some("a clip rectangle with NaN".to_owned());
        }
        let mut found = None;
        visit(&clipped.shape, &mut |shape| {
            if found.is_some() {
                return;
            }
            if let egui::epaint::Shape::Text(text) = shape {
                // An empty galley's mesh bounds are ±∞, so its visual
                // bounds are NaN by construction: check where it is drawn.
                if text.pos.any_nan() || text.galley.rect.any_nan() {
                    found = Some(format!("text at a NaN position: {:?}", text.galley.text()));
                } else if text.galley.text().contains("NaN") {
                    found = Some(format!("the text {:?}", text.galley.text()));
                }
            } else if shape.visual_bounding_rect().any_nan() {
                found = Some(format!("a shape with a NaN coordinate: {shape:?}"));
            }
        });
        if let Some(what) = found {
            return Some(format!("{what} (clipped to {:?})", clipped.clip_rect));
        }
    }
    None
}

fn visit(shape: &egui::epaint::Shape, f: &mut impl FnMut(&egui::epaint::Shape)) {
    if let egui::epaint::Shape::Vec(shapes) = shape {
        for s in shapes {
            visit(s, f);
        }
    } else {
        f(shape);
    }
}

/// The app's invariants; the first one that fails, described.
pub fn check(app: &TeleportApp) -> Result<(), String> {
    let state = &app.state;
    let mut ids = std::collections::HashSet::new();
    for row in &state.optimizers {
        if !ids.insert(row.id) {
            return Err(format!("two rows share the id {:?}", row.id));
        }
        if row.color.is_none() {
            return Err(format!("row {:?} has no colour", row.id));
        }
        let expected = row.enabled && app.optimizer_of(row.id).is_some();
        if app.run(row.id).is_some() != expected {
            return Err(format!(
                "row {:?} ({}) enabled={} has a run: {}, expected {expected}",
                row.id,
                row.label(),
                row.enabled,
                app.run(row.id).is_some()
            ));
        }
    }
    if let Some(id) = app.run_rows().find(|id| !ids.contains(id)) {
        return Err(format!("a run outlives its row {id:?}"));
    }
    if !state.optimizers.is_empty() && state.row(state.selected).is_none() {
        return Err(format!("the selection {:?} names no row", state.selected));
    }
    if let Some(m) = state
        .manual_teleports
        .iter()
        .find(|m| !ids.contains(&m.row))
    {
        return Err(format!("a hand-applied teleport names no row: {m:?}"));
    }
    if state.playback.t > state.steps {
        return Err(format!(
            "the timeline is at {} of {} steps",
            state.playback.t, state.steps
        ));
    }
    if !state.theta.is_finite() || !state.x0.iter().all(|v| v.is_finite()) {
        return Err(format!(
            "θ = {} or x₀ = {:?} is not finite",
            state.theta, state.x0
        ));
    }
    let timeline = app.training_timeline();
    if timeline.versions().len() > crate::app::timeline::CAPACITY + 1 {
        return Err(format!(
            "the training timeline keeps {} versions",
            timeline.versions().len()
        ));
    }
    if !timeline.follows_newest() {
        // A version scrubbed back to is the live model.
        let shown = timeline.shown().map(|v| &v.model);
        let live = app.live_model().map(|l| &l.model);
        if !matches!((shown, live), (Some(a), Some(b)) if std::sync::Arc::ptr_eq(a, b)) {
            return Err("the training timeline's version is not the live model".to_owned());
        }
    }
    check_network(app)?;
    let basin = app.basin();
    if !state.basin.shown && (basin.shown().is_some() || basin.computing()) {
        return Err("the basin map is off but drawn or computing".to_owned());
    }
    if let Some(map) = basin.shown() {
        if map.steps != state.basin.steps || map.cells.len() != map.grid.n * map.grid.n {
            return Err(format!(
                "a basin map of {} steps and {} cells is shown for {} steps",
                map.steps,
                map.cells.len(),
                state.basin.steps
            ));
        }
        if app.run(state.selected).is_none() {
            return Err("a basin map is shown for a row without a run".to_owned());
        }
    }
    let camera = state.surface.camera;
    let elevations = teleport_core::plot::surface::ELEVATION_MIN_DEG
        ..=teleport_core::plot::surface::ELEVATION_MAX_DEG;
    let sound = camera.azimuth_deg.is_finite()
        && camera.zoom.is_finite()
        && camera.zoom > 0.0
        && elevations.contains(&camera.elevation_deg);
    if !sound {
        return Err(format!("the surface's camera is {camera:?}"));
    }
    if let Some(scene) = app.surface().scene() {
        use teleport_core::plot::surface::Primitive;
        let finite = |p: &[f32; 2]| p.iter().all(|v| v.is_finite());
        let bad = scene.primitives.iter().find(|p| match p {
            Primitive::Polygon { points, .. } | Primitive::Polyline { points, .. } => {
                !points.iter().all(finite)
            }
            Primitive::Marker { at, .. } | Primitive::Text { at, .. } => !finite(at),
        });
        if let Some(p) = bad {
            return Err(format!(
                "the surface draws at a point that is not finite: {p:?}"
            ));
        }
    }
    let text = ron::to_string(state).map_err(|e| format!("the state does not serialize: {e}"))?;
    let back: AppState =
        ron::from_str(&text).map_err(|e| format!("the state does not deserialize: {e}"))?;
    if &back != state {
        return Err("the state does not deserialize to itself".to_owned());
    }
    Ok(())
}

/// The network demo's invariants.
fn check_network(app: &TeleportApp) -> Result<(), String> {
    let net = app.network();
    let mut ids = std::collections::HashSet::new();
    for row in &net.rows {
        if !ids.insert(row.id) {
            return Err(format!("two network rows share the id {:?}", row.id));
        }
        if row.color.is_none() {
            return Err(format!("network row {:?} has no colour", row.id));
        }
        // The runs are kept for the network on screen only.
        if net.active && !row.enabled && app.network_run(row.id).is_some() {
            return Err(format!("network row {:?} is off but has a run", row.id));
        }
    }
    if let Some(id) = app
        .network_run_rows()
        .find(|id| net.active && !ids.contains(id))
    {
        return Err(format!("a network run outlives its row {id:?}"));
    }
    if !net.rows.is_empty() && net.row(net.selected).is_none() {
        return Err(format!(
            "the network selection {:?} names no row",
            net.selected
        ));
    }
    if let Some(m) = net
        .manual
        .iter()
        .find(|m| !ids.contains(&m.row) || !net.has_unit(m.unit))
    {
        return Err(format!(
            "a network teleport by hand names no row or unit: {m:?}"
        ));
    }
    let theta = net.scrubber.theta;
    if !(theta.is_finite() && theta.abs() <= crate::app::network::state::SCRUBBER_RANGE) {
        return Err(format!("the unit's θ is {theta}"));
    }
    if !net.has_unit(net.scrubber.unit) {
        return Err(format!(
            "the scrubber's unit {:?} is not the network's",
            net.scrubber.unit
        ));
    }
    if net.active
        && let Some(task) = app.network_task()
    {
        let params = task.mlp.num_params();
        for id in app.network_run_rows() {
            let Some(run) = app.network_run(id) else {
                continue;
            };
            for r in &run.shown().trajectory.records {
                if r.params.len() != params {
                    // A run of the task before an edit is replaced when the
                    // worker delivers; it must never be of another size
                    // once delivered for this task.
                    if !app.network_runs_pending() {
                        return Err(format!(
                            "network row {id:?} has {} parameters, the network {params}",
                            r.params.len()
                        ));
                    }
                    break;
                }
                if !(r.f.is_finite() && r.grad_norm.is_finite()) {
                    return Err(format!("network row {id:?} recorded f = {}", r.f));
                }
            }
        }
    }
    Ok(())
}

/// Typing a user might do into a number field.
fn junk_text(rng: &mut teleport_core::Rng) -> String {
    const WORDS: [&str; 16] = [
        "0",
        "1",
        "-1",
        "0.5",
        "1e308",
        "-1e308",
        "1e-320",
        "3.14159",
        "nan",
        "inf",
        "-",
        "e",
        "12345678901234567890",
        "abc",
        "1,5",
        "²",
    ];
    let mut s = String::new();
    for _ in 0..rng.random_range(1..=3) {
        s.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
    s
}

const KEYS: [Key; 19] = [
    Key::F11,
    Key::PageDown,
    Key::PageUp,
    Key::T,
    Key::O,
    Key::Space,
    Key::ArrowLeft,
    Key::ArrowRight,
    Key::ArrowUp,
    Key::ArrowDown,
    Key::R,
    Key::OpenBracket,
    Key::CloseBracket,
    Key::F1,
    Key::Escape,
    Key::Enter,
    Key::Tab,
    Key::Home,
    Key::End,
];

/// Runs `actions` random actions from `seed`; stops at the first broken
/// invariant or panic. `on_progress` hears the number of actions done.
pub fn run(
    seed: u64,
    actions: usize,
    export_dir: PathBuf,
    mut on_progress: impl FnMut(usize),
) -> Result<MonkeyReport, MonkeyFailure> {
    let mut rng = teleport_core::rng(seed);
    let mut driver = Driver::new(export_dir);
    let mut recent: std::collections::VecDeque<String> = Default::default();
    let mut report = MonkeyReport::default();
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut current = 0;
    let fail = |action,
                what: String,
                recent: &std::collections::VecDeque<String>,
                app: &TeleportApp| MonkeyFailure {
        seed,
        action,
        what,
        recent: recent.iter().cloned().collect(),
        state: ron::to_string(&app.state).unwrap_or_default(),
    };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        driver.frame(Vec::new());
        driver.frame(Vec::new());
        let mut segment_start = Demo::of(&driver.app.state);
        for i in 0..actions {
            current = i;
            let (kind, description) = act(&mut driver, &mut rng);
            *counts.entry(kind).or_default() += 1;
            if recent.len() == 40 {
                recent.pop_front();
            }
            recent.push_back(format!("#{i} {description}"));
            // The description is logged before the check, so that a panic
            // in the next action still shows what came before it.
            if let Err(what) = check(&driver.app) {
                return Err(fail(i, what, &recent, &driver.app));
            }
            if let Some(what) = driver.nan_drawn.take() {
                return Err(fail(i, format!("drew {what}"), &recent, &driver.app));
            }
            // Segments of actions are taken back by undo and done again by
            // redo: both must land exactly where they should.
            if i % UNDO_EVERY == 0 {
                driver.app.settle_history();
                driver.app.restart_history();
                segment_start = Demo::of(&driver.app.state);
            } else if i % UNDO_EVERY == UNDO_SEGMENT - 1 {
                report.undos += 1;
                if let Err(what) = undo_and_redo_all(&mut driver, &segment_start) {
                    return Err(fail(i, what, &recent, &driver.app));
                }
            }
            report.max_rows = report.max_rows.max(driver.app.state.optimizers.len());
            if i % 1000 == 999 {
                on_progress(i + 1);
            }
        }
        Ok(())
    }));
    driver.app.stop_training();
    report.actions = actions;
    report.frames = driver.frames;
    report.trainings = counts.get("train").copied().unwrap_or(0);
    report.counts = counts.into_iter().collect();
    match outcome {
        Ok(Ok(())) => Ok(report),
        Ok(Err(failure)) => Err(failure),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic".to_owned());
            Err(MonkeyFailure {
                seed,
                action: current,
                what: format!("panicked: {message}"),
                recent: recent.into_iter().collect(),
                state: ron::to_string(&driver.app.state).unwrap_or_default(),
            })
        }
    }
}

/// Actions undone and redone by each check (the monkey's history starts
/// afresh before them).
pub const UNDO_SEGMENT: usize = 40;

/// Actions from the start of one checked segment to the next: every
/// action checked would triple the frames a run draws.
pub const UNDO_EVERY: usize = 200;

/// Edit → Undo until there is nothing left to undo must give back `start`
/// (the demo when the history began), and Edit → Redo until there is
/// nothing left to redo the demo as it was before the undos.
fn undo_and_redo_all(d: &mut Driver, start: &Demo) -> Result<(), String> {
    // Let go of any field first, as a user reaching for the Edit menu does;
    // a field that kept the keyboard would take Ctrl+Z for its own text.
    d.ctx.memory_mut(|m| m.stop_text_input());
    d.frame(Vec::new());
    d.app.settle_history();
    let end = Demo::of(&d.app.state);
    let limit = 2 * crate::app::history::MAX_STEPS;
    for (command, target, what) in [
        (UiCommand::Undo, start, "undoing everything"),
        (UiCommand::Redo, &end, "redoing everything"),
    ] {
        let mut presses = 0;
        let mut last_change = Vec::new();
        loop {
            let (undo, redo) = d.app.can_undo_redo();
            let more = if command == UiCommand::Undo {
                undo
            } else {
                redo
            };
            if !more {
                break;
            }
            if presses == limit {
                return Err(format!(
                    "{what} did not end after {limit} presses; the last changed {}",
                    last_change.join(", ")
                ));
            }
            let before = Demo::of(&d.app.state);
            d.app.run_ui_command(command);
            d.frame(Vec::new());
            last_change = before.differences(&Demo::of(&d.app.state));
            presses += 1;
        }
        let now = Demo::of(&d.app.state);
        if now != *target {
            return Err(format!(
                "{what} ({presses} presses) did not give back the demo: {}",
                target.differences(&now).join(", ")
            ));
        }
    }
    Ok(())
}

/// Picks and does one action; returns its kind and a description.
fn act(d: &mut Driver, rng: &mut teleport_core::Rng) -> (&'static str, String) {
    let roll = rng.random_range(0..100);
    let random_pos = |rng: &mut teleport_core::Rng| {
        pos2(
            rng.random_range(0.0..SCREEN.width()),
            rng.random_range(0.0..SCREEN.height()),
        )
    };
    match roll {
        // A widget a user can see: click it.
        0..=39 if !d.targets.is_empty() => {
            let t = d.targets[rng.random_range(0..d.targets.len())].clone();
            let pos = t.rect.center();
            d.click(pos, PointerButton::Primary);
            (
                "click",
                format!("click {:?} {:?} at {pos:?}", t.role, t.label),
            )
        }
        // Drag a slider or a number.
        40..=49 => {
            let Some(t) = d.random_target(rng, &[Role::Slider, Role::SpinButton]) else {
                d.frame(Vec::new());
                return ("idle", "idle".to_owned());
            };
            let from = t.rect.center();
            let to = from
                + vec2(
                    rng.random_range(-400.0..400.0),
                    rng.random_range(-20.0..20.0),
                );
            d.drag(from, to);
            (
                "drag",
                format!("drag {:?} {:?} by {:?}", t.role, t.label, to - from),
            )
        }
        // Type into a number field: a click opens its editor.
        50..=57 => {
            let roles = [Role::SpinButton, Role::TextInput, Role::Slider];
            let Some(t) = d.random_target(rng, &roles) else {
                d.frame(Vec::new());
                return ("idle", "idle".to_owned());
            };
            d.click(t.rect.center(), PointerButton::Primary);
            d.key(Key::A, Modifiers::COMMAND);
            let text = junk_text(rng);
            d.frame(vec![Event::Text(text.clone())]);
            let end = [Key::Enter, Key::Tab, Key::Escape][rng.random_range(0..3)];
            d.key(end, Modifiers::NONE);
            (
                "type",
                format!(
                    "type {text:?} into {:?} {:?}, then {end:?}",
                    t.role, t.label
                ),
            )
        }
        // Anywhere in the window: click, right-click, double-click, drag,
        // scroll, zoom.
        58..=71 => {
            let pos = random_pos(rng);
            match rng.random_range(0..6) {
                0 => {
                    d.click(pos, PointerButton::Primary);
                    ("poke", format!("click at {pos:?}"))
                }
                1 => {
                    d.click(pos, PointerButton::Secondary);
                    ("poke", format!("right-click at {pos:?}"))
                }
                2 => {
                    d.click(pos, PointerButton::Primary);
                    d.click(pos, PointerButton::Primary);
                    ("poke", format!("double-click at {pos:?}"))
                }
                3 => {
                    let to = random_pos(rng);
                    d.drag(pos, to);
                    ("poke", format!("drag {pos:?} → {to:?}"))
                }
                4 => {
                    let delta = vec2(0.0, rng.random_range(-600.0..600.0));
                    d.frame(vec![Event::PointerMoved(pos)]);
                    d.frame(vec![Event::MouseWheel {
                        unit: egui::MouseWheelUnit::Point,
                        delta,
                        phase: egui::TouchPhase::Move,
                        modifiers: Modifiers::NONE,
                        source: egui::MouseWheelSource::Wheel,
                    }]);
                    ("poke", format!("scroll {delta:?} at {pos:?}"))
                }
                _ => {
                    let zoom = rng.random_range(0.2..5.0);
                    d.frame(vec![Event::PointerMoved(pos)]);
                    d.frame(vec![Event::Zoom(zoom)]);
                    ("poke", format!("zoom {zoom} at {pos:?}"))
                }
            }
        }
        // The app's keys.
        72..=79 => {
            let key = KEYS[rng.random_range(0..KEYS.len())];
            d.key(key, Modifiers::NONE);
            ("key", format!("key {key:?}"))
        }
        // What the side panel and menus offer, done directly: these widgets
        // are often folded away, so clicks alone would rarely reach them.
        _ => panel_action(d, rng),
    }
}

/// What the network task offers, done directly.
fn network_action(d: &mut Driver, rng: &mut teleport_core::Rng) -> (&'static str, String) {
    use crate::app::network::state::{
        MainView, NetData, NetRow, NetRowKind, NetTeleport, NetTeleportStrategy, SliceDirections,
    };
    use teleport_core::net::data::Generator;
    let app = &mut d.app;
    let ctx = d.ctx.clone();
    let n = app.network().rows.len();
    let description = match rng.random_range(0..12) {
        0..=2 => {
            if app.network_active() && rng.random_bool(0.3) {
                app.leave_network();
                "leave the network".to_owned()
            } else {
                app.show_network_task();
                "show the network".to_owned()
            }
        }
        3 => {
            let mut settings = app.network().task.clone();
            let kind = Generator::ALL[rng.random_range(0..Generator::ALL.len())];
            settings.data = NetData::Generated {
                kind,
                points: rng.random_range(2..300),
                noise: kind.default_noise() * rng.random_range(0.0..2.0),
                seed: rng.random_range(0..5),
            };
            let layers = rng.random_range(1..=3);
            settings.hidden = (0..layers).map(|_| rng.random_range(1..=12)).collect();
            settings.init_seed = rng.random_range(0..5);
            let text = settings.describe();
            app.set_network_task(&ctx, settings);
            format!("network task {text}")
        }
        4 => {
            // A hostile CSV file: one notification, nothing changes.
            let path = d.dir.join("monkey.csv");
            let texts = [
                "",
                "x1,x2,label
",
                "0,0,1
1,1,1
",
                "0,0,0
nan,1,1
",
            ];
            let text = texts[rng.random_range(0..texts.len())];
            let _ = std::fs::create_dir_all(&d.dir);
            let _ = std::fs::write(&path, text);
            app.open_file(&ctx, &path);
            format!("open the CSV {text:?}")
        }
        5 => {
            let gd = teleport_core::optim::OptimizerSpec::Gd {
                lr: rng.random_range(0.1..4.0),
            };
            let teleport = rng
                .random_bool(0.5)
                .then(|| NetTeleport::every(NetTeleportStrategy::ORACLE, rng.random_range(1..30)));
            let kind = match rng.random_range(0..4) {
                0 => NetRowKind::Live(teleport_core::net::learned::CwVariant::CwL2oTele),
                _ => NetRowKind::Classical(gd),
            };
            let row = NetRow::new(true, kind, teleport);
            let label = row.label();
            app.state.network.add_row(row);
            format!("add network row {label}")
        }
        6 if n > 0 => {
            let id = app.network().rows[rng.random_range(0..n)].id;
            if rng.random_bool(0.5) {
                app.state.network.remove_row(id);
                format!("remove network row {id:?}")
            } else if let Some(row) = app.state.network.row_mut(id) {
                row.enabled = !row.enabled;
                format!("toggle network row {id:?} to {}", row.enabled)
            } else {
                "idle".to_owned()
            }
        }
        7 if n > 0 => {
            let units = app.network_units();
            let id = app.network().rows[rng.random_range(0..n)].id;
            app.state.network.selected = id;
            if let Some(&unit) = units.get(rng.random_range(0..units.len().max(1))) {
                app.state.network.scrubber.unit = unit;
            }
            app.state.network.scrubber.theta = rng.random_range(-3.0..3.0);
            app.run_ui_command(UiCommand::TeleportHere);
            format!("teleport network row {id:?} by hand")
        }
        8 => {
            let view = &mut app.state.network.view;
            view.main = [MainView::Both, MainView::Data, MainView::Slice][rng.random_range(0..3)];
            view.slice = match rng.random_range(0..3) {
                0 => SliceDirections::GradientAndTeleport,
                1 => SliceDirections::Principal,
                _ => SliceDirections::Random {
                    seed: rng.random_range(0..3),
                },
            };
            format!("network view {:?}, slice {:?}", view.main, view.slice)
        }
        9 => {
            if app.network_training().running() {
                app.stop_network_training();
                "stop network training".to_owned()
            } else {
                app.start_net_training(&ctx);
                "start network training".to_owned()
            }
        }
        10 => {
            app.state.across_tasks = !app.state.across_tasks;
            format!("across tasks: {}", app.state.across_tasks)
        }
        _ => {
            app.state.steps = rng.random_range(1..150);
            format!("steps {}", app.state.steps)
        }
    };
    d.frame(Vec::new());
    ("network", description)
}

fn panel_action(d: &mut Driver, rng: &mut teleport_core::Rng) -> (&'static str, String) {
    // About one panel action in six is on the network task.
    if rng.random_range(0..6) == 0 {
        return network_action(d, rng);
    }
    let app = &mut d.app;
    let n = app.state.optimizers.len();
    let (kind, description) = match rng.random_range(0..17) {
        0 | 1 => {
            let rows = default_optimizers();
            let row = rows[rng.random_range(0..rows.len())].clone();
            let label = row.label();
            app.queue(Action::AddRow(OptimizerEntry::new(true, row.kind)));
            ("add", format!("add row {label}"))
        }
        2 | 3 if n > 0 => {
            let row = &app.state.optimizers[rng.random_range(0..n)];
            let (id, label) = (row.id, row.label());
            app.queue(Action::RemoveRow(id));
            ("remove", format!("remove row {id:?} {label}"))
        }
        4 if n > 0 => {
            let i = rng.random_range(0..n);
            let row = &mut app.state.optimizers[i];
            row.enabled = !row.enabled;
            (
                "toggle",
                format!("toggle row {:?} to {}", row.id, row.enabled),
            )
        }
        5 => {
            for row in &mut app.state.optimizers {
                row.enabled = true;
            }
            ("toggle", "enable every row".to_owned())
        }
        6 => {
            let source = match rng.random_range(0..3) {
                0 => TaskSource::Preset(Preset::ALL[rng.random_range(0..Preset::ALL.len())]),
                1 => TaskSource::Sampled {
                    dist: TaskDist::ALL[rng.random_range(0..TaskDist::ALL.len())],
                    seed: rng.random_range(0..1000),
                },
                _ => {
                    app.queue(Action::Resample);
                    d.frame(Vec::new());
                    return ("task", "resample".to_owned());
                }
            };
            let text = format!("{source:?}");
            app.queue(Action::SetSource(source));
            ("task", format!("task {text}"))
        }
        7 => {
            let p = &mut app.state.panels;
            let which = rng.random_range(0..6);
            match which {
                0 => p.alg2 = !p.alg2,
                1 => p.newton = !p.newton,
                2 => p.training = !p.training,
                3 => p.gallery = !p.gallery,
                4 => p.surface = !p.surface,
                _ => p.help = !p.help,
            }
            ("window", format!("toggle window {which}"))
        }
        8 => {
            if app.training().running() {
                if rng.random_bool(0.5) {
                    app.stop_training();
                    ("train", "stop training".to_owned())
                } else {
                    let paused = app
                        .training()
                        .handle
                        .as_ref()
                        .is_some_and(|h| h.is_paused());
                    if let Some(h) = &app.training().handle {
                        h.set_paused(!paused);
                    }
                    ("train", format!("pause training: {}", !paused))
                }
            } else {
                let variants = Variant::ALL;
                app.state.training.variant = variants[rng.random_range(0..variants.len())];
                app.state.training.hidden = app.state.training.hidden.clamp(4, 16);
                app.state.training.trajectories = app.state.training.trajectories.clamp(1, 100);
                let ctx = d.ctx.clone();
                app.start_training(&ctx);
                (
                    "train",
                    format!("start training {}", app.state.training.variant),
                )
            }
        }
        9 if n > 0 => {
            let id = app.state.optimizers[rng.random_range(0..n)].id;
            app.state.selected = id;
            app.run_ui_command(UiCommand::TeleportHere);
            ("teleport", format!("teleport row {id:?} here"))
        }
        10 => {
            let kind = if rng.random_bool(0.5) {
                Action::ClearTeleports
            } else {
                Action::Ui(UiCommand::ResetDefaults)
            };
            let text = format!("{kind:?}");
            app.queue(kind);
            ("command", text)
        }
        12 => {
            let command = match rng.random_range(0..4) {
                0 => Action::SetPresenting(!app.state.view.presenting),
                1 => Action::Ui(UiCommand::ZoomIn),
                2 => Action::Ui(UiCommand::ZoomOut),
                _ => Action::Ui(UiCommand::ZoomReset),
            };
            let text = format!("{command:?}");
            app.queue(command);
            ("view", text)
        }
        13 => {
            // Your own h: a gallery entry, or a formula as users type them
            // (half-typed, folding, dividing by zero).
            const FORMULAS: [[&str; 2]; 8] = [
                ["x + 0.5*y^3", "y - 0.2*sin(x)"],
                ["x^2", "y"],
                ["x + sin(", "y"],
                ["1/(x-x)", "y"],
                ["exp(x)", "y + x"],
                [
                    "x*cos(x^2+y^2) - y*sin(x^2+y^2)",
                    "x*sin(x^2+y^2) + y*cos(x^2+y^2)",
                ],
                ["x^2 - 0.5*x", "y"],
                ["1e308*x", "y"],
            ];
            if rng.random_bool(0.4) {
                let i = rng.random_range(0..teleport_core::objective::GALLERY.len());
                app.show_gallery_entry(i);
                ("task", format!("gallery entry {i}"))
            } else {
                let f = FORMULAS[rng.random_range(0..FORMULAS.len())];
                app.edit_custom(teleport_core::io::scene::ObjectiveSpec::Custom {
                    h: f.map(str::to_owned),
                    h_inv: None,
                });
                ("task", format!("type h = {f:?}"))
            }
        }
        14 => {
            app.run_ui_command(UiCommand::ExportPlotSvg);
            ("export", "export the plot as SVG".to_owned())
        }
        15 => {
            // A recording waits for screenshots, which a headless run never
            // delivers: Esc (a monkey key) or a changed step count cancels it.
            let ctx = d.ctx.clone();
            let path = d.dir.join("monkey.gif");
            let settings = crate::app::animation::AnimationSettings {
                plot_only: rng.random_bool(0.5),
                ..Default::default()
            };
            if settings.plot_only {
                // Drawn on a worker; it finishes (or is cancelled) while
                // the monkey goes on. A run of thousands of steps would
                // keep every core drawing its frames for minutes (their
                // count is capped and memory bounded: unit tests).
                if app.state.steps > 200 {
                    return ("idle", "idle (a long playback)".to_owned());
                }
                let target = crate::app::plot_animation::Target::File(path);
                app.start_plot_animation(&ctx, target, &settings, [320, 240], None);
                ("export", "draw the plot's animation".to_owned())
            } else {
                app.start_animation(&ctx, path, settings, None);
                ("export", "start recording an animation".to_owned())
            }
        }
        16 => {
            // The basin map: on or off, its steps, or another selected row
            // (each cancels the computation under way).
            let basin = &mut app.state.basin;
            match rng.random_range(0..3) {
                0 => {
                    basin.shown = !basin.shown;
                    ("basin", format!("basin map shown: {}", basin.shown))
                }
                1 => {
                    basin.steps = rng.random_range(1..=60);
                    ("basin", format!("basin map steps {}", basin.steps))
                }
                _ if n > 0 => {
                    let id = app.state.optimizers[rng.random_range(0..n)].id;
                    app.state.selected = id;
                    ("basin", format!("select row {id:?}"))
                }
                _ => ("idle", "idle".to_owned()),
            }
        }
        _ => {
            // Row settings a user edits in the row's header.
            if n == 0 {
                ("idle", "idle".to_owned())
            } else {
                let i = rng.random_range(0..n);
                let row = &mut app.state.optimizers[i];
                if let EntryKind::Classical { teleport, .. } = &mut row.kind {
                    *teleport = match teleport {
                        Some(_) => None,
                        None => Some(crate::app::state::AppTeleport::every(
                            teleport_core::symmetry::Strategy::Oracle,
                            rng.random_range(1..10),
                        )),
                    };
                }
                ("edit", format!("toggle the teleport of row {:?}", row.id))
            }
        }
    };
    d.frame(Vec::new());
    (kind, description)
}
