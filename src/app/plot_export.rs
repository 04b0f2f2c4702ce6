//! File → Export plot as SVG and `teleport-lab FILE --export-plot OUT`:
//! the level-set plot as a figure of the core's chart renderer
//! ([`teleport_core::plot::LevelSetPlot`]), so that the SVG (text kept as text) and
//! the PNG of an export are one drawing. The figure holds what the central
//! plot shows: the colour map and contours of the current view, every
//! visible row's whole run with its teleport jumps (and hand-applied
//! branches), x₀, the minimum, the current point with its orbit and g_θ(x).

use std::path::Path;

use teleport_core::objective::Vec2;
use teleport_core::optim::Trajectory;
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
        match step {
            Some(t) => self.playback_frames(size).plot_at(t),
            None => self.whole_level_set_plot(size),
        }
    }

    /// The playback of the plot at `size` pixels as a source of frames:
    /// each run and the orbit's point per step held once, each frame's
    /// plot made when it is drawn.
    pub fn playback_frames(&self, size: [u32; 2]) -> PlaybackFrames {
        let points = self
            .state
            .show
            .orbit
            .then(|| (0..=self.state.steps).map(|t| self.point_at(t)).collect());
        PlaybackFrames {
            frame: self.bare_level_set_plot(size),
            runs: self.plotted_runs(),
            points,
            steps: self.state.steps,
        }
    }

    /// The plot as the window shows it: every run whole, the current point
    /// at the timeline's step with its orbit and g_θ(x).
    fn whole_level_set_plot(&self, size: [u32; 2]) -> LevelSetPlot {
        let mut plot = self.bare_level_set_plot(size);
        plot.rows = self
            .plotted_runs()
            .iter()
            .map(|(name, color, run)| LevelSetRow::from_trajectory(name.as_str(), *color, run))
            .collect();
        if self.state.show.orbit {
            let obj = &self.rt.objective;
            let x = self.current_point();
            let y = teleport(obj, &x, self.state.theta);
            plot.current = Some(Orbit {
                point: [x.x, x.y],
                ring: orbit(obj, &x, 256).iter().map(|p| [p.x, p.y]).collect(),
                image: Some([y.x, y.y]).filter(|p| p.iter().all(|v| v.is_finite())),
            });
        }
        plot
    }

    /// The plot without runs or current point: the view, the task, x₀,
    /// the minimum, the caption as its title.
    fn bare_level_set_plot(&self, size: [u32; 2]) -> LevelSetPlot {
        let obj = &self.rt.objective;
        let (min, max) = self.plot_view();
        let mut plot = LevelSetPlot::new(obj.clone(), (min[0], max[0]), (min[1], max[1]));
        [plot.width, plot.height] = size;
        plot.title = self.state.caption.clone().unwrap_or_default();
        plot.color_map = self.state.show.filled;
        plot.log_color = super::level_set::log_color(obj);
        plot.legend = self.state.show.legend != super::state::LegendPlace::Hidden;
        plot.x0 = Some(self.state.x0);
        plot.minimizer = obj.try_minimizer().ok().map(|m| [m.x, m.y]);
        plot
    }

    /// Each visible run in drawing order, a hand-teleported branch after
    /// its run: legend name, colour and trajectory.
    fn plotted_runs(&self) -> Vec<(String, Color, Trajectory)> {
        let mut runs = Vec::new();
        for (entry, name, run) in self.visible_runs() {
            let color = rgb(super::row_color(entry));
            runs.push((name.clone(), color, run.base.clone()));
            if let Some(branch) = &run.branch {
                runs.push((
                    format!("{name} (teleported by hand)"),
                    color,
                    branch.clone(),
                ));
            }
        }
        runs
    }
}

/// The frames of the plot's playback, made one at a time: frame `k` is the
/// plot at step `k`, every run drawn up to it and the orbit of the selected
/// run's point there. Holding every frame's plot at once held every run
/// once per step: a playback of 10,000 steps took gigabytes.
#[derive(Clone)]
pub struct PlaybackFrames {
    /// The plot less its runs and current point.
    frame: LevelSetPlot,
    /// Each visible run (a hand-teleported branch as a run of its own):
    /// its legend name, colour and trajectory.
    runs: Vec<(String, Color, Trajectory)>,
    /// The point whose orbit shows at each step; `None` with the orbit off.
    points: Option<Vec<Vec2>>,
    /// The playback's last step.
    steps: usize,
}

impl PlaybackFrames {
    /// The plot at step `t` of the playback.
    pub fn plot_at(&self, t: usize) -> LevelSetPlot {
        let mut plot = self.frame.clone();
        plot.rows = self
            .runs
            .iter()
            .map(|(name, color, run)| {
                LevelSetRow::from_trajectory_until(name.as_str(), *color, run, t)
            })
            .collect();
        if let Some(points) = &self.points {
            let x0 = self.frame.x0.unwrap_or_default();
            let x = points
                .get(t)
                .or(points.last())
                .copied()
                .unwrap_or(Vec2::from(x0));
            plot.current = Some(Orbit {
                point: [x.x, x.y],
                ring: orbit(&plot.objective, &x, 256)
                    .iter()
                    .map(|p| [p.x, p.y])
                    .collect(),
                image: None,
            });
        }
        plot
    }

    /// The steps the animation draws, in order: every step, or for a run
    /// longer than [`MAX_PLAYBACK_FRAMES`] steps that many spread evenly,
    /// the first and the last among them.
    pub fn steps(&self) -> Vec<usize> {
        playback_steps(self.steps)
    }
}

/// The steps drawn of a playback whose last step is `last`.
fn playback_steps(last: usize) -> Vec<usize> {
    if last < MAX_PLAYBACK_FRAMES {
        return (0..=last).collect();
    }
    let intervals = MAX_PLAYBACK_FRAMES - 1;
    (0..MAX_PLAYBACK_FRAMES)
        .map(|k| k * last / intervals)
        .collect()
}

/// Most frames an animation of the plot has: a longer run is drawn every
/// few steps (a GIF of 10,000 frames serves no slide and takes minutes).
pub const MAX_PLAYBACK_FRAMES: usize = 1000;

impl TeleportApp {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_playback_is_drawn_every_few_steps_from_first_to_last() {
        assert_eq!(playback_steps(3), [0, 1, 2, 3]);
        let every = playback_steps(MAX_PLAYBACK_FRAMES - 1);
        assert_eq!(every.len(), MAX_PLAYBACK_FRAMES);
        assert!(every.iter().enumerate().all(|(k, &t)| k == t));
        for last in [MAX_PLAYBACK_FRAMES, 2 * MAX_PLAYBACK_FRAMES + 7, 10_000] {
            let steps = playback_steps(last);
            assert_eq!(steps.len(), MAX_PLAYBACK_FRAMES);
            assert_eq!((steps[0], steps[steps.len() - 1]), (0, last));
            assert!(
                steps.windows(2).all(|w| w[0] < w[1]),
                "{last}: strictly later"
            );
            // Spread evenly: no gap more than one step wider than another.
            let gaps: Vec<usize> = steps.windows(2).map(|w| w[1] - w[0]).collect();
            let (lo, hi) = (gaps.iter().min(), gaps.iter().max());
            assert!(
                hi.zip(lo).is_some_and(|(h, l)| h - l <= 1),
                "{last}: {lo:?}..{hi:?}"
            );
        }
    }
}
