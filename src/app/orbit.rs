//! The orbit of the current point: θ*, the θ curve and how well the
//! teleport that landed here chose its angle, found again only when the
//! task or the point changes.

use super::side_plots;
use super::{TeleportApp, TeleportQuality};
use teleport_core::objective::Vec2;

impl TeleportApp {
    /// Finds θ* and the θ curve when the task or the current point changed
    /// (a custom h walks its orbit by Newton's method: not every frame).
    pub(super) fn update_orbit_cache(&mut self) {
        let x = self.current_point();
        let key = (self.rt.objective.clone(), [x.x, x.y]);
        if self.rt.orbit_key.as_ref() == Some(&key) {
            return;
        }
        self.rt.oracle = teleport_core::symmetry::oracle(&self.rt.objective, &x);
        self.rt.theta_curve = side_plots::theta_curve(&self.rt.objective, &x);
        self.rt.teleport_quality = self.teleport_quality_here();
        self.rt.orbit_key = Some(key);
    }

    /// η of the selected row's teleport at the current step, if it
    /// teleported there.
    pub(super) fn teleport_quality_here(&self) -> Option<TeleportQuality> {
        let t = self.state.playback.t;
        let run = self.run(self.state.selected)?.shown();
        let r = run.records.get(t).filter(|r| r.teleported)?;
        let (from, theta) = (Vec2::from(r.from?), r.theta?);
        let obj = &self.rt.objective;
        let efficiency = teleport_core::eval::teleport_efficiency(obj, &from, theta)?;
        Some(TeleportQuality {
            theta,
            efficiency,
            landed_norm: obj.grad(&Vec2::from(r.x)).norm(),
        })
    }

    /// The θ plot's curve at the current point.
    pub fn theta_curve(&self) -> Vec<[f64; 2]> {
        self.rt.theta_curve.clone()
    }
}
