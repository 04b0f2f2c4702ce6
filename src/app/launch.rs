//! Starting the app: options, the shipped models, the saved session.

use super::{
    across, animation, basin, export, gallery, inbox, level_set, session, side_plots,
    training_view, validation,
};
use std::collections::HashMap;
use std::sync::Arc;

use super::state::{AppState, TaskSource};
use super::{LiveModel, Notification, Options, Runtime, STORAGE_KEY, TeleportApp, install_fonts};
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::l2o::{MetaOptimizer, Variant};
use teleport_core::objective::{Objective, Preset};
use teleport_core::pretrained::Family;

/// Shipped models by variant and family.
pub(super) type Pretrained = HashMap<(Variant, Family), Arc<MetaOptimizer<f32>>>;

pub(super) fn load_pretrained() -> (Pretrained, Vec<String>) {
    let mut models = HashMap::new();
    let mut errors = Vec::new();
    if !teleport_core::pretrained::EMBEDDED {
        // The web fetches each model when a row needs it
        // (`request_shipped_models`).
        return (models, errors);
    }
    for variant in Variant::ALL {
        for family in [Family::Ellipse, Family::Rosenbrock] {
            match teleport_core::pretrained::load(variant, family) {
                Ok(m) => {
                    models.insert((variant, family), Arc::new(m));
                }
                Err(e) => errors.push(format!("shipped weights {variant}/{family:?}: {e}")),
            }
        }
    }
    (models, errors)
}

/// Builds the objective of a task source.
pub fn objective_of(source: &TaskSource) -> Result<Objective, String> {
    match source {
        TaskSource::Preset(p) => Ok(p.objective()),
        // The task the gallery shows for this seed, start point aside.
        TaskSource::Sampled { dist, seed } => Ok(gallery::task(*dist, *seed).objective),
        TaskSource::Custom(spec) => spec.build().map_err(|e| e.to_string()),
    }
}

impl TeleportApp {
    /// The app with a given state (as restored, or the defaults).
    pub fn new(state: AppState, options: &Options) -> Self {
        let (pretrained, errors) = load_pretrained();
        let mut state = state;
        state.normalize();
        let mut notifications = Vec::new();
        // A saved custom task may have been edited into something invalid by
        // hand; fall back to the default task then.
        let objective = match objective_of(&state.source) {
            Ok(o) => o,
            Err(e) => {
                notifications.push(Notification {
                    text: format!("The saved task is invalid ({e}); showing the default task."),
                    error: true,
                    since: 0.0,
                });
                state = AppState::default();
                Preset::ElliFixed.objective()
            }
        };
        for e in errors {
            notifications.push(Notification {
                text: e,
                error: true,
                since: 0.0,
            });
        }
        let export_dir = options
            .export_dir
            .clone()
            .unwrap_or_else(export::default_export_dir);
        let mut app = Self {
            rt: Runtime {
                draft: ObjectiveSpec::of(&objective),
                objective,
                task_error: None,
                runs: HashMap::new(),
                run_keys: HashMap::new(),
                pretrained,
                live: None,
                training: training_view::TrainingRuntime::default(),
                notifications,
                export: export::ExportRuntime::new(
                    export_dir,
                    options.dialogs,
                    options.screenshot.clone(),
                ),
                level_set: {
                    let mut cache = level_set::LevelSetCache::default();
                    cache.reset_view = true;
                    cache
                },
                gallery: gallery::GalleryCache::default(),
                actions: Vec::new(),
                controls_open: false,
                stacked_layout: super::panes::Layout::stacked(),
                history: super::history::History::new(&AppState::default()),
                frames: 0,
                central_rect: egui::Rect::from_min_size(
                    egui::pos2(330.0, 30.0),
                    egui::vec2(740.0, 800.0),
                ),
                last_frame_time: None,
                session: None,
                models: HashMap::new(),
                model_horizons: HashMap::new(),
                panic_after_frames: options.panic_after_frames,
                playback_acc: 0.0,
                alg2_acc: 0.0,
                loss_view: side_plots::LossView::default(),
                loss_bounds: None,
                loss_before_click: None,
                oracle: teleport_core::symmetry::OracleResult {
                    theta: 0.0,
                    grad_norm: 0.0,
                },
                theta_curve: Vec::new(),
                probe: None,
                teleport_quality: None,
                orbit_key: None,
                animation: None,
                plot_animation: None,
                animation_dialog: false,
                animation_settings: animation::AnimationSettings::default(),
                animate_request: options.animate.clone(),
                across: across::AcrossRuntime::default(),
                basin: basin::BasinRuntime::default(),
                validation: validation::ValidationRuntime::default(),
                lesson: None,
                page_lesson: Vec::new(),
                lesson_request: options.lesson.clone(),
                inbox: inbox::Inbox::default(),
                shipped_requested: std::collections::HashSet::new(),
                surface: super::surface::SurfaceRuntime::default(),
                network: super::network::NetRuntime::default(),
            },
            state,
        };
        match &options.scene {
            Some(teleport_core::io::lab::AnyScene::V1(scene)) => app.apply_scene(scene),
            Some(teleport_core::io::lab::AnyScene::V2(lab)) => {
                if let Err(e) = app.apply_lab(lab) {
                    app.rt.notifications.push(Notification {
                        text: format!("Cannot show the lab file: {e}"),
                        error: true,
                        since: 0.0,
                    });
                }
            }
            Some(teleport_core::io::lab::AnyScene::Net(lab)) => {
                if let Err(e) = app.show_network(lab.clone()) {
                    app.rt.notifications.push(Notification {
                        text: format!("Cannot show the lab file: {e}"),
                        error: true,
                        since: 0.0,
                    });
                }
            }
            None => {}
        }
        app.rt.history = super::history::History::new(&app.state);
        app.recompute_if_needed();
        app
    }

    /// The app as eframe creates it: the saved state unless `options.fresh`.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, options: &Options) -> Self {
        // A light theme reads like a figure and matches exported plots.
        cc.egui_ctx.set_theme(egui::Theme::Light);
        install_fonts(&cc.egui_ctx);
        // Before sessions had a file of their own, eframe's storage held
        // the state: it is the fallback when there is no session file.
        let legacy = cc
            .storage
            .and_then(|s| eframe::get_value::<AppState>(s, STORAGE_KEY));
        Self::launch(options, legacy)
    }

    /// The app with its session: restored from `options.session_dir`
    /// (else `legacy`, else the defaults), saved there as it changes.
    pub fn launch(options: &Options, legacy: Option<AppState>) -> Self {
        let mut restored = session::Restored::default();
        if let Some(dir) = &options.session_dir
            && !options.fresh
        {
            restored = session::restore(dir);
        }
        let saved = if options.fresh {
            None
        } else {
            restored.state.take().or(legacy)
        };
        let state = if options.scene.is_some() {
            AppState::default()
        } else {
            saved.clone().unwrap_or_default()
        };
        let mut app = Self::new(state, options);
        if let Some(model) = restored.live.take() {
            let variant = model.variant();
            app.rt.live = Some(LiveModel {
                variant,
                model: Arc::new(model),
                version: 1,
                generation: 1,
            });
            app.recompute_if_needed();
        }
        for (text, error) in restored.notices {
            app.rt.notifications.push(Notification {
                text,
                error,
                since: 0.0,
            });
        }
        if let Some(dir) = &options.session_dir {
            match session::SessionSaver::start(dir.clone(), saved) {
                Ok(saver) => {
                    if options.hooks {
                        session::flush_on_panic(dir.clone(), saver.flusher());
                        #[cfg(unix)]
                        if let Err(e) = session::flush_on_signals(saver.flusher()) {
                            app.rt.notifications.push(Notification {
                                text: format!("Cannot watch for SIGTERM: {e}"),
                                error: true,
                                since: 0.0,
                            });
                        }
                    }
                    app.rt.session = Some(saver);
                }
                Err(e) => app.rt.notifications.push(Notification {
                    text: format!(
                        "Cannot save the session in {}: {e}. Changes will be lost on exit.",
                        dir.display()
                    ),
                    error: true,
                    since: 0.0,
                }),
            }
        }
        app
    }
}
