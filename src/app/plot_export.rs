//! File → Export plot as SVG and `teleport-lab FILE --export-plot OUT`:
//! the level-set plot as a figure of the core's chart renderer
//! ([`teleport_core::plot::LevelSetPlot`]), so that the SVG (text kept as text) and
//! the PNG of an export are one drawing. The figure holds what the central
//! plot shows: the colour map and contours of the current view, every
//! visible row's whole run with its teleport jumps (and hand-applied
//! branches), x₀, the minimum, the current point with its orbit and g_θ(x).

use std::path::Path;

use teleport_core::plot::{Color, LevelSetPlot, LevelSetRow, Orbit};
use teleport_core::symmetry::{orbit, teleport};

use super::TeleportApp;

/// The size of an exported plot when the window's is unknown (headless).
pub const DEFAULT_SIZE: [u32; 2] = [1200, 900];

fn rgb(c: egui::Color32) -> Color {
    Color::rgb(c.r(), c.g(), c.b())
}

/// The format an export path asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotFormat {
    /// Scalable Vector Graphics, text as text.
    Svg,
    /// A raster image.
    Png,
}

impl PlotFormat {
    /// `.svg` or `.png`; anything else is an error naming the path.
    pub fn from_path(path: &Path) -> Result<Self, String> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(format!(
                "{}: a plot is exported as .svg or .png",
                path.display()
            )),
        }
    }
}

impl TeleportApp {
    /// The view the plot shows: the last drawn one, else the one a lab file
    /// asked for, else the fitted one.
    pub fn plot_view(&self) -> ([f64; 2], [f64; 2]) {
        let cache = &self.rt.level_set;
        cache
            .view
            .or(cache.pending_view)
            .unwrap_or_else(|| self.default_view())
    }

    /// The level-set plot as the core's figure description, `size` pixels:
    /// every visible run whole, the current point at the timeline's step.
    pub fn level_set_plot(&self, size: [u32; 2]) -> LevelSetPlot {
        self.level_set_plot_at(size, None)
    }

    /// The level-set plot at `step` of the playback (every run drawn up to
    /// it, the current point there), or, for `None`, as the window shows
    /// it: every run whole, the current point at the timeline's step. An
    /// animation's frames are these plots.
    pub fn level_set_plot_at(&self, size: [u32; 2], step: Option<usize>) -> LevelSetPlot {
        let obj = &self.rt.objective;
        let (min, max) = self.plot_view();
        let mut plot = LevelSetPlot::new(obj.clone(), (min[0], max[0]), (min[1], max[1]));
        [plot.width, plot.height] = size;
        plot.title = self.state.caption.clone().unwrap_or_default();
        plot.color_map = self.state.show.filled;
        plot.log_color = super::level_set::log_color(obj);
        plot.legend = self.state.show.legend != super::state::LegendPlace::Hidden;
        let row = |name: &str, color, run: &teleport_core::optim::Trajectory| match step {
            Some(t) => LevelSetRow::from_trajectory_until(name, color, run, t),
            None => LevelSetRow::from_trajectory(name, color, run),
        };
        for (entry, name, run) in self.visible_runs() {
            let color = rgb(super::row_color(entry));
            plot.rows.push(row(&name, color, &run.base));
            if let Some(branch) = &run.branch {
                let name = format!("{name} (teleported by hand)");
                plot.rows.push(row(&name, color, branch));
            }
        }
        plot.x0 = Some(self.state.x0);
        plot.minimizer = obj.try_minimizer().ok().map(|m| [m.x, m.y]);
        if self.state.show.orbit {
            let x = match step {
                Some(t) => self.point_at(t),
                None => self.current_point(),
            };
            // An animation's frames show each point's orbit; the scrubber's
            // g_θ(x) belongs to the step on screen.
            let image = step.is_none().then(|| {
                let y = teleport(obj, &x, self.state.theta);
                [y.x, y.y]
            });
            plot.current = Some(Orbit {
                point: [x.x, x.y],
                ring: orbit(obj, &x, 256).iter().map(|p| [p.x, p.y]).collect(),
                image: image.filter(|p| p.iter().all(|v| v.is_finite())),
            });
        }
        plot
    }

    /// The plot's bytes in `format`: SVG text or PNG.
    pub fn level_set_plot_bytes(
        &self,
        format: PlotFormat,
        size: [u32; 2],
    ) -> Result<Vec<u8>, String> {
        // A network's plot is its data and decision boundary.
        let figure = match self.network_active() {
            true => self
                .network_data_figure(size, None)
                .ok_or("the network task is not built")?,
            false => self.level_set_plot(size).figure(),
        };
        match format {
            PlotFormat::Svg => figure.to_svg().map(String::into_bytes),
            PlotFormat::Png => figure.to_png(),
        }
        .map_err(|e| e.to_string())
    }

    /// File → Export plot as SVG: the plot at the size it has on screen.
    pub(super) fn export_plot_svg(&mut self, ctx: &egui::Context) {
        let size = self
            .rt
            .level_set
            .plot_rect
            .map(|r| {
                let ppp = ctx.pixels_per_point();
                [(r.width() * ppp) as u32, (r.height() * ppp) as u32]
            })
            .filter(|[w, h]| *w >= 64 && *h >= 64)
            .unwrap_or(DEFAULT_SIZE);
        let name = if self.network_active() {
            "decision-boundary.svg"
        } else {
            "level-set.svg"
        };
        match self.level_set_plot_bytes(PlotFormat::Svg, size) {
            Ok(bytes) => {
                self.save_bytes(ctx, name, "svg", &bytes, "the plot (SVG)", false);
            }
            Err(e) => self.notify(ctx, format!("Cannot export the plot: {e}"), true),
        }
    }
}
