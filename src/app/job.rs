//! Background work: one type for every worker of the app (the statistics
//! across tasks, the basin map, the validation curve, headless animations).
//!
//! A [`Worker`] runs one computation at a time, written as a step function
//! that sends results through a [`Sink`] and says whether there is more to
//! do. This file is the one place that decides how it runs: on a named
//! thread on the desktop; on the web, which has no threads, in slices of
//! each frame ([`Worker::poll`] steps it for a few milliseconds). Starting a
//! new computation cancels the old one without waiting for it; a cancelled
//! thread ends after its current step and is joined later (when the
//! worker is dropped, for at most a quarter of a second: a longer step is
//! left to end on its own), so the frame never blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
#[cfg(not(target_arch = "wasm32"))]
use std::thread::JoinHandle;

use web_time::{Duration, Instant};

/// What a step function says after each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Call it again.
    More,
    /// The computation is over.
    Done,
}

/// Where a computation sends its results, and how it learns that it was
/// cancelled.
pub struct Sink<T> {
    tx: Sender<T>,
    cancel: Arc<AtomicBool>,
    ctx: egui::Context,
}

impl<T> Sink<T> {
    /// Sends a result and wakes the UI; `false` once nobody listens (the
    /// computation was cancelled or its worker dropped).
    pub fn send(&self, value: T) -> bool {
        let sent = self.tx.send(value).is_ok();
        self.ctx.request_repaint();
        sent
    }

    /// Whether the computation should stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The cancel flag, for core functions that check one as they go.
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }
}

/// A step function: called until it returns [`Step::Done`] or the
/// computation is cancelled.
type StepFn<T> = Box<dyn FnMut(&Sink<T>) -> Step + Send>;

/// The computation under way.
struct Running<T> {
    rx: Receiver<T>,
    cancel: Arc<AtomicBool>,
    /// The thread stepping it (desktop).
    #[cfg(not(target_arch = "wasm32"))]
    handle: Option<JoinHandle<()>>,
    /// The step function and its sink, stepped by [`Worker::poll`] (web).
    #[cfg(target_arch = "wasm32")]
    inline: Option<(StepFn<T>, Sink<T>)>,
}

/// How long [`Worker::poll`] steps a computation on the web in one frame:
/// what 60 Hz leaves after drawing.
#[cfg(target_arch = "wasm32")]
const WEB_SLICE: Duration = Duration::from_millis(8);

/// One background computation at a time, with its results.
pub struct Worker<T> {
    /// The thread's name (`across-tasks`, `basin-map`, …); the web runs
    /// no threads.
    #[cfg_attr(
        target_arch = "wasm32",
        allow(dead_code, reason = "no threads on the web")
    )]
    name: &'static str,
    running: Option<Running<T>>,
    /// Cancelled threads finishing their current step; joined once done.
    #[cfg(not(target_arch = "wasm32"))]
    retired: Vec<JoinHandle<()>>,
    /// Computations started so far.
    started: u64,
}

impl<T: Send + 'static> Worker<T> {
    /// A worker whose threads are called `name`.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            running: None,
            #[cfg(not(target_arch = "wasm32"))]
            retired: Vec::new(),
            started: 0,
        }
    }

    /// Starts a computation, cancelling the one under way (without waiting
    /// for it). `step` is called until it returns [`Step::Done`] or the
    /// computation is cancelled.
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        step: impl FnMut(&Sink<T>) -> Step + Send + 'static,
    ) -> std::io::Result<()> {
        self.cancel();
        let (tx, rx) = std::sync::mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let sink = Sink {
            tx,
            cancel: Arc::clone(&cancel),
            ctx: ctx.clone(),
        };
        let mut step: StepFn<T> = Box::new(step);
        #[cfg(not(target_arch = "wasm32"))]
        let handle = std::thread::Builder::new()
            .name(self.name.to_owned())
            .spawn(
                move || {
                    while !sink.cancelled() && step(&sink) == Step::More {}
                },
            )?;
        #[cfg(target_arch = "wasm32")]
        let _ = &mut step;
        self.running = Some(Running {
            rx,
            cancel,
            #[cfg(not(target_arch = "wasm32"))]
            handle: Some(handle),
            #[cfg(target_arch = "wasm32")]
            inline: Some((step, sink)),
        });
        self.started += 1;
        Ok(())
    }

    /// The results sent since the last call, oldest first. On the web this
    /// first steps the computation for a slice of the frame.
    pub fn poll(&mut self) -> Vec<T> {
        #[cfg(not(target_arch = "wasm32"))]
        self.retired.retain(|h| !h.is_finished());
        let Some(running) = &mut self.running else {
            return Vec::new();
        };
        #[cfg(target_arch = "wasm32")]
        if let Some((step, sink)) = &mut running.inline {
            let slice_end = Instant::now() + WEB_SLICE;
            loop {
                if sink.cancelled() || step(sink) == Step::Done {
                    running.inline = None;
                    break;
                }
                if Instant::now() >= slice_end {
                    sink.ctx.request_repaint();
                    break;
                }
            }
        }
        let mut out = Vec::new();
        let finished = loop {
            match running.rx.try_recv() {
                Ok(value) => out.push(value),
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        if finished {
            // The step function is gone: its thread has ended, so joining
            // does not wait.
            #[cfg(not(target_arch = "wasm32"))]
            if let Some(handle) = running.handle.take() {
                let _ = handle.join();
            }
            self.running = None;
        }
        out
    }

    /// The newest result sent since the last call, if any.
    pub fn poll_latest(&mut self) -> Option<T> {
        self.poll().pop()
    }

    /// Cancels the computation under way, without waiting for it.
    pub fn cancel(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.cancel.store(true, Ordering::Relaxed);
            #[cfg(not(target_arch = "wasm32"))]
            self.retired.extend(running.handle.take());
            #[cfg(target_arch = "wasm32")]
            drop(running.inline.take());
        }
    }

    /// Whether a computation is under way (its results may not all have
    /// been polled yet).
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    /// How many computations were started.
    pub fn started(&self) -> u64 {
        self.started
    }
}

/// How long dropping a worker waits for its cancelled threads to end their
/// current step. A step can be long (a network's across-tasks row over
/// thousands of steps took minutes): past this the thread is left to end
/// on its own at its next step, and the frame that dropped the worker (a
/// Reset to defaults, a closed instrument) goes on.
#[cfg(not(target_arch = "wasm32"))]
const DROP_WAIT: Duration = Duration::from_millis(250);

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.cancel.store(true, Ordering::Relaxed);
            #[cfg(not(target_arch = "wasm32"))]
            self.retired.extend(running.handle);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let deadline = Instant::now() + DROP_WAIT;
            for handle in self.retired.drain(..) {
                while !handle.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if handle.is_finished() {
                    let _ = handle.join();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_for<T: Send + 'static>(worker: &mut Worker<T>) -> Vec<T> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut out = Vec::new();
        while worker.busy() && Instant::now() < deadline {
            out.extend(worker.poll());
            std::thread::sleep(Duration::from_millis(1));
        }
        out
    }

    #[test]
    fn a_computation_sends_every_step_in_order_then_ends() {
        let ctx = egui::Context::default();
        let mut worker = Worker::new("test-worker");
        let mut k = 0;
        worker
            .start(&ctx, move |sink| {
                k += 1;
                sink.send(k);
                if k == 5 { Step::Done } else { Step::More }
            })
            .unwrap();
        assert_eq!(wait_for(&mut worker), vec![1, 2, 3, 4, 5]);
        assert!(!worker.busy());
        assert_eq!(worker.started(), 1);
    }

    #[test]
    fn starting_again_cancels_the_old_computation_without_waiting() {
        let ctx = egui::Context::default();
        let mut worker = Worker::new("test-worker");
        // An endless computation: only cancelling stops it.
        worker
            .start(&ctx, |sink| {
                std::thread::sleep(Duration::from_millis(1));
                sink.send(0);
                Step::More
            })
            .unwrap();
        worker
            .start(&ctx, |sink| {
                sink.send(7);
                Step::Done
            })
            .unwrap();
        let got = wait_for(&mut worker);
        assert_eq!(got, vec![7], "nothing of the cancelled computation arrives");
        assert_eq!(worker.started(), 2);
        // Dropping joins the cancelled thread, which ends at its next step
        // (well within the quarter second a drop waits).
        drop(worker);
    }

    #[test]
    fn cancelling_stops_the_step_function() {
        let ctx = egui::Context::default();
        let mut worker = Worker::<u32>::new("test-worker");
        let steps = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&steps);
        worker
            .start(&ctx, move |_| {
                counted.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
                Step::More
            })
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        worker.cancel();
        assert!(!worker.busy());
        drop(worker);
        let after = steps.load(Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            steps.load(Ordering::Relaxed),
            after,
            "the thread kept stepping"
        );
    }
}
