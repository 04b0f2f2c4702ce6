//! 2D binary classification data: five seeded generators and a reader for
//! a user's CSV file.
//!
//! Every generator draws `points` points, half of class 0 and half of
//! class 1 (class 0 gets the odd one out), moves each coordinate by an
//! independent `N(0, noise²)` draw, and shuffles the points, all from one
//! [`crate::rng`] seeded with `seed`: the same spec gives the same numbers.
//!
//! | kind        | class 0                              | class 1                                  | default noise |
//! |-------------|--------------------------------------|------------------------------------------|---------------|
//! | `moons`     | upper half of the unit circle        | lower half circle of radius 1 about (1, 0.5) | 0.1       |
//! | `circles`   | circle of radius 1                   | circle of radius 0.5 (same centre)       | 0.05          |
//! | `spirals`   | arm r = u, φ = 3πu, u ∈ (0, 1)       | the same arm turned by π                 | 0.05          |
//! | `xor`       | uniform in quadrants I and III       | uniform in quadrants II and IV           | 0.1           |
//! | `gaussians` | centred at (−1, 0)                   | centred at (1, 0)                        | 0.5           |
//!
//! On the curves (moons, circles, spirals) the points are evenly spaced
//! along the curve (as scikit-learn's `make_moons` and `make_circles`
//! space them) and `noise` blurs them off it; `xor` draws each point
//! uniformly in `(0, 1)²` of its quadrant; for `gaussians`, `noise` is the
//! blobs' standard deviation (at 0 every point of a class is its centre).
//!
//! A CSV file holds one point a line, `x1,x2,label`, the label 0 or 1, with
//! an optional header line (a first line whose first field is not a
//! number). It is read through [`crate::io::read_capped`], so a folder or
//! a FIFO is refused without being opened and a file over
//! [`MAX_CSV_BYTES`] without being read.

use std::path::Path;

use rand::RngExt as _;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::io::ReadError;

/// The most points a dataset may hold, generated or read.
pub const MAX_POINTS: usize = 100_000;
/// The fewest points a generated dataset may hold: one of each class.
pub const MIN_POINTS: usize = 2;
/// The largest `noise` a generator takes (the data span about 2 units).
pub const MAX_NOISE: f64 = 10.0;
/// The largest CSV file read: [`MAX_POINTS`] rows of three numbers written
/// in full (`-0.12345678901234567,…` is about 45 bytes) with room to spare.
pub const MAX_CSV_BYTES: u64 = 16 << 20;
/// The points a generated dataset has when its spec does not say.
pub const DEFAULT_POINTS: usize = 200;

/// A 2D binary classification dataset: points `x` and labels `y ∈ {0, 1}`,
/// both classes present. Stored by column so that a network's layers run
/// over contiguous points.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    x1: Vec<f64>,
    x2: Vec<f64>,
    y: Vec<u8>,
}

impl Dataset {
    /// A dataset from points and labels; refused unless both are as long,
    /// hold 1 to [`MAX_POINTS`] entries, every coordinate is finite, every
    /// label is 0 or 1 and both classes occur. The error names the first
    /// offending point (0-based).
    pub fn new(x: &[[f64; 2]], y: &[u8]) -> Result<Self, DataError> {
        if x.len() != y.len() {
            return Err(DataError::Lengths {
                points: x.len(),
                labels: y.len(),
            });
        }
        for (i, (p, &label)) in x.iter().zip(y).enumerate() {
            if let Some(c) = p.iter().position(|v| !v.is_finite()) {
                return Err(DataError::PointNotFinite {
                    index: i,
                    column: COLUMNS[c],
                    value: p[c],
                });
            }
            if label > 1 {
                return Err(DataError::PointLabel { index: i, label });
            }
        }
        Self::from_columns(
            x.iter().map(|p| p[0]).collect(),
            x.iter().map(|p| p[1]).collect(),
            y.to_vec(),
        )
    }

    /// Checks the count and the classes of finite, 0/1 columns.
    fn from_columns(x1: Vec<f64>, x2: Vec<f64>, y: Vec<u8>) -> Result<Self, DataError> {
        if y.is_empty() {
            return Err(DataError::Empty);
        }
        if y.len() > MAX_POINTS {
            return Err(DataError::TooManyPoints { count: y.len() });
        }
        let ones = y.iter().filter(|&&l| l == 1).count();
        if ones == 0 || ones == y.len() {
            return Err(DataError::OneClass {
                label: u8::from(ones > 0),
                count: y.len(),
            });
        }
        Ok(Self { x1, x2, y })
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Always `false`: a dataset holds both classes.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The first coordinates, one per point.
    pub fn x1(&self) -> &[f64] {
        &self.x1
    }

    /// The second coordinates, one per point.
    pub fn x2(&self) -> &[f64] {
        &self.x2
    }

    /// The labels, 0 or 1, one per point.
    pub fn labels(&self) -> &[u8] {
        &self.y
    }

    /// Point `i` as `[x1, x2]`.
    pub fn point(&self, i: usize) -> [f64; 2] {
        [self.x1[i], self.x2[i]]
    }

    /// Every point as `[x1, x2]`, in order.
    pub fn points(&self) -> Vec<[f64; 2]> {
        self.x1
            .iter()
            .zip(&self.x2)
            .map(|(&a, &b)| [a, b])
            .collect()
    }

    /// How many points are of class 1.
    pub fn ones(&self) -> usize {
        self.y.iter().filter(|&&l| l == 1).count()
    }

    /// The smallest box `(min, max)` holding every point.
    pub fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        let fold = |v: &[f64]| {
            v.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                })
        };
        let ((x0, x1), (y0, y1)) = (fold(&self.x1), fold(&self.x2));
        ([x0, y0], [x1, y1])
    }
}

/// The columns of a CSV file, by position.
const COLUMNS: [&str; 3] = ["x1", "x2", "label"];

/// The generated datasets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generator {
    /// Two interleaved half circles.
    Moons,
    /// Two concentric circles.
    Circles,
    /// Two interleaved spiral arms.
    Spirals,
    /// The XOR of the coordinates' signs.
    Xor,
    /// Two Gaussian blobs.
    Gaussians,
}

impl Generator {
    /// Every generator, in menu order.
    pub const ALL: [Self; 5] = [
        Self::Moons,
        Self::Circles,
        Self::Spirals,
        Self::Xor,
        Self::Gaussians,
    ];

    /// The name in files and menus.
    pub fn name(self) -> &'static str {
        match self {
            Self::Moons => "moons",
            Self::Circles => "circles",
            Self::Spirals => "spirals",
            Self::Xor => "xor",
            Self::Gaussians => "gaussians",
        }
    }

    /// The noise a spec that does not give one gets.
    pub fn default_noise(self) -> f64 {
        match self {
            Self::Moons | Self::Xor => 0.1,
            Self::Circles | Self::Spirals => 0.05,
            Self::Gaussians => 0.5,
        }
    }

    /// `points` points (class 0 first, then class 1, then shuffled) with
    /// `noise`, from `seed`; the error names a count or noise out of range.
    pub fn generate(self, points: usize, noise: f64, seed: u64) -> Result<Dataset, DataError> {
        if !(MIN_POINTS..=MAX_POINTS).contains(&points) {
            return Err(DataError::Points { points });
        }
        if !(noise.is_finite() && (0.0..=MAX_NOISE).contains(&noise)) {
            return Err(DataError::Noise { noise });
        }
        let mut rng = crate::rng(seed);
        let n1 = points / 2;
        let n0 = points - n1;
        let (mut x1, mut x2, mut y) = (
            Vec::with_capacity(points),
            Vec::with_capacity(points),
            Vec::with_capacity(points),
        );
        for (label, count) in [(0u8, n0), (1u8, n1)] {
            for i in 0..count {
                let [a, b] = self.clean_point(label, i, count, &mut rng);
                x1.push(a);
                x2.push(b);
                y.push(label);
            }
        }
        for v in x1.iter_mut().chain(x2.iter_mut()) {
            let z: f64 = rng.sample(StandardNormal);
            *v += noise * z;
        }
        // Fisher–Yates, written out so that the order depends only on the
        // generator's draws.
        for i in (1..points).rev() {
            let j = rng.random_range(0..=i);
            x1.swap(i, j);
            x2.swap(i, j);
            y.swap(i, j);
        }
        Dataset::from_columns(x1, x2, y)
    }

    /// Point `i` of the `count` of class `label`, before noise.
    fn clean_point(self, label: u8, i: usize, count: usize, rng: &mut crate::Rng) -> [f64; 2] {
        use std::f64::consts::PI;
        let class = f64::from(label);
        // Evenly spaced along [0, 1], both ends included (one point sits at 0).
        let along = if count > 1 {
            i as f64 / (count - 1) as f64
        } else {
            0.0
        };
        match self {
            Self::Moons => {
                let t = PI * along;
                if label == 0 {
                    [t.cos(), t.sin()]
                } else {
                    [1.0 - t.cos(), 0.5 - t.sin()]
                }
            }
            Self::Circles => {
                // [0, 2π) without its end: the circle's start is drawn once.
                let t = 2.0 * PI * i as f64 / count as f64;
                let r = 1.0 - 0.5 * class;
                [r * t.cos(), r * t.sin()]
            }
            Self::Spirals => {
                // The middles of `count` equal pieces of (0, 1): no point
                // at the centre, where the arms meet.
                let u = (i as f64 + 0.5) / count as f64;
                let phi = 3.0 * PI * u + PI * class;
                [u * phi.cos(), u * phi.sin()]
            }
            Self::Xor => {
                let (a, b): (f64, f64) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
                // Class 0: same signs (I, III); class 1: opposite (II, IV),
                // alternating between the two quadrants.
                match (label, i % 2) {
                    (0, 0) => [a, b],
                    (0, _) => [-a, -b],
                    (_, 0) => [-a, b],
                    _ => [a, -b],
                }
            }
            Self::Gaussians => [2.0 * class - 1.0, 0.0],
        }
    }
}

impl std::fmt::Display for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

from_str_by_name!(Generator, "dataset");

/// A generated dataset as written in a file: `{"kind": "moons", "points":
/// 200, "noise": 0.1, "seed": 3}` (every field but `kind` optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedSpec {
    /// How many points ([`DEFAULT_POINTS`] when absent).
    #[serde(default = "default_points")]
    pub points: usize,
    /// The noise ([`Generator::default_noise`] when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// The seed of the draws (0 when absent).
    #[serde(default)]
    pub seed: u64,
}

fn default_points() -> usize {
    DEFAULT_POINTS
}

/// A CSV dataset as written in a file: `{"kind": "csv", "path": "data.csv"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSpec {
    /// The file; a relative path is relative to the file that names it.
    pub path: String,
}

/// A dataset as written in a file: a generator with its settings, or a
/// CSV file. In JSON the kind is a tag beside the settings, `{"kind":
/// "moons", "points": 200, "noise": 0.1, "seed": 3}` or `{"kind": "csv",
/// "path": "data.csv"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "DatasetFile", into = "DatasetFile")]
pub enum DatasetSpec {
    /// A generated dataset.
    Generated {
        /// Which generator.
        kind: Generator,
        /// Its settings.
        settings: GeneratedSpec,
    },
    /// A user's CSV file.
    Csv(CsvSpec),
}

/// [`DatasetSpec`] as JSON spells it: the kind as a tag.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DatasetFile {
    Moons(GeneratedSpec),
    Circles(GeneratedSpec),
    Spirals(GeneratedSpec),
    Xor(GeneratedSpec),
    Gaussians(GeneratedSpec),
    Csv(CsvSpec),
}

impl From<DatasetFile> for DatasetSpec {
    fn from(file: DatasetFile) -> Self {
        let generated = |kind, settings| Self::Generated { kind, settings };
        match file {
            DatasetFile::Moons(s) => generated(Generator::Moons, s),
            DatasetFile::Circles(s) => generated(Generator::Circles, s),
            DatasetFile::Spirals(s) => generated(Generator::Spirals, s),
            DatasetFile::Xor(s) => generated(Generator::Xor, s),
            DatasetFile::Gaussians(s) => generated(Generator::Gaussians, s),
            DatasetFile::Csv(c) => Self::Csv(c),
        }
    }
}

impl From<DatasetSpec> for DatasetFile {
    fn from(spec: DatasetSpec) -> Self {
        match spec {
            DatasetSpec::Generated { kind, settings } => match kind {
                Generator::Moons => Self::Moons(settings),
                Generator::Circles => Self::Circles(settings),
                Generator::Spirals => Self::Spirals(settings),
                Generator::Xor => Self::Xor(settings),
                Generator::Gaussians => Self::Gaussians(settings),
            },
            DatasetSpec::Csv(c) => Self::Csv(c),
        }
    }
}

impl DatasetSpec {
    /// A generated dataset's spec.
    pub fn generated(kind: Generator, points: usize, noise: f64, seed: u64) -> Self {
        Self::Generated {
            kind,
            settings: GeneratedSpec {
                points,
                noise: Some(noise),
                seed,
            },
        }
    }

    /// Where a CSV dataset is: its path, joined to `base` when relative.
    pub fn csv_path(&self, base: Option<&Path>) -> Option<std::path::PathBuf> {
        match self {
            Self::Csv(CsvSpec { path }) => Some(resolve(path, base)),
            Self::Generated { .. } => None,
        }
    }

    /// The dataset: generated, or read from its CSV file (a relative path
    /// joined to `base`).
    pub fn build(&self, base: Option<&Path>) -> Result<Dataset, DataError> {
        match self {
            Self::Generated { kind, settings } => kind.generate(
                settings.points,
                settings.noise.unwrap_or(kind.default_noise()),
                settings.seed,
            ),
            Self::Csv(CsvSpec { path }) => read_csv(&resolve(path, base)),
        }
    }
}

/// `path`, joined to `base` when relative.
fn resolve(path: &str, base: Option<&Path>) -> std::path::PathBuf {
    match base {
        Some(dir) if Path::new(path).is_relative() => dir.join(path),
        _ => Path::new(path).to_path_buf(),
    }
}

/// Why a dataset was refused. Each message is one line; those about a CSV
/// file name its line (1-based) and column.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A generated dataset's point count is out of range.
    #[error("`points` must be {MIN_POINTS} to {MAX_POINTS}, got {points}")]
    Points {
        /// The count given.
        points: usize,
    },
    /// A generated dataset's noise is negative, too large or not finite.
    #[error("`noise` must be a number from 0 to {MAX_NOISE}, got {noise}")]
    Noise {
        /// The noise given.
        noise: f64,
    },
    /// The file could not be read: missing, unreadable, not a regular file
    /// (a folder, a FIFO), over [`MAX_CSV_BYTES`], or not UTF-8.
    #[error("cannot read dataset file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: ReadError,
    },
    /// A line does not have three fields.
    #[error("line {line}: expected 3 columns x1,x2,label, found {found}")]
    Columns {
        /// The line (1-based).
        line: usize,
        /// How many fields it has.
        found: usize,
    },
    /// A field is not a number.
    #[error("line {line}, column {column}: `{text}` is not a number")]
    NotANumber {
        /// The line (1-based).
        line: usize,
        /// `x1`, `x2` or `label`.
        column: &'static str,
        /// The field, cut to 40 characters.
        text: String,
    },
    /// A coordinate is NaN or infinite.
    #[error("line {line}, column {column}: `{text}` is not finite")]
    NotFinite {
        /// The line (1-based).
        line: usize,
        /// `x1` or `x2`.
        column: &'static str,
        /// The field, cut to 40 characters.
        text: String,
    },
    /// A label other than 0 or 1.
    #[error("line {line}, column label: the label must be 0 or 1, got `{text}`")]
    Label {
        /// The line (1-based).
        line: usize,
        /// The field, cut to 40 characters.
        text: String,
    },
    /// More rows than [`MAX_POINTS`] (reading stopped at the first extra).
    #[error("line {line}: more than {MAX_POINTS} points; a dataset holds at most {MAX_POINTS}")]
    TooManyRows {
        /// The line of the first extra row.
        line: usize,
    },
    /// No points at all (an empty file, or a header alone).
    #[error("the dataset has no points (expected lines x1,x2,label)")]
    Empty,
    /// More points than [`MAX_POINTS`].
    #[error("the dataset has {count} points; at most {MAX_POINTS} are allowed")]
    TooManyPoints {
        /// How many.
        count: usize,
    },
    /// Every point is of the same class.
    #[error("all {count} points are of class {label}; a classifier needs both classes 0 and 1")]
    OneClass {
        /// The only label present.
        label: u8,
        /// How many points.
        count: usize,
    },
    /// Points and labels of different lengths.
    #[error("{points} points but {labels} labels")]
    Lengths {
        /// Points given.
        points: usize,
        /// Labels given.
        labels: usize,
    },
    /// A point with a coordinate that is NaN or infinite.
    #[error("point {index}, column {column}: {value} is not finite")]
    PointNotFinite {
        /// The point (0-based).
        index: usize,
        /// `x1` or `x2`.
        column: &'static str,
        /// The value.
        value: f64,
    },
    /// A label other than 0 or 1.
    #[error("point {index}: the label must be 0 or 1, got {label}")]
    PointLabel {
        /// The point (0-based).
        index: usize,
        /// The label.
        label: u8,
    },
}

/// A field as quoted in an error: escaped to one line, at most 40 characters.
fn quoted(text: &str) -> String {
    crate::io::scene::one_line(text, 40)
}

/// Reads a CSV dataset: lines `x1,x2,label` (label 0 or 1), an optional
/// header line, blank lines ignored, fields trimmed and optionally in
/// double quotes, `\r\n` line ends and a UTF-8 byte-order mark accepted.
pub fn read_csv(path: &Path) -> Result<Dataset, DataError> {
    let read_err = |source| DataError::Read {
        path: path.display().to_string(),
        source,
    };
    let bytes = crate::io::read_capped(path, MAX_CSV_BYTES).map_err(read_err)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        read_err(ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )))
    })?;
    parse_csv(&text)
}

/// Parses CSV text as [`read_csv`] reads a file.
pub fn parse_csv(text: &str) -> Result<Dataset, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut x1, mut x2, mut y) = (Vec::new(), Vec::new(), Vec::new());
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw
            .split(',')
            .map(|f| {
                let f = f.trim();
                f.strip_prefix('"')
                    .and_then(|f| f.strip_suffix('"'))
                    .unwrap_or(f)
                    .trim()
            })
            .collect();
        // A header is a first line whose first field is not a number.
        let is_header = first && fields.first().is_some_and(|f| f.parse::<f64>().is_err());
        first = false;
        if is_header {
            continue;
        }
        if fields.len() != 3 {
            return Err(DataError::Columns {
                line,
                found: fields.len(),
            });
        }
        if y.len() == MAX_POINTS {
            return Err(DataError::TooManyRows { line });
        }
        let mut values = [0.0; 2];
        for (c, value) in values.iter_mut().enumerate() {
            let v = fields[c]
                .parse::<f64>()
                .map_err(|_| DataError::NotANumber {
                    line,
                    column: COLUMNS[c],
                    text: quoted(fields[c]),
                })?;
            if !v.is_finite() {
                return Err(DataError::NotFinite {
                    line,
                    column: COLUMNS[c],
                    text: quoted(fields[c]),
                });
            }
            *value = v;
        }
        let label = match fields[2].parse::<f64>() {
            Ok(0.0) => 0,
            Ok(1.0) => 1,
            _ => {
                return Err(DataError::Label {
                    line,
                    text: quoted(fields[2]),
                });
            }
        };
        x1.push(values[0]);
        x2.push(values[1]);
        y.push(label);
    }
    Dataset::from_columns(x1, x2, y)
}

/// The dataset as CSV with a header, `x1,x2,label`, one point a line (the
/// numbers written so that [`parse_csv`] reads them back exactly).
pub fn to_csv(data: &Dataset) -> String {
    let mut out = String::from("x1,x2,label\n");
    for i in 0..data.len() {
        out.push_str(&format!("{},{},{}\n", data.x1[i], data.x2[i], data.y[i]));
    }
    out
}
