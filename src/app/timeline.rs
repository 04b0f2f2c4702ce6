//! The training timeline: the weights a training run has published, kept in
//! bounded memory so the user can go back to any version while it trains or
//! after, and the previous few versions' runs drawn as fading ghost trails.
//!
//! Memory stays bounded by thinning evenly: the timeline keeps every
//! `stride`-th published snapshot (and always the newest); when it holds
//! more than [`CAPACITY`], the stride doubles and every other kept version
//! goes. A version the user is looking at is never thinned away.

use std::sync::Arc;

use teleport_core::l2o::MetaOptimizer;

/// At most this many versions are kept, besides the newest.
pub const CAPACITY: usize = 64;

/// How many earlier versions leave a ghost trail on the level-set plot.
pub const GHOSTS: usize = 4;

/// Weights the timeline keeps: it counts their bytes.
pub trait Weights {
    /// Bytes of the weights (read every frame the training window shows:
    /// no allocation).
    fn weight_bytes(&self) -> usize;
}

impl Weights for MetaOptimizer<f32> {
    fn weight_bytes(&self) -> usize {
        self.nets()
            .iter()
            .map(|n| std::mem::size_of_val(n.params()))
            .sum()
    }
}

impl Weights for teleport_core::net::CwModel<f32> {
    fn weight_bytes(&self) -> usize {
        std::mem::size_of_val(self.net().params())
    }
}

/// One kept snapshot of the weights (of the plane's meta-optimizers by
/// default, or of the networks' coordinate-wise ones).
#[derive(Clone, Debug)]
pub struct Version<M = MetaOptimizer<f32>> {
    /// The trainer's snapshot version.
    pub version: u64,
    /// Trajectories trained when it was published.
    pub trajectories: usize,
    /// Its weights.
    pub model: Arc<M>,
    /// Its place among all published snapshots (0 for the first).
    arrival: u64,
}

/// The kept versions of one training run, oldest first, and which one the
/// app shows.
#[derive(Clone, Debug)]
pub struct Timeline<M = MetaOptimizer<f32>> {
    versions: Vec<Version<M>>,
    /// Snapshots published so far.
    arrivals: u64,
    /// log₂ of the stride: versions kept are those whose arrival is a
    /// multiple of `1 << stride_log2` (and the newest).
    stride_log2: u32,
    /// The version the user chose; `None` follows the newest.
    pinned: Option<u64>,
}

impl<M> Default for Timeline<M> {
    fn default() -> Self {
        Self {
            versions: Vec::new(),
            arrivals: 0,
            stride_log2: 0,
            pinned: None,
        }
    }
}

impl<M: Weights> Timeline<M> {
    /// Keeps a newly published snapshot, thinning the older ones evenly
    /// when the timeline is full.
    pub fn push(&mut self, version: u64, trajectories: usize, model: Arc<M>) {
        let arrival = self.arrivals;
        self.arrivals += 1;
        // The previous newest stays only if it is on the grid (or shown).
        if let Some(last) = self.versions.last()
            && !self.on_grid(last)
            && Some(last.version) != self.pinned
        {
            self.versions.pop();
        }
        self.versions.push(Version {
            version,
            trajectories,
            model,
            arrival,
        });
        while self.versions.len() > CAPACITY + 1 {
            self.stride_log2 += 1;
            let (stride, pinned) = (self.stride(), self.pinned);
            self.versions.retain(|v| {
                v.arrival.is_multiple_of(stride)
                    || v.arrival == arrival
                    || Some(v.version) == pinned
            });
        }
    }

    fn on_grid(&self, v: &Version<M>) -> bool {
        v.arrival.is_multiple_of(self.stride())
    }

    /// The kept versions, oldest first.
    pub fn versions(&self) -> &[Version<M>] {
        &self.versions
    }

    /// Every how many published snapshots one is kept now.
    pub fn stride(&self) -> u64 {
        1 << self.stride_log2
    }

    /// Whether the app shows the newest version (and follows new ones).
    pub fn follows_newest(&self) -> bool {
        self.pinned.is_none()
    }

    /// The index of the version shown (`None` when the timeline is empty).
    pub fn shown_index(&self) -> Option<usize> {
        match self.pinned {
            Some(pinned) => self.versions.iter().position(|v| v.version == pinned),
            None => self.versions.len().checked_sub(1),
        }
    }

    /// The version shown.
    pub fn shown(&self) -> Option<&Version<M>> {
        self.versions.get(self.shown_index()?)
    }

    /// Shows version `index` (clamped); the newest means following new
    /// ones as they come. Returns the version now shown.
    pub fn show(&mut self, index: usize) -> Option<&Version<M>> {
        let last = self.versions.len().checked_sub(1)?;
        let index = index.min(last);
        self.pinned = (index < last).then(|| self.versions[index].version);
        self.versions.get(index)
    }

    /// Up to [`GHOSTS`] versions before the one shown, oldest first.
    pub fn ghosts(&self) -> &[Version<M>] {
        let end = self.shown_index().unwrap_or(0);
        &self.versions[end.saturating_sub(GHOSTS)..end]
    }

    /// Bytes of weights the kept versions hold.
    pub fn bytes(&self) -> usize {
        self.versions.iter().map(|v| v.model.weight_bytes()).sum()
    }
}

/// Drops every other item, keeping the newest (the last) and those an even
/// number of places before it.
pub fn halve_keeping_newest<T>(items: &mut Vec<T>) {
    let Some(last) = items.len().checked_sub(1) else {
        return;
    };
    let mut k = 0;
    items.retain(|_| {
        let keep = (last - k) % 2 == 0;
        k += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleport_core::l2o::{ModelConfig, Variant};

    fn model() -> Arc<MetaOptimizer<f32>> {
        let mut config = ModelConfig::paper(Variant::L2o);
        config.hidden = 4;
        Arc::new(MetaOptimizer::init(config, 0))
    }

    #[test]
    fn a_long_run_is_thinned_evenly_and_keeps_its_newest_version() {
        let m = model();
        let mut timeline = Timeline::default();
        for n in 0..1000_u64 {
            timeline.push(n + 1, 10 * n as usize, Arc::clone(&m));
            let kept = timeline.versions();
            assert!(kept.len() <= CAPACITY + 1, "{} kept", kept.len());
            assert_eq!(kept.last().map(|v| v.version), Some(n + 1), "the newest");
            // All but the newest sit on a grid of the current stride,
            // with no gaps: evenly spaced from the first snapshot.
            let stride = timeline.stride();
            for (k, v) in kept[..kept.len() - 1].iter().enumerate() {
                assert_eq!(v.arrival, k as u64 * stride, "after {n}");
            }
        }
        assert!(timeline.versions().len() > CAPACITY / 2);
        assert!(timeline.follows_newest());
        assert_eq!(timeline.shown_index(), Some(timeline.versions().len() - 1));
    }

    #[test]
    fn a_shown_version_survives_thinning_and_the_newest_means_following() {
        let m = model();
        let mut timeline = Timeline::default();
        for n in 0..10_u64 {
            timeline.push(n + 1, 0, Arc::clone(&m));
        }
        // Version 4, which is off every coarser grid.
        let shown = timeline.show(3).map(|v| v.version);
        assert_eq!(shown, Some(4));
        assert!(!timeline.follows_newest());
        for n in 10..500_u64 {
            timeline.push(n + 1, 0, Arc::clone(&m));
            assert_eq!(timeline.shown().map(|v| v.version), Some(4));
        }
        let index = timeline.shown_index().unwrap_or(usize::MAX);
        assert_eq!(timeline.ghosts().len(), index.min(GHOSTS));
        assert!(timeline.ghosts().iter().all(|v| v.version < 4));
        // Choosing the last version follows new ones again.
        let last = timeline.versions().len() - 1;
        assert_eq!(timeline.show(usize::MAX).map(|v| v.version), Some(500));
        assert!(timeline.follows_newest());
        assert_eq!(timeline.shown_index(), Some(last));
        timeline.push(501, 0, Arc::clone(&m));
        assert_eq!(timeline.shown().map(|v| v.version), Some(501));
        assert_eq!(timeline.ghosts().len(), GHOSTS);
    }

    #[test]
    fn halving_keeps_the_newest_and_every_other_one_before_it() {
        let mut v: Vec<u32> = (1..=7).collect();
        halve_keeping_newest(&mut v);
        assert_eq!(v, [1, 3, 5, 7]);
        let mut v: Vec<u32> = (1..=6).collect();
        halve_keeping_newest(&mut v);
        assert_eq!(v, [2, 4, 6]);
        let mut v: Vec<u32> = Vec::new();
        halve_keeping_newest(&mut v);
        assert!(v.is_empty());
    }

    #[test]
    fn an_empty_timeline_shows_nothing_and_counts_its_bytes() {
        let mut timeline = Timeline::default();
        assert!(timeline.show(0).is_none());
        assert!(timeline.shown().is_none());
        assert!(timeline.ghosts().is_empty());
        assert_eq!(timeline.bytes(), 0);
        let m = model();
        timeline.push(1, 0, Arc::clone(&m));
        timeline.push(2, 0, m);
        let params: usize = timeline.versions()[0]
            .model
            .nets()
            .iter()
            .map(|n| n.params().len())
            .sum();
        assert_eq!(timeline.bytes(), 2 * 4 * params);
    }
}
