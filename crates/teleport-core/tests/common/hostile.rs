//! The custom-h cases of the app's hostile corpus (`tests/hostile/scenes`),
//! shared by the core's `custom_h` test, which loads them as scenes, and
//! the app's `hostile_corpus` test, which runs them through the binary.

/// Formulas that do not parse, divide by zero everywhere, hold NaN
/// constants, or describe an h that is not a bijection: each scene file's
/// name without `.json` and the phrases its one-line message contains.
pub const CUSTOM_H_REJECTED: &[(&str, &[&str])] = &[
    (
        "custom-empty-formula",
        &["`objective.h[0]`", "column 1", "empty"],
    ),
    (
        "custom-unknown-function",
        &["`objective.h[0]`", "column 5", "unknown name `foo`"],
    ),
    (
        "custom-unclosed-parenthesis",
        &["`objective.h[0]`", "missing `)`"],
    ),
    (
        "custom-division-by-zero-everywhere",
        &["`objective.h[0]`", "not a finite number", "divides by zero"],
    ),
    (
        "custom-nan-constant",
        &["`objective.h[0]`", "column 6", "NaN"],
    ),
    (
        "custom-deep-nesting-300",
        &["`objective.h[1]`", "deeper than 200"],
    ),
    (
        "custom-singular-jacobian",
        &["`objective.h`", "det J_h = 0"],
    ),
    (
        "custom-not-bijective-x-squared",
        &["`objective.h`", "fold", "not a bijection"],
    ),
    (
        "custom-wrong-inverse",
        &["`objective.h_inv`", "not the inverse", "at u = ("],
    ),
    (
        "custom-not-finite-at-x0",
        &["`objective.h`", "not finite at x0"],
    ),
];
