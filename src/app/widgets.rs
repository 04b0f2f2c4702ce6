//! Small widgets and view helpers that several views share.

/// `widget` after the label `text`, which names it for screen readers.
pub(crate) fn labelled(ui: &mut egui::Ui, text: &str, widget: impl egui::Widget) -> egui::Response {
    let label = ui.label(text).id;
    ui.add(widget).labelled_by(label)
}

/// A radio button for each of `choices` (a value and its text), side by
/// side, selecting into `value`.
pub(crate) fn radios<T: PartialEq>(
    ui: &mut egui::Ui,
    value: &mut T,
    choices: impl IntoIterator<Item = (T, &'static str)>,
) {
    ui.horizontal(|ui| {
        for (choice, text) in choices {
            ui.radio_value(value, choice, text);
        }
    });
}

/// Keeps a plot's view one that f64 and the screen can represent. Bounds
/// that are not finite, wider than `max_span`, or narrower than 1e−12 of
/// their magnitude (where neighbouring pixels get the same coordinate) are
/// replaced by `fallback`, or by the automatic bounds when there is none.
/// Called first in a plot's closure, it acts before this frame's zoom and
/// pan, so a wheel or pinch can never carry a view to ±∞ or NaN.
pub(crate) fn keep_view_sane(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    max_span: f64,
    fallback: Option<egui_plot::PlotBounds>,
) {
    if view_is_sane(&plot_ui.plot_bounds(), max_span) {
        return;
    }
    match fallback {
        Some(bounds) => plot_ui.set_plot_bounds(bounds),
        None => plot_ui.set_auto_bounds(true),
    }
}

/// Whether a view is finite, at most `max_span` wide and high, and wide
/// enough for neighbouring pixels to have different coordinates.
pub(crate) fn view_is_sane(b: &egui_plot::PlotBounds, max_span: f64) -> bool {
    let sane = |lo: f64, hi: f64| {
        let span = hi - lo;
        let magnitude = lo.abs().max(hi.abs());
        lo.is_finite() && hi.is_finite() && span <= max_span && span > 1e-12 * magnitude
    };
    sane(b.min()[0], b.max()[0]) && sane(b.min()[1], b.max()[1])
}

/// Wraps an angle into `(−π, π]`.
pub fn wrap_angle(theta: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    let t = (theta + PI).rem_euclid(TAU) - PI;
    if t <= -PI { t + TAU } else { t }
}
