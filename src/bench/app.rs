//! Benchmarks that drive the real app headless: `bench ui` (CPU time per
//! frame) and `bench soak` (a long session's memory and slowest frames).

#[allow(clippy::wildcard_imports, reason = "the helpers of the parent module")]
use super::*;

/// The screen the app is driven on headless: 1440 × 900 logical points.
pub(crate) const SCREEN: egui::Rect =
    egui::Rect::from_min_max(egui::Pos2::ZERO, egui::pos2(1440.0, 900.0));

/// The app's options when a benchmark drives it: no file dialogs, no saved
/// session, exports to `export_dir` (the default folder if `None`).
pub(crate) fn headless_options(export_dir: Option<std::path::PathBuf>) -> crate::app::Options {
    crate::app::Options {
        export_dir,
        dialogs: false,
        fresh: true,
        ..crate::app::Options::default()
    }
}

/// The real app headless on [`SCREEN`], with its fonts and
/// [`headless_options`], and the context that draws it.
pub(crate) struct Headless {
    pub ctx: egui::Context,
    pub app: crate::app::TeleportApp,
}

impl Headless {
    pub(crate) fn new(state: crate::app::state::AppState) -> Self {
        let ctx = egui::Context::default();
        crate::app::install_fonts(&ctx);
        let app = crate::app::TeleportApp::new(state, &headless_options(None));
        Self { ctx, app }
    }

    /// One frame at `time` seconds with `events`: the egui pass plus
    /// tessellation, as the UI thread does before handing triangles to the
    /// GPU. No GPU takes the texture updates here.
    pub(crate) fn frame(&mut self, time: f64, events: Vec<egui::Event>) {
        let input = frame_input(time, 1.0 / 60.0, events);
        let app = &mut self.app;
        let mut output = self.ctx.run_ui(input, |ui| app.ui_body(ui));
        output.textures_delta.clear();
        black_box(self.ctx.tessellate(output.shapes, output.pixels_per_point));
    }
}

/// The input of one frame on [`SCREEN`] at `time` seconds, `dt` after the
/// previous one, with `events`.
pub(crate) fn frame_input(time: f64, dt: f32, events: Vec<egui::Event>) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(SCREEN),
        time: Some(time),
        predicted_dt: dt,
        events,
        ..Default::default()
    }
}

/// The pointer moved to `x` across the plot, halfway down the screen, so
/// that the readout and hover labels are live.
fn hover_plot_at(x: f32) -> Vec<egui::Event> {
    vec![egui::Event::PointerMoved(egui::pos2(x, 450.0))]
}

/// Restarts playback once it has reached the last step.
fn loop_playback(app: &mut crate::app::TeleportApp) {
    if app.state.playback.t >= app.state.steps {
        app.state.playback.t = 0;
        app.state.playback.playing = true;
    }
}

/// CPU time of the full UI per frame and of contour extraction.
#[derive(Clone, Debug)]
pub struct UiMeasurement {
    /// Frames measured.
    pub frames: usize,
    /// Median CPU time of one frame (egui pass + tessellation), ms.
    pub median_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// The slowest frame, ms.
    pub max_ms: f64,
    /// Training snapshots that arrived during the measurement.
    pub snapshots: u64,
    /// Median time of contour extraction on a 512×512 grid (16 levels), ms.
    pub contour_ms: f64,
    /// Median time of sampling f on that grid, ms.
    pub grid_ms: f64,
}

/// Drives the real app headless for `frames` frames at 1440×900: default
/// task, every optimizer visible, 100-step trajectories, contours and the
/// colour map, playback running and live training on its thread. Each frame
/// is the egui pass plus tessellation, as the UI thread does before handing
/// triangles to the GPU.
pub fn ui(frames: usize) -> UiMeasurement {
    ui_on(frames, None, false, false).0
}

/// [`ui`] with the instruments open: the Newton window (update anatomy,
/// symmetry share, η per step, and the probe of the selected learned row,
/// L2O + teleport, replayed as playback moves the step) and the loss plot
/// across 200 tasks (its worker recomputing whenever live training
/// publishes new weights), the task gallery, and the training timeline with
/// its ghost trails (live training fills it).
pub fn ui_instruments(frames: usize) -> UiMeasurement {
    ui_on(frames, None, true, false).0
}

/// What the 3D surface pane costs.
#[derive(Clone, Debug)]
pub struct SurfaceMeasurement {
    /// The whole frame with the pane open, as [`ui`] measures it.
    pub frame: UiMeasurement,
    /// Median time of the pane's own work on one frame's surface: lifting
    /// the runs, projecting and ordering the scene (64² facets), and
    /// turning it into egui shapes, ms.
    pub scene_ms: f64,
    /// Median time of egui's tessellation of those shapes, ms.
    pub tessellate_ms: f64,
    /// Median time of the mesh (f on the grid, heights, colours,
    /// contours), built only when the task, view, facets or height scale
    /// change, ms.
    pub mesh_ms: f64,
    /// Facets drawn.
    pub facets: usize,
}

/// [`ui`] with the 3D surface pane open at 64² facets (its tab active below
/// the plot), following the playback; and the pane's own work timed apart
/// on the last frame's surface.
pub fn ui_surface(frames: usize) -> SurfaceMeasurement {
    let (frame, h) = ui_on(frames, None, false, true);
    let surface = h.app.surface();
    let (Some(plot), Some(mesh), Some(rect)) = (surface.plot(), surface.mesh(), surface.rect())
    else {
        return SurfaceMeasurement {
            frame,
            scene_ms: f64::NAN,
            tessellate_ms: f64::NAN,
            mesh_ms: f64::NAN,
            facets: 0,
        };
    };
    let painter = egui::Painter::new(h.ctx.clone(), egui::LayerId::background(), SCREEN);
    let time = |mut op: Box<dyn FnMut() + '_>| {
        let mut ms: Vec<f64> = (0..31)
            .map(|_| {
                let start = Instant::now();
                op();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        quantile(&mut ms, 0.5)
    };
    let scene_ms = time(Box::new(|| {
        let scene = crate::app::surface::scene_with_minima(plot, mesh);
        black_box(crate::app::surface::scene_shapes(
            &scene, rect.min, &painter,
        ));
    }));
    let scene = crate::app::surface::scene_with_minima(plot, mesh);
    let shapes = crate::app::surface::scene_shapes(&scene, rect.min, &painter);
    let clipped: Vec<egui::epaint::ClippedShape> = shapes
        .iter()
        .map(|shape| egui::epaint::ClippedShape {
            clip_rect: rect,
            shape: shape.clone(),
            transform_after_tessellation: egui::emath::TSTransform::IDENTITY,
        })
        .collect();
    let tessellate_ms = time(Box::new(|| {
        black_box(h.ctx.tessellate(clipped.clone(), 1.0));
    }));
    let mesh_ms = time(Box::new(|| {
        black_box(plot.mesh().ok());
    }));
    SurfaceMeasurement {
        frame,
        scene_ms,
        tessellate_ms,
        mesh_ms,
        facets: scene.facets.len(),
    }
}

/// [`ui`] on the gallery's spiral, a typed h whose orbits are walked by
/// Newton's method: playback moves the current point every frame, so θ*,
/// the θ curve and the orbit are found again in every frame.
pub fn ui_custom(frames: usize) -> UiMeasurement {
    let entry = &teleport_core::objective::GALLERY[1];
    let spec = teleport_core::io::scene::ObjectiveSpec::Custom {
        h: entry.h.map(str::to_owned),
        h_inv: entry.h_inv.map(|inv| inv.map(str::to_owned)),
    };
    ui_on(frames, Some((spec, entry.x0)), false, false).0
}

fn ui_on(
    frames: usize,
    task: Option<(teleport_core::io::scene::ObjectiveSpec, [f64; 2])>,
    instruments: bool,
    surface: bool,
) -> (UiMeasurement, Headless) {
    let mut state = crate::app::state::AppState::default();
    if let Some((spec, x0)) = task {
        state.source = crate::app::state::TaskSource::Custom(spec);
        state.x0 = x0;
    }
    for e in &mut state.optimizers {
        e.enabled = true;
    }
    state.steps = 100;
    state.playback.playing = true;
    state.playback.speed = 20.0;
    state.panels.training = true;
    state.panels.surface = surface;
    state.training.trajectories = 1_000_000;
    if instruments {
        use crate::app::state::EntryKind;
        state.panels.newton = true;
        state.panels.gallery = true;
        state.across_tasks = true;
        let learned = state.optimizers.iter().find(|r| {
            matches!(
                r.kind,
                EntryKind::Learned(teleport_core::l2o::Variant::L2oTele)
            )
        });
        if let Some(row) = learned {
            state.selected = row.id;
        }
    }
    let mut h = Headless::new(state);
    h.ctx.set_theme(egui::Theme::Light);
    h.app.start_training(&h.ctx);
    let mut times = Vec::with_capacity(frames);
    let warmup = 30;
    for frame in 0..warmup + frames {
        let hover = hover_plot_at(700.0 + (frame % 50) as f32);
        let start = Instant::now();
        h.frame(frame as f64 / 60.0, hover);
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if frame >= warmup {
            times.push(elapsed);
        }
        loop_playback(&mut h.app);
    }
    let snapshots = h.app.training().version;
    h.app.stop_training();

    let obj = Preset::Rosenbrock.objective();
    let (min, max) = ([-2.0, -1.0], [2.0, 3.0]);
    let mut grid_times: Vec<f64> = (0..21)
        .map(|_| {
            let s = Instant::now();
            black_box(teleport_core::contour::Grid::of_objective(
                &obj, min, max, 512, 512,
            ));
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let grid = teleport_core::contour::Grid::of_objective(&obj, min, max, 512, 512);
    let levels = teleport_core::contour::auto_levels(&grid, 16);
    let mut contour_times: Vec<f64> = (0..21)
        .map(|_| {
            let s = Instant::now();
            black_box(teleport_core::contour::contours(&grid, &levels));
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let m = UiMeasurement {
        frames,
        median_ms: quantile(&mut times, 0.5),
        p99_ms: quantile(&mut times, 0.99),
        max_ms: quantile(&mut times, 1.0),
        snapshots,
        contour_ms: quantile(&mut contour_times, 0.5),
        grid_ms: quantile(&mut grid_times, 0.5),
    };
    (m, h)
}

/// What a soak run measured.
#[derive(Clone, Debug)]
pub struct SoakMeasurement {
    /// Minutes driven.
    pub minutes: f64,
    /// Frames drawn.
    pub frames: u64,
    /// Resident memory after the warm-up minute, MiB.
    pub rss_start_mib: f64,
    /// Resident memory at the end, MiB.
    pub rss_end_mib: f64,
    /// The largest resident memory seen after warm-up, MiB.
    pub rss_max_mib: f64,
    /// The slowest frame after warm-up, ms.
    pub max_frame_ms: f64,
    /// Median frame, ms.
    pub median_frame_ms: f64,
    /// Training runs started (each restarts when the previous finishes).
    pub training_runs: u64,
    /// Training snapshots received.
    pub snapshots: u64,
    /// Frames after warm-up slower than 100 ms, with what happened in them.
    pub slow_frames: Vec<(f64, String)>,
}

/// Resident set size of this process in MiB (Linux; `NaN` elsewhere).
pub fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |pages| pages * 4096.0 / (1024.0 * 1024.0))
}

/// Drives the app headless for `minutes`: playback looping, θ sweeping,
/// x₀ moving every few seconds (so trajectories and contours recompute),
/// and live training restarted whenever it finishes. Memory is sampled
/// after a warm-up of one minute (or a tenth of the run if shorter).
pub fn soak(minutes: f64, mut on_progress: impl FnMut(f64)) -> SoakMeasurement {
    let mut state = crate::app::state::AppState::default();
    for e in &mut state.optimizers {
        e.enabled = true;
    }
    state.playback.playing = true;
    state.playback.speed = 30.0;
    state.training.trajectories = 3000;
    state.training.hidden = 64;
    let mut h = Headless::new(state);
    let total = std::time::Duration::from_secs_f64(minutes.max(0.0) * 60.0);
    let warmup = (total / 10).min(std::time::Duration::from_secs(60));
    let start = Instant::now();
    let mut frames = 0u64;
    let mut training_runs = 0u64;
    let mut snapshots = 0u64;
    let mut last_version = 0u64;
    let mut times = Vec::new();
    let mut rss_start = f64::NAN;
    let mut rss_max: f64 = 0.0;
    let mut last_sample = Instant::now();
    let mut slow_frames = Vec::new();
    while start.elapsed() < total {
        let now = start.elapsed().as_secs_f64();
        let mut events = Vec::new();
        if !h.app.training().running() {
            let t = Instant::now();
            h.app.start_training(&h.ctx);
            training_runs += 1;
            events.push(format!(
                "training restarted ({:.1} ms)",
                t.elapsed().as_secs_f64() * 1e3
            ));
        }
        // Every 3 s, move x₀ around a circle (recomputes every trajectory).
        if frames.is_multiple_of(180) {
            events.push("x0 moved".to_owned());
            let a = now * 0.7;
            h.app.state.x0 = [-5.0 + a.cos(), 3.5 + a.sin()];
        }
        h.app.state.theta = crate::app::wrap_angle(now);
        loop_playback(&mut h.app);
        let hover = hover_plot_at(600.0 + (frames % 200) as f32);
        let t0 = Instant::now();
        let cpu0 = thread_cpu_secs();
        h.frame(now, hover);
        let frame_ms = t0.elapsed().as_secs_f64() * 1e3;
        let cpu_ms = (thread_cpu_secs() - cpu0) * 1e3;
        frames += 1;
        if frame_ms > 100.0 && start.elapsed() >= warmup {
            events.push(format!("CPU time of the frame {cpu_ms:.1} ms"));
            slow_frames.push((frame_ms, events.join(", ")));
        }
        if h.app.training().version != last_version {
            snapshots += 1;
            last_version = h.app.training().version;
        }
        if start.elapsed() >= warmup {
            times.push(frame_ms);
            if rss_start.is_nan() {
                rss_start = rss_mib();
            }
            if last_sample.elapsed().as_secs_f64() >= 5.0 {
                last_sample = Instant::now();
                rss_max = rss_max.max(rss_mib());
                on_progress(start.elapsed().as_secs_f64() / 60.0);
            }
        }
        // About 60 frames a second, like a display would ask for.
        let spent = t0.elapsed();
        if let Some(rest) = std::time::Duration::from_millis(16).checked_sub(spent) {
            std::thread::sleep(rest);
        }
    }
    // Measured while the session is still live, before training stops.
    let rss_end = rss_mib();
    h.app.stop_training();
    SoakMeasurement {
        minutes,
        frames,
        rss_start_mib: rss_start,
        rss_end_mib: rss_end,
        rss_max_mib: rss_max.max(rss_end),
        max_frame_ms: quantile(&mut times, 1.0),
        median_frame_ms: quantile(&mut times, 0.5),
        training_runs,
        snapshots,
        slow_frames,
    }
}

/// CPU time of the calling thread in seconds (Linux; 0 elsewhere), read from
/// `/proc/thread-self/stat` (utime + stime, in clock ticks of 10 ms).
pub(crate) fn thread_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// What `bench animate` measured.
#[derive(Clone, Debug)]
pub struct AnimateMeasurement {
    /// Wall time of each `--animate` run, seconds (window start included).
    pub seconds: Vec<f64>,
    /// The file's size, bytes.
    pub bytes: u64,
    /// Frames in the file.
    pub frames: usize,
}

/// The lab file `bench animate` records: the demo of the README's tour with shipped
/// weights, 20 steps.
pub const ANIMATE_LAB: &str = r#"{"version": 2,
  "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
  "x0": [-5.0, 3.5], "steps": 20,
  "optimizers": [
    {"kind": "gd", "lr": 0.05},
    {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 5}},
    {"kind": "adam", "lr": 0.3},
    {"kind": "learned", "variant": "l2o", "weights": "pretrained"},
    {"kind": "learned", "variant": "l2o-tele", "weights": "pretrained"}
  ]}"#;

/// `bench animate`: runs this binary's `--animate` on [`ANIMATE_LAB`]
/// (the plot alone, `size`) `samples` times. Needs a display.
pub fn animate(samples: usize, size: [u32; 2]) -> Result<AnimateMeasurement, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let dir =
        std::env::temp_dir().join(format!("teleport-lab-bench-animate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lab = dir.join("demo.json");
    teleport_core::io::write_atomic(&lab, ANIMATE_LAB.as_bytes()).map_err(|e| e.to_string())?;
    let out = dir.join("demo.gif");
    let mut seconds = Vec::new();
    let mut summary = String::new();
    for _ in 0..samples.max(1) {
        let start = std::time::Instant::now();
        let run = std::process::Command::new(&exe)
            .arg(&lab)
            .arg("--animate")
            .arg(&out)
            .args(["--plot-only", "--size", &format!("{}x{}", size[0], size[1])])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        seconds.push(start.elapsed().as_secs_f64());
        if !run.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "--animate failed (a display is needed: run under xvfb-run): {}",
                String::from_utf8_lossy(&run.stderr).trim()
            ));
        }
        summary = String::from_utf8_lossy(&run.stdout).into_owned();
    }
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let frames = summary
        .split_whitespace()
        .zip(summary.split_whitespace().skip(1))
        .find(|(_, w)| w.starts_with("frames"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(AnimateMeasurement {
        seconds,
        bytes,
        frames,
    })
}
