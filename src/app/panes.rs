//! The docked layout: the level-set plot, the θ and loss plots and every
//! instrument (Algorithm 2, Newton vs teleport, live training, the task
//! gallery, the help) are tiles of one `egui_tiles` tree, which the user
//! drags and resizes and which is saved with the session. An instrument
//! opens as a tab below the plot, never over it; closing its tab closes it.
//!
//! Which instruments are open is [`Panels`] (saved in lab files too); the
//! tree follows it each frame ([`Layout::follow`]), and closing a tab clears
//! the flag.

use egui_tiles::{Container, Linear, LinearDir, SimplificationOptions, Tile, TileId, Tiles, Tree};
use serde::{Deserialize, Serialize};

use super::TeleportApp;
use super::state::Panels;

/// A tile's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pane {
    /// The level sets with the runs: the subject of every demo.
    LevelSet,
    /// ‖∇f(g_θ x)‖ along the orbit of the current point.
    Theta,
    /// f(x_t) per step of every visible row.
    Loss,
    /// Algorithm 2 on a quadratic.
    Alg2,
    /// Newton vs teleport (Proposition 4.1) and the instruments under it.
    Newton,
    /// Live meta-training.
    Training,
    /// The task gallery.
    Gallery,
    /// Shortcuts and a short tour.
    Help,
    /// The 3D surface: f as a height over the plot's view.
    Surface,
}

impl Pane {
    /// The instruments, which open and close (the plots always stay).
    pub const INSTRUMENTS: [Self; 6] = [
        Self::Alg2,
        Self::Newton,
        Self::Training,
        Self::Gallery,
        Self::Help,
        Self::Surface,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::LevelSet => "Level sets",
            Self::Theta => "‖∇f(g_θ x)‖ along the orbit",
            Self::Loss => "f(x_t) per step",
            Self::Alg2 => "Algorithm 2: a rotation learned on the fly",
            Self::Newton => "Newton vs teleport (Proposition 4.1)",
            Self::Training => "Live meta-training",
            Self::Gallery => "Task gallery",
            Self::Help => "Help",
            Self::Surface => "Surface (3D)",
        }
    }

    /// Its flag in [`Panels`], for an instrument.
    fn flag(self, panels: &mut Panels) -> Option<&mut bool> {
        match self {
            Self::Alg2 => Some(&mut panels.alg2),
            Self::Newton => Some(&mut panels.newton),
            Self::Training => Some(&mut panels.training),
            Self::Gallery => Some(&mut panels.gallery),
            Self::Help => Some(&mut panels.help),
            Self::Surface => Some(&mut panels.surface),
            Self::LevelSet | Self::Theta | Self::Loss => None,
        }
    }

    /// Whether the pane is an instrument (it can be closed).
    pub fn is_instrument(self) -> bool {
        Self::INSTRUMENTS.contains(&self)
    }
}

/// The tiles and their sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    tree: Tree<Pane>,
}

/// Every pane in its own tab bar (the tab is the handle a tile is dragged
/// by), and a tab bar or a row left empty by a closed instrument removed
/// (kept, it held its share of the space as a blank band under the plot).
const SIMPLIFY: SimplificationOptions = SimplificationOptions {
    prune_empty_tabs: true,
    prune_empty_containers: true,
    all_panes_must_have_tabs: true,
    ..SimplificationOptions::OFF
};

/// The share of the height the plot keeps when instruments open below it.
const PLOT_SHARE: f32 = 0.6;

impl Default for Layout {
    /// The level-set plot with the θ plot above the loss plot beside it,
    /// taking a third of the width.
    fn default() -> Self {
        let mut tiles = Tiles::default();
        let plot = tabs_of(&mut tiles, Pane::LevelSet);
        let theta = tabs_of(&mut tiles, Pane::Theta);
        let loss = tabs_of(&mut tiles, Pane::Loss);
        let side = tiles.insert_new(Tile::Container(Container::Linear(Linear::new_binary(
            LinearDir::Vertical,
            [theta, loss],
            0.45,
        ))));
        let root = tiles.insert_new(Tile::Container(Container::Linear(Linear::new_binary(
            LinearDir::Horizontal,
            [plot, side],
            0.68,
        ))));
        Self {
            tree: Tree::new(egui::Id::unique("layout"), root, tiles),
        }
    }
}

impl Layout {
    /// The phone's layout: the level-set plot on top, full width, and the
    /// θ and loss plots as tabs below it (where instruments open too).
    pub fn stacked() -> Self {
        let mut tiles = Tiles::default();
        let plot = tabs_of(&mut tiles, Pane::LevelSet);
        let theta = tiles.insert_pane(Pane::Theta);
        let loss = tiles.insert_pane(Pane::Loss);
        let below = tiles.insert_tab_tile(vec![loss, theta]);
        let root = tiles.insert_new(Tile::Container(Container::Linear(Linear::new_binary(
            LinearDir::Vertical,
            [plot, below],
            0.62,
        ))));
        Self {
            tree: Tree::new(egui::Id::unique("layout-stacked"), root, tiles),
        }
    }
}

/// A pane in a tab bar of its own; returns the tab bar.
fn tabs_of(tiles: &mut Tiles<Pane>, pane: Pane) -> TileId {
    let id = tiles.insert_pane(pane);
    tiles.insert_tab_tile(vec![id])
}

impl Layout {
    /// The tree, when it is one the app can draw: a root, each plot exactly
    /// once. A session edited by hand (or from a future version) may hold
    /// anything; the caller replaces it with the default.
    pub fn is_sound(&self) -> bool {
        let Some(root) = self.tree.root else {
            return false;
        };
        let count = |p: Pane| {
            self.tree
                .tiles
                .tiles()
                .filter(|t| matches!(t, Tile::Pane(q) if *q == p))
                .count()
        };
        let children_exist = self.tree.tiles.tiles().all(|t| match t {
            Tile::Container(c) => c.children().all(|id| self.tree.tiles.get(*id).is_some()),
            Tile::Pane(_) => true,
        });
        self.tree.tiles.get(root).is_some()
            && children_exist
            && [Pane::LevelSet, Pane::Theta, Pane::Loss]
                .into_iter()
                .all(|p| count(p) == 1)
            && Pane::INSTRUMENTS.into_iter().all(|p| count(p) <= 1)
    }

    /// Whether `pane` is in the layout.
    pub fn contains(&self, pane: Pane) -> bool {
        self.tree.tiles.find_pane(&pane).is_some()
    }

    /// Opens and closes instruments so that the tree shows exactly those
    /// `panels` asks for. A new instrument becomes the active tab of the
    /// tab bar that holds instruments, or of a new one below the plot.
    pub fn follow(&mut self, panels: &Panels) {
        let mut panels = panels.clone();
        for pane in Pane::INSTRUMENTS {
            let want = pane.flag(&mut panels).is_some_and(|f| *f);
            match (want, self.tree.tiles.find_pane(&pane)) {
                (true, None) => self.open(pane),
                (false, Some(id)) => {
                    self.tree.remove_recursively(id);
                    self.tree.simplify(&SIMPLIFY);
                }
                _ => {}
            }
        }
    }

    /// The tree in the shape the tiles' UI keeps it (every pane in a tab
    /// bar, nested containers of one direction joined). A drop leaves it
    /// unsimplified until the next frame's UI simplifies it.
    pub fn simplify(&mut self) {
        self.tree.simplify(&SIMPLIFY);
        // The share of a tile moved out of a row stays behind until the
        // row is next laid out; drop it now, as that layout does.
        for tile in self.tree.tiles.tiles_mut() {
            if let Tile::Container(Container::Linear(linear)) = tile {
                let children = linear.children.clone();
                linear.shares.retain(|id| children.contains(&id));
            }
        }
    }

    /// Adds `pane` as the active tab beside the other instruments, or below
    /// the level-set plot when it is the first.
    fn open(&mut self, pane: Pane) {
        let tiles = &mut self.tree.tiles;
        // Beside the other instruments; on a stacked layout, as a tab
        // beside the loss plot below the level sets.
        let shared_with_loss = tiles
            .find_pane(&Pane::Loss)
            .and_then(|id| tiles.parent_of(id))
            .filter(|tabs| matches!(tiles.get(*tabs), Some(Tile::Container(Container::Tabs(t))) if t.children.len() > 1));
        let existing = Pane::INSTRUMENTS
            .into_iter()
            .filter_map(|p| tiles.find_pane(&p))
            .find_map(|id| tiles.parent_of(id))
            .or(shared_with_loss);
        let id = tiles.insert_pane(pane);
        if let Some(tabs) = existing
            && let Some(Tile::Container(Container::Tabs(t))) = tiles.get_mut(tabs)
        {
            t.add_child(id);
            t.set_active(id);
            return;
        }
        let bar = tiles.insert_tab_tile(vec![id]);
        let plot = tiles
            .find_pane(&Pane::LevelSet)
            .and_then(|p| tiles.parent_of(p))
            .filter(|tabs| Some(*tabs) != self.tree.root);
        match plot.and_then(|tabs| Some((tabs, tiles.parent_of(tabs)?))) {
            // The plot's tab bar sits in a container: put a column of the
            // plot over the instruments in its place.
            Some((tabs, parent)) => {
                let column = tiles.insert_new(Tile::Container(Container::Linear(
                    Linear::new_binary(LinearDir::Vertical, [tabs, bar], PLOT_SHARE),
                )));
                if let Some(Tile::Container(c)) = tiles.get_mut(parent) {
                    // `None` only if `tabs` were not a child: it is, by
                    // `parent_of`.
                    let _ = c.replace_child(tabs, column);
                }
            }
            // The plot is the whole tree: the column becomes the root.
            None => {
                let Some(root) = self.tree.root else {
                    return;
                };
                let column = tiles.insert_new(Tile::Container(Container::Linear(
                    Linear::new_binary(LinearDir::Vertical, [root, bar], PLOT_SHARE),
                )));
                self.tree.root = Some(column);
            }
        }
    }

    /// Takes the tree out to draw it (it must be put back with
    /// [`Self::put_back`]): the behaviour drawing it borrows the whole app.
    fn take(&mut self) -> Tree<Pane> {
        std::mem::replace(
            &mut self.tree,
            Tree::empty(egui::Id::unique("layout-taken")),
        )
    }

    fn put_back(&mut self, tree: Tree<Pane>) {
        self.tree = tree;
    }
}

/// Draws the panes for egui_tiles, and remembers the instruments whose
/// tab the user closed.
struct Behavior<'a> {
    app: &'a mut TeleportApp,
    closed: Vec<Pane>,
}

impl egui_tiles::Behavior<Pane> for Behavior<'_> {
    fn pane_ui(
        &mut self,
        ui: &mut egui::Ui,
        _tile: TileId,
        pane: &mut Pane,
    ) -> egui_tiles::UiResponse {
        let app = &mut *self.app;
        // A network takes the plane's plots' places; the instruments that
        // need a function of the plane say so.
        let network = app.network_active();
        match pane {
            Pane::LevelSet if network => {
                app.network_main_ui(ui);
                app.rt.central_rect = ui.max_rect();
            }
            Pane::Theta if network => app.network_scrubber_pane_ui(ui),
            Pane::Loss if network => app.network_loss_pane_ui(ui),
            Pane::Newton if network => {
                ui.label(
                    "Newton vs teleport is for plane tasks: it needs the Hessian of f on ℝ². \
                     The network's teleports are in the scrubber (upper right) and the loss slice.",
                );
            }
            Pane::Training if network => scrolled(ui, |ui| app.net_training_ui(ui)),
            Pane::LevelSet => {
                app.level_set_ui(ui);
                app.rt.central_rect = ui.max_rect();
            }
            Pane::Theta => app.theta_pane_ui(ui),
            Pane::Loss => app.loss_pane_ui(ui),
            Pane::Alg2 => scrolled(ui, |ui| app.alg2_ui(ui)),
            Pane::Newton => scrolled(ui, |ui| app.newton_ui(ui)),
            Pane::Training => scrolled(ui, |ui| app.training_ui(ui)),
            Pane::Gallery => scrolled(ui, |ui| app.task_gallery_ui(ui)),
            Pane::Help => scrolled(ui, |ui| app.help_ui(ui)),
            // Not scrolled: the picture fills the tile, and the wheel zooms it.
            Pane::Surface => app.surface_pane_ui(ui),
        }
        egui_tiles::UiResponse::None
    }

    fn tab_title_for_pane(&mut self, pane: &Pane) -> egui::WidgetText {
        if self.app.network_active() {
            match pane {
                Pane::LevelSet => return "Data, decision boundary and loss slice".into(),
                Pane::Theta => return "‖∇f‖ along one unit's rescaling".into(),
                Pane::Loss => return "f, accuracy and ‖∇f‖ per step".into(),
                _ => {}
            }
        }
        pane.title().into()
    }

    fn is_tab_closable(&self, tiles: &Tiles<Pane>, tile: TileId) -> bool {
        matches!(tiles.get(tile), Some(Tile::Pane(p)) if p.is_instrument())
    }

    fn on_tab_close(&mut self, tiles: &mut Tiles<Pane>, tile: TileId) -> bool {
        if let Some(Tile::Pane(p)) = tiles.get(tile) {
            self.closed.push(*p);
        }
        true
    }

    fn simplification_options(&self) -> SimplificationOptions {
        SIMPLIFY
    }

    fn gap_width(&self, _style: &egui::Style) -> f32 {
        2.0
    }

    fn min_size(&self) -> f32 {
        // Small enough for a phone's column, large enough to read.
        48.0
    }
}

/// A pane's body in a scroll area filling the tile: an instrument taller
/// than its tile scrolls instead of overflowing it.
fn scrolled(ui: &mut egui::Ui, body: impl FnOnce(&mut egui::Ui)) {
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, body);
}

impl TeleportApp {
    /// Draws the docked layout into `ui`, after making it follow the open
    /// instruments; a closed tab closes its instrument.
    pub(super) fn layout_ui(&mut self, ui: &mut egui::Ui) {
        // A phone stacks the tiles (its own layout, not saved: the
        // desktop's is kept for the desktop).
        let narrow = ui.ctx().content_rect().width() < super::NARROW_POINTS;
        let layout = if narrow {
            &mut self.rt.stacked_layout
        } else {
            &mut self.state.layout
        };
        if !layout.is_sound() {
            *layout = if narrow {
                Layout::stacked()
            } else {
                Layout::default()
            };
        }
        let panels = self.state.panels.clone();
        layout.follow(&panels);
        let mut tree = layout.take();
        let mut behavior = Behavior {
            app: self,
            closed: Vec::new(),
        };
        tree.ui(&mut behavior, ui);
        let closed = behavior.closed;
        if narrow {
            self.rt.stacked_layout.put_back(tree);
        } else {
            self.state.layout.put_back(tree);
        }
        for pane in closed {
            if let Some(flag) = pane.flag(&mut self.state.panels) {
                *flag = false;
            }
        }
    }

    /// Makes the saved layout whole and follow the open instruments: done
    /// before the undo history looks at the state, so that no snapshot has
    /// an instrument open without its pane (undoing to one would open the
    /// pane, a change of its own).
    pub(super) fn settle_layout(&mut self) {
        if !self.state.layout.is_sound() {
            self.state.layout = Layout::default();
        }
        let panels = self.state.panels.clone();
        self.state.layout.follow(&panels);
        // A tile dropped in this frame is simplified now, not by the next
        // frame's UI: a snapshot taken before that would be a step of its
        // own, and undoing to it one that never ends.
        self.state.layout.simplify();
    }

    /// View → Reset layout: the default tiles, the open instruments below
    /// the plot again.
    pub(super) fn reset_layout(&mut self) {
        self.state.layout = Layout::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panels() -> Panels {
        Panels {
            alg2: false,
            newton: false,
            training: false,
            help: false,
            gallery: false,
            surface: false,
        }
    }

    #[test]
    fn the_default_layout_is_sound_and_shows_the_three_plots() {
        let layout = Layout::default();
        assert!(layout.is_sound());
        for pane in [Pane::LevelSet, Pane::Theta, Pane::Loss] {
            assert!(layout.contains(pane), "{pane:?}");
        }
        assert!(Pane::INSTRUMENTS.iter().all(|p| !layout.contains(*p)));
    }

    #[test]
    fn closing_every_instrument_leaves_no_empty_tile() {
        let mut layout = Layout::default();
        let mut p = panels();
        for open in [true, false] {
            p.alg2 = open;
            p.surface = open;
            layout.follow(&p);
            layout.simplify();
        }
        // An empty tab bar kept its share of the space: a blank band.
        for pane in [Pane::LevelSet, Pane::Theta, Pane::Loss] {
            assert!(layout.contains(pane), "{pane:?}");
        }
        assert!(!layout.tree.tiles.iter().any(|(_, t)| matches!(
            t,
            Tile::Container(c) if c.is_empty()
        )));
    }

    #[test]
    fn instruments_follow_the_flags_and_share_one_tab_bar() {
        let mut layout = Layout::default();
        let mut p = panels();
        p.newton = true;
        p.training = true;
        layout.follow(&p);
        assert!(layout.is_sound());
        assert!(layout.contains(Pane::Newton) && layout.contains(Pane::Training));
        let tiles = &layout.tree.tiles;
        let bar = |pane| tiles.find_pane(&pane).and_then(|id| tiles.parent_of(id));
        assert_eq!(bar(Pane::Newton), bar(Pane::Training));
        assert_ne!(bar(Pane::Newton), bar(Pane::LevelSet));
        p.newton = false;
        layout.follow(&p);
        assert!(!layout.contains(Pane::Newton) && layout.contains(Pane::Training));
        p.training = false;
        layout.follow(&p);
        assert!(layout.is_sound());
        assert!(Pane::INSTRUMENTS.iter().all(|p| !layout.contains(*p)));
        // Opening again after everything closed still finds a place.
        p.gallery = true;
        layout.follow(&p);
        assert!(layout.contains(Pane::Gallery) && layout.is_sound());
    }

    #[test]
    fn a_layout_survives_a_round_trip_through_the_session_format() {
        let mut layout = Layout::default();
        let mut p = panels();
        p.alg2 = true;
        layout.follow(&p);
        let text = ron::to_string(&layout).unwrap();
        let back: Layout = ron::from_str(&text).unwrap();
        assert_eq!(back, layout);
        assert!(back.is_sound());
    }

    #[test]
    fn on_a_phone_instruments_open_beside_the_loss_plot() {
        let mut layout = Layout::stacked();
        assert!(layout.is_sound());
        let mut p = panels();
        p.newton = true;
        layout.follow(&p);
        let tiles = &layout.tree.tiles;
        let bar = |pane| tiles.find_pane(&pane).and_then(|id| tiles.parent_of(id));
        assert_eq!(bar(Pane::Newton), bar(Pane::Loss));
        assert_ne!(bar(Pane::Newton), bar(Pane::LevelSet));
    }

    #[test]
    fn a_broken_tree_is_not_sound() {
        let mut layout = Layout::default();
        layout.tree.root = None;
        assert!(!layout.is_sound());
        let mut layout = Layout::default();
        // A second level-set plot.
        let extra = layout.tree.tiles.insert_pane(Pane::LevelSet);
        if let Some(root) = layout.tree.root
            && let Some(Tile::Container(c)) = layout.tree.tiles.get_mut(root)
        {
            c.add_child(extra);
        }
        assert!(!layout.is_sound());
    }
}
