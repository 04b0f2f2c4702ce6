//! The web build: the same app in a page's canvas (`web/index.html`, built
//! by `web/build.sh`).
//!
//! What differs from the desktop, and where it is handled:
//! - start-up here: the canvas, a lab file from the address
//!   (`#lab=…`, see [`teleport_core::io::link`]), the state and live model from the
//!   browser's storage;
//! - files: [`pick_file`] (the browser's file picker), [`read_dropped`]
//!   (files dropped on the page) and [`fetch_shipped`] (the shipped
//!   weights, fetched when a row needs them) deliver through the app's
//!   [`Inbox`]; saves are downloads ([`download`]);
//! - training runs time-sliced on the UI thread
//!   ([`super::trainer::Mode::Sliced`]), the across-tasks plot in the frame
//!   that needs it.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

use super::inbox::{Arrival, Inbox};
use super::{Notification, Options, TeleportApp};
use teleport_core::l2o::Variant;
use teleport_core::pretrained::Family;

/// The id of the page's canvas.
pub const CANVAS_ID: &str = "teleport_lab_canvas";

/// Where the browser keeps the live-trained model (base64 safetensors).
pub const LIVE_KEY: &str = "teleport-lab-live";

/// The folder, beside the page, that holds the shipped weights.
pub const WEIGHTS_DIR: &str = "weights";

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no window".to_owned())
}

fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Writes a line into the page's status element (what the page shows
/// before the first frame, or instead of it if the app cannot start).
fn set_status(text: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("status"))
    {
        el.set_text_content(Some(text));
    }
}

/// The lab file in the page's address, if any: its JSON text, or why it
/// cannot be read.
fn lesson_in_address() -> Option<Result<String, String>> {
    let hash = window().ok()?.location().hash().ok()?;
    teleport_core::io::link::lesson_from_fragment(&hash)
        .map_err(|e| e.to_string())
        .transpose()
}

fn lab_in_address() -> Option<Result<String, String>> {
    let hash = window().ok()?.location().hash().ok()?;
    teleport_core::io::link::from_fragment(&hash)
        .map_err(|e| e.to_string())
        .transpose()
}

/// Starts the app in the page's canvas.
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = run().await {
            set_status(&format!("teleport-lab could not start: {e}"));
            web_sys::console::error_1(&JsValue::from_str(&format!(
                "teleport-lab could not start: {e}"
            )));
        }
    });
}

/// `?bench=train`: times the paper's `l2o` meta-training (elli_vary, one
/// thread: all the web has) before the app starts, and puts the seconds in
/// the console and in `data-bench-train-secs` on the page's body — the web
/// half of the "≤ 5× native" comparison (`web/test.mjs` reads it).
fn bench_train_if_asked(document: &web_sys::Document) -> Result<(), String> {
    let search = window()?.location().search().map_err(|e| js_error(&e))?;
    if !search.split(['?', '&']).any(|p| p == "bench=train") {
        return Ok(());
    }
    let (model, config) = teleport_core::pretrained::config(Variant::L2o, Family::Ellipse);
    let started = web_time::Instant::now();
    let mut trainer = teleport_core::l2o::Trainer::new(model, config).map_err(|e| e.to_string())?;
    trainer.run(|_, _| teleport_core::l2o::Control::Continue);
    let secs = started.elapsed().as_secs_f64();
    web_sys::console::log_1(&JsValue::from_str(&format!(
        "bench train l2o elli_vary: {secs:.3} s ({} trajectories)",
        trainer.progress().trajectories_done
    )));
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-bench-train-secs", &format!("{secs:.4}"));
    }
    Ok(())
}

async fn run() -> Result<(), String> {
    let document = window()?.document().ok_or("no document")?;
    bench_train_if_asked(&document)?;
    let canvas = document
        .get_element_by_id(CANVAS_ID)
        .ok_or_else(|| format!("the page has no #{CANVAS_ID}"))?
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .map_err(|_| format!("#{CANVAS_ID} is not a canvas"))?;
    // A lab in the address wins over the saved state, as a file named on
    // the desktop's command line does.
    let mut notices = Vec::new();
    let scene = match lab_in_address() {
        Some(Ok(json)) => match teleport_core::io::lab::from_json(&json, None) {
            Ok(scene) => Some(scene),
            Err(e) => {
                notices.push(format!("The link's lab file cannot be shown: {e}"));
                None
            }
        },
        Some(Err(e)) => {
            notices.push(format!("Cannot read the link: {e}"));
            None
        }
        None => None,
    };
    let options = Options {
        scene,
        ..Options::default()
    };
    let web_options = eframe::WebOptions::default();
    eframe::WebRunner::new()
        .start(
            canvas,
            web_options,
            Box::new(move |cc| {
                let mut app = TeleportApp::from_creation_context(cc, &options);
                if let Some(storage) = cc.storage {
                    app.restore_live_from(storage);
                }
                for text in notices {
                    app.rt.notifications.push(Notification {
                        text,
                        error: true,
                        since: 0.0,
                    });
                }
                // A lesson in the address opens at the first frame.
                if let Some(lesson) = lesson_in_address() {
                    app.rt.inbox.push(Arrival::LessonLink(lesson));
                }
                watch_address(&cc.egui_ctx, &app.rt.inbox);
                Ok(Box::new(app))
            }),
        )
        .await
        .map_err(|e| js_error(&e))?;
    set_status("");
    if let Some(el) = document.get_element_by_id("status") {
        el.remove();
    }
    Ok(())
}

/// A `#lab=` link pasted into the address bar of the open page (which does
/// not reload) opens too.
fn watch_address(ctx: &egui::Context, inbox: &Inbox) {
    let Ok(window) = window() else { return };
    let (ctx, inbox) = (ctx.clone(), inbox.clone());
    let on_change = Closure::<dyn FnMut()>::new(move || {
        if let Some(lab) = lab_in_address() {
            inbox.push(Arrival::Link(lab));
            ctx.request_repaint();
        } else if let Some(lesson) = lesson_in_address() {
            inbox.push(Arrival::LessonLink(lesson));
            ctx.request_repaint();
        }
    });
    let _ =
        window.add_event_listener_with_callback("hashchange", on_change.as_ref().unchecked_ref());
    // The page lives as long as the app: the listener may too.
    on_change.forget();
}

/// Puts `fragment` (`lab=…`) into the page's address without reloading or
/// adding a history entry; returns the whole link.
pub fn set_fragment(fragment: &str) -> Result<String, String> {
    let window = window()?;
    let location = window.location();
    let base = format!(
        "{}{}{}",
        location.origin().map_err(|e| js_error(&e))?,
        location.pathname().map_err(|e| js_error(&e))?,
        location.search().map_err(|e| js_error(&e))?
    );
    let url = format!("{base}#{fragment}");
    window
        .history()
        .map_err(|e| js_error(&e))?
        .replace_state_with_url(&JsValue::NULL, "", Some(&url))
        .map_err(|e| js_error(&e))?;
    Ok(url)
}

/// Offers `bytes` as a download named `name`.
pub fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
    let document = window()?.document().ok_or("no document")?;
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| js_error(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_error(&e))?;
    let anchor = document
        .create_element("a")
        .map_err(|e| js_error(&e))?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| "not an anchor".to_owned())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The download has its own reference to the blob.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads a picked or dropped browser file into the inbox.
async fn read_file(file: web_sys::File) -> Arrival {
    let name = file.name();
    match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => Arrival::File {
            name,
            bytes: js_sys::Uint8Array::new(&buffer).to_vec(),
        },
        Err(e) => Arrival::Link(Err(format!("cannot read {name}: {}", js_error(&e)))),
    }
}

/// Opens the browser's file picker for files ending in `accept` (e.g.
/// `.json`); the chosen file arrives in the inbox.
pub fn pick_file(ctx: &egui::Context, inbox: &Inbox, accept: &str) {
    let result = (|| -> Result<(), String> {
        let document = window()?.document().ok_or("no document")?;
        let input = document
            .create_element("input")
            .map_err(|e| js_error(&e))?
            .dyn_into::<web_sys::HtmlInputElement>()
            .map_err(|_| "not an input".to_owned())?;
        input.set_type("file");
        input.set_accept(accept);
        let (ctx, inbox) = (ctx.clone(), inbox.clone());
        let picked = input.clone();
        let on_change = Closure::once(move || {
            let Some(file) = picked.files().and_then(|f| f.get(0)) else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                inbox.push(read_file(file).await);
                ctx.request_repaint();
            });
        });
        input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
        web_sys::console::debug_1(&JsValue::from_str("teleport-lab: opening the file picker"));
        input.click();
        Ok(())
    })();
    if let Err(e) = result {
        inbox.push(Arrival::Link(Err(format!(
            "cannot open the file picker: {e}"
        ))));
    }
}

/// Reads a file dropped on the page into the inbox.
pub fn read_dropped(ctx: &egui::Context, inbox: &Inbox, file: egui::DroppedFileHandle) {
    let (ctx, inbox) = (ctx.clone(), inbox.clone());
    wasm_bindgen_futures::spawn_local(async move {
        let name = file
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "the dropped file".to_owned());
        let arrival = match file.bytes_async().await {
            Ok(bytes) => Arrival::File { name, bytes },
            Err(e) => Arrival::Link(Err(format!("cannot read {name}: {e}"))),
        };
        inbox.push(arrival);
        ctx.request_repaint();
    });
}

/// Fetches a shipped model from [`WEIGHTS_DIR`] beside the page.
pub fn fetch_shipped(ctx: &egui::Context, inbox: &Inbox, variant: Variant, family: Family) {
    let url = format!(
        "{WEIGHTS_DIR}/{}",
        teleport_core::pretrained::file_name(variant, family)
    );
    let (ctx, inbox) = (ctx.clone(), inbox.clone());
    wasm_bindgen_futures::spawn_local(async move {
        let bytes = fetch_bytes(&url).await;
        inbox.push(Arrival::Shipped {
            variant,
            family,
            bytes,
        });
        ctx.request_repaint();
    });
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = wasm_bindgen_futures::JsFuture::from(window()?.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {}", js_error(&e)))?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| format!("{url}: not a response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| format!("{url}: {}", js_error(&e)))?,
    )
    .await
    .map_err(|e| format!("{url}: {}", js_error(&e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

impl TeleportApp {
    /// The live-trained model the browser kept, if any.
    fn restore_live_from(&mut self, storage: &dyn eframe::Storage) {
        use base64::Engine as _;
        let Some(text) = storage.get_string(LIVE_KEY) else {
            return;
        };
        let model = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                teleport_core::io::weights::from_bytes(&bytes)
                    .map(|(m, _)| m)
                    .map_err(|e| e.to_string())
            });
        match model {
            Ok(model) => {
                self.rt.live = Some(super::LiveModel {
                    variant: model.variant(),
                    model: std::sync::Arc::new(model),
                    version: 1,
                    generation: 1,
                });
                self.recompute_if_needed();
            }
            Err(e) => self.rt.notifications.push(Notification {
                text: format!("The live model the browser kept cannot be read ({e}); it is gone."),
                error: true,
                since: 0.0,
            }),
        }
    }

    /// Keeps the state (a few kB of RON, every second) and the live model
    /// (when it changed) in the browser's storage. eframe 0.37 listens for
    /// `onbeforeunload` instead of `beforeunload`, so nothing is saved as
    /// the page closes: the frequent save is what keeps the session.
    pub(super) fn save_to_browser(&mut self, storage: &mut dyn eframe::Storage) {
        use base64::Engine as _;
        eframe::set_value(storage, super::STORAGE_KEY, &self.state);
        let Some(live) = &self.rt.live else { return };
        if SAVED_LIVE.get() == Some(live.generation) {
            return;
        }
        if let Ok(bytes) = teleport_core::io::weights::to_bytes(
            &live.model,
            &teleport_core::io::weights::WeightsInfo::default(),
        ) {
            storage.set_string(
                LIVE_KEY,
                base64::engine::general_purpose::STANDARD.encode(bytes),
            );
            SAVED_LIVE.set(Some(live.generation));
        }
    }
}

thread_local! {
    /// The generation of the live model last written to the storage.
    static SAVED_LIVE: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
    /// What [`TeleportApp::publish_to_page`] last wrote.
    static PAGE: std::cell::RefCell<(String, String, usize)> = const {
        std::cell::RefCell::new((String::new(), String::new(), usize::MAX))
    };
}

impl TeleportApp {
    /// Tells the page what it shows: the tab's title follows the demo's
    /// caption, and the canvas's `data-rows` attribute lists the enabled
    /// rows, one per line, and `data-runs` how many of them have a run (a
    /// learned row has none until its weights are fetched) — for scripts
    /// that embed the demo, and for the browser test that opens a `#lab=`
    /// link. Written only on change.
    pub(super) fn publish_to_page(&self) {
        let title = match &self.state.caption {
            Some(caption) if !caption.trim().is_empty() => {
                format!(
                    "{} — teleport-lab",
                    caption.lines().next().unwrap_or_default()
                )
            }
            _ => "teleport-lab".to_owned(),
        };
        let labels = self.state.row_labels();
        let rows: Vec<&str> = self
            .state
            .optimizers
            .iter()
            .zip(&labels)
            .filter(|(row, _)| row.enabled)
            .map(|(_, label)| label.as_str())
            .collect();
        let rows = rows.join("\n");
        let runs = self
            .state
            .optimizers
            .iter()
            .filter(|row| row.enabled && self.run(row.id).is_some())
            .count();
        PAGE.with(|page| {
            let mut page = page.borrow_mut();
            if page.0 == title && page.1 == rows && page.2 == runs {
                return;
            }
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            document.set_title(&title);
            if let Some(canvas) = document.get_element_by_id(CANVAS_ID) {
                let _ = canvas.set_attribute("data-rows", &rows);
                let _ = canvas.set_attribute("data-runs", &runs.to_string());
            }
            *page = (title, rows, runs);
        });
    }
}
