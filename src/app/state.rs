//! The app's persisted state: task, start point, optimizers, playback, view
//! options. Everything here is plain data (saved by eframe between runs);
//! caches, the trainer and notifications live in the app's runtime part.

use serde::{Deserialize, Serialize};
use teleport_core::limits;

use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::l2o::{Preprocess, Variant};
use teleport_core::objective::{Preset, TaskDist};
use teleport_core::optim::OptimizerSpec;
use teleport_core::symmetry::Strategy;

/// Where the current task comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TaskSource {
    /// A named task.
    Preset(Preset),
    /// A draw from a distribution, with a visible seed.
    Sampled {
        /// The distribution.
        dist: TaskDist,
        /// The seed of the draw.
        seed: u64,
    },
    /// Parameters edited by hand.
    Custom(ObjectiveSpec),
}

/// A teleport schedule for a classical optimizer in the app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppTeleport {
    /// How θ is chosen.
    pub strategy: Strategy,
    /// Teleport at steps `every, 2·every, …` (when `at` is empty).
    pub every: usize,
    /// Teleport at exactly these steps instead (as a scene's `at` list).
    #[serde(default)]
    pub at: Vec<usize>,
}

impl AppTeleport {
    /// Every `every` steps with `strategy`.
    pub fn every(strategy: Strategy, every: usize) -> Self {
        Self {
            strategy,
            every,
            at: Vec::new(),
        }
    }

    /// The app's form of a schedule (a scene's or a lab file's).
    pub fn from_schedule(t: &teleport_core::optim::TeleportSchedule) -> Self {
        match &t.when {
            teleport_core::optim::When::Every(k) => Self::every(t.strategy, *k),
            teleport_core::optim::When::At(at) => Self {
                strategy: t.strategy,
                every: 1,
                at: at.clone(),
            },
        }
    }

    /// The schedule to run.
    pub fn schedule(&self) -> teleport_core::optim::TeleportSchedule {
        teleport_core::optim::TeleportSchedule {
            strategy: self.strategy,
            when: self.when(),
        }
    }

    /// When it teleports.
    pub fn when(&self) -> teleport_core::optim::When {
        if self.at.is_empty() {
            teleport_core::optim::When::Every(self.every.max(1))
        } else {
            teleport_core::optim::When::At(self.at.clone())
        }
    }

    /// `every 5` or `at 4, 8`.
    pub fn describe(&self) -> String {
        if self.at.is_empty() {
            format!("every {}", self.every.max(1))
        } else {
            let steps: Vec<String> = self.at.iter().map(ToString::to_string).collect();
            format!("at {}", steps.join(", "))
        }
    }
}

/// A row's identity: fixed for the row's life and unique in a session, so
/// runs, colours, legend entries and hand-applied teleports follow the row
/// when rows above it are added or removed.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct RowId(pub u64);

/// How many colours rows cycle through (the app's palette).
pub const PALETTE_LEN: usize = 20;

/// What an optimizer row runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EntryKind {
    /// A classical optimizer, optionally with teleports.
    Classical {
        /// Hyperparameters.
        spec: OptimizerSpec,
        /// Teleports.
        teleport: Option<AppTeleport>,
    },
    /// A learned optimizer with the shipped weights for the task's family.
    Learned(Variant),
    /// The model trained live in this session (or loaded from a file), as a
    /// row of its own beside the shipped ones.
    Live(Variant),
    /// Weights that came with a lab file: a path, or `embedded` for weights
    /// inside it (kept for the session; a restart reloads a path).
    Loaded {
        /// The variant.
        variant: Variant,
        /// The weights file's absolute path, or `embedded:<n>`.
        source: String,
        /// The row's name in the lab file.
        label: String,
    },
}

/// One optimizer row: identity, colour, toggle, hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerEntry {
    /// The row's identity (assigned by [`AppState::add_row`]; states saved
    /// before rows had ids get them from [`AppState::normalize`]).
    #[serde(default)]
    pub id: RowId,
    /// Index into the palette, kept for the row's life.
    #[serde(default)]
    pub color: Option<usize>,
    /// A name given in a lab file, instead of one made from the settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Shown and computed.
    pub enabled: bool,
    /// What it runs.
    pub kind: EntryKind,
}

impl OptimizerEntry {
    /// A new row (id and colour are given when it is added to a state).
    pub fn new(enabled: bool, kind: EntryKind) -> Self {
        Self {
            id: RowId::default(),
            color: None,
            label: None,
            enabled,
            kind,
        }
    }

    /// A legend name, e.g. `GD lr=0.05 + teleport (oracle)`.
    pub fn label(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        match &self.kind {
            // The same name a lab file's row gets in `eval`.
            EntryKind::Classical { spec, teleport } => teleport_core::io::lab::default_label(
                &teleport_core::io::lab::RowKind::Classical(*spec),
                teleport.as_ref().map(AppTeleport::schedule).as_ref(),
            ),
            EntryKind::Learned(v) => v.label().to_owned(),
            EntryKind::Live(v) => format!("{} — live", v.label()),
            EntryKind::Loaded { label, .. } => label.clone(),
        }
    }
}

/// The optimizers shown by default: the classical ones, GD with both
/// teleports, and the four learned variants.
pub fn default_optimizers() -> Vec<OptimizerEntry> {
    let classical = |spec, teleport, enabled| {
        OptimizerEntry::new(enabled, EntryKind::Classical { spec, teleport })
    };
    let rows = vec![
        classical(OptimizerSpec::Gd { lr: 0.05 }, None, true),
        classical(
            OptimizerSpec::Momentum {
                lr: 0.02,
                beta: 0.6,
            },
            None,
            false,
        ),
        classical(OptimizerSpec::adam(0.3), None, false),
        classical(OptimizerSpec::Newton { lr: 1.0 }, None, false),
        classical(
            OptimizerSpec::Gd { lr: 0.05 },
            Some(AppTeleport::every(Strategy::Oracle, 5)),
            true,
        ),
        classical(
            OptimizerSpec::Gd { lr: 0.05 },
            Some(AppTeleport::every(
                Strategy::Ascent {
                    theta0: 0.0,
                    lr: 1e-3,
                    iters: 10,
                },
                5,
            )),
            false,
        ),
        OptimizerEntry::new(true, EntryKind::Learned(Variant::L2o)),
        OptimizerEntry::new(true, EntryKind::Learned(Variant::L2oTele)),
        OptimizerEntry::new(false, EntryKind::Learned(Variant::LrTele)),
        OptimizerEntry::new(false, EntryKind::Learned(Variant::LrTeleMomentum)),
    ];
    // Ids and colours in row order, as a fresh state numbers them.
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| OptimizerEntry {
            id: RowId(i as u64 + 1),
            color: Some(i % PALETTE_LEN),
            ..row
        })
        .collect()
}

/// A teleport applied by hand with "Teleport here".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualTeleport {
    /// The optimizer row it branches (saved states before row ids named the
    /// row's index as `optimizer`; [`AppState::normalize`] maps them).
    #[serde(alias = "optimizer")]
    pub row: RowId,
    /// The step at which `x_t ← g_θ(x_t)`.
    pub step: usize,
    /// The angle.
    pub theta: f64,
}

/// Timeline and playback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playback {
    /// The step shown.
    pub t: usize,
    /// Advancing by itself.
    pub playing: bool,
    /// Steps per second while playing.
    pub speed: f64,
}

/// Display toggles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShowFlags {
    /// Filled colour map of log f under the contours.
    pub filled: bool,
    /// The orbit (level set) of the current point.
    pub orbit: bool,
    /// ∇f arrows at x and g_θ(x).
    pub arrows: bool,
    /// Shade where v⊥·∇‖∇f‖² < 0 (Proposition 4.1 fails).
    pub newton_overlay: bool,
    /// Where the level-set plot lists its rows.
    #[serde(default)]
    pub legend: LegendPlace,
}

/// Where the level-set plot's legend sits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegendPlace {
    /// The corner that covers the least of the runs and never x₀ or the
    /// current point; outside the plot when every corner would.
    #[default]
    Auto,
    /// This corner.
    Corner(teleport_core::plot::placement::Corner),
    /// Beside the plot, on its right.
    Outside,
    /// Not drawn.
    Hidden,
}

impl LegendPlace {
    /// Every choice, in the menu's order, with its text.
    pub const CHOICES: [(Self, &'static str); 7] = {
        use teleport_core::plot::placement::Corner;
        [
            (Self::Auto, "auto (emptiest corner)"),
            (Self::Corner(Corner::TopLeft), "top left"),
            (Self::Corner(Corner::TopRight), "top right"),
            (Self::Corner(Corner::BottomLeft), "bottom left"),
            (Self::Corner(Corner::BottomRight), "bottom right"),
            (Self::Outside, "outside, right"),
            (Self::Hidden, "hidden"),
        ]
    };

    /// The choice's text.
    pub fn text(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("auto", |(_, t)| t)
    }
}

/// Which windows are open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panels {
    /// Algorithm 2.
    pub alg2: bool,
    /// Newton vs teleport (Proposition 4.1).
    pub newton: bool,
    /// Live meta-training.
    pub training: bool,
    /// The shortcut overlay.
    pub help: bool,
    /// The task gallery.
    #[serde(default)]
    pub gallery: bool,
    /// The 3D surface.
    #[serde(default)]
    pub surface: bool,
}

/// Algorithm 2's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alg2Settings {
    /// `A` of `f = xᵀAx`, row-major.
    pub a: [[f64; 2]; 2],
    /// α.
    pub lr: f64,
    /// β.
    pub theta_lr: f64,
    /// θ₀.
    pub theta0: f64,
    /// x₀.
    pub x0: [f64; 2],
    /// Steps computed.
    pub steps: usize,
    /// The step shown.
    pub t: usize,
    /// Advancing by itself.
    pub playing: bool,
}

impl Default for Alg2Settings {
    fn default() -> Self {
        // Principal axes at 30°, eigenvalues 1 and 4.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let (l1, l2) = (1.0, 4.0);
        Self {
            a: [
                [l1 * c * c + l2 * s * s, (l1 - l2) * c * s],
                [(l1 - l2) * c * s, l1 * s * s + l2 * c * c],
            ],
            lr: 0.05,
            theta_lr: 0.2,
            theta0: 0.0,
            x0: [2.0, -1.0],
            steps: 40,
            t: 0,
            playing: false,
        }
    }
}

/// Live meta-training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingSettings {
    /// Which variant to train.
    pub variant: Variant,
    /// On which distribution.
    pub dist: TaskDist,
    /// Trajectories R.
    pub trajectories: usize,
    /// Steps N per trajectory.
    pub steps: usize,
    /// Unroll T.
    pub unroll: usize,
    /// Hidden size H.
    pub hidden: usize,
    /// Adam learning rate (m1; m2 uses ten times it for the momentum variant).
    pub meta_lr: f64,
    /// Gradient preprocessing.
    pub preprocess: Preprocess,
    /// Seed.
    pub seed: u64,
    /// The meta-loss curve's smoothing weight `w` (TensorBoard's slider):
    /// 0 draws the raw losses, 0.99 a long average.
    #[serde(default = "default_smoothing")]
    pub smoothing: f64,
    /// Draw the live row's runs with the versions before the one shown.
    #[serde(default = "yes")]
    pub ghosts: bool,
}

fn yes() -> bool {
    true
}

fn default_smoothing() -> f64 {
    0.9
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            variant: Variant::L2oTele,
            dist: TaskDist::ElliVary,
            trajectories: 2000,
            steps: 21,
            unroll: 5,
            hidden: 100,
            meta_lr: 4e-4,
            preprocess: Preprocess::Raw,
            seed: 0,
            smoothing: default_smoothing(),
            ghosts: true,
        }
    }
}

/// Everything the app saves between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    /// The task.
    pub source: TaskSource,
    /// The start point x₀.
    pub x0: [f64; 2],
    /// Steps per trajectory.
    pub steps: usize,
    /// The scrubber's angle θ.
    pub theta: f64,
    /// The optimizer rows.
    pub optimizers: Vec<OptimizerEntry>,
    /// The row whose current point the scrubber teleports.
    pub selected: RowId,
    /// The id the next added row gets: ids are never reused in a session,
    /// even after every row was removed.
    #[serde(default)]
    pub next_row: u64,
    /// Teleports applied by hand.
    pub manual_teleports: Vec<ManualTeleport>,
    /// Timeline.
    pub playback: Playback,
    /// Display toggles.
    pub show: ShowFlags,
    /// Open windows.
    pub panels: Panels,
    /// Algorithm 2.
    pub alg2: Alg2Settings,
    /// Live training.
    pub training: TrainingSettings,
    /// A short text shown with the demo (from a lab file).
    pub caption: Option<String>,
    /// Embed learned weights in saved lab files, so one file travels alone.
    pub embed_weights: bool,
    /// Files opened or saved lately, newest first.
    pub recent: Vec<std::path::PathBuf>,
    /// Presentation mode and the zoom of each mode.
    pub view: ViewMode,
    /// The loss plot shows every row across test tasks (median and
    /// quartiles) instead of on this task.
    pub across_tasks: bool,
    /// The basin map of the selected row over the level-set plot.
    pub basin: BasinSettings,
    /// Where the plots and the open instruments sit: tiles the user drags
    /// and resizes.
    pub layout: super::panes::Layout,
    /// The 3D surface's camera, height scale and facets.
    pub surface: super::surface::SurfaceSettings,
    /// The network task (shown instead of the plane's when active).
    pub network: super::network::state::NetDemo,
}

/// The basin map (Display → basin map of the selected row): every start
/// point of the visible view shaded by log f after `steps` steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasinSettings {
    /// Whether the map is drawn.
    pub shown: bool,
    /// Steps of every run, in [`limits::BASIN_STEPS`].
    pub steps: usize,
    /// What the colours show: f after the steps, or the first step with
    /// f ≤ ε.
    #[serde(default)]
    pub shade: teleport_core::basin::Shade,
    /// ε of a first-step map.
    #[serde(default = "default_eps")]
    pub eps: f64,
}

fn default_eps() -> f64 {
    1e-6
}

impl Default for BasinSettings {
    fn default() -> Self {
        Self {
            shown: false,
            steps: 20,
            shade: teleport_core::basin::Shade::FinalF,
            eps: default_eps(),
        }
    }
}

/// Presentation mode (View → Presentation, F11) and the zoom factor of
/// each mode, kept between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewMode {
    /// Whether the plots fill the screen, panels and windows hidden.
    pub presenting: bool,
    /// The zoom in the normal layout (Ctrl + / Ctrl − / Ctrl 0).
    pub zoom: f32,
    /// The zoom while presenting: larger text and thicker lines.
    pub presentation_zoom: f32,
}

impl Default for ViewMode {
    fn default() -> Self {
        Self {
            presenting: false,
            zoom: 1.0,
            presentation_zoom: 1.5,
        }
    }
}

impl ViewMode {
    /// The zoom of the current mode.
    pub fn current_zoom(&self) -> f32 {
        let z = if self.presenting {
            self.presentation_zoom
        } else {
            self.zoom
        };
        if z.is_finite() {
            z.clamp(*limits::ZOOM.start(), *limits::ZOOM.end())
        } else {
            1.0
        }
    }

    /// Sets the zoom of the current mode (clamped to [`limits::ZOOM`]).
    pub fn set_zoom(&mut self, zoom: f32) {
        let z = if zoom.is_finite() {
            zoom.clamp(*limits::ZOOM.start(), *limits::ZOOM.end())
        } else {
            1.0
        };
        if self.presenting {
            self.presentation_zoom = z;
        } else {
            self.zoom = z;
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            source: TaskSource::Preset(Preset::ElliFixed),
            x0: Preset::ElliFixed.default_x0().into(),
            steps: 100,
            theta: 0.0,
            optimizers: default_optimizers(),
            selected: RowId(1),
            next_row: default_optimizers().len() as u64 + 1,
            manual_teleports: Vec::new(),
            playback: Playback::default(),
            show: ShowFlags {
                filled: true,
                orbit: true,
                arrows: true,
                newton_overlay: false,
                legend: LegendPlace::Auto,
            },
            panels: Panels {
                alg2: false,
                newton: false,
                training: false,
                help: false,
                gallery: false,
                surface: false,
            },
            alg2: Alg2Settings::default(),
            training: TrainingSettings::default(),
            // The first screen is a slide: the fixed ellipse's story.
            caption: Some(super::task::preset_story(Preset::ElliFixed).to_owned()),
            embed_weights: true,
            recent: Vec::new(),
            view: ViewMode::default(),
            across_tasks: false,
            basin: BasinSettings::default(),
            layout: super::panes::Layout::default(),
            surface: super::surface::SurfaceSettings::default(),
            network: super::network::state::NetDemo::default(),
        }
    }
}

impl AppState {
    /// Makes a state (restored, loaded or edited) consistent: unique row ids,
    /// a colour for every row, a selection and hand-applied teleports that
    /// name existing rows, a timeline inside the run. Idempotent.
    ///
    /// A state saved before rows had ids (every id 0) numbers its rows by
    /// position, which is what its `selected` and `optimizer` fields meant.
    pub fn normalize(&mut self) {
        let mut seen = std::collections::HashSet::new();
        if !self.optimizers.iter().all(|r| seen.insert(r.id)) {
            for (i, row) in self.optimizers.iter_mut().enumerate() {
                row.id = RowId(i as u64);
            }
        }
        if self.optimizers.iter().all(|r| r.color.is_none()) {
            for (i, row) in self.optimizers.iter_mut().enumerate() {
                row.color = Some(i % PALETTE_LEN);
            }
        }
        for i in 0..self.optimizers.len() {
            match self.optimizers[i].color {
                Some(c) if c < PALETTE_LEN => {}
                _ => self.optimizers[i].color = Some(self.unused_color()),
            }
        }
        if self.row_index(self.selected).is_none() {
            self.selected = self.optimizers.first().map(|r| r.id).unwrap_or_default();
        }
        self.next_row = self.next_free_id();
        let ids: std::collections::HashSet<RowId> = self.optimizers.iter().map(|r| r.id).collect();
        self.manual_teleports.retain(|m| ids.contains(&m.row));
        self.steps = self
            .steps
            .clamp(*limits::STEPS.start(), *limits::STEPS.end());
        self.basin.steps = self
            .basin
            .steps
            .clamp(*limits::BASIN_STEPS.start(), *limits::BASIN_STEPS.end());
        if !(self.basin.eps.is_finite() && self.basin.eps > 0.0) {
            self.basin.eps = default_eps();
        }
        if !(0.0..=0.99).contains(&self.training.smoothing) {
            self.training.smoothing = default_smoothing();
        }
        self.playback.t = self.playback.t.min(self.steps);
        if !self.playback.speed.is_finite() {
            self.playback.speed = Playback::default().speed;
        }
        self.playback.speed = limits::clamp_f64(self.playback.speed, &limits::PLAYBACK_SPEED);
        if !self.theta.is_finite() {
            self.theta = 0.0;
        }
        self.surface.normalize();
        self.network.normalize();
    }

    /// Puts `path` first in File → Recent (eight at most).
    pub fn remember_recent(&mut self, path: &std::path::Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| *p != path);
        self.recent.insert(0, path);
        self.recent.truncate(8);
    }

    /// The position of row `id`.
    pub fn row_index(&self, id: RowId) -> Option<usize> {
        self.optimizers.iter().position(|r| r.id == id)
    }

    /// Row `id`.
    pub fn row(&self, id: RowId) -> Option<&OptimizerEntry> {
        self.optimizers.iter().find(|r| r.id == id)
    }

    /// Row `id`, to edit.
    pub fn row_mut(&mut self, id: RowId) -> Option<&mut OptimizerEntry> {
        self.optimizers.iter_mut().find(|r| r.id == id)
    }

    /// The least-used palette colour (the first such, so the first rows of a
    /// fresh state get the palette in order).
    fn unused_color(&self) -> usize {
        let mut uses = [0usize; PALETTE_LEN];
        for c in self.optimizers.iter().filter_map(|r| r.color) {
            if let Some(n) = uses.get_mut(c) {
                *n += 1;
            }
        }
        (0..PALETTE_LEN).min_by_key(|&c| (uses[c], c)).unwrap_or(0)
    }

    /// Adds a row at the end with a new id and an unused colour.
    pub fn add_row(&mut self, mut row: OptimizerEntry) -> RowId {
        let id = RowId(self.next_free_id());
        self.next_row = id.0 + 1;
        row.id = id;
        row.color = Some(self.unused_color());
        self.optimizers.push(row);
        // A state with no rows selected nothing: the new row is it.
        if self.row_index(self.selected).is_none() {
            self.selected = id;
        }
        id
    }

    /// An id above every row's and above every id given before.
    fn next_free_id(&self) -> u64 {
        self.optimizers
            .iter()
            .map(|r| r.id.0 + 1)
            .max()
            .unwrap_or(1)
            .max(self.next_row)
            .max(1)
    }

    /// Removes row `id` with its hand-applied teleports; the selection moves
    /// to a neighbour when it was this row.
    pub fn remove_row(&mut self, id: RowId) {
        let Some(i) = self.row_index(id) else { return };
        self.optimizers.remove(i);
        self.manual_teleports.retain(|m| m.row != id);
        if self.selected == id {
            let next = i.min(self.optimizers.len().saturating_sub(1));
            self.selected = self.optimizers.get(next).map(|r| r.id).unwrap_or_default();
        }
    }

    /// Row `id`'s legend name ([`Self::row_labels`]).
    pub fn row_label(&self, id: RowId) -> Option<String> {
        let index = self.row_index(id)?;
        Some(self.row_labels().swap_remove(index))
    }

    /// Every row's legend name, in row order, made unique with a `#2`, `#3`
    /// suffix where rows would otherwise share one.
    pub fn row_labels(&self) -> Vec<String> {
        let mut count: std::collections::HashMap<String, usize> = Default::default();
        self.optimizers
            .iter()
            .map(|r| {
                let base = r.label();
                let n = count.entry(base.clone()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    base
                } else {
                    format!("{base} #{n}")
                }
            })
            .collect()
    }
}

impl Default for Playback {
    fn default() -> Self {
        Self {
            t: 12,
            playing: false,
            speed: 8.0,
        }
    }
}
