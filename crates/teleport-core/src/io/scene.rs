//! Scene files: an objective, a start point, an optimizer and an optional
//! teleport schedule, as JSON. The CLI's `eval` and the app read the same
//! format.
//!
//! ```json
//! {
//!   "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
//!   "x0": [-5.0, 3.5],
//!   "steps": 20,
//!   "optimizer": {"kind": "gd", "lr": 0.05},
//!   "teleport": {"strategy": "oracle", "at": [4]}
//! }
//! ```
//!
//! A custom `h` is two formulas in `x` and `y` (`+ - * / ^`, parentheses,
//! numbers such as `1e-3`, `sin cos tan exp ln sqrt abs tanh sinh cosh atan`,
//! `pi`, `e`), with an optional inverse written in `x` and `y` standing for
//! `u₁`, `u₂` (checked against `h` on sample points):
//!
//! ```json
//! {"family": "custom", "h": ["x + 0.5*y^3", "y"], "h_inv": ["x - 0.5*y^3", "y"]}
//! ```
//!
//! Or `f` itself as one formula, teleported along the flow of `J∇f`
//! ([`crate::symmetry::flow`]); a custom objective gives exactly one of
//! `h` and `f`:
//!
//! ```json
//! {"family": "custom", "f": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"}
//! ```

use serde::{Deserialize, Serialize};

use crate::limits::{ASCENT_ITERS_MAX, EVAL_STEPS_MAX, TELEPORT_STEPS_MAX};
use crate::objective::{Custom, Ellipse, Mat2, Objective, Quadratic, Rosenbrock, TypedF, Vec2};
use crate::optim::{OptimizerSpec, TeleportSchedule, Trajectory, When, run};
use crate::symmetry::Strategy;

/// The largest scene file accepted (1 MiB). A scene is a few hundred bytes;
/// even one that lists [`TELEPORT_STEPS_MAX`](crate::limits::TELEPORT_STEPS_MAX) teleport steps is well under
/// this. [`Scene::load`] never reads more than this plus one byte.
pub const MAX_SCENE_BYTES: usize = 1 << 20;

/// An objective as written in a scene file. A typed `f` is written with
/// `"family": "custom"` too (the file has `f` where a custom `h` has `h`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "file::ObjectiveSpec", into = "file::ObjectiveSpec")]
pub enum ObjectiveSpec {
    /// `h(x) = A x + b`.
    Ellipse {
        /// `A`, row-major.
        #[serde(rename = "A")]
        a: [[f64; 2]; 2],
        /// `b`.
        b: [f64; 2],
    },
    /// `h(x, y) = (c·y + d(x), a·x + b)`, `d(x) = d0 + d1·x + d2·x²`.
    Rosenbrock {
        /// `a ≠ 0`.
        a: f64,
        /// `b`.
        b: f64,
        /// `c ≠ 0`.
        c: f64,
        /// `[d0, d1, d2]`.
        d: [f64; 3],
    },
    /// `f(x) = xᵀ A x`, `A` symmetric positive definite.
    Quadratic {
        /// `A`, row-major.
        #[serde(rename = "A")]
        a: [[f64; 2]; 2],
    },
    /// `h` as two formulas in `x` and `y`, e.g. `["x + 0.5*y^3", "y"]`,
    /// with an optional inverse (formulas in `x`, `y` standing for `u₁`, `u₂`).
    Custom {
        /// `h₀`, `h₁`.
        h: [String; 2],
        /// `h⁻¹`, when known; checked against `h` on sample points.
        h_inv: Option<[String; 2]>,
    },
    /// `f` itself as one formula in `x` and `y` (written as
    /// `{"family": "custom", "f": "..."}`).
    Formula {
        /// `f`.
        f: String,
    },
}

/// [`ObjectiveSpec`] as the JSON has it. A module of its own, so that the
/// mirror can have the same name: serde quotes it in messages ("expected
/// internally tagged enum ObjectiveSpec"), which must read as before.
mod file {
    use serde::{Deserialize, Serialize};

    /// The custom family holds `h` (with an optional `h_inv`) or `f`,
    /// exactly one of the two, which `TryFrom` checks.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "family", rename_all = "snake_case", deny_unknown_fields)]
    pub(super) enum ObjectiveSpec {
        Ellipse {
            #[serde(rename = "A")]
            a: [[f64; 2]; 2],
            b: [f64; 2],
        },
        Rosenbrock {
            a: f64,
            b: f64,
            c: f64,
            d: [f64; 3],
        },
        Quadratic {
            #[serde(rename = "A")]
            a: [[f64; 2]; 2],
        },
        Custom {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            h: Option<[String; 2]>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            h_inv: Option<[String; 2]>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            f: Option<String>,
        },
    }
}

use file::ObjectiveSpec as ObjectiveFile;

/// A custom objective with both or neither of `h` and `f`, or `h_inv`
/// beside `f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustomFieldsError {
    /// Neither `h` nor `f`.
    #[error(
        "missing field `h` or `f`: a custom objective gives `h` (two formulas, with an optional `h_inv`) or `f` (one formula)"
    )]
    Neither,
    /// Both `h` and `f`.
    #[error("give either `h` or `f`, not both: `f` is ‖h‖² when `h` is given")]
    Both,
    /// `h_inv` beside `f`, which has no `h` to invert.
    #[error("`h_inv` is only read with `h`: a typed `f` has no h to invert")]
    InverseWithoutH,
}

impl TryFrom<ObjectiveFile> for ObjectiveSpec {
    type Error = CustomFieldsError;

    fn try_from(file: ObjectiveFile) -> Result<Self, Self::Error> {
        Ok(match file {
            ObjectiveFile::Ellipse { a, b } => Self::Ellipse { a, b },
            ObjectiveFile::Rosenbrock { a, b, c, d } => Self::Rosenbrock { a, b, c, d },
            ObjectiveFile::Quadratic { a } => Self::Quadratic { a },
            ObjectiveFile::Custom { h, h_inv, f } => match (h, f) {
                (Some(h), None) => Self::Custom { h, h_inv },
                (None, Some(f)) if h_inv.is_none() => Self::Formula { f },
                (None, Some(_)) => return Err(CustomFieldsError::InverseWithoutH),
                (Some(_), Some(_)) => return Err(CustomFieldsError::Both),
                (None, None) => return Err(CustomFieldsError::Neither),
            },
        })
    }
}

impl From<ObjectiveSpec> for ObjectiveFile {
    fn from(spec: ObjectiveSpec) -> Self {
        match spec {
            ObjectiveSpec::Ellipse { a, b } => Self::Ellipse { a, b },
            ObjectiveSpec::Rosenbrock { a, b, c, d } => Self::Rosenbrock { a, b, c, d },
            ObjectiveSpec::Quadratic { a } => Self::Quadratic { a },
            ObjectiveSpec::Custom { h, h_inv } => Self::Custom {
                h: Some(h),
                h_inv,
                f: None,
            },
            ObjectiveSpec::Formula { f } => Self::Custom {
                h: None,
                h_inv: None,
                f: Some(f),
            },
        }
    }
}

fn mat(a: [[f64; 2]; 2]) -> Mat2 {
    Mat2::new(a[0][0], a[0][1], a[1][0], a[1][1])
}

fn rows(a: Mat2) -> [[f64; 2]; 2] {
    [[a[(0, 0)], a[(0, 1)]], [a[(1, 0)], a[(1, 1)]]]
}

impl ObjectiveSpec {
    /// Builds the objective, or says why the parameters are invalid.
    pub fn build(&self) -> Result<Objective, crate::objective::ParamError> {
        Ok(match self {
            Self::Ellipse { a, b } => Objective::Ellipse(Ellipse::new(mat(*a), Vec2::from(*b))?),
            Self::Rosenbrock { a, b, c, d } => {
                Objective::Rosenbrock(Rosenbrock::new(*a, *b, *c, *d)?)
            }
            Self::Quadratic { a } => Objective::Quadratic(Quadratic::new(mat(*a))?),
            Self::Custom { h, h_inv } => {
                let h_inv = h_inv.as_ref().map(|v| [v[0].as_str(), v[1].as_str()]);
                let custom = Custom::new([h[0].as_str(), h[1].as_str()], h_inv)?;
                Objective::Custom(std::sync::Arc::new(custom))
            }
            Self::Formula { f } => Objective::Formula(std::sync::Arc::new(TypedF::new(f)?)),
        })
    }

    /// The spec of an objective.
    pub fn of(obj: &Objective) -> Self {
        match obj {
            Objective::Ellipse(e) => Self::Ellipse {
                a: rows(e.a()),
                b: [e.b().x, e.b().y],
            },
            Objective::Rosenbrock(r) => {
                let (a, b, c, d) = r.coefficients();
                Self::Rosenbrock { a, b, c, d }
            }
            Objective::Quadratic(q) => Self::Quadratic { a: rows(q.a()) },
            Objective::Custom(c) => Self::Custom {
                h: c.sources().map(str::to_owned),
                h_inv: c.inverse_sources().map(|s| s.map(str::to_owned)),
            },
            Objective::Formula(t) => Self::Formula {
                f: t.source().to_owned(),
            },
        }
    }
}

/// The strategies' names, for the flat `teleport` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    /// A fixed angle (`theta`).
    Angle,
    /// The global maximizer of `‖∇f‖` on the orbit.
    Oracle,
    /// Gradient ascent on `‖∇f‖²` (`theta0`, `lr`, `iters`).
    Ascent,
}

/// A teleport schedule as written in a scene file: one flat object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeleportSpec {
    /// `angle`, `oracle` or `ascent`.
    pub strategy: StrategyName,
    /// `angle`: the angle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// `ascent`: the start angle (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta0: Option<f64>,
    /// `ascent`: the step size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// `ascent`: the number of steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iters: Option<usize>,
    /// The steps at which to teleport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Vec<usize>>,
    /// Teleport every `every` steps instead of at listed steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<usize>,
}

impl TeleportSpec {
    /// Checks the fields and builds the schedule; errors name the field.
    pub fn build(&self) -> Result<TeleportSchedule, SceneError> {
        let bad = |field: &str, msg: String| SceneError::Invalid {
            field: format!("teleport.{field}"),
            message: msg,
        };
        let finite = |field: &str, v: Option<f64>, default: Option<f64>| match v.or(default) {
            Some(v) if v.is_finite() => Ok(v),
            Some(v) => Err(bad(field, format!("must be a finite number, got {v}"))),
            None => Err(bad(field, "is required for this strategy".to_owned())),
        };
        let unused = |field: &str, present: bool| {
            if present {
                Err(bad(
                    field,
                    format!("is not used by strategy `{:?}`", self.strategy).to_lowercase(),
                ))
            } else {
                Ok(())
            }
        };
        let strategy = match self.strategy {
            StrategyName::Angle => {
                unused("theta0", self.theta0.is_some())?;
                unused("lr", self.lr.is_some())?;
                unused("iters", self.iters.is_some())?;
                Strategy::Angle {
                    theta: finite("theta", self.theta, None)?,
                }
            }
            StrategyName::Oracle => {
                unused("theta", self.theta.is_some())?;
                unused("theta0", self.theta0.is_some())?;
                unused("lr", self.lr.is_some())?;
                unused("iters", self.iters.is_some())?;
                Strategy::Oracle
            }
            StrategyName::Ascent => {
                unused("theta", self.theta.is_some())?;
                let lr = finite("lr", self.lr, None)?;
                if lr.abs() > 1e6 {
                    return Err(bad("lr", format!("must be at most 1e6 in size, got {lr}")));
                }
                let iters = self
                    .iters
                    .ok_or_else(|| bad("iters", "is required for strategy `ascent`".to_owned()))?;
                if iters > ASCENT_ITERS_MAX {
                    return Err(bad(
                        "iters",
                        format!("must be at most {ASCENT_ITERS_MAX}, got {iters}"),
                    ));
                }
                Strategy::Ascent {
                    theta0: finite("theta0", self.theta0, Some(0.0))?,
                    lr,
                    iters,
                }
            }
        };
        let when = when_of(self.at.as_ref(), self.every)?;
        Ok(TeleportSchedule { strategy, when })
    }
}

/// The schedule of a flat `teleport` object's `at` or `every` (one of
/// them); the error names the field as `teleport.at` or `teleport.every`.
pub(crate) fn when_of(at: Option<&Vec<usize>>, every: Option<usize>) -> Result<When, SceneError> {
    let bad = |field: &str, message: &str| SceneError::Invalid {
        field: format!("teleport.{field}"),
        message: message.to_owned(),
    };
    match (at, every) {
        (Some(_), Some(_)) => Err(bad("every", "give either `at` or `every`, not both")),
        (Some(at), None) if at.len() > TELEPORT_STEPS_MAX => Err(bad(
            "at",
            &format!("lists more than {TELEPORT_STEPS_MAX} steps"),
        )),
        (Some(at), None) => Ok(When::At(at.clone())),
        (None, Some(0)) => Err(bad("every", "must be at least 1")),
        (None, Some(k)) => Ok(When::Every(k)),
        (None, None) => Err(bad(
            "at",
            "is required: list the steps at which to teleport (or give `every`)",
        )),
    }
}

/// A scene file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// The optimizee.
    pub objective: ObjectiveSpec,
    /// The start point.
    pub x0: [f64; 2],
    /// The number of optimizer steps.
    pub steps: usize,
    /// The optimizer.
    pub optimizer: OptimizerSpec,
    /// An optional teleport schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teleport: Option<TeleportSpec>,
}

/// What is wrong with a scene.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// The file could not be read, is not a regular file (a FIFO, a device,
    /// a folder), is not UTF-8, or grew past the limit while being read.
    #[error("cannot read scene file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: super::ReadError,
    },
    /// The file is too large to be a scene.
    #[error("scene file is {bytes} bytes; a scene is at most {MAX_SCENE_BYTES} bytes")]
    TooLarge {
        /// The file's size.
        bytes: u64,
    },
    /// The text is not a scene: bad JSON, a missing or unknown field, a wrong type.
    #[error("invalid scene at `{path}`: {message}")]
    Parse {
        /// Where in the document, e.g. `optimizer.lr`.
        path: String,
        /// What serde said.
        message: String,
    },
    /// A field has a value the model rejects.
    #[error("invalid scene field `{field}`: {message}")]
    Invalid {
        /// The field, e.g. `objective.A`.
        field: String,
        /// Why.
        message: String,
    },
}

/// The longest document path quoted in an error (deeply nested input makes
/// paths of hundreds of `[0]`s).
const MAX_PATH_CHARS: usize = 80;

/// The longest message quoted from a file in an error.
pub const MAX_MESSAGE_CHARS: usize = 400;

/// `text` fit for a one-line error: control characters (a newline in a JSON
/// key, say) escaped, and cut to `max_chars` characters of the result (an
/// escape such as `\u{7f}` is six).
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        let piece: String = if c.is_control() {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        let n = piece.chars().count();
        if len + n > max_chars {
            out.push('…');
            break;
        }
        out.push_str(&piece);
        len += n;
    }
    out
}

/// The path as shown in errors: `(document)` for the root, cut to
/// [`MAX_PATH_CHARS`] characters.
fn short_path(path: &str) -> String {
    // serde_path_to_error writes `?` for a key it never finished reading.
    if path == "." || path == "?" {
        return "(document)".to_owned();
    }
    one_line(path, MAX_PATH_CHARS)
}

/// serde_json's message; where it could not read a value, also the word it
/// found there, and a hint when that is a number JSON cannot express
/// (`NaN`, `Infinity`).
fn explain_json_error(text: &str, e: &serde_json::Error) -> String {
    let message = e.to_string();
    if !(message.starts_with("expected value") || message.starts_with("invalid number")) {
        return message;
    }
    // serde_json's column is 1-based and points at (or just past) the
    // offending byte: take the word around it.
    let word = |line: &str| -> Option<String> {
        let at = e.column().saturating_sub(1).min(line.len());
        let is_word = |c: char| c.is_ascii_alphanumeric() || "+-._".contains(c);
        let start = line
            .get(..at)?
            .rfind(|c: char| !is_word(c))
            .map_or(0, |i| i + 1);
        let rest = line.get(start..)?;
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        Some(rest[..end].chars().take(40).collect())
    };
    let token = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .and_then(word)
        .unwrap_or_default();
    let bare = token.trim_start_matches(['-', '+']).to_ascii_lowercase();
    if bare.starts_with("nan") || bare.starts_with("inf") {
        format!(
            "{message}: found `{token}`, but JSON has no NaN or Infinity (numbers must be finite)"
        )
    } else if !token.is_empty() {
        format!("{message}: found `{token}` (a scene is JSON)")
    } else {
        message
    }
}

/// A validated scene, ready to run.
#[derive(Clone, Debug)]
pub struct LoadedScene {
    /// The file's contents.
    pub scene: Scene,
    /// The built objective.
    pub objective: Objective,
    /// The built teleport schedule.
    pub teleport: Option<TeleportSchedule>,
}

impl Scene {
    /// Parses and validates scene JSON.
    pub fn from_json(text: &str) -> Result<LoadedScene, SceneError> {
        if text.len() > MAX_SCENE_BYTES {
            return Err(SceneError::TooLarge {
                bytes: text.len() as u64,
            });
        }
        // Windows editors may save UTF-8 with a byte-order mark; JSON
        // parsers reject it, people should not have to.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let document = |message: String| SceneError::Parse {
            path: "(document)".to_owned(),
            message,
        };
        // serde would read a struct from an array too, positionally; a scene
        // is an object, and saying so beats "expected variant identifier".
        if text.trim_start().starts_with('[') {
            return Err(document(
                "a scene is a JSON object `{...}`, not an array".to_owned(),
            ));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let scene: Scene = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            // Gradient noise belongs to a lab file's rows: say so rather
            // than list the fields a scene has.
            if e.inner().to_string().starts_with("unknown field `noise`") {
                return SceneError::Invalid {
                    field: "noise".to_owned(),
                    message: "a version-1 scene takes no gradient noise: write a lab file \
                              (\"version\": 2) whose row has `noise`, e.g. {\"kind\": \"gd\", \
                              \"lr\": 0.05, \"noise\": {\"sigma\": 0.1, \"seed\": 0}}"
                        .to_owned(),
                };
            }
            let path = short_path(&e.path().to_string());
            let message = one_line(&explain_json_error(text, e.inner()), MAX_MESSAGE_CHARS);
            SceneError::Parse { path, message }
        })?;
        // Text after the object (a second object, a stray brace) is an error,
        // not something to ignore.
        de.end().map_err(|e| document(e.to_string()))?;
        scene.validate()
    }

    /// Reads and validates a scene file: a regular file (not a FIFO, a
    /// device or a folder) of at most [`MAX_SCENE_BYTES`] bytes of UTF-8.
    pub fn load(path: &std::path::Path) -> Result<LoadedScene, SceneError> {
        use super::ReadError;
        let read_err = |source| SceneError::Read {
            path: path.display().to_string(),
            source,
        };
        let bytes = match super::read_capped(path, MAX_SCENE_BYTES as u64) {
            Ok(bytes) => bytes,
            Err(ReadError::TooLarge { limit, reported }) if reported > limit => {
                return Err(SceneError::TooLarge { bytes: reported });
            }
            Err(e) => return Err(read_err(e)),
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            read_err(ReadError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )))
        })?;
        Self::from_json(&text)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(self) -> Result<LoadedScene, SceneError> {
        let invalid = |field: &str, message: String| SceneError::Invalid {
            field: field.to_owned(),
            message,
        };
        let objective = self.objective.build().map_err(|e| {
            let field = match &e {
                crate::objective::ParamError::NonFinite { name } => format!("objective.{name}"),
                crate::objective::ParamError::Singular { .. }
                | crate::objective::ParamError::NotSpd { .. } => "objective.A".to_owned(),
                crate::objective::ParamError::ZeroCoefficient { name } => {
                    format!("objective.{name}")
                }
                crate::objective::ParamError::Custom(e) => format!("objective.{}", e.field()),
            };
            let message = match e {
                // The singularity test compares det A with the entries
                // squared; with huge entries either overflows, and "singular"
                // alone would be a puzzling verdict on diag(1e308, 1e308).
                crate::objective::ParamError::Singular { det } if !det.is_finite() => format!(
                    "the entries of A are too large: det A overflows to {det}; \
                     h(x) = A x + b must be invertible in floating point"
                ),
                crate::objective::ParamError::Singular { det } if det != 0.0 => format!(
                    "matrix A is numerically singular: det A = {} is negligible next to \
                     its largest entry squared; h(x) = A x + b must be invertible",
                    crate::numfmt::short(det)
                ),
                e => e.to_string(),
            };
            invalid(&field, message)
        })?;
        // Finite entries can still overflow while the objective is built (a
        // quadratic's A is symmetrized as (A + Aᵀ)/2): refuse a model that
        // holds infinities rather than run one.
        let (field, built) = match ObjectiveSpec::of(&objective) {
            ObjectiveSpec::Ellipse { a, b } => ("objective", [a[0], a[1], b].concat()),
            ObjectiveSpec::Quadratic { a } => ("objective.A", [a[0], a[1]].concat()),
            ObjectiveSpec::Rosenbrock { a, b, c, d } => ("objective", [[a, b, c], d].concat()),
            ObjectiveSpec::Custom { .. } | ObjectiveSpec::Formula { .. } => {
                ("objective", Vec::new())
            }
        };
        if !built.iter().all(|v| v.is_finite()) {
            return Err(invalid(
                field,
                "the entries are too large: they overflow to infinity inside the objective"
                    .to_owned(),
            ));
        }
        if !self.x0.iter().all(|v| v.is_finite()) {
            return Err(invalid("x0", format!("must be finite, got {:?}", self.x0)));
        }
        if let Objective::Custom(_) = &objective {
            check_custom_orbit(&objective, Vec2::from(self.x0))
                .map_err(|message| invalid("objective.h", message))?;
        }
        if let Objective::Formula(t) = &objective {
            check_formula_at(t, Vec2::from(self.x0))
                .map_err(|message| invalid("objective.f", message))?;
        }
        if self.steps > EVAL_STEPS_MAX {
            return Err(invalid(
                "steps",
                format!("must be at most {EVAL_STEPS_MAX}, got {}", self.steps),
            ));
        }
        self.optimizer
            .check()
            .map_err(|e| invalid("optimizer", e.to_string()))?;
        let teleport = self
            .teleport
            .as_ref()
            .map(TeleportSpec::build)
            .transpose()?;
        if teleport.is_some() && matches!(self.optimizer, OptimizerSpec::Alg2 { .. }) {
            return Err(invalid(
                "teleport",
                "Algorithm 2 teleports by its own learned θ; remove `teleport`".to_owned(),
            ));
        }
        Ok(LoadedScene {
            scene: self,
            objective,
            teleport,
        })
    }
}

/// The points [`check_custom_orbit`] follows around the orbit.
pub const ORBIT_CHECK_POINTS: usize = 128;

/// A custom `h` must be finite at `x0` and its orbit through `x0` must be
/// followable (no fold, Newton converging, back to `x0` after a full turn):
/// otherwise `f`'s level set there is not an orbit of the teleport, and
/// every teleport would fail. Returns the message of what is wrong.
pub fn check_custom_orbit(obj: &Objective, x0: Vec2) -> Result<(), String> {
    let u = obj.h(&x0);
    if !u.iter().all(|v| v.is_finite()) {
        return Err(format!(
            "h is not finite at x0 = ({}, {}): h(x0) = ({}, {})",
            x0.x, x0.y, u.x, u.y
        ));
    }
    crate::symmetry::try_orbit(obj, &x0, ORBIT_CHECK_POINTS)
        .map(|_| ())
        .map_err(|e| format!("the level set through x0 is not an orbit of the teleport: {e}"))
}

/// A typed `f` must be finite at `x0`, with a finite gradient: every run
/// starts there. Its level curve through `x0` need not close (a run that
/// never teleports does not follow it; one that does stops with the
/// teleport's error where it cannot). Returns the message of what is wrong.
pub fn check_formula_at(f: &TypedF, x0: Vec2) -> Result<(), String> {
    let (v, g) = f.f_grad(&x0);
    if v.is_finite() && g.iter().all(|c| c.is_finite()) {
        Ok(())
    } else {
        Err(format!(
            "f or ∇f is not finite at x0 = ({}, {}): f(x0) = {}, ∇f(x0) = ({}, {})",
            x0.x, x0.y, v, g.x, g.y
        ))
    }
}

impl LoadedScene {
    /// Runs the scene.
    pub fn run(&self) -> Trajectory {
        run(
            &self.objective,
            Vec2::from(self.scene.x0),
            self.scene.steps,
            self.scene.optimizer,
            self.teleport.as_ref(),
        )
    }
}

/// A trajectory as JSON: `{"trajectory": [...], "stop": ...}`.
pub fn trajectory_json(traj: &Trajectory) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        trajectory: &'a [crate::optim::Record],
        #[serde(skip_serializing_if = "Option::is_none")]
        stop: Option<&'a crate::optim::Stop>,
    }
    let out = Out {
        trajectory: &traj.records,
        stop: traj.stop.as_ref(),
    };
    // Records hold only finite numbers, strings and booleans.
    serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A trajectory as CSV with columns `t,x0,x1,f,grad0,grad1,teleported,theta`.
pub fn trajectory_csv(traj: &Trajectory) -> String {
    let mut out = String::from("t,x0,x1,f,grad0,grad1,teleported,theta\n");
    for r in &traj.records {
        let theta = r.theta.map(|t| t.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.t, r.x[0], r.x[1], r.f, r.grad[0], r.grad[1], r.teleported, theta
        ));
    }
    out
}
