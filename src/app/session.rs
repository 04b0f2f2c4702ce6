//! Never lose a session.
//!
//! The app's state is written to `session.ron` in the data folder within
//! about a second of the last change (at most four seconds after the first
//! of a burst), atomically, by a background thread named `session-saver`;
//! the live-trained model goes beside it as `live.safetensors`. SIGTERM,
//! SIGINT and SIGHUP write what is pending and end the process. If the UI
//! thread panics, the panic hook writes the last state the UI published and
//! a crash report (`crash-<time>.txt`), and the next launch restores the
//! session and says so.
//!
//! Restoring never deletes anything: a session file that cannot be read is
//! renamed aside (`session.ron.unreadable-<time>`) and the app starts on
//! the defaults with a notification.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::app::state::AppState;
use teleport_core::l2o::MetaOptimizer;

/// The state file in the data folder.
pub const STATE_FILE: &str = "session.ron";
/// The live-trained model beside it.
pub const LIVE_FILE: &str = "live.safetensors";
/// Written by the panic hook: names the crash report the next launch
/// announces.
pub const CRASH_MARKER: &str = "crash-pending";
/// A state file larger than this is not a state file.
const MAX_STATE_BYTES: u64 = 16 << 20;
/// Quiet time after the last change before a save.
const QUIET: Duration = Duration::from_millis(1000);
/// The longest a change waits while changes keep coming.
const MAX_DELAY: Duration = Duration::from_millis(4000);

/// The folder sessions live in: eframe's data folder for the app (on Linux
/// `~/.local/share/teleport-lab`), or the working folder as a last resort.
#[cfg(not(target_arch = "wasm32"))]
pub fn default_dir() -> PathBuf {
    eframe::storage_dir("teleport-lab").unwrap_or_else(|| PathBuf::from("teleport-lab-data"))
}

/// What a launch found in the data folder.
#[derive(Debug, Default)]
pub struct Restored {
    /// The saved state, if one was read.
    pub state: Option<AppState>,
    /// The live-trained model, if one was saved.
    pub live: Option<MetaOptimizer<f32>>,
    /// What to tell the user: text and whether it is a problem.
    pub notices: Vec<(String, bool)>,
}

/// Seconds since the Unix epoch, for file names.
fn stamp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Reads the session in `dir`. A missing file is no session; an unreadable
/// one is kept aside under a new name and reported.
pub fn restore(dir: &Path) -> Restored {
    let mut restored = Restored::default();
    let path = dir.join(STATE_FILE);
    match teleport_core::io::read_capped(&path, MAX_STATE_BYTES) {
        Ok(bytes) => {
            let parsed = std::str::from_utf8(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|text| ron::from_str::<AppState>(text).map_err(|e| e.to_string()));
            match parsed {
                Ok(mut state) => {
                    state.normalize();
                    restored.state = Some(state);
                }
                Err(e) => {
                    let aside = dir.join(format!("{STATE_FILE}.unreadable-{}", stamp()));
                    let kept = match std::fs::rename(&path, &aside) {
                        Ok(()) => format!("it was kept as {}", aside.display()),
                        Err(r) => format!("it could not be moved aside either ({r})"),
                    };
                    restored.notices.push((
                        format!(
                            "The saved session could not be read ({}); {kept}. Starting on the defaults.",
                            teleport_core::io::scene::one_line(&e, 200)
                        ),
                        true,
                    ));
                }
            }
        }
        Err(teleport_core::io::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => restored.notices.push((
            format!("The saved session could not be read: {e}. Starting on the defaults."),
            true,
        )),
    }
    let live = dir.join(LIVE_FILE);
    if live.exists() {
        match teleport_core::io::weights::load(&live) {
            Ok((model, _)) => restored.live = Some(model),
            Err(e) => restored.notices.push((
                format!("The live-trained model could not be restored: {e}"),
                true,
            )),
        }
    }
    let marker = dir.join(CRASH_MARKER);
    if let Ok(report) = std::fs::read_to_string(&marker) {
        let _ = std::fs::remove_file(&marker);
        let what = if restored.state.is_some() {
            "your session was restored"
        } else {
            "no session could be restored"
        };
        restored.notices.push((
            format!(
                "teleport-lab stopped unexpectedly last time; {what}. The crash report is {}.",
                report.trim()
            ),
            true,
        ));
    }
    restored
}

/// What the UI has published and the saver has not written yet.
#[derive(Default)]
struct Pending {
    /// The state as RON, with when the burst of changes began and when the
    /// last one came.
    state: Option<(String, Instant, Instant)>,
    /// The live model and its generation.
    live: Option<(Arc<MetaOptimizer<f32>>, u64)>,
    /// The latest state, written or not (for the panic hook and signals).
    last_state: Option<String>,
    /// The latest live model, written or not.
    last_live: Option<Arc<MetaOptimizer<f32>>>,
    stop: bool,
}

struct Shared {
    dir: PathBuf,
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Serializes writes: the saver, a signal and the panic hook never
    /// write the same file at once.
    writing: Mutex<()>,
}

impl Shared {
    fn write_state(&self, text: &str) -> std::io::Result<()> {
        let _guard = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        teleport_core::io::write_atomic(&self.dir.join(STATE_FILE), text.as_bytes())
    }

    fn write_live(&self, model: &MetaOptimizer<f32>) -> Result<(), String> {
        let _guard = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        teleport_core::io::weights::save(
            &self.dir.join(LIVE_FILE),
            model,
            &teleport_core::io::weights::WeightsInfo {
                train: None,
                trajectories_trained: 0,
            },
        )
        .map_err(|e| e.to_string())
    }

    /// Writes the latest state and model now, whatever is pending.
    fn flush(&self) {
        let (state, live) = {
            let Ok(mut p) = self.pending.try_lock() else {
                // The lock is held by a thread that is gone (a panic while
                // publishing): nothing newer than the last write exists.
                return;
            };
            p.state = None;
            p.live = None;
            (p.last_state.clone(), p.last_live.clone())
        };
        if let Some(text) = state {
            let _ = self.write_state(&text);
        }
        if let Some(model) = live {
            let _ = self.write_live(&model);
        }
    }
}

/// The background saver; the UI publishes to it and never waits on a disk.
pub struct SessionSaver {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The last state published (to publish only changes).
    published: Option<AppState>,
    published_live: Option<u64>,
}

impl std::fmt::Debug for SessionSaver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSaver")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

impl SessionSaver {
    /// Starts the saver thread for `dir` (created if missing). `saved` is
    /// the state as restored: publishing it again writes nothing.
    pub fn start(dir: PathBuf, saved: Option<AppState>) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let shared = Arc::new(Shared {
            dir,
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            writing: Mutex::new(()),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("session-saver".to_owned())
            .spawn(move || save_loop(&thread_shared))?;
        Ok(Self {
            shared,
            thread: Some(thread),
            published: saved,
            published_live: None,
        })
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Hands the saver the state if it changed since the last call.
    pub fn publish(&mut self, state: &AppState) {
        if self.published.as_ref() == Some(state) {
            return;
        }
        let Ok(text) = ron::to_string(state) else {
            return;
        };
        self.published = Some(state.clone());
        let now = Instant::now();
        let mut p = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let began = p.state.as_ref().map_or(now, |(_, began, _)| *began);
        p.state = Some((text.clone(), began, now));
        p.last_state = Some(text);
        drop(p);
        self.shared.wake.notify_all();
    }

    /// Hands the saver the live model if its generation changed.
    pub fn publish_live(&mut self, model: &Arc<MetaOptimizer<f32>>, generation: u64) {
        if self.published_live == Some(generation) {
            return;
        }
        self.published_live = Some(generation);
        let mut p = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        p.live = Some((Arc::clone(model), generation));
        p.last_live = Some(Arc::clone(model));
        drop(p);
        self.shared.wake.notify_all();
    }

    /// Writes everything now and waits for it (on exit).
    pub fn flush(&self) {
        self.shared.flush();
    }

    /// A function that writes the latest state now, for a signal handler
    /// or a panic hook (it never waits on the UI).
    pub fn flusher(&self) -> impl Fn() + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move || shared.flush()
    }
}

impl Drop for SessionSaver {
    fn drop(&mut self) {
        if let Ok(mut p) = self.shared.pending.lock() {
            p.stop = true;
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn save_loop(shared: &Shared) {
    loop {
        let (state, live) = {
            let mut p = shared.pending.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if p.stop {
                    // Write what is pending before going.
                    let state = p.state.take().map(|(text, ..)| text);
                    let live = p.live.take().map(|(m, _)| m);
                    drop(p);
                    if let Some(text) = state {
                        let _ = shared.write_state(&text);
                    }
                    if let Some(model) = live {
                        let _ = shared.write_live(&model);
                    }
                    return;
                }
                let now = Instant::now();
                let due = p
                    .state
                    .as_ref()
                    .map(|(_, began, last)| (*last + QUIET).min(*began + MAX_DELAY));
                let live_due = p.live.is_some();
                match due {
                    Some(at) if at <= now => break,
                    Some(at) => {
                        p = shared
                            .wake
                            .wait_timeout(p, at - now)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                    None if live_due => break,
                    None => p = shared.wake.wait(p).unwrap_or_else(|e| e.into_inner()),
                }
            }
            let due_state = p.state.as_ref().is_some_and(|(_, began, last)| {
                (*last + QUIET).min(*began + MAX_DELAY) <= Instant::now()
            });
            let state = if due_state {
                p.state.take().map(|(text, ..)| text)
            } else {
                None
            };
            (state, p.live.take().map(|(m, _)| m))
        };
        if let Some(text) = state {
            let _ = shared.write_state(&text);
        }
        if let Some(model) = live {
            let _ = shared.write_live(&model);
        }
    }
}

/// Writes pending changes on SIGTERM, SIGINT and SIGHUP, then ends the
/// process with status 128 + the signal's number, as a shell would report.
#[cfg(unix)]
pub fn flush_on_signals(flush: impl Fn() + Send + Sync + 'static) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                flush();
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}

/// On a panic: writes a crash report and the marker the next launch reads,
/// then the last published state (through `flush`), then runs the previous
/// hook (which prints the panic).
pub fn flush_on_panic(dir: PathBuf, flush: impl Fn() + Send + Sync + 'static) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Worker threads (the trainer) catch their own panics and report
        // them in the UI; only the UI thread's panic ends the session.
        if std::thread::current().name() != Some("main") {
            previous(info);
            return;
        }
        let report = dir.join(format!("crash-{}.txt", stamp()));
        let text = format!(
            "teleport-lab {} panicked on thread {:?}\n{info}\n\nbacktrace:\n{}\n",
            env!("CARGO_PKG_VERSION"),
            std::thread::current().name().unwrap_or("?"),
            std::backtrace::Backtrace::force_capture()
        );
        if teleport_core::io::write_atomic(&report, text.as_bytes()).is_ok() {
            let _ = teleport_core::io::write_atomic(
                &dir.join(CRASH_MARKER),
                report.display().to_string().as_bytes(),
            );
        }
        flush();
        previous(info);
    }));
}
