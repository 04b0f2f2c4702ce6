//! Datasets: the generators' determinism, sizes, balance, labels and
//! geometry, and a user's CSV file, hostile ones included (each refused
//! with one line naming its line and column, never read past the cap).
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

mod common;

use std::path::Path;

use teleport_core::io::ReadError;
use teleport_core::net::data::{
    DataError, Dataset, DatasetSpec, Generator, MAX_CSV_BYTES, MAX_NOISE, MAX_POINTS, parse_csv,
    read_csv, to_csv,
};

use common::files::temp_fifo;
use common::temp_dir;

#[test]
fn generators_are_deterministic_by_seed_sized_balanced_and_labelled_0_or_1() {
    for kind in Generator::ALL {
        for points in [2, 3, 200, 1001] {
            let a = kind.generate(points, 0.1, 7).unwrap();
            let b = kind.generate(points, 0.1, 7).unwrap();
            assert_eq!(a, b, "{kind} is not deterministic");
            assert_eq!(a.len(), points);
            // Half of each class; class 0 takes the odd one.
            assert_eq!(a.ones(), points / 2, "{kind} {points}");
            assert!(a.labels().iter().all(|&l| l <= 1));
            assert!(a.x1().iter().chain(a.x2()).all(|v| v.is_finite()));
        }
        let (a, c) = (
            kind.generate(200, 0.1, 7).unwrap(),
            kind.generate(200, 0.1, 8).unwrap(),
        );
        assert_ne!(a, c, "{kind}: another seed, the same points");
        // The classes are shuffled: not all of class 0 first.
        assert!(a.labels()[..100].contains(&1), "{kind} is not shuffled");
    }
}

/// The points of class `label`.
fn class(data: &Dataset, label: u8) -> Vec<[f64; 2]> {
    (0..data.len())
        .filter(|&i| data.labels()[i] == label)
        .map(|i| data.point(i))
        .collect()
}

#[test]
fn without_noise_the_points_lie_on_each_generators_curves() {
    let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
    let moons = Generator::Moons.generate(101, 0.0, 1).unwrap();
    for [x, y] in class(&moons, 0) {
        assert!(near(x.hypot(y), 1.0) && y >= -1e-12, "({x}, {y})");
    }
    for [x, y] in class(&moons, 1) {
        assert!(near((x - 1.0).hypot(y - 0.5), 1.0) && y <= 0.5 + 1e-12);
    }
    let circles = Generator::Circles.generate(100, 0.0, 1).unwrap();
    for (label, radius) in [(0, 1.0), (1, 0.5)] {
        for [x, y] in class(&circles, label) {
            assert!(near(x.hypot(y), radius));
        }
    }
    let spirals = Generator::Spirals.generate(100, 0.0, 1).unwrap();
    for label in [0, 1] {
        for [x, y] in class(&spirals, label) {
            // r = u and φ = 3πu + label·π: the angle is fixed by the radius.
            let r = x.hypot(y);
            let phi = 3.0 * std::f64::consts::PI * r + std::f64::consts::PI * f64::from(label);
            assert!(near(x, r * phi.cos()) && near(y, r * phi.sin()));
            assert!(r > 0.0 && r < 1.0);
        }
    }
    let xor = Generator::Xor.generate(200, 0.0, 1).unwrap();
    for i in 0..xor.len() {
        let [x, y] = xor.point(i);
        assert_eq!(xor.labels()[i] == 1, x * y < 0.0, "({x}, {y})");
        assert!(x.abs() < 1.0 && y.abs() < 1.0);
    }
    let blobs = Generator::Gaussians.generate(20_000, 0.5, 1).unwrap();
    for (label, centre) in [(0, -1.0), (1, 1.0)] {
        let pts = class(&blobs, label);
        let n = pts.len() as f64;
        let mean = pts
            .iter()
            .fold([0.0, 0.0], |m, p| [m[0] + p[0] / n, m[1] + p[1] / n]);
        let var = pts.iter().map(|p| (p[0] - mean[0]).powi(2)).sum::<f64>() / n;
        // 10,000 draws: the mean within 4 standard errors (0.02), the
        // standard deviation near 0.5.
        assert!(
            (mean[0] - centre).abs() < 0.02 && mean[1].abs() < 0.02,
            "{mean:?}"
        );
        assert!((var.sqrt() - 0.5).abs() < 0.02, "{}", var.sqrt());
    }
}

#[test]
fn noise_moves_each_coordinate_by_its_standard_deviation() {
    let clean = Generator::Circles.generate(20_000, 0.0, 4).unwrap();
    let noisy = Generator::Circles.generate(20_000, 0.2, 4).unwrap();
    // The same clean points and shuffle under the same seed: the radii
    // spread about 1 and 0.5 by about the noise.
    let spread: f64 = (0..noisy.len())
        .map(|i| {
            let [x, y] = noisy.point(i);
            let r = if noisy.labels()[i] == 0 { 1.0 } else { 0.5 };
            (x.hypot(y) - r).powi(2)
        })
        .sum::<f64>()
        / noisy.len() as f64;
    assert!((spread.sqrt() - 0.2).abs() < 0.02, "{}", spread.sqrt());
    assert_eq!(clean.ones(), noisy.ones());
}

#[test]
fn generator_limits_are_enforced() {
    let e = Generator::Moons
        .generate(MAX_POINTS + 1, 0.1, 0)
        .unwrap_err();
    assert_eq!(e.to_string(), "`points` must be 2 to 100000, got 100001");
    assert!(Generator::Moons.generate(MAX_POINTS, 0.1, 0).is_ok());
    assert!(matches!(
        Generator::Xor.generate(1, 0.1, 0),
        Err(DataError::Points { points: 1 })
    ));
    for noise in [-0.1, f64::NAN, f64::INFINITY, MAX_NOISE * 1.01] {
        let e = Generator::Circles.generate(10, noise, 0).unwrap_err();
        assert!(matches!(e, DataError::Noise { .. }), "{noise}");
        assert!(e.to_string().starts_with("`noise` must be"), "{e}");
    }
}

#[test]
fn a_csv_file_round_trips_with_or_without_a_header() {
    let data = Generator::Spirals.generate(57, 0.3, 2).unwrap();
    let text = to_csv(&data);
    assert!(text.starts_with("x1,x2,label\n"));
    assert_eq!(parse_csv(&text).unwrap(), data);
    let bare: String = text.lines().skip(1).map(|l| format!("{l}\r\n")).collect();
    assert_eq!(parse_csv(&bare).unwrap(), data);
    let dir = temp_dir("net-csv-roundtrip");
    let path = dir.join("data.csv");
    std::fs::write(
        &path,
        format!("\u{feff}\"x\", \"y\", \"class\"\n\n{bare}\n\n"),
    )
    .unwrap();
    assert_eq!(read_csv(&path).unwrap(), data);
    // Labels written as 0.0 and 1.0 are 0 and 1.
    let small = parse_csv("0,0,0.0\n1,1,1.0\n").unwrap();
    assert_eq!(small.labels(), &[0, 1]);
}

#[test]
fn hostile_csv_files_are_refused_with_one_line_naming_the_line_and_column() {
    let cases: [(&str, &str); 14] = [
        (
            "1,2,1\n3,4\n",
            "line 2: expected 3 columns x1,x2,label, found 2",
        ),
        (
            "1,2,1\n3,4,0,5\n",
            "line 2: expected 3 columns x1,x2,label, found 4",
        ),
        (
            "x1,x2,label\n1,2,1\n3,abc,0\n",
            "line 3, column x2: `abc` is not a number",
        ),
        ("1,2,1\nNaN,4,0\n", "line 2, column x1: `NaN` is not finite"),
        ("1,2,1\n3,inf,0\n", "line 2, column x2: `inf` is not finite"),
        (
            "1,2,1\n3,1e999,0\n",
            "line 2, column x2: `1e999` is not finite",
        ),
        (
            "1,2,1\n3,4,2\n",
            "line 2, column label: the label must be 0 or 1, got `2`",
        ),
        (
            "1,2,1\n3,4,-1\n",
            "line 2, column label: the label must be 0 or 1, got `-1`",
        ),
        (
            "1,2,1\n3,4,yes\n",
            "line 2, column label: the label must be 0 or 1, got `yes`",
        ),
        (
            "1,2,1\n3,4,0.5\n",
            "line 2, column label: the label must be 0 or 1, got `0.5`",
        ),
        (
            "1,2,1\n3,4,1\n",
            "all 2 points are of class 1; a classifier needs both classes 0 and 1",
        ),
        (
            "x1,x2,label\n",
            "the dataset has no points (expected lines x1,x2,label)",
        ),
        ("", "the dataset has no points (expected lines x1,x2,label)"),
        (
            "1,2,1\n3,4,\u{7}\n",
            "line 2, column label: the label must be 0 or 1, got `\\u{7}`",
        ),
    ];
    for (text, want) in cases {
        let e = parse_csv(text).unwrap_err().to_string();
        assert_eq!(e, want, "{text:?}");
        assert!(!e.contains('\n'));
    }
    // A header is only ever the first line.
    let e = parse_csv("1,2,1\nx1,x2,label\n").unwrap_err();
    assert_eq!(e.to_string(), "line 2, column x1: `x1` is not a number");
    // A field quoted in an error is cut to 40 characters.
    let long = format!("1,2,1\n{},2,0\n", "z".repeat(500));
    let e = parse_csv(&long).unwrap_err().to_string();
    assert!(e.len() < 100, "{e}");
}

#[test]
fn csv_limits_stop_reading_at_the_first_extra_row_and_at_the_byte_cap() {
    let mut text = String::with_capacity(MAX_POINTS * 6 + 10);
    for i in 0..=MAX_POINTS {
        text.push_str(if i % 2 == 0 { "0,0,0\n" } else { "1,1,1\n" });
    }
    let e = parse_csv(&text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 100001: more than 100000 points; a dataset holds at most 100000"
    );
    let at_limit = &text[..MAX_POINTS * 6];
    assert_eq!(parse_csv(at_limit).unwrap().len(), MAX_POINTS);

    let dir = temp_dir("net-csv-limits");
    // A 2 GB file (sparse: nothing is written) is refused by its size,
    // unread.
    let huge = dir.join("huge.csv");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(2 << 30).unwrap();
    let e = read_csv(&huge).unwrap_err();
    assert!(
        matches!(&e, DataError::Read { source: ReadError::TooLarge { limit, .. }, .. } if *limit == MAX_CSV_BYTES),
        "{e}"
    );
    assert!(e.to_string().contains("the limit is 16777216 bytes"), "{e}");
    // One byte over the cap.
    let over = dir.join("over.csv");
    std::fs::write(&over, vec![b' '; MAX_CSV_BYTES as usize + 1]).unwrap();
    assert!(matches!(
        read_csv(&over),
        Err(DataError::Read {
            source: ReadError::TooLarge { .. },
            ..
        })
    ));
}

#[test]
fn folders_fifos_missing_and_binary_files_are_refused_unopened() {
    let dir = temp_dir("net-csv-kinds");
    let e = read_csv(&dir).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("it is a folder, not a regular file"),
        "{e}"
    );
    let e = read_csv(&dir.join("missing.csv")).unwrap_err().to_string();
    assert!(e.starts_with("cannot read dataset file "), "{e}");
    let binary = dir.join("binary.csv");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x31]).unwrap();
    let e = read_csv(&binary).unwrap_err().to_string();
    assert!(e.ends_with("stream did not contain valid UTF-8"), "{e}");
    if let Some((_dir, fifo)) = temp_fifo("net-csv-fifo") {
        // Refused before `open`, which would block on a FIFO.
        let e = read_csv(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }
}

#[test]
fn dataset_specs_parse_from_json_with_defaults_and_resolve_relative_paths() {
    let spec: DatasetSpec =
        serde_json::from_str(r#"{"kind": "moons", "points": 50, "noise": 0.2, "seed": 3}"#)
            .unwrap();
    assert_eq!(spec, DatasetSpec::generated(Generator::Moons, 50, 0.2, 3));
    assert_eq!(
        spec.build(None).unwrap(),
        Generator::Moons.generate(50, 0.2, 3).unwrap()
    );
    let default: DatasetSpec = serde_json::from_str(r#"{"kind": "gaussians"}"#).unwrap();
    assert_eq!(
        default.build(None).unwrap(),
        Generator::Gaussians.generate(200, 0.5, 0).unwrap()
    );
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(serde_json::from_str::<DatasetSpec>(&json).unwrap(), spec);
    let csv: DatasetSpec = serde_json::from_str(r#"{"kind": "csv", "path": "d.csv"}"#).unwrap();
    assert_eq!(
        csv.csv_path(Some(Path::new("/labs"))).unwrap(),
        Path::new("/labs/d.csv")
    );
    assert_eq!(
        csv.csv_path(None).unwrap(),
        Path::new("d.csv"),
        "no base: as written"
    );
    for (bad, want) in [
        (r#"{"kind": "moon"}"#, "unknown variant `moon`"),
        (r#"{"kind": "moons", "pts": 5}"#, "unknown field `pts`"),
        (r#"{"kind": "csv"}"#, "missing field `path`"),
        (
            r#"{"kind": "csv", "path": "a", "seed": 1}"#,
            "unknown field `seed`",
        ),
    ] {
        let e = serde_json::from_str::<DatasetSpec>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{bad}: {e}");
    }
}
