//! Animations drawn without a window: each frame of the fast path (one
//! shared backdrop, only the changing layers drawn per frame) against the
//! same plot drawn alone by `Figure::render`; the files decoded by `image`
//! (frame count, delays, pixels); the bytes whatever the thread count.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests")]

use image::AnimationDecoder;
use teleport_core::anim::AnimFormat;
use teleport_core::objective::{Objective, Preset, Vec2};
use teleport_core::optim::{Record, Trajectory};
use teleport_core::plot::surface::{Camera, SurfacePlot};
use teleport_core::plot::{
    AnimationError, LevelSetPlot, LevelSetRow, Orbit, PALETTE, level_set_animation,
    level_set_animation_with, level_set_frames, surface_playback_animation,
};
use teleport_core::symmetry::{orbit, teleport};

/// GD with step `lr` from `x0`, teleporting by `theta` before the steps in
/// `teleports`, recorded as the optimizers record runs.
fn run(
    obj: &Objective,
    x0: [f64; 2],
    lr: f64,
    steps: usize,
    teleports: &[(usize, f64)],
) -> Trajectory {
    let mut x = Vec2::from(x0);
    let mut out = Trajectory::default();
    for t in 0..=steps {
        let mut from = None;
        if let Some(&(_, theta)) = teleports.iter().find(|(k, _)| *k == t) {
            from = Some([x.x, x.y]);
            x = teleport(obj, &x, theta);
        }
        let (f, g) = obj.f_grad(&x);
        out.records.push(Record {
            t,
            x: [x.x, x.y],
            f,
            grad: [g.x, g.y],
            teleported: from.is_some(),
            theta: None,
            from,
        });
        x -= lr * g;
    }
    out
}

/// The playback of three rows on the fixed ellipse, one plot per step:
/// each row up to that step, the first row's point with its orbit.
fn playback(steps: usize, size: (u32, u32)) -> Vec<LevelSetPlot> {
    let obj = Preset::ElliFixed.objective();
    let runs = [
        ("GD", run(&obj, [-5.0, 3.5], 0.05, steps, &[])),
        (
            "GD + teleport",
            run(&obj, [-5.0, 3.5], 0.05, steps, &[(2, 0.4), (5, -0.3)]),
        ),
        ("momentum-ish", run(&obj, [4.0, -3.0], 0.08, steps, &[])),
    ];
    let mut base = LevelSetPlot::new(obj.clone(), (-6.0, 6.0), (-4.5, 4.5));
    (base.width, base.height) = size;
    base.x0 = Some([-5.0, 3.5]);
    base.minimizer = Some([0.0, 0.0]);
    (0..=steps)
        .map(|step| {
            let mut plot = base.clone();
            for (k, (name, run)) in runs.iter().enumerate() {
                plot.rows.push(LevelSetRow::from_trajectory_until(
                    *name, PALETTE[k], run, step,
                ));
            }
            let x = Vec2::from(runs[1].1.records[step].x);
            let y = teleport(&obj, &x, 0.7);
            plot.current = Some(Orbit {
                point: [x.x, x.y],
                ring: orbit(&obj, &x, 96).iter().map(|p| [p.x, p.y]).collect(),
                image: Some([y.x, y.y]),
            });
            plot
        })
        .collect()
}

/// Frame `k` of the fast path is, pixel for pixel, the plot drawn alone;
/// also across a change of backdrop (a new title, then no colour map) and
/// with the legend switched off.
#[test]
fn a_fast_frame_equals_the_plot_drawn_alone() {
    let mut plots = playback(5, (360, 260));
    plots[3].title = "step 3".into();
    plots[4].color_map = false;
    plots[5].legend = false;
    plots[5].contours = 5;
    let frames = level_set_frames(&plots, 2).unwrap();
    assert_eq!(frames.len(), plots.len());
    for (k, (frame, plot)) in frames.iter().zip(&plots).enumerate() {
        let alone = plot.figure().render().unwrap();
        assert_eq!((frame.width, frame.height), (alone.width(), alone.height()));
        // Opaque everywhere, so premultiplied and straight RGBA agree.
        assert!(alone.pixels().iter().all(|p| p.alpha() == 255));
        let differ = frame
            .data
            .chunks(4)
            .zip(alone.data().chunks(4))
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(differ, 0, "frame {k}: {differ} pixels differ");
    }
    // The rows grow: the frames are not all the same picture.
    assert_ne!(frames[0].data, frames[2].data);
}

/// The GIF holds one frame per plot with its delay; the APNG's frames are
/// the rendered frames exactly (APNG keeps every colour).
#[test]
fn the_files_hold_every_frame_with_its_delay() {
    let plots = playback(4, (320, 240));
    let delays = [100, 200, 300, 400, 1500];
    let gif = level_set_animation(&plots, &delays, AnimFormat::Gif, 2).unwrap();
    let decoded: Vec<_> = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&gif))
        .unwrap()
        .into_frames()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(decoded.len(), plots.len());
    for (frame, want) in decoded.iter().zip(delays) {
        assert_eq!(frame.delay().numer_denom_ms(), (want, 1));
        assert_eq!(frame.buffer().dimensions(), (320, 240));
    }
    let apng = level_set_animation(&plots, &delays, AnimFormat::Apng, 2).unwrap();
    let decoded: Vec<_> = image::codecs::png::PngDecoder::new(std::io::Cursor::new(&apng))
        .unwrap()
        .apng()
        .unwrap()
        .into_frames()
        .collect::<Result<_, _>>()
        .unwrap();
    let frames = level_set_frames(&plots, 1).unwrap();
    assert_eq!(decoded.len(), frames.len());
    for (got, want) in decoded.iter().zip(&frames) {
        assert_eq!(got.buffer().as_raw(), &want.data);
    }
}

/// One, two or five threads (more than the batch holds) give the same bytes.
#[test]
fn the_bytes_do_not_depend_on_the_thread_count() {
    let plots = playback(7, (240, 180));
    let delays = vec![250; plots.len()];
    for format in [AnimFormat::Gif, AnimFormat::Apng] {
        let one = level_set_animation(&plots, &delays, format, 1).unwrap();
        for threads in [2, 5] {
            let many = level_set_animation(&plots, &delays, format, threads).unwrap();
            assert!(one == many, "{format:?} on {threads} threads");
        }
    }
}

/// The 3D playback: one frame per plot, the same bytes on one thread as on
/// three, and a frame that changes as the rows grow.
#[test]
fn the_surface_playback_has_a_frame_per_step() {
    let plots = playback(3, (200, 150));
    let mut surface = SurfacePlot::from_level_set(&plots[0]);
    surface.facets = 12;
    surface.camera = Camera {
        azimuth_deg: -100.0,
        elevation_deg: 40.0,
        zoom: 1.0,
    };
    let delays = vec![200; plots.len()];
    let one = surface_playback_animation(&plots, &surface, &delays, AnimFormat::Apng, 1).unwrap();
    let three = surface_playback_animation(&plots, &surface, &delays, AnimFormat::Apng, 3).unwrap();
    assert!(one == three);
    let decoded: Vec<_> = image::codecs::png::PngDecoder::new(std::io::Cursor::new(&one))
        .unwrap()
        .apng()
        .unwrap()
        .into_frames()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(decoded.len(), plots.len());
    assert_ne!(decoded[0].buffer(), decoded[3].buffer());
}

/// The progress callback hears of every batch, ending at every frame, and
/// stops the animation when it says so.
#[test]
fn progress_is_reported_and_can_cancel() {
    let plots = playback(6, (120, 90));
    let delays = vec![100; plots.len()];
    let mut heard = vec![];
    level_set_animation_with(&plots, &delays, AnimFormat::Gif, 2, &mut |done, all| {
        heard.push((done, all));
        true
    })
    .unwrap();
    assert_eq!(heard.last(), Some(&(7, 7)));
    assert!(heard.windows(2).all(|w| w[0].0 < w[1].0), "{heard:?}");
    let mut calls = 0;
    let stopped = level_set_animation_with(&plots, &delays, AnimFormat::Apng, 1, &mut |_, _| {
        calls += 1;
        false
    });
    assert!(matches!(stopped, Err(AnimationError::Cancelled)));
    assert_eq!(calls, 1);
}

#[test]
fn bad_input_is_an_error() {
    let plots = playback(1, (100, 80));
    assert!(matches!(
        level_set_animation(&[], &[], AnimFormat::Gif, 2),
        Err(AnimationError::NoFrames)
    ));
    let err = level_set_animation(&plots, &[100], AnimFormat::Gif, 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 delays given for 2 frames: each frame needs one"
    );
    let mut zero = plots.clone();
    zero[0].width = 0;
    assert!(level_set_animation(&zero, &[100, 100], AnimFormat::Gif, 2).is_err());
    // A later frame of an invalid size is an error too.
    let mut other = plots;
    other[1].width = 0;
    assert!(matches!(
        level_set_frames(&other, 2),
        Err(AnimationError::Plot(_))
    ));
}
