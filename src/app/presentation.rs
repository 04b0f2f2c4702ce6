//! Presentation mode and lessons.
//!
//! View → Presentation (F11) fills the screen with the level-set plot and
//! the loss plot beside it, hides the side panel and the windows, and uses
//! a zoom of its own (Ctrl + / Ctrl − / Ctrl 0 change the zoom of the
//! current mode; both are kept between runs). A **lesson** is a folder of
//! lab files played in name order, or a lesson bundle (one download or
//! `#lesson=` link holding several labs): Page Down and Page Up move through
//! it, each demo's caption above the plot. Esc leaves.

use std::path::{Path, PathBuf};

use super::TeleportApp;
use super::state::ViewMode;

/// The lesson shipped with the app (Help → The paper in 8 demos): each lab
/// file of `assets/lessons/paper-in-8-demos` by name, compiled in so that
/// the web build has it too.
pub const PAPER_LESSON: [(&str, &str); 8] = [
    (
        "01-symmetry.json",
        include_str!("../../assets/lessons/paper-in-8-demos/01-symmetry.json"),
    ),
    (
        "02-newton.json",
        include_str!("../../assets/lessons/paper-in-8-demos/02-newton.json"),
    ),
    (
        "03-algorithm-2.json",
        include_str!("../../assets/lessons/paper-in-8-demos/03-algorithm-2.json"),
    ),
    (
        "04-l2o.json",
        include_str!("../../assets/lessons/paper-in-8-demos/04-l2o.json"),
    ),
    (
        "05-rosenbrock.json",
        include_str!("../../assets/lessons/paper-in-8-demos/05-rosenbrock.json"),
    ),
    (
        "06-momentum.json",
        include_str!("../../assets/lessons/paper-in-8-demos/06-momentum.json"),
    ),
    (
        "07-himmelblau-3d.json",
        include_str!("../../assets/lessons/paper-in-8-demos/07-himmelblau-3d.json"),
    ),
    (
        "08-network.json",
        include_str!("../../assets/lessons/paper-in-8-demos/08-network.json"),
    ),
];

/// One demo of a lesson: a lab file of its folder, or a lab carried in a
/// lesson bundle (a download or a `#lesson=` link: the web has no folders).
#[derive(Clone, Debug, PartialEq)]
pub enum LessonItem {
    /// A lab file.
    File(PathBuf),
    /// A lab file's JSON text, with its position as its name.
    Inline(String),
}

/// A lesson: lab files played in order. Page Down and Page Up move through
/// it.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// Where it came from: its folder, or the bundle's name.
    pub title: String,
    /// Its demos, in order.
    pub items: Vec<LessonItem>,
    /// The demo on screen.
    pub index: usize,
}

impl Lesson {
    /// The lab files of `dir` in name order; an error when it is not a
    /// folder or holds none.
    pub fn open(dir: &Path) -> Result<Self, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("{} is not a readable folder: {e}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("{} holds no lab files (*.json)", dir.display()));
        }
        Ok(Self {
            title: dir.display().to_string(),
            items: files.into_iter().map(LessonItem::File).collect(),
            index: 0,
        })
    }

    /// The labs of a lesson bundle's JSON text ([`teleport_core::io::lesson`]).
    pub fn from_bundle(title: &str, text: &str) -> Result<Self, String> {
        let labs = teleport_core::io::lesson::labs(text).map_err(|e| e.to_string())?;
        Ok(Self {
            title: title.to_owned(),
            items: labs.into_iter().map(LessonItem::Inline).collect(),
            index: 0,
        })
    }

    /// "2 / 5 · name".
    pub fn position(&self) -> String {
        let name = match self.items.get(self.index) {
            Some(LessonItem::File(p)) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Some(LessonItem::Inline(_)) => format!("demo {}", self.index + 1),
            None => String::new(),
        };
        format!("{} / {} · {name}", self.index + 1, self.items.len())
    }
}

/// A zoom step of Ctrl + and Ctrl −.
pub const ZOOM_STEP: f32 = 1.1;

impl TeleportApp {
    /// Enters or leaves presentation mode.
    pub fn set_presenting(&mut self, ctx: &egui::Context, on: bool) {
        if self.state.view.presenting == on {
            return;
        }
        self.state.view.presenting = on;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(on));
        ctx.set_zoom_factor(self.state.view.current_zoom());
        self.rt.level_set.reset_view = true;
    }

    /// Ctrl + / Ctrl − / Ctrl 0: `Some(factor)` multiplies the zoom,
    /// `None` resets it (to 1, or 1.5 when presenting).
    pub fn zoom_by(&mut self, ctx: &egui::Context, factor: Option<f32>) {
        let z = match factor {
            Some(f) => self.state.view.current_zoom() * f,
            None if self.state.view.presenting => ViewMode::default().presentation_zoom,
            None => 1.0,
        };
        self.state.view.set_zoom(z);
        ctx.set_zoom_factor(self.state.view.current_zoom());
    }

    /// Keeps egui's zoom on the current mode's (a restored session, a
    /// reset): once per frame, before drawing.
    pub(super) fn apply_zoom(&mut self, ctx: &egui::Context) {
        let want = self.state.view.current_zoom();
        if (ctx.zoom_factor() - want).abs() > 1e-4 {
            ctx.set_zoom_factor(want);
        }
    }

    /// Opens a lesson folder at its first file and starts presenting.
    pub fn open_lesson(&mut self, ctx: &egui::Context, dir: &Path) {
        self.start_lesson(ctx, Lesson::open(dir));
    }

    /// Help → The paper in 8 demos: the lesson shipped with the app
    /// ([`PAPER_LESSON`]), presented from its first demo.
    pub fn open_paper_lesson(&mut self, ctx: &egui::Context) {
        let labs: Vec<String> = PAPER_LESSON
            .iter()
            .map(|(_, text)| (*text).to_owned())
            .collect();
        match teleport_core::io::lesson::bundle(&labs) {
            Ok(text) => self.open_lesson_bundle(ctx, "The paper in 8 demos", &text),
            Err(e) => self.notify(ctx, format!("Cannot open the paper's lesson: {e}"), true),
        }
    }

    /// Opens a lesson bundle (a downloaded lesson, a `#lesson=` link) at
    /// its first lab and starts presenting.
    pub fn open_lesson_bundle(&mut self, ctx: &egui::Context, title: &str, text: &str) {
        self.start_lesson(ctx, Lesson::from_bundle(title, text));
    }

    fn start_lesson(&mut self, ctx: &egui::Context, lesson: Result<Lesson, String>) {
        match lesson {
            Ok(lesson) => {
                self.rt.lesson = Some(lesson);
                self.show_lesson_file(ctx);
                self.set_presenting(ctx, true);
            }
            Err(e) => self.notify(ctx, format!("Cannot open the lesson: {e}"), true),
        }
    }

    /// Moves through the lesson by `delta` files (Page Down / Page Up).
    pub fn lesson_step(&mut self, ctx: &egui::Context, delta: i64) {
        let Some(lesson) = &mut self.rt.lesson else {
            return;
        };
        let last = lesson.items.len() as i64 - 1;
        let next = (lesson.index as i64 + delta).clamp(0, last) as usize;
        if next == lesson.index {
            return;
        }
        lesson.index = next;
        self.show_lesson_file(ctx);
    }

    /// Shows the lesson's current file. A bad file is reported and the
    /// previous demo stays, so the next key still moves on.
    fn show_lesson_file(&mut self, ctx: &egui::Context) {
        let Some((item, position)) = self
            .rt
            .lesson
            .as_ref()
            .and_then(|l| Some((l.items.get(l.index).cloned()?, l.index + 1)))
        else {
            return;
        };
        let presenting = self.state.view.presenting;
        let shown = match &item {
            LessonItem::File(path) => self
                .load_file(path)
                .map_err(|e| format!("Cannot show {}: {e}", path.display())),
            LessonItem::Inline(json) => teleport_core::io::lab::from_json(json, None)
                .map_err(|e| e.to_string())
                .and_then(|scene| self.show_scene(scene))
                .map_err(|e| format!("Cannot show the lesson's demo {position}: {e}")),
        };
        if let Err(e) = shown {
            self.notify(ctx, e, true);
        }
        // A lab file carries its own display settings, not the mode.
        self.state.view.presenting = presenting;
        self.state.playback.t = 0;
        self.state.playback.playing = false;
    }

    /// The layout of presentation mode: the docked tiles (the plots and
    /// the instruments the demo opened) and the timeline; no side panel.
    pub(super) fn presentation_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("presentation-bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if let Some(lesson) = &self.rt.lesson {
                    ui.label(egui::RichText::new(format!("Lesson {}", lesson.position())).strong());
                    ui.separator();
                }
                ui.label(
                    egui::RichText::new(
                        "Esc leaves · Page Down / Page Up: next / previous · Space plays · Ctrl + / Ctrl − zoom",
                    )
                    .weak(),
                );
            });
        });
        egui::Panel::bottom("timeline").show(ui, |ui| self.timeline_ui(ui));
        // The same tiles as outside presentation, without the controls.
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(ui.style()).inner_margin(2.0))
            .show(ui, |ui| self.layout_ui(ui));
    }

    /// Esc leaves presentation mode (Page Down and Page Up are in the
    /// command table).
    pub(super) fn presentation_keys(&mut self, ctx: &egui::Context) {
        if self.state.view.presenting
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
        {
            self.set_presenting(ctx, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_is_its_json_files_in_name_order() {
        let dir = std::env::temp_dir().join(format!("teleport-lesson-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("03-folder.json")).expect("dir");
        for name in ["02-b.json", "01-a.JSON", "notes.txt", "10-c.json"] {
            std::fs::write(dir.join(name), "{}").expect("write");
        }
        let lesson = Lesson::open(&dir).expect("a lesson");
        let names: Vec<String> = lesson
            .items
            .iter()
            .filter_map(|item| match item {
                LessonItem::File(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
                LessonItem::Inline(_) => None,
            })
            .collect();
        assert_eq!(names, ["01-a.JSON", "02-b.json", "10-c.json"]);
        assert_eq!(lesson.position(), "1 / 3 · 01-a");
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert!(Lesson::open(&dir).is_err());
    }

    #[test]
    fn each_mode_keeps_its_own_clamped_zoom() {
        let mut v = ViewMode::default();
        v.set_zoom(2.0);
        v.presenting = true;
        assert_eq!(v.current_zoom(), 1.5);
        v.set_zoom(9.0);
        assert_eq!(v.current_zoom(), 3.0);
        v.presenting = false;
        assert_eq!(v.current_zoom(), 2.0);
        v.set_zoom(f32::NAN);
        assert_eq!(v.current_zoom(), 1.0);
    }
}
