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
    /// The 3D surface's camera, height scale and facets.
    pub surface: Option<super::surface::SurfaceSettings>,
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
            surface: Some(self.state.surface.clone()),
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
        state.network.active = false;
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
        if let Some(surface) = view.surface {
            state.surface = surface;
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

    /// The demo on screen as a lab file's JSON: the plane's lab file, or
    /// the network's when the task is a network.
    pub fn demo_json(&self, embed: bool, pretty: bool) -> Result<String, String> {
        let text = |value: Result<serde_json::Value, String>| {
            value.and_then(|v| {
                if pretty {
                    serde_json::to_string_pretty(&v)
                } else {
                    serde_json::to_string(&v)
                }
                .map_err(|e| e.to_string())
            })
        };
        if self.network_active() {
            text(
                self.network_lab_file(embed)
                    .and_then(|lab| serde_json::to_value(&lab).map_err(|e| e.to_string())),
            )
        } else {
            text(
                self.lab_file(embed)
                    .and_then(|lab| serde_json::to_value(&lab).map_err(|e| e.to_string())),
            )
        }
    }

    /// File → Save: the lab file, with learned weights embedded when the
    /// File menu's "embed weights" is on.
    pub(super) fn save_lab(&mut self, ctx: &egui::Context) {
        let json = match self.demo_json(self.state.embed_weights, true) {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot write the lab file: {e}"), true);
                return;
            }
        };
        let name = format!("{}.json", self.demo_file_stem());
        self.save_bytes(ctx, &name, "json", json.as_bytes(), "the lab", true);
    }

    /// Opens a scene or lab file; a bad file is reported and changes nothing.
    pub fn open_file(&mut self, ctx: &egui::Context, path: &Path) {
        if path.is_dir() {
            self.open_lesson(ctx, path);
            return;
        }
        // A CSV file holds a network's data.
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            self.open_dataset_csv(ctx, path);
            return;
        }
        // A lesson bundle (a lesson downloaded from the web build) is a
        // lesson too.
        if let Ok(bytes) =
            teleport_core::io::read_capped(path, teleport_core::io::lab::MAX_LAB_BYTES as u64)
            && let Ok(text) = std::str::from_utf8(&bytes)
            && teleport_core::io::lesson::is_bundle(text)
        {
            self.open_lesson_bundle(ctx, &path.display().to_string(), text);
            return;
        }
        let shown = teleport_core::io::lab::load(path)
            .map_err(|e| e.to_string())
            .and_then(|scene| {
                let noisy = noisy_rows(&scene);
                self.show_scene(scene).map(|()| noisy)
            });
        match shown {
            Ok(noisy) => {
                self.state.remember_recent(path);
                self.notify(ctx, format!("Opened {}", path.display()), false);
                if !noisy.is_empty() {
                    self.notify(
                        ctx,
                        format!(
                            "The app runs {} without its gradient noise; `teleport-lab eval --scene {}` runs it with.",
                            noisy.join(", "),
                            path.display()
                        ),
                        false,
                    );
                }
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
        let json = match self.demo_json(false, false) {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot make the link: {e}"), true);
                return;
            }
        };
        let fragment = teleport_core::io::link::fragment(&json);
        self.share_fragment(
            ctx,
            &fragment,
            |chars| {
                format!(
                    "Link to this demo copied ({chars} characters); the address bar shows it too."
                )
            },
            "The demo's link fragment is on the clipboard (add it to the web app's address).",
        );
    }

    /// Puts `fragment` (`lab=…` or `lesson=…`) into the page's address and
    /// the whole link on the clipboard, saying `copied(its length)`; off the
    /// web, the fragment alone on the clipboard, saying `fragment_only`.
    fn share_fragment(
        &mut self,
        ctx: &egui::Context,
        fragment: &str,
        copied: impl FnOnce(usize) -> String,
        fragment_only: &str,
    ) {
        #[cfg(target_arch = "wasm32")]
        {
            let _ = fragment_only;
            match super::web::set_fragment(fragment) {
                Ok(url) => {
                    let chars = url.len();
                    ctx.copy_text(url);
                    self.notify(ctx, copied(chars), false);
                }
                Err(e) => self.notify(ctx, format!("Cannot make the link: {e}"), true),
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = copied;
            ctx.copy_text(format!("#{fragment}"));
            self.notify(ctx, fragment_only, false);
        }
    }
}

impl TeleportApp {
    /// A file name for the demo, without extension: the first words of a
    /// caption the user wrote, else the task's name (`elli_fixed`,
    /// `himmelblau`), made of letters, digits and dashes. A preset's own
    /// story is long; its task names it better.
    pub(super) fn demo_file_stem(&self) -> String {
        let is_story = |c: &str| {
            teleport_core::objective::Preset::ALL
                .into_iter()
                .any(|p| super::task::preset_story(p) == c)
        };
        let words = match &self.state.caption {
            Some(c) if !c.trim().is_empty() && !is_story(c) => c.clone(),
            _ => self.task_label(),
        };
        slug(&words)
    }

    /// File → Add to lesson…: asks for the lesson's folder (starting from
    /// the last one), then writes the demo into it as its next lab file.
    pub(super) fn add_to_lesson(&mut self, ctx: &egui::Context) {
        #[cfg(target_arch = "wasm32")]
        {
            self.add_to_page_lesson(ctx);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = ctx;
            let start = self
                .rt
                .export
                .lesson_folder
                .clone()
                .unwrap_or_else(|| self.rt.export.dir.join("lesson"));
            self.rt.export.prompt = Some(super::export::PathPrompt {
                kind: super::export::PromptKind::AddToLesson,
                text: start.display().to_string(),
                save: None,
            });
        }
    }

    /// Writes the demo into the lesson folder `dir` (created if missing) as
    /// its next numbered lab file: `03-gd-against-teleport.json` after two.
    pub(super) fn add_to_lesson_in(&mut self, ctx: &egui::Context, dir: &Path) {
        let json = match self.demo_json(self.state.embed_weights, true) {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot write the lab file: {e}"), true);
                return;
            }
        };
        if dir.exists() && !dir.is_dir() {
            self.notify(ctx, format!("{} is not a folder", dir.display()), true);
            return;
        }
        let next = next_lesson_number(dir);
        let path = dir.join(format!("{next:02}-{}.json", self.demo_file_stem()));
        match teleport_core::io::write_atomic(&path, json.as_bytes()) {
            Ok(()) => {
                self.rt.export.lesson_folder = Some(dir.to_owned());
                self.rt.export.last_written = Some(path.clone());
                self.notify(
                    ctx,
                    format!("Added to the lesson as {} (file {next})", path.display()),
                    false,
                );
            }
            Err(e) => self.notify(ctx, format!("Cannot write {}: {e}", path.display()), true),
        }
    }
}

impl TeleportApp {
    /// Add to lesson on the web: the demo joins the lesson the page keeps
    /// (there are no folders), which Download lesson saves as one file and
    /// Copy lesson link puts in one link. Learned weights trained live stay
    /// out, as in a link.
    pub fn add_to_page_lesson(&mut self, ctx: &egui::Context) {
        let json = match self.demo_json(false, false) {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot add the demo: {e}"), true);
                return;
            }
        };
        if self.rt.page_lesson.len() >= teleport_core::io::lesson::MAX_LESSON_LABS {
            self.notify(
                ctx,
                format!(
                    "The lesson holds {} demos already, the most a lesson can",
                    self.rt.page_lesson.len()
                ),
                true,
            );
            return;
        }
        self.rt.page_lesson.push(json);
        let n = self.rt.page_lesson.len();
        self.notify(
            ctx,
            format!(
                "Added to the lesson as demo {n}: Download lesson or Copy lesson link to keep it."
            ),
            false,
        );
    }

    /// The page's lesson as one bundle (its JSON text).
    pub fn page_lesson_bundle(&self) -> Result<String, String> {
        teleport_core::io::lesson::bundle(&self.rt.page_lesson).map_err(|e| e.to_string())
    }

    /// File → Download lesson: the page's lesson as one file, which File →
    /// Open… (and the desktop app) open as a lesson.
    pub(super) fn download_lesson(&mut self, ctx: &egui::Context) {
        match self.page_lesson_bundle() {
            Ok(json) => self.save_bytes(
                ctx,
                "lesson.json",
                "json",
                json.as_bytes(),
                "the lesson",
                false,
            ),
            Err(e) => self.notify(
                ctx,
                format!("No lesson to download: {e} (File → Add to lesson… adds the demo)"),
                true,
            ),
        }
    }

    /// File → Copy lesson link: every demo of the page's lesson in one
    /// link (`#lesson=…`); opening it presents the lesson.
    pub(super) fn copy_lesson_link(&mut self, ctx: &egui::Context) {
        let json = match self.page_lesson_bundle() {
            Ok(json) => json,
            Err(e) => {
                self.notify(
                    ctx,
                    format!("No lesson to link: {e} (File → Add to lesson… adds the demo)"),
                    true,
                );
                return;
            }
        };
        let fragment = teleport_core::io::link::lesson_fragment(&json);
        self.share_fragment(
            ctx,
            &fragment,
            |chars| format!("Link to the lesson copied ({chars} characters)."),
            "The lesson's link fragment is on the clipboard.",
        );
    }
}

/// The number the next file of a lesson folder gets: one more than the
/// largest `NN-` prefix of its `.json` files (1 in an empty or new folder).
pub fn next_lesson_number(dir: &Path) -> u32 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("json"))
        })
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .max()
        .map_or(1, |n| n.saturating_add(1))
}

/// `text` as a file name: lower-case letters and digits, words joined by
/// dashes, at most 40 characters; `demo` when nothing is left.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word: String = word
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if word.is_empty() {
            continue;
        }
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word);
    }
    if out.is_empty() {
        "demo".to_owned()
    } else {
        out
    }
}

/// The rows of a lab file that add gradient noise, by name: the app runs
/// them without it (`eval` runs them as written).
fn noisy_rows(scene: &teleport_core::io::lab::AnyScene) -> Vec<String> {
    use teleport_core::io::lab::AnyScene;
    match scene {
        AnyScene::V1(_) => Vec::new(),
        AnyScene::V2(lab) => lab
            .rows
            .iter()
            .filter(|r| r.noise.is_some())
            .map(|r| r.name.clone())
            .collect(),
        AnyScene::Net(lab) => lab
            .rows
            .iter()
            .filter(|r| r.noise.is_some())
            .map(|r| r.name.clone())
            .collect(),
    }
}

#[cfg(test)]
mod lesson_tests {
    use super::*;

    #[test]
    fn a_demo_gets_a_readable_file_name() {
        assert_eq!(
            slug("GD vs. GD + teleport (oracle)"),
            "gd-vs-gd-teleport-oracle"
        );
        assert_eq!(slug("θ ← θ*"), "demo");
        assert_eq!(slug("Himmelblau #3"), "himmelblau-3");
        assert!(slug(&"word ".repeat(50)).len() <= 40);
    }

    #[test]
    fn the_next_lesson_file_follows_the_largest_number() {
        let dir = std::env::temp_dir().join(format!("lesson-number-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(next_lesson_number(&dir), 1, "a folder not made yet");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["01-a.json", "07-b.json", "notes.txt", "99-c.txt"] {
            std::fs::write(dir.join(name), "{}").unwrap();
        }
        assert_eq!(next_lesson_number(&dir), 8);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
