//! The paper's claims checked: each comparison its text makes, with a
//! paired bootstrap over seeds and test tasks, written as `claims.json` and
//! Markdown.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::claims::{Cells, Resample, Verdict, log_ratio, paired_bootstrap};
use crate::eval::{AnyOptimizer, RunOutcome};
use crate::l2o::Variant;
use crate::objective::{Sampling, TaskDist};
use crate::optim::OptimizerSpec;

use super::plan::{Trained, gd_baseline};
use super::{FiguresConfig, SummaryRow, sampling_name};

/// One optimizer of an experiment: its runs per seed (one row for a
/// classical optimizer) and the optimizer drawn in the trajectory panel
/// (the first seed's model).
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) seeds: Vec<u64>,
    pub(super) runs: Vec<Vec<RunOutcome>>,
    pub(super) showcase: AnyOptimizer,
}

impl Entry {
    /// A learned model's entry from its trained seeds.
    pub(super) fn learned(name: String, seeds: &[u64], trained: Vec<&Trained>) -> Self {
        let showcase = trained.first().map_or_else(
            || gd_baseline(TaskDist::ElliFixed),
            |t| AnyOptimizer::Learned {
                name: name.clone(),
                model: Arc::clone(&t.model),
            },
        );
        Self {
            seeds: seeds.iter().copied().take(trained.len()).collect(),
            runs: trained.iter().map(|t| t.runs.clone()).collect(),
            name,
            showcase,
        }
    }

    pub(super) fn is_learned(&self) -> bool {
        !self.seeds.is_empty()
    }

    /// The (seed, task) grids the claims read.
    pub(super) fn outcomes(&self) -> OptimizerOutcomes {
        let grid = |value: &dyn Fn(&RunOutcome) -> f64| {
            Cells::new(
                self.runs
                    .iter()
                    .map(|runs| runs.iter().map(value).collect())
                    .collect(),
            )
        };
        OptimizerOutcomes {
            name: self.name.clone(),
            last: grid(&RunOutcome::last),
            harmful: grid(&|r| r.harmful as f64),
            teleports: grid(&|r| r.teleports as f64),
        }
    }
}

/// One optimizer's grids of (seed, test task) values.
pub(super) struct OptimizerOutcomes {
    pub(super) name: String,
    /// `f` at the last step (NaN: diverged).
    pub(super) last: Option<Cells>,
    /// Harmful teleports per run.
    pub(super) harmful: Option<Cells>,
    /// Judged teleports per run.
    pub(super) teleports: Option<Cells>,
}

/// Every optimizer's grids in one experiment.
pub(super) struct ExperimentOutcomes {
    pub(super) figure: u8,
    pub(super) name: String,
    pub(super) dist: TaskDist,
    pub(super) sampling: Sampling,
    pub(super) optimizers: Vec<OptimizerOutcomes>,
}

impl ExperimentOutcomes {
    pub(super) fn get(&self, name: &str) -> Option<&OptimizerOutcomes> {
        self.optimizers.iter().find(|o| o.name == name)
    }
}

/// One of the paper's statements, checked: a metric that is positive when
/// the statement is true, its estimate, a 95 % paired-bootstrap interval
/// and the verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    /// A stable name, e.g. `fig4-vanilla-beats-teleport-mean`; the raw
    /// sampling's twin ends in `-raw`.
    pub id: String,
    /// The paper's figure whose tasks the claim is checked on.
    pub figure: u8,
    /// The experiment (see the CSV files of the same name).
    pub experiment: String,
    /// How the tasks were drawn: `conditioned` (the default) or `raw`.
    pub sampling: &'static str,
    /// What the paper says, quoted.
    pub paper_says: &'static str,
    /// The metric, positive when the statement holds.
    pub metric: String,
    /// The metric on the data as observed (null when undefined).
    pub estimate: f64,
    /// Its 95 % interval, from a paired bootstrap over seeds and test tasks.
    pub ci95: [f64; 2],
    /// `holds` (interval above 0), `fails` (below) or `inconclusive`.
    pub verdict: Verdict,
    /// Diverged runs of each optimizer compared, out of `runs`.
    pub diverged: Vec<Diverged>,
    /// The claim with the same comparison in the other statistic (a mean's
    /// median, a median's mean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<String>,
}

/// Diverged runs of one optimizer in a claim.
#[derive(Clone, Debug, Serialize)]
pub struct Diverged {
    /// The optimizer.
    pub optimizer: String,
    /// Runs that diverged before the last step.
    pub diverged: usize,
    /// Runs in all (seeds × test tasks; test tasks for a classical one).
    pub runs: usize,
}

pub(super) const VANILLA: &str = "vanilla L2O consistently outperforms the teleportation-augmented variant across both function families (Figures 3–6)";

pub(super) const CLASSICAL: &str = "L2O optimizers can learn strategies beyond vanilla gradient descent and in some cases outperform classical optimizers (section 4)";

pub(super) const MOMENTUM: &str = "learning momentum on top of local and symmetry updates improves the meta-learning optimizer (Figure 7)";

pub(super) const MOMENTUM_GD: &str = "Figure 7 compares LSTM(lr, tele, momentum) with vanilla gradient descent (GD) as a baseline it improves on";

pub(super) const DIST_HARM: &str = "future work could refine the cost function, e.g., incorporating distance to the optimum to mitigate harmful teleportation (section 6)";

pub(super) const DIST_F: &str = "(not the paper's words: what its section 6 suggestion needs) the distance term mitigates harmful teleports without raising f at the last step";

/// The ratio a `f+dist` model's last-step `f` may exceed an `f` model's by
/// and still count as "not raised".
pub const NOT_RAISED_MARGIN: f64 = 1.1;

#[derive(Clone, Copy)]
pub(super) enum Stat {
    Mean,
    Median,
    /// `ln(margin) + ln(mean worse / mean better)`.
    MeanWithin(f64),
    MedianWithin(f64),
    /// Harmful fraction of `worse` minus that of `better`.
    HarmfulFraction,
}

pub(super) struct ClaimSpec<'a> {
    pub(super) id: String,
    pub(super) exp: &'a ExperimentOutcomes,
    pub(super) paper_says: &'static str,
    pub(super) metric: String,
    pub(super) stat: Stat,
    /// The optimizer the paper says is worse (first in the ratio).
    pub(super) worse: &'a OptimizerOutcomes,
    pub(super) better: &'a OptimizerOutcomes,
    pub(super) counterpart: Option<String>,
}

/// Adds the claims of one comparison, one per statistic: ids
/// `{stem}-{tag}` (`-raw` appended on the raw sampling); two statistics are
/// each other's counterpart.
#[allow(
    clippy::too_many_arguments,
    reason = "one call per comparison, all named at the call"
)]
pub(super) fn add_claims<'a>(
    out: &mut Vec<ClaimSpec<'a>>,
    exp: &'a ExperimentOutcomes,
    stem: &str,
    paper_says: &'static str,
    worse: &str,
    better: &str,
    stats: Vec<(Stat, &str, String)>,
) {
    let (Some(w), Some(b)) = (exp.get(worse), exp.get(better)) else {
        return;
    };
    let suffix = if exp.sampling == Sampling::Raw {
        "-raw"
    } else {
        ""
    };
    let ids: Vec<String> = stats
        .iter()
        .map(|(_, tag, _)| {
            if tag.is_empty() {
                format!("{stem}{suffix}")
            } else {
                format!("{stem}-{tag}{suffix}")
            }
        })
        .collect();
    for (k, (stat, _, metric)) in stats.into_iter().enumerate() {
        let counterpart = if ids.len() == 2 {
            ids.get(1 - k).cloned()
        } else {
            None
        };
        out.push(ClaimSpec {
            id: ids[k].clone(),
            exp,
            paper_says,
            metric,
            stat,
            worse: w,
            better: b,
            counterpart,
        });
    }
}

pub(super) fn claim_specs<'a>(
    config: &FiguresConfig,
    exps: &'a [ExperimentOutcomes],
) -> Vec<ClaimSpec<'a>> {
    let t = config.steps;
    let mut out = Vec::new();
    let mean_note = ", diverged runs left out";
    let median_note = ", diverged runs counted as +inf";
    let both = |worse: &str, better: &str| {
        vec![
            (
                Stat::Mean,
                "mean",
                format!("log(mean f_{t} of {worse} / mean f_{t} of {better}){mean_note}"),
            ),
            (
                Stat::Median,
                "median",
                format!("log(median f_{t} of {worse} / median f_{t} of {better}){median_note}"),
            ),
        ]
    };
    let (l2o, tele) = (Variant::L2o.label(), Variant::L2oTele.label());
    let (lr, mom) = (Variant::LrTele.label(), Variant::LrTeleMomentum.label());
    let adam = OptimizerSpec::adam(0.3).label();
    for exp in exps.iter().filter(|e| !e.name.starts_with("distance_")) {
        let gd = gd_baseline(exp.dist).name().to_owned();
        let f = exp.figure;
        let o = &mut out;
        if f <= 6 {
            let stem = format!("fig{f}-vanilla-beats-teleport");
            add_claims(o, exp, &stem, VANILLA, tele, l2o, both(tele, l2o));
            let stem = format!("fig{f}-l2o-beats-gd");
            add_claims(o, exp, &stem, CLASSICAL, &gd, l2o, both(&gd, l2o));
            let stem = format!("fig{f}-l2o-beats-adam");
            add_claims(o, exp, &stem, CLASSICAL, &adam, l2o, both(&adam, l2o));
        } else {
            let stem = format!("fig7-{}-momentum-beats-lr-tele", exp.dist);
            add_claims(o, exp, &stem, MOMENTUM, lr, mom, both(lr, mom));
            let stem = format!("fig7-{}-momentum-beats-gd", exp.dist);
            add_claims(o, exp, &stem, MOMENTUM_GD, &gd, mom, both(&gd, mom));
        }
    }
    for exp in exps.iter().filter(|e| e.name.starts_with("distance_")) {
        let [f, d] = [0, 1].map(|k| exp.optimizers.get(k).map(|o| o.name.clone()));
        let (Some(f), Some(d)) = (f, d) else { continue };
        let dist = exp.dist;
        let m = NOT_RAISED_MARGIN;
        let metric = format!(
            "fraction of teleports that move x away from x*: {f} minus {d} (every step of every run)"
        );
        let stem = format!("dist-{dist}-fewer-harmful-teleports");
        let stats = vec![(Stat::HarmfulFraction, "", metric)];
        add_claims(&mut out, exp, &stem, DIST_HARM, &f, &d, stats);
        let stats = vec![
            (
                Stat::MeanWithin(m),
                "mean",
                format!(
                    "log({m} * mean f_{t} of {f} / mean f_{t} of {d}): positive when the second is below {m}x the first{mean_note}"
                ),
            ),
            (
                Stat::MedianWithin(m),
                "median",
                format!("log({m} * median f_{t} of {f} / median f_{t} of {d}){median_note}"),
            ),
        ];
        let stem = format!("dist-{dist}-f-not-raised");
        add_claims(&mut out, exp, &stem, DIST_F, &f, &d, stats);
    }
    out
}

/// Every claim, each from its own bootstrap stream (seeded by the run's
/// seed and the claim's id), on `config.threads` threads.
pub(super) fn claims(config: &FiguresConfig, exps: &[ExperimentOutcomes]) -> Vec<Claim> {
    let specs = claim_specs(config, exps);
    crate::eval::map_pooled(&specs, config.threads, |spec| {
        let (w, b) = (spec.worse, spec.better);
        let grids = [
            &w.last,
            &b.last,
            &w.harmful,
            &b.harmful,
            &w.teleports,
            &b.teleports,
        ];
        let seeds = grids
            .iter()
            .flat_map(|g| g.as_ref().map(Cells::seeds))
            .max()
            .unwrap_or(0);
        let tasks = grids
            .iter()
            .flat_map(|g| g.as_ref().map(Cells::tasks))
            .min()
            .unwrap_or(0);
        let interval = match (&w.last, &b.last) {
            (Some(wl), Some(bl)) => {
                let seed = config.seed ^ crate::claims::id_seed(&spec.id);
                let statistic = |r: &Resample| match spec.stat {
                    Stat::Mean => log_ratio(r.mean(wl), r.mean(bl)),
                    Stat::Median => log_ratio(r.median(wl), r.median(bl)),
                    Stat::MeanWithin(m) => m.ln() + log_ratio(r.mean(wl), r.mean(bl)),
                    Stat::MedianWithin(m) => m.ln() + log_ratio(r.median(wl), r.median(bl)),
                    Stat::HarmfulFraction => {
                        match (&w.harmful, &w.teleports, &b.harmful, &b.teleports) {
                            (Some(wh), Some(wt), Some(bh), Some(bt)) => {
                                r.ratio_of_sums(wh, wt) - r.ratio_of_sums(bh, bt)
                            }
                            _ => f64::NAN,
                        }
                    }
                };
                paired_bootstrap(seeds, tasks, config.replicates, seed, statistic)
            }
            _ => crate::claims::Interval {
                estimate: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
            },
        };
        let diverged = [w, b]
            .iter()
            .map(|o| Diverged {
                optimizer: o.name.clone(),
                diverged: o.last.as_ref().map_or(0, Cells::diverged),
                runs: o.last.as_ref().map_or(0, |c| c.values().len()),
            })
            .collect();
        Claim {
            id: spec.id.clone(),
            figure: spec.exp.figure,
            experiment: spec.exp.name.clone(),
            sampling: sampling_name(spec.exp.sampling),
            paper_says: spec.paper_says,
            metric: spec.metric.clone(),
            estimate: interval.estimate,
            ci95: [interval.lo, interval.hi],
            verdict: interval.verdict(),
            diverged,
            counterpart: spec.counterpart.clone(),
        }
    })
}

/// The claims whose verdict differs between the conditioned sampling and
/// the raw one: `(conditioned claim, raw claim)`.
pub fn sampling_differences(claims: &[Claim]) -> Vec<(&Claim, &Claim)> {
    claims
        .iter()
        .filter(|c| c.sampling == "conditioned")
        .filter_map(|c| {
            let raw = claims.iter().find(|r| r.id == format!("{}-raw", c.id))?;
            (raw.verdict != c.verdict).then_some((c, raw))
        })
        .collect()
}

/// `claims.json` without the network experiment.
pub fn claims_json(config: &FiguresConfig, claims: &[Claim]) -> String {
    claims_json_with(config, claims, None)
}

/// `claims.json`: the paper's claims, and the network experiment's under
/// `networks` when it ran.
pub(super) fn claims_json_with(
    config: &FiguresConfig,
    claims: &[Claim],
    networks: Option<&super::NetResults>,
) -> String {
    #[derive(Serialize)]
    struct Difference<'a> {
        claim: &'a str,
        conditioned: Verdict,
        raw: Verdict,
        conditioned_estimate: f64,
        raw_estimate: f64,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        seeds: usize,
        test_tasks: usize,
        steps: usize,
        replicates: usize,
        bootstrap: &'static str,
        claims: &'a [Claim],
        sampling_differences: Vec<Difference<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        networks: Option<&'a super::NetResults>,
    }
    let out = Out {
        seeds: config.seeds.max(1),
        test_tasks: config.runs,
        steps: config.steps,
        replicates: config.replicates,
        bootstrap: "paired percentile bootstrap: each replicate draws the training seeds and the test tasks with replacement, independently, and evaluates both optimizers on the same (seed, task) cells; a classical optimizer's runs do not depend on the seed",
        claims,
        sampling_differences: sampling_differences(claims)
            .into_iter()
            .map(|(c, r)| Difference {
                claim: &c.id,
                conditioned: c.verdict,
                raw: r.verdict,
                conditioned_estimate: c.estimate,
                raw_estimate: r.estimate,
            })
            .collect(),
        networks,
    };
    // Serializing plain structs of numbers and strings cannot fail; NaN
    // becomes null.
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// The claims as a Markdown table, and where the two samplings disagree.
pub fn claims_markdown(config: &FiguresConfig, claims: &[Claim]) -> String {
    let mut out = format!(
        "## Claims\n\n{} training seeds × {} test tasks, f after {} steps; 95 % intervals from a paired bootstrap over seeds and tasks ({} replicates). Positive supports the paper.\n\n| claim | metric | estimate | 95 % CI | verdict | diverged |\n|---|---|---:|---:|---|---|\n",
        config.seeds.max(1),
        config.runs,
        config.steps,
        config.replicates
    );
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v:.2}")
        } else {
            "–".to_owned()
        }
    };
    for c in claims {
        let diverged: Vec<String> = c
            .diverged
            .iter()
            .filter(|d| d.diverged > 0)
            .map(|d| format!("{}: {}/{}", d.optimizer, d.diverged, d.runs))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | [{}, {}] | **{}** | {} |",
            c.id,
            c.metric,
            num(c.estimate),
            num(c.ci95[0]),
            num(c.ci95[1]),
            c.verdict.name(),
            if diverged.is_empty() {
                "0".to_owned()
            } else {
                diverged.join(", ")
            }
        );
    }
    let diffs = sampling_differences(claims);
    out.push_str("\n### Raw N(0, 1) sampling vs the conditioned default\n\n");
    if diffs.is_empty() {
        out.push_str("Every claim run on both samplings has the same verdict on both.\n");
    } else {
        for (c, r) in diffs {
            let _ = writeln!(
                out,
                "- `{}`: {} conditioned ({}), {} raw ({})",
                c.id,
                c.verdict.name(),
                num(c.estimate),
                r.verdict.name(),
                num(r.estimate)
            );
        }
    }
    out
}

/// The summary as a Markdown table.
pub fn summary_markdown(rows: &[SummaryRow]) -> String {
    let mut out = String::from(
        "| experiment | optimizer | seeds | t | mean f | median f | q25 | q75 | diverged |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3e} | {:.3e} | {:.3e} | {:.3e} | {} |",
            r.figure,
            r.optimizer,
            r.seeds,
            r.last.t,
            r.last.mean,
            r.last.median,
            r.last.q25,
            r.last.q75,
            r.last.diverged
        );
    }
    out
}
