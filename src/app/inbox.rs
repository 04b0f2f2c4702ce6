//! Files that arrive between frames: picked in the browser, dropped on the
//! page, a link the address bar changed to, or a shipped model fetched on
//! demand (the web build). Whatever delivers them pushes into the
//! [`Inbox`] from a callback; the next frame opens them like any file.

use std::sync::{Arc, Mutex, PoisonError};

use super::TeleportApp;
use super::state::EntryKind;
use teleport_core::l2o::Variant;
use teleport_core::pretrained::Family;

/// What arrived.
#[derive(Debug)]
pub enum Arrival {
    /// A file by name and contents: a lab or scene file, or weights
    /// (`.safetensors`).
    File {
        /// Its name (no folder: the browser gives none).
        name: String,
        /// Its contents.
        bytes: Vec<u8>,
    },
    /// A lab file's JSON text from a `#lab=` link.
    Link(Result<String, String>),
    /// A lesson bundle's JSON text from a `#lesson=` link.
    LessonLink(Result<String, String>),
    /// A shipped model's file, or why it could not be fetched.
    Shipped {
        /// Its variant.
        variant: Variant,
        /// Its task family.
        family: Family,
        /// The file, or the error.
        bytes: Result<Vec<u8>, String>,
    },
}

/// A queue that callbacks fill and the frame empties.
#[derive(Clone, Debug, Default)]
pub struct Inbox(Arc<Mutex<Vec<Arrival>>>);

impl Inbox {
    /// Queues an arrival (from any callback).
    pub fn push(&self, arrival: Arrival) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(arrival);
    }

    /// Everything queued since the last call, oldest first.
    pub fn take(&self) -> Vec<Arrival> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl TeleportApp {
    /// Opens what arrived since the last frame.
    pub(super) fn take_arrivals(&mut self, ctx: &egui::Context) {
        for arrival in self.rt.inbox.take() {
            match arrival {
                Arrival::File { name, bytes } => self.open_bytes(ctx, &name, &bytes),
                Arrival::Link(Ok(json)) => {
                    self.open_json(ctx, "the link", &json);
                }
                Arrival::LessonLink(Ok(json)) => {
                    self.open_lesson_bundle(ctx, "the link's lesson", &json);
                }
                Arrival::LessonLink(Err(e)) => {
                    self.notify(ctx, format!("Cannot read the lesson link: {e}"), true);
                }
                Arrival::Link(Err(e)) => {
                    self.notify(ctx, format!("Cannot open the link: {e}"), true)
                }
                Arrival::Shipped {
                    variant,
                    family,
                    bytes,
                } => {
                    let model = bytes.and_then(|b| {
                        teleport_core::io::weights::from_bytes(&b)
                            .map(|(m, _)| m)
                            .map_err(|e| e.to_string())
                    });
                    match model {
                        Ok(model) if model.variant() == variant => {
                            // The first copy stays: its runs are computed.
                            self.rt
                                .pretrained
                                .entry((variant, family))
                                .or_insert_with(|| Arc::new(model));
                            self.recompute_if_needed();
                        }
                        Ok(model) => self.notify(
                            ctx,
                            format!(
                                "The shipped {variant} weights for {family:?} hold a {} model.",
                                model.variant()
                            ),
                            true,
                        ),
                        Err(e) => self.notify(
                            ctx,
                            format!(
                                "Cannot load the shipped {variant} weights for {family:?}: {e}"
                            ),
                            true,
                        ),
                    }
                }
            }
        }
    }

    /// Opens a file given by name and contents: weights load into their
    /// learned row, anything else opens as a scene or lab file. A bad file
    /// is reported and changes nothing.
    pub fn open_bytes(&mut self, ctx: &egui::Context, name: &str, bytes: &[u8]) {
        if name.to_ascii_lowercase().ends_with(".safetensors") {
            self.load_weights_bytes(ctx, name, bytes);
            return;
        }
        if name.to_ascii_lowercase().ends_with(".csv") {
            self.open_dataset_bytes(ctx, name, bytes);
            return;
        }
        if bytes.len() > teleport_core::io::lab::MAX_LAB_BYTES {
            self.notify(
                ctx,
                format!(
                    "Cannot open {name}: larger than {} MB",
                    teleport_core::io::lab::MAX_LAB_BYTES >> 20
                ),
                true,
            );
            return;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                self.open_json(ctx, name, text);
            }
            Err(_) => self.notify(ctx, format!("Cannot open {name}: not UTF-8 text"), true),
        }
    }

    /// Shows a scene or lab file from its JSON text; `what` names it in
    /// the notification. Returns whether it opened.
    pub fn open_json(&mut self, ctx: &egui::Context, what: &str, json: &str) -> bool {
        if teleport_core::io::lesson::is_bundle(json) {
            self.open_lesson_bundle(ctx, what, json);
            return self.rt.lesson.is_some();
        }
        let shown = teleport_core::io::lab::from_json(json, None)
            .map_err(|e| e.to_string())
            .and_then(|scene| self.show_scene(scene));
        match shown {
            Ok(()) => {
                self.notify(ctx, format!("Opened {what}"), false);
                true
            }
            Err(e) => {
                self.notify(ctx, format!("Cannot open {what}: {e}"), true);
                false
            }
        }
    }
}

impl TeleportApp {
    /// Files dropped on the window: scenes and lab files open, weights load
    /// into their learned row.
    pub(super) fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            // The browser reads a file asynchronously; its contents come
            // back through the inbox.
            #[cfg(target_arch = "wasm32")]
            super::web::read_dropped(ctx, &self.rt.inbox, file);
            #[cfg(not(target_arch = "wasm32"))]
            {
                let path = file.path().to_path_buf();
                if path.as_os_str().is_empty() {
                    continue;
                }
                if path.extension().is_some_and(|e| e == "safetensors") {
                    self.load_weights_from(ctx, &path);
                } else {
                    self.open_file(ctx, &path);
                }
            }
        }
    }

    /// Where the shipped weights are not in the binary (the web), fetches
    /// the models the enabled learned rows need, once each.
    pub(super) fn request_shipped_models(&mut self, ctx: &egui::Context) {
        if teleport_core::pretrained::EMBEDDED {
            return;
        }
        let family = Family::of(&self.rt.objective);
        let needed: Vec<Variant> = self
            .state
            .optimizers
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| match r.kind {
                EntryKind::Learned(v) => Some(v),
                _ => None,
            })
            .filter(|v| !self.rt.pretrained.contains_key(&(*v, family)))
            .collect();
        for variant in needed {
            if self.rt.shipped_requested.insert((variant, family)) {
                #[cfg(target_arch = "wasm32")]
                super::web::fetch_shipped(ctx, &self.rt.inbox, variant, family);
                #[cfg(not(target_arch = "wasm32"))]
                let _ = ctx;
            }
        }
    }
}
