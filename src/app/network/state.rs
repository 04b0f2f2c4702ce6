//! The network demo as the app saves it: the task (data, layers,
//! activation, init seed), the rows, the teleports applied by hand, the
//! by-hand scrubber, the views and the live-training settings. Plain data,
//! in the persisted [`crate::app::AppState`], so that it survives a
//! restart and Edit → Undo takes back a network edit like any other.

use serde::{Deserialize, Serialize};

use crate::app::state::{PALETTE_LEN, RowId};
use teleport_core::net::data::{DEFAULT_POINTS, DatasetSpec, Generator};
use teleport_core::net::learned::CwVariant;
use teleport_core::net::mlp::ActivationName;
use teleport_core::net::rescale::{DEFAULT_MAX_LOG_SCALE, NetStrategy, Unit};
use teleport_core::net::task::{DEFAULT_SLOPE, MlpSpec};
use teleport_core::optim::{OptimizerSpec, When};

/// Where the network's points come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NetData {
    /// A seeded generator.
    Generated {
        /// Which generator.
        kind: Generator,
        /// How many points.
        points: usize,
        /// The noise.
        noise: f64,
        /// The seed of the draws.
        seed: u64,
    },
    /// A CSV file `x1,x2,label` (read again when the app restarts).
    Csv {
        /// Its path, or on the web the name it was opened under.
        path: String,
    },
}

impl NetData {
    /// The generated data set `kind` with its default noise.
    pub fn generated(kind: Generator) -> Self {
        Self::Generated {
            kind,
            points: DEFAULT_POINTS,
            noise: kind.default_noise(),
            seed: 0,
        }
    }

    /// As a lab file writes it.
    pub fn spec(&self) -> DatasetSpec {
        match self {
            Self::Generated {
                kind,
                points,
                noise,
                seed,
            } => DatasetSpec::generated(*kind, *points, *noise, *seed),
            Self::Csv { path } => {
                DatasetSpec::Csv(teleport_core::net::data::CsvSpec { path: path.clone() })
            }
        }
    }

    /// From a lab file's data set; a CSV path relative to the file is made
    /// absolute against `base`, so the state names the file wherever the
    /// app runs from.
    pub fn of_spec(spec: &DatasetSpec, base: Option<&std::path::Path>) -> Self {
        match spec {
            DatasetSpec::Generated { kind, settings } => Self::Generated {
                kind: *kind,
                points: settings.points,
                noise: settings.noise.unwrap_or(kind.default_noise()),
                seed: settings.seed,
            },
            DatasetSpec::Csv(_) => {
                let path = spec
                    .csv_path(base)
                    .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
                    .unwrap_or_default();
                Self::Csv {
                    path: path.display().to_string(),
                }
            }
        }
    }

    /// A short name: `moons`, or the CSV file's name.
    pub fn name(&self) -> String {
        match self {
            Self::Generated { kind, .. } => kind.name().to_owned(),
            Self::Csv { path } => std::path::Path::new(path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned()),
        }
    }
}

/// The network task: data, hidden layers, activation and init seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetTaskSettings {
    /// The data.
    pub data: NetData,
    /// The hidden layers' widths, input side first (1 to 3 layers of 1 to
    /// 64 units).
    pub hidden: Vec<usize>,
    /// The hidden units' activation.
    pub activation: ActivationName,
    /// LeakyReLU's slope below 0 (unused for ReLU).
    pub slope: f64,
    /// The seed of the initial parameters.
    pub init_seed: u64,
}

impl Default for NetTaskSettings {
    /// 200 points on two circles, a 2-16-1 LeakyReLU(0.1) network, init
    /// seed 0 (on circles the oracle teleport every 25 steps visibly helps
    /// GD; on moons and XOR it does not: choose and see).
    fn default() -> Self {
        Self {
            data: NetData::generated(Generator::Circles),
            hidden: vec![16],
            activation: ActivationName::LeakyRelu,
            slope: DEFAULT_SLOPE,
            init_seed: 0,
        }
    }
}

impl NetTaskSettings {
    /// As a lab file's `objective` writes it.
    pub fn spec(&self) -> MlpSpec {
        MlpSpec {
            dataset: self.data.spec(),
            hidden: self.hidden.clone(),
            activation: self.activation,
            slope: match self.activation {
                ActivationName::Relu => None,
                ActivationName::LeakyRelu => Some(self.slope),
            },
            init_seed: self.init_seed,
        }
    }

    /// From a lab file's `objective` (see [`NetData::of_spec`]).
    pub fn of_spec(spec: &MlpSpec, base: Option<&std::path::Path>) -> Self {
        Self {
            data: NetData::of_spec(&spec.dataset, base),
            hidden: spec.hidden.clone(),
            activation: spec.activation,
            slope: spec.slope.unwrap_or(DEFAULT_SLOPE),
            init_seed: spec.init_seed,
        }
    }

    /// `moons 2-16-1`.
    pub fn describe(&self) -> String {
        let mut shape = vec!["2".to_owned()];
        shape.extend(self.hidden.iter().map(ToString::to_string));
        shape.push("1".to_owned());
        format!("{} {}", self.data.name(), shape.join("-"))
    }
}

/// How a network teleport picks its log-scales (the app's form of
/// [`NetStrategy`], which it saves).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum NetTeleportStrategy {
    /// The steepest corner of the box `|s| ≤ max_log_scale`.
    Oracle {
        /// The box's half-width.
        max_log_scale: f64,
    },
    /// Gradient ascent on ‖∇f‖² over the log-scales.
    Ascent {
        /// The step size.
        lr: f64,
        /// The number of steps.
        iters: usize,
    },
    /// One hidden unit rescaled by `e^θ`.
    Unit {
        /// The unit.
        unit: Unit,
        /// Its log-scale.
        theta: f64,
    },
}

impl NetTeleportStrategy {
    /// The oracle over the default box (each unit rescaled by at most 2).
    pub const ORACLE: Self = Self::Oracle {
        max_log_scale: DEFAULT_MAX_LOG_SCALE,
    };

    /// The core's strategy.
    pub fn strategy(self) -> NetStrategy {
        match self {
            Self::Oracle { max_log_scale } => NetStrategy::Oracle { max_log_scale },
            Self::Ascent { lr, iters } => NetStrategy::Ascent { lr, iters },
            Self::Unit { unit, theta } => NetStrategy::Unit { unit, theta },
        }
    }

    /// The app's form of the core's strategy.
    pub fn of(strategy: NetStrategy) -> Self {
        match strategy {
            NetStrategy::Oracle { max_log_scale } => Self::Oracle { max_log_scale },
            NetStrategy::Ascent { lr, iters } => Self::Ascent { lr, iters },
            NetStrategy::Unit { unit, theta } => Self::Unit { unit, theta },
        }
    }
}

/// A teleport schedule of a network row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetTeleport {
    /// How the log-scales are chosen.
    pub strategy: NetTeleportStrategy,
    /// Teleport at steps `every, 2·every, …` (when `at` is empty).
    pub every: usize,
    /// Teleport at exactly these steps instead.
    #[serde(default)]
    pub at: Vec<usize>,
}

impl NetTeleport {
    /// Every `every` steps with `strategy`.
    pub fn every(strategy: NetTeleportStrategy, every: usize) -> Self {
        Self {
            strategy,
            every,
            at: Vec::new(),
        }
    }

    /// When it teleports.
    pub fn when(&self) -> When {
        if self.at.is_empty() {
            When::Every(self.every.max(1))
        } else {
            When::At(self.at.clone())
        }
    }

    /// The core's schedule.
    pub fn schedule(&self) -> teleport_core::net::NetSchedule {
        teleport_core::net::NetSchedule {
            strategy: self.strategy.strategy(),
            when: self.when(),
        }
    }

    /// The app's form of a lab file's schedule.
    pub fn of_schedule(schedule: &teleport_core::net::NetSchedule) -> Self {
        let strategy = NetTeleportStrategy::of(schedule.strategy);
        match &schedule.when {
            When::Every(k) => Self::every(strategy, *k),
            When::At(at) => Self {
                strategy,
                every: 1,
                at: at.clone(),
            },
        }
    }
}

/// What a network row runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NetRowKind {
    /// GD, momentum or Adam.
    Classical(OptimizerSpec),
    /// A coordinate-wise learned optimizer with weights from a file (or
    /// embedded in a lab file): `source` names them in the app's models.
    Learned {
        /// The variant.
        variant: CwVariant,
        /// The weights file's absolute path, or `embedded:<n>`.
        source: String,
    },
    /// The model trained live in this session.
    Live(CwVariant),
}

/// One network row: identity, colour, toggle, what it runs, teleports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetRow {
    /// Its identity for the row's life.
    pub id: RowId,
    /// Its palette index.
    pub color: Option<usize>,
    /// A name given in a lab file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Shown and computed.
    pub enabled: bool,
    /// What it runs.
    pub kind: NetRowKind,
    /// Teleports on a schedule.
    pub teleport: Option<NetTeleport>,
}

impl NetRow {
    /// A new row (id and colour are given when it is added).
    pub fn new(enabled: bool, kind: NetRowKind, teleport: Option<NetTeleport>) -> Self {
        Self {
            id: RowId::default(),
            color: None,
            label: None,
            enabled,
            kind,
            teleport,
        }
    }

    /// Its legend name: the lab file's, else `GD lr=1 + teleport (oracle,
    /// every 10)` as `teleport-lab eval` names the row.
    pub fn label(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        let schedule = self.teleport.as_ref().map(NetTeleport::schedule);
        match &self.kind {
            NetRowKind::Classical(spec) => {
                teleport_core::io::net_lab::default_net_label(spec, schedule.as_ref())
            }
            NetRowKind::Learned { variant, .. } => {
                teleport_core::io::net_lab::learned_net_label(*variant, schedule.as_ref())
            }
            NetRowKind::Live(variant) => format!(
                "{} — live",
                teleport_core::io::net_lab::learned_net_label(*variant, schedule.as_ref())
            ),
        }
    }
}

/// The rows a fresh network demo shows: GD, GD with the oracle teleport
/// every 25 steps, Adam (on), momentum and GD with the ascent teleport
/// (off). The step sizes are among those the network experiment tunes
/// over on 2-16-1 networks. Teleporting more often to the steepest corner
/// of the box compounds: the units' scales drift apart and GD's fixed
/// step overshoots (every 5 steps, `f` reaches 10⁹ within 100 steps on
/// all three of moons, circles and XOR).
pub fn default_rows() -> Vec<NetRow> {
    let gd = OptimizerSpec::Gd { lr: 1.0 };
    vec![
        NetRow::new(true, NetRowKind::Classical(gd), None),
        NetRow::new(
            true,
            NetRowKind::Classical(gd),
            Some(NetTeleport::every(NetTeleportStrategy::ORACLE, 25)),
        ),
        NetRow::new(true, NetRowKind::Classical(OptimizerSpec::adam(0.05)), None),
        NetRow::new(
            false,
            NetRowKind::Classical(OptimizerSpec::Momentum { lr: 0.5, beta: 0.9 }),
            None,
        ),
        NetRow::new(
            false,
            NetRowKind::Classical(gd),
            Some(NetTeleport::every(
                NetTeleportStrategy::Ascent { lr: 1.0, iters: 10 },
                10,
            )),
        ),
    ]
}

/// A teleport applied by hand: one unit rescaled at one step of a row.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetManualTeleport {
    /// The row whose run it branches.
    pub row: RowId,
    /// The step.
    pub step: usize,
    /// The unit.
    pub unit: Unit,
    /// Its log-scale θ.
    pub theta: f64,
}

/// The by-hand scrubber: one hidden unit and its log-scale.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetScrubber {
    /// The unit whose scale is dragged.
    pub unit: Unit,
    /// Its log-scale θ: the unit's incoming weights and bias times e^θ,
    /// its outgoing weights divided by it.
    pub theta: f64,
}

impl Default for NetScrubber {
    fn default() -> Self {
        Self {
            unit: Unit { layer: 0, index: 0 },
            theta: 0.0,
        }
    }
}

/// The largest |θ| the scrubber drags to: each unit rescaled by at most
/// e³ ≈ 20 either way.
pub const SCRUBBER_RANGE: f64 = 3.0;

/// Which directions span the loss slice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SliceDirections {
    /// −∇f and the teleport direction (the orbit's tangent toward larger
    /// ‖∇f‖) at the current parameters.
    #[default]
    GradientAndTeleport,
    /// The two principal components of the selected row's trajectory.
    Principal,
    /// Two random directions, each normalised filter by filter to the
    /// parameters' norms (Li et al. 2018).
    Random {
        /// The seed of the draws.
        seed: u64,
    },
}

impl SliceDirections {
    /// The choice's text.
    pub fn text(self) -> &'static str {
        match self {
            Self::GradientAndTeleport => "−∇f and the teleport direction",
            Self::Principal => "the trajectory's principal components",
            Self::Random { .. } => "two random filter-normalised directions",
        }
    }
}

/// What the network's main pane shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MainView {
    /// The data with the decision boundary beside the loss slice.
    #[default]
    Both,
    /// The data and the decision boundary.
    Data,
    /// The loss slice.
    Slice,
}

/// The network views' settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetView {
    /// What the main pane shows.
    pub main: MainView,
    /// The slice's directions.
    pub slice: SliceDirections,
    /// The slice's half-width as a multiple of the automatic one.
    pub slice_zoom: f64,
}

impl Default for NetView {
    fn default() -> Self {
        Self {
            main: MainView::Both,
            slice: SliceDirections::GradientAndTeleport,
            slice_zoom: 1.0,
        }
    }
}

/// Live meta-training of the coordinate-wise optimizers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetTrainingSettings {
    /// Which variant.
    pub variant: CwVariant,
    /// Trajectories R.
    pub trajectories: usize,
    /// Steps N per trajectory.
    pub steps: usize,
    /// Unroll T.
    pub unroll: usize,
    /// The LSTM's hidden size.
    pub hidden: usize,
    /// Adam's learning rate.
    pub meta_lr: f64,
    /// The seed.
    pub seed: u64,
    /// Train on the data kind on screen only (else on moons, circles, XOR
    /// and Gaussians).
    pub this_kind_only: bool,
}

impl Default for NetTrainingSettings {
    fn default() -> Self {
        let train = teleport_core::net::train::NetTrainConfig::new(0);
        Self {
            variant: CwVariant::CwL2oTele,
            trajectories: 200,
            steps: train.steps,
            unroll: train.unroll,
            hidden: teleport_core::net::learned::DEFAULT_HIDDEN,
            meta_lr: train.meta_lr,
            seed: 0,
            this_kind_only: false,
        }
    }
}

/// The network demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetDemo {
    /// Whether the task on screen is the network (else the plane's task,
    /// which stays as it was).
    pub active: bool,
    /// The task.
    pub task: NetTaskSettings,
    /// The rows.
    pub rows: Vec<NetRow>,
    /// The row whose parameters the views show.
    pub selected: RowId,
    /// The id the next added row gets.
    pub next_row: u64,
    /// Teleports applied by hand.
    pub manual: Vec<NetManualTeleport>,
    /// The by-hand scrubber.
    pub scrubber: NetScrubber,
    /// The views.
    pub view: NetView,
    /// Live training.
    pub training: NetTrainingSettings,
}

impl Default for NetDemo {
    fn default() -> Self {
        let mut demo = Self {
            active: false,
            task: NetTaskSettings::default(),
            rows: Vec::new(),
            selected: RowId(1),
            next_row: 1,
            manual: Vec::new(),
            scrubber: NetScrubber::default(),
            view: NetView::default(),
            training: NetTrainingSettings::default(),
        };
        for row in default_rows() {
            demo.add_row(row);
        }
        demo.selected = demo.rows.first().map(|r| r.id).unwrap_or_default();
        demo
    }
}

impl NetDemo {
    /// Row `id`.
    pub fn row(&self, id: RowId) -> Option<&NetRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// Row `id`, to edit.
    pub fn row_mut(&mut self, id: RowId) -> Option<&mut NetRow> {
        self.rows.iter_mut().find(|r| r.id == id)
    }

    /// The least-used palette colour.
    fn unused_color(&self) -> usize {
        let mut uses = [0usize; PALETTE_LEN];
        for c in self.rows.iter().filter_map(|r| r.color) {
            if let Some(n) = uses.get_mut(c) {
                *n += 1;
            }
        }
        (0..PALETTE_LEN).min_by_key(|&c| (uses[c], c)).unwrap_or(0)
    }

    fn next_free_id(&self) -> u64 {
        self.rows
            .iter()
            .map(|r| r.id.0 + 1)
            .max()
            .unwrap_or(1)
            .max(self.next_row)
            .max(1)
    }

    /// Adds a row at the end with a new id and an unused colour.
    pub fn add_row(&mut self, mut row: NetRow) -> RowId {
        let id = RowId(self.next_free_id());
        self.next_row = id.0 + 1;
        row.id = id;
        row.color = Some(self.unused_color());
        self.rows.push(row);
        if self.row(self.selected).is_none() {
            self.selected = id;
        }
        id
    }

    /// Removes row `id` and its teleports by hand; the selection moves to
    /// a neighbour when it was this row.
    pub fn remove_row(&mut self, id: RowId) {
        let Some(i) = self.rows.iter().position(|r| r.id == id) else {
            return;
        };
        self.rows.remove(i);
        self.manual.retain(|m| m.row != id);
        if self.selected == id {
            let next = i.min(self.rows.len().saturating_sub(1));
            self.selected = self.rows.get(next).map(|r| r.id).unwrap_or_default();
        }
    }

    /// Every row's legend name, made unique with `#2`, `#3` where rows
    /// would share one.
    pub fn row_labels(&self) -> Vec<String> {
        let mut count: std::collections::HashMap<String, usize> = Default::default();
        self.rows
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

    /// Whether `unit` is a hidden unit of the task's network.
    pub fn has_unit(&self, unit: Unit) -> bool {
        self.task
            .hidden
            .get(unit.layer)
            .is_some_and(|&w| unit.index < w)
    }

    /// Makes the demo consistent (restored, loaded or edited): unique ids,
    /// colours, a selection and teleports by hand that name rows and units
    /// that exist, finite angles. Idempotent.
    pub fn normalize(&mut self) {
        let mut seen = std::collections::HashSet::new();
        if !self.rows.iter().all(|r| seen.insert(r.id)) {
            for (i, row) in self.rows.iter_mut().enumerate() {
                row.id = RowId(i as u64 + 1);
            }
        }
        for i in 0..self.rows.len() {
            if !matches!(self.rows[i].color, Some(c) if c < PALETTE_LEN) {
                self.rows[i].color = Some(self.unused_color());
            }
        }
        if self.row(self.selected).is_none() {
            self.selected = self.rows.first().map(|r| r.id).unwrap_or_default();
        }
        self.next_row = self.next_free_id();
        let ids: std::collections::HashSet<RowId> = self.rows.iter().map(|r| r.id).collect();
        let units_ok: Vec<bool> = self.manual.iter().map(|m| self.has_unit(m.unit)).collect();
        let mut keep = units_ok.into_iter();
        self.manual.retain(|m| {
            keep.next().unwrap_or(false) && ids.contains(&m.row) && m.theta.is_finite()
        });
        if !self.has_unit(self.scrubber.unit) {
            self.scrubber.unit = Unit { layer: 0, index: 0 };
        }
        if !self.scrubber.theta.is_finite() {
            self.scrubber.theta = 0.0;
        }
        self.scrubber.theta = self.scrubber.theta.clamp(-SCRUBBER_RANGE, SCRUBBER_RANGE);
        if !(self.view.slice_zoom.is_finite() && (0.01..=100.0).contains(&self.view.slice_zoom)) {
            self.view.slice_zoom = 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_demo_has_unique_rows_and_round_trips_through_the_session_format() {
        let demo = NetDemo::default();
        let ids: std::collections::HashSet<RowId> = demo.rows.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), demo.rows.len());
        assert!(demo.row(demo.selected).is_some());
        let text = ron::to_string(&demo).unwrap();
        let back: NetDemo = ron::from_str(&text).unwrap();
        assert_eq!(back, demo);
    }

    #[test]
    fn normalizing_drops_teleports_of_units_the_network_lacks() {
        let mut demo = NetDemo::default();
        let row = demo.rows[0].id;
        demo.manual.push(NetManualTeleport {
            row,
            step: 3,
            unit: Unit {
                layer: 0,
                index: 40,
            },
            theta: 0.5,
        });
        demo.manual.push(NetManualTeleport {
            row,
            step: 3,
            unit: Unit { layer: 0, index: 4 },
            theta: 0.5,
        });
        demo.scrubber.unit = Unit { layer: 2, index: 0 };
        demo.normalize();
        assert_eq!(demo.manual.len(), 1);
        assert_eq!(demo.manual[0].unit.index, 4);
        assert_eq!(demo.scrubber.unit, Unit { layer: 0, index: 0 });
    }
}
