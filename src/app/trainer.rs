//! Meta-training on a named background thread (or, on the web, in slices
//! of a few milliseconds per frame on the UI thread).
//!
//! The thread owns the trainer: any [`MetaTrain`], the plane's [`Trainer`]
//! by default or the networks' [`teleport_core::net::train::NetTrainer`]. After every meta-update it may publish a
//! [`Snapshot`] (weights and progress) into a latest-value slot — at most a
//! few times a second — and wakes the UI through a callback. The UI only
//! ever takes the latest snapshot; it never waits on the trainer. Pause,
//! resume and stop act between meta-updates; dropping the handle stops and
//! joins the thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use web_time::Instant;

use teleport_core::l2o::{
    Control, MetaOptimizer, MetaTrain, ModelConfig, Progress, TrainConfig, Trainer,
};

/// What the trainer publishes.
#[derive(Clone, Debug)]
pub struct Snapshot<M = MetaOptimizer<f32>> {
    /// The current weights.
    pub model: Arc<M>,
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

/// A good version of the weights, as the training timeline keeps it.
#[derive(Clone, Debug)]
pub struct Published<M = MetaOptimizer<f32>> {
    /// The snapshot's version.
    pub version: u64,
    /// Trajectories trained when it was published.
    pub trajectories: usize,
    /// Its weights.
    pub model: Arc<M>,
}

#[derive(Debug)]
struct Shared<M> {
    latest: Mutex<Option<Snapshot<M>>>,
    /// Every good version published since the UI last looked, oldest
    /// first, so the timeline misses none (the latest-value slot keeps
    /// only the newest). Thinned evenly if the UI does not look for long.
    published: Mutex<Vec<Published<M>>>,
    stop: AtomicBool,
    paused: Mutex<bool>,
    resume: Condvar,
}

impl<M> Default for Shared<M> {
    fn default() -> Self {
        Self {
            latest: Mutex::new(None),
            published: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            paused: Mutex::new(false),
            resume: Condvar::new(),
        }
    }
}

/// Where the training runs.
enum Worker<T: MetaTrain> {
    /// A thread named `trainer` (native).
    Thread(Option<JoinHandle<()>>),
    /// Time-sliced on the UI thread: each [`TrainerHandle::pump`] trains for
    /// a few milliseconds. The web has no threads; this is its trainer.
    Sliced(Box<Sliced<T>>),
}

/// A handle to a running training thread (or time-sliced trainer) of a
/// [`MetaTrain`]: the plane's [`Trainer`] unless said otherwise.
pub struct TrainerHandle<T: MetaTrain = Trainer> {
    shared: Arc<Shared<T::Model>>,
    worker: Worker<T>,
}

impl<T: MetaTrain> std::fmt::Debug for TrainerHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainerHandle")
            .field("sliced", &self.is_sliced())
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

/// How the trainer runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// On a thread where there are threads, else time-sliced.
    #[default]
    Auto,
    /// Time-sliced on the caller's thread (what the web does; native tests
    /// use it to compare the two).
    Sliced,
}

/// The smallest time between two published snapshots.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(200);

/// The frame time a time-sliced trainer leaves the page: 60 Hz.
pub const FRAME_TARGET: Duration = Duration::from_micros(16_667);

/// The least a slice trains, however slow the frames are already.
pub const MIN_SLICE: Duration = Duration::from_millis(2);

/// The most a slice trains.
pub const MAX_SLICE: Duration = Duration::from_millis(12);

/// How long the next slice may train, given what the rest of the frame
/// (the UI, painting, waiting) took last time: what is left of a 60 Hz
/// frame after it and a millisecond of margin, within
/// [`MIN_SLICE`]..=[`MAX_SLICE`]. A light UI gets most of the frame for
/// training; a frame that is slow anyway (software rendering) still trains
/// [`MIN_SLICE`].
pub fn slice_budget(rest_of_frame: Duration) -> Duration {
    FRAME_TARGET
        .saturating_sub(rest_of_frame)
        .saturating_sub(Duration::from_millis(1))
        .clamp(MIN_SLICE, MAX_SLICE)
}

/// Times a time-sliced trainer's frames: from one pump to the next, minus
/// the pump itself, is the rest of the frame.
#[derive(Debug, Default)]
pub struct SliceClock {
    last: Option<(Instant, Duration)>,
}

impl SliceClock {
    /// The budget for a pump starting now.
    pub fn budget(&self) -> Duration {
        match self.last {
            Some((started, used)) => slice_budget(started.elapsed().saturating_sub(used)),
            // The first slice: a quarter of a frame.
            None => Duration::from_millis(4),
        }
    }

    /// Records a pump that started at `started` and trained for `used`.
    pub fn record(&mut self, started: Instant, used: Duration) {
        self.last = Some((started, used));
    }

    /// Forgets the last pump (training paused or ended: the next frame is
    /// not a continuation).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// Publishes snapshots into the shared slot: versions, the last good
/// weights, the rate limit and the training clock (pauses excluded).
struct Publisher<T: MetaTrain> {
    shared: Arc<Shared<T::Model>>,
    wake: Arc<dyn Fn() + Send + Sync>,
    version: u64,
    last_publish: Option<Instant>,
    last_good: Arc<T::Model>,
    /// Training time before the current stretch.
    elapsed: Duration,
    /// When the current stretch of training started (`None` while paused
    /// or between slices).
    since: Option<Instant>,
}

impl<T: MetaTrain> Publisher<T> {
    fn new(
        shared: Arc<Shared<T::Model>>,
        wake: Arc<dyn Fn() + Send + Sync>,
        model: &T::Model,
    ) -> Self {
        Self {
            shared,
            wake,
            version: 0,
            last_publish: None,
            last_good: Arc::new(model.clone()),
            elapsed: Duration::ZERO,
            since: None,
        }
    }

    fn resume_clock(&mut self) {
        self.since.get_or_insert_with(Instant::now);
    }

    fn pause_clock(&mut self) {
        if let Some(since) = self.since.take() {
            self.elapsed += since.elapsed();
        }
    }

    fn elapsed(&self) -> Duration {
        self.elapsed + self.since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// Publishes at most every [`PUBLISH_INTERVAL`].
    fn maybe_publish(&mut self, model: &T::Model, progress: &Progress) {
        if self
            .last_publish
            .is_none_or(|t| t.elapsed() >= PUBLISH_INTERVAL)
        {
            self.last_publish = Some(Instant::now());
            self.publish(model, progress, false, None);
        }
    }

    fn publish(
        &mut self,
        model: &T::Model,
        progress: &Progress,
        finished: bool,
        error: Option<String>,
    ) {
        // Keep the last finite weights; publish them if the new ones are not
        // finite or the training failed (its weights may be half-updated).
        let healthy = error.is_none() && T::model_is_finite(model);
        if healthy {
            self.last_good = Arc::new(model.clone());
        }
        self.version += 1;
        if healthy {
            let mut published = self
                .shared
                .published
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            published.push(Published {
                version: self.version,
                trajectories: progress.trajectories_done,
                model: Arc::clone(&self.last_good),
            });
            if published.len() > 2 * super::timeline::CAPACITY {
                super::timeline::halve_keeping_newest(&mut published);
            }
        }
        let snapshot = Snapshot {
            model: Arc::clone(&self.last_good),
            progress: progress.clone(),
            version: self.version,
            healthy,
            elapsed_secs: self.elapsed().as_secs_f64(),
            finished,
            error,
        };
        *self
            .shared
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
        // Wake the UI thread.
        (self.wake)();
    }
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn check_fault(fault: FaultInjection, progress: &Progress) {
    if let Some(n) = fault.panic_after_updates
        && progress.meta_updates >= n
    {
        panic!("injected trainer fault after {n} meta-updates");
    }
}

/// The time-sliced trainer's state.
struct Sliced<T: MetaTrain> {
    trainer: T,
    publisher: Publisher<T>,
    fault: FaultInjection,
    finished: bool,
}

impl TrainerHandle<Trainer> {
    /// Starts training `model` with `config` (from fresh weights when
    /// `start` is `None`) on a thread named `trainer`, or time-sliced where
    /// there are no threads or `mode` asks for it (see [`Mode`]). `wake` is
    /// called after each published snapshot (e.g. `ctx.request_repaint()`).
    pub fn spawn(
        model: ModelConfig,
        config: TrainConfig,
        start: Option<MetaOptimizer<f32>>,
        wake: Arc<dyn Fn() + Send + Sync>,
        fault: FaultInjection,
        mode: Mode,
    ) -> Result<Self, String> {
        let trainer = match start {
            Some(m) => Trainer::resume(m, config),
            None => Trainer::new(model, config),
        }
        .map_err(|e| e.to_string())?;
        Self::spawn_trainer(trainer, wake, fault, mode)
    }
}

impl<T: MetaTrain + Send + 'static> TrainerHandle<T> {
    /// Starts `trainer` on a thread named `trainer`, or time-sliced where
    /// there are no threads or `mode` asks for it (see [`Mode`]). `wake` is
    /// called after each published snapshot.
    pub fn spawn_trainer(
        trainer: T,
        wake: Arc<dyn Fn() + Send + Sync>,
        fault: FaultInjection,
        mode: Mode,
    ) -> Result<Self, String> {
        let shared = Arc::new(Shared::default());
        let publisher = Publisher::new(Arc::clone(&shared), wake, trainer.model());
        let sliced = mode == Mode::Sliced || cfg!(target_arch = "wasm32");
        let worker = if sliced {
            Worker::Sliced(Box::new(Sliced {
                trainer,
                publisher,
                fault,
                finished: false,
            }))
        } else {
            let thread_shared = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name("trainer".to_owned())
                .spawn(move || train_thread(trainer, &thread_shared, publisher, fault))
                .map_err(|e| format!("cannot start the training thread: {e}"))?;
            Worker::Thread(Some(thread))
        };
        Ok(Self { shared, worker })
    }
}

impl<T: MetaTrain> TrainerHandle<T> {
    /// Whether the training is time-sliced (see [`Self::pump`]).
    pub fn is_sliced(&self) -> bool {
        matches!(self.worker, Worker::Sliced(_))
    }

    /// Trains for about `budget` on this thread if time-sliced, running and
    /// not paused (whole batches of trajectories: a slice ends after the
    /// batch that crosses the budget). Returns whether more work remains,
    /// i.e. whether the caller should come back next frame. A training
    /// thread needs no pumping: `false`.
    pub fn pump(&mut self, budget: Duration) -> bool {
        let Worker::Sliced(s) = &mut self.worker else {
            return false;
        };
        if s.finished || self.shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        if *self
            .shared
            .paused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            // The training clock is wall time between slices too (the ETA
            // is about wall time), but not while paused.
            s.publisher.pause_clock();
            return false;
        }
        let started = Instant::now();
        s.publisher.resume_clock();
        let Sliced {
            trainer,
            publisher,
            fault,
            finished,
        } = &mut **s;
        let fault = *fault;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            while !trainer.finished() && started.elapsed() < budget {
                let mut control = |progress: &Progress, model: &T::Model| {
                    check_fault(fault, progress);
                    publisher.maybe_publish(model, progress);
                    Control::Continue
                };
                trainer.train_batch(&mut control);
            }
        }));
        let error = result
            .err()
            .map(|p| format!("the training failed: {}", panic_message(&*p)));
        if error.is_some() || trainer.finished() {
            publisher.pause_clock();
            *finished = true;
            publisher.publish(trainer.model(), trainer.progress(), true, error);
            return false;
        }
        true
    }

    /// Takes the good versions published since the last call, oldest first.
    pub fn take_published(&self) -> Vec<Published<T::Model>> {
        std::mem::take(
            &mut *self
                .shared
                .published
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Takes the newest snapshot, if one arrived since the last call.
    pub fn take_latest(&self) -> Option<Snapshot<T::Model>> {
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

    /// Whether training is still going (paused counts as going).
    pub fn is_running(&self) -> bool {
        match &self.worker {
            Worker::Thread(thread) => thread.as_ref().is_some_and(|t| !t.is_finished()),
            Worker::Sliced(s) => !s.finished,
        }
    }

    /// Asks the training to stop after the current meta-update and waits
    /// for it; the last snapshot then says it finished.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.set_paused(false);
        match &mut self.worker {
            Worker::Thread(thread) => {
                if let Some(thread) = thread.take() {
                    // A panic was already reported through the snapshot.
                    let _ = thread.join();
                }
            }
            Worker::Sliced(s) => {
                if !s.finished {
                    s.finished = true;
                    let Sliced {
                        trainer, publisher, ..
                    } = &mut **s;
                    publisher.publish(trainer.model(), trainer.progress(), true, None);
                }
            }
        }
    }
}

impl<T: MetaTrain> Drop for TrainerHandle<T> {
    fn drop(&mut self) {
        self.stop();
    }
}

fn train_thread<T: MetaTrain>(
    mut trainer: T,
    shared: &Shared<T::Model>,
    mut publisher: Publisher<T>,
    fault: FaultInjection,
) {
    publisher.resume_clock();
    let mut on_update = |progress: &Progress, model: &T::Model| -> Control {
        check_fault(fault, progress);
        publisher.maybe_publish(model, progress);
        // Pause between meta-updates until resumed or stopped.
        let mut paused = shared.paused.lock().unwrap_or_else(PoisonError::into_inner);
        if *paused {
            publisher.pause_clock();
            while *paused && !shared.stop.load(Ordering::SeqCst) {
                paused = shared
                    .resume
                    .wait(paused)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            publisher.resume_clock();
        }
        drop(paused);
        if shared.stop.load(Ordering::SeqCst) {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        trainer.run_all(&mut on_update)
    }));
    publisher.pause_clock();
    let error = result
        .err()
        .map(|p| format!("the training thread failed: {}", panic_message(&*p)));
    // After a panic the trainer's model may be half-updated: `publish` keeps
    // the last good weights unless these are finite, and marks the snapshot.
    publisher.publish(trainer.model(), trainer.progress(), true, error);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_fills_what_the_frame_leaves_of_60_hz() {
        let ms = Duration::from_millis;
        // A 3 ms UI leaves 16.7 − 3 − 1 = 12.7 ms: capped at 12.
        assert_eq!(slice_budget(ms(3)), MAX_SLICE);
        // An 8 ms UI leaves about 7.7 ms.
        let b = slice_budget(ms(8));
        assert!(b > ms(7) && b < ms(8), "{b:?}");
        // Software rendering at 150 ms a frame: the least slice.
        assert_eq!(slice_budget(ms(150)), MIN_SLICE);
    }
}
