//! Lesson bundles: several lab files in one JSON text, so that a lesson
//! travels as one download or one link (`#lesson=…`) where there are no
//! folders (the web build).
//!
//! ```json
//! {"lesson": [{"version": 2, "objective": …, "caption": "…"}, …]}
//! ```
//!
//! A folder of lab files (`01-….json`, `02-….json`) is the same lesson on
//! the desktop.

use serde_json::{Map, Value};

/// The most lab files a bundle may hold.
pub const MAX_LESSON_LABS: usize = 100;

/// Why a text is not a lesson bundle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// JSON without a `lesson` list of objects.
    #[error("a lesson bundle is {{\"lesson\": [lab file, …]}}; {0}")]
    Shape(String),
    /// No lab in it.
    #[error("the lesson holds no lab file")]
    Empty,
    /// Too many labs.
    #[error("the lesson holds {0} lab files; at most {MAX_LESSON_LABS}")]
    TooMany(usize),
}

/// Whether `text` looks like a lesson bundle rather than one lab file (its
/// top-level object has a `lesson` key).
pub fn is_bundle(text: &str) -> bool {
    matches!(
        serde_json::from_str::<Value>(text),
        Ok(Value::Object(map)) if map.contains_key("lesson")
    )
}

/// The bundle of `labs` (each one lab file's JSON text, in order).
pub fn bundle(labs: &[String]) -> Result<String, LessonError> {
    if labs.is_empty() {
        return Err(LessonError::Empty);
    }
    if labs.len() > MAX_LESSON_LABS {
        return Err(LessonError::TooMany(labs.len()));
    }
    let values = labs
        .iter()
        .map(|text| {
            serde_json::from_str::<Value>(text).map_err(|e| LessonError::Json(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut map = Map::new();
    map.insert("lesson".to_owned(), Value::Array(values));
    serde_json::to_string(&Value::Object(map)).map_err(|e| LessonError::Json(e.to_string()))
}

/// The lab files of a bundle, each as JSON text, in order.
pub fn labs(text: &str) -> Result<Vec<String>, LessonError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LessonError::Json(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(LessonError::Shape(
            "the text is not a JSON object".to_owned(),
        ));
    };
    let Some(list) = map.remove("lesson") else {
        return Err(LessonError::Shape("there is no `lesson` key".to_owned()));
    };
    let Value::Array(items) = list else {
        return Err(LessonError::Shape("`lesson` is not a list".to_owned()));
    };
    if items.is_empty() {
        return Err(LessonError::Empty);
    }
    if items.len() > MAX_LESSON_LABS {
        return Err(LessonError::TooMany(items.len()));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(_) => Ok(item.to_string()),
            _ => Err(LessonError::Shape(format!(
                "item {} is not a lab file (an object)",
                i + 1
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_bundle_gives_back_its_labs_in_order() {
        let files = vec![
            r#"{"version": 2, "caption": "one"}"#.to_owned(),
            r#"{"version": 2, "caption": "two ‖∇f‖"}"#.to_owned(),
        ];
        let text = bundle(&files).unwrap();
        assert!(is_bundle(&text));
        assert!(!is_bundle(&files[0]));
        let back = labs(&text).unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in back.iter().zip(&files) {
            let (a, b): (Value, Value) = (
                serde_json::from_str(a).unwrap(),
                serde_json::from_str(b).unwrap(),
            );
            assert_eq!(a, b);
        }
    }

    #[test]
    fn bad_bundles_say_why() {
        assert!(matches!(labs("[1, 2]"), Err(LessonError::Shape(_))));
        assert!(matches!(
            labs(r#"{"lesson": 3}"#),
            Err(LessonError::Shape(_))
        ));
        assert!(matches!(labs(r#"{"lesson": []}"#), Err(LessonError::Empty)));
        assert!(
            matches!(labs(r#"{"lesson": [{}, 4]}"#), Err(LessonError::Shape(m)) if m.contains("item 2"))
        );
        assert!(matches!(labs("{"), Err(LessonError::Json(_))));
        let many = format!(
            r#"{{"lesson": [{}]}}"#,
            vec!["{}"; MAX_LESSON_LABS + 1].join(",")
        );
        assert_eq!(labs(&many), Err(LessonError::TooMany(MAX_LESSON_LABS + 1)));
        assert_eq!(bundle(&[]), Err(LessonError::Empty));
    }
}
