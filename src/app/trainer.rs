//! Meta-training on a named background thread.
//!
//! The thread owns the [`Trainer`]. After every meta-update it may publish a
//! [`Snapshot`] (weights and progress) into a latest-value slot — at most a
//! few times a second — and wakes the UI through a callback. The UI only
//! ever takes the latest snapshot; it never waits on the trainer. Pause,
//! resume and stop act between meta-updates; dropping the handle stops and
//! joins the thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::l2o::{Control, MetaOptimizer, ModelConfig, Progress, TrainConfig, Trainer};

/// What the trainer publishes.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The current weights.
    pub model: Arc<MetaOptimizer<f32>>,
    /// Progress so far.
    pub progress: Progress,
    /// Increases with every published snapshot.
    pub version: u64,
    /// Whether the weights are finite (the last good weights are published
    /// otherwise, with this flag false).
    pub healthy: bool,
    /// Seconds since training started (pauses excluded).
    pub elapsed_secs: f64,
    /// Whether training has ended (finished, stopped or failed).
    pub finished: bool,
    /// Set if the training thread failed (e.g. panicked).
    pub error: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    latest: Mutex<Option<Snapshot>>,
    stop: AtomicBool,
    paused: Mutex<bool>,
    resume: Condvar,
}

/// A handle to a running training thread.
pub struct TrainerHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TrainerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainerHandle")
            .field("running", &self.is_running())
            .finish()
    }
}

/// A test hook: make the training thread panic after this many meta-updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultInjection {
    /// Panic once this many meta-updates are done.
    pub panic_after_updates: Option<usize>,
}

/// The smallest time between two published snapshots.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(200);

fn finite(model: &MetaOptimizer<f32>) -> bool {
    model
        .nets()
        .iter()
        .all(|n| n.params().iter().all(|p| p.is_finite()))
}

impl TrainerHandle {
    /// Starts training `model` with `config` (from fresh weights when
    /// `start` is `None`) on a thread named `trainer`. `wake` is called after
    /// each published snapshot (e.g. `ctx.request_repaint()`).
    pub fn spawn(
        model: ModelConfig,
        config: TrainConfig,
        start: Option<MetaOptimizer<f32>>,
        wake: Arc<dyn Fn() + Send + Sync>,
        fault: FaultInjection,
    ) -> Result<Self, String> {
        let trainer = match start {
            Some(m) => Trainer::resume(m, config),
            None => Trainer::new(model, config),
        }
        .map_err(|e| e.to_string())?;
        let shared = Arc::new(Shared::default());
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("trainer".to_owned())
            .spawn(move || train_thread(trainer, &thread_shared, &*wake, fault))
            .map_err(|e| format!("cannot start the training thread: {e}"))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Takes the newest snapshot, if one arrived since the last call.
    pub fn take_latest(&self) -> Option<Snapshot> {
        self.shared
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Pauses or resumes between meta-updates.
    pub fn set_paused(&self, paused: bool) {
        *self
            .shared
            .paused
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = paused;
        self.shared.resume.notify_all();
    }

    /// Whether paused.
    pub fn is_paused(&self) -> bool {
        *self
            .shared
            .paused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the thread to stop after the current meta-update and waits for it.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.set_paused(false);
        if let Some(thread) = self.thread.take() {
            // A panic was already reported through the snapshot.
            let _ = thread.join();
        }
    }
}

impl Drop for TrainerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

fn train_thread(
    mut trainer: Trainer,
    shared: &Shared,
    wake: &(dyn Fn() + Send + Sync),
    fault: FaultInjection,
) {
    let start = Instant::now();
    let mut paused_for = Duration::ZERO;
    let mut version = 0_u64;
    let mut last_publish: Option<Instant> = None;
    let mut last_good = Arc::new(trainer.model().clone());
    let mut publish = |model: &MetaOptimizer<f32>,
                       progress: &Progress,
                       finished: bool,
                       error: Option<String>,
                       elapsed: Duration| {
        // Keep the last finite weights; publish them if the new ones are not
        // finite or the thread failed (its weights may be half-updated).
        let healthy = error.is_none() && finite(model);
        if healthy {
            last_good = Arc::new(model.clone());
        }
        version += 1;
        let snapshot = Snapshot {
            model: Arc::clone(&last_good),
            progress: progress.clone(),
            version,
            healthy,
            elapsed_secs: elapsed.as_secs_f64(),
            finished,
            error,
        };
        *shared.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
        // Wake the UI thread.
        wake();
    };
    let mut on_update = |progress: &Progress, model: &MetaOptimizer<f32>| -> Control {
        if let Some(n) = fault.panic_after_updates
            && progress.meta_updates >= n
        {
            panic!("injected trainer fault after {n} meta-updates");
        }
        if last_publish.is_none_or(|t| t.elapsed() >= PUBLISH_INTERVAL) {
            last_publish = Some(Instant::now());
            publish(
                model,
                progress,
                false,
                None,
                start.elapsed().saturating_sub(paused_for),
            );
        }
        // Pause between meta-updates until resumed or stopped.
        let mut paused = shared.paused.lock().unwrap_or_else(PoisonError::into_inner);
        if *paused {
            let since = Instant::now();
            while *paused && !shared.stop.load(Ordering::SeqCst) {
                paused = shared
                    .resume
                    .wait(paused)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            paused_for += since.elapsed();
        }
        drop(paused);
        if shared.stop.load(Ordering::SeqCst) {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| trainer.run(&mut on_update)));
    let elapsed = start.elapsed().saturating_sub(paused_for);
    let error = result.err().map(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        format!("the training thread failed: {message}")
    });
    // After a panic the trainer's model may be half-updated: `publish` keeps
    // the last good weights unless these are finite, and marks the snapshot.
    publish(trainer.model(), trainer.progress(), true, error, elapsed);
}
