//! A lab file in a link: `…/#lab=<payload>`, the way TensorFlow Playground
//! carries a demo in its address.
//!
//! The payload is URL-safe base64 (no padding) of either the lab file's
//! JSON text or, when that is shorter, its zlib-compressed bytes. The two
//! cannot be confused: JSON text starts with `{` (or white space), a zlib
//! stream with `0x78`.

use base64::Engine as _;

/// The fragment key: a link's fragment is `lab=<payload>`.
pub const FRAGMENT_KEY: &str = "lab=";

/// The largest lab file a link may carry once decoded (the lab files' own
/// limit is larger; a link is a demo, not a training set).
pub const MAX_LINK_JSON_BYTES: usize = 8 << 20;

/// Text shorter than this stays uncompressed: a few hundred bytes of JSON
/// read better in an address bar than their compressed form saves.
const COMPRESS_ABOVE: usize = 512;

/// Why a link's payload is not a lab file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    /// The fragment does not start with `lab=`.
    #[error("the link has no `#lab=` part")]
    NoLab,
    /// Not URL-safe base64.
    #[error("the link's lab is not valid base64: {0}")]
    Base64(String),
    /// A zlib stream that does not decompress.
    #[error("the link's lab does not decompress: {0}")]
    Inflate(String),
    /// Decodes to more than [`MAX_LINK_JSON_BYTES`].
    #[error("the link's lab is larger than {} MB once decoded", MAX_LINK_JSON_BYTES >> 20)]
    TooLarge,
    /// Decodes to bytes that are not UTF-8 text.
    #[error("the link's lab is not UTF-8 text")]
    NotText,
}

/// The payload for a lab file's JSON text (without the `lab=` key).
pub fn encode(json: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if json.len() > COMPRESS_ABOVE {
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(json.as_bytes(), 9);
        if packed.len() < json.len() {
            return engine.encode(packed);
        }
    }
    engine.encode(json.as_bytes())
}

/// The fragment (`lab=<payload>`) for a lab file's JSON text.
pub fn fragment(json: &str) -> String {
    format!("{FRAGMENT_KEY}{}", encode(json))
}

/// The JSON text of a payload made by [`encode`].
pub fn decode(payload: &str) -> Result<String, LinkError> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // Tolerate the padding some tools add back.
    let bytes = engine
        .decode(payload.trim().trim_end_matches('='))
        .map_err(|e| LinkError::Base64(e.to_string()))?;
    let bytes = if bytes.first() == Some(&0x78) {
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&bytes, MAX_LINK_JSON_BYTES)
            .map_err(|e| match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LinkError::TooLarge,
                status => LinkError::Inflate(format!("{status:?}")),
            })?
    } else {
        bytes
    };
    if bytes.len() > MAX_LINK_JSON_BYTES {
        return Err(LinkError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| LinkError::NotText)
}

/// The JSON text of a link's fragment (the part after `#`, with or
/// without the `#`): `lab=<payload>`, possibly among other `&`-separated
/// parts. `Ok(None)` when the fragment carries no lab.
pub fn from_fragment(fragment: &str) -> Result<Option<String>, LinkError> {
    payload_of(fragment, FRAGMENT_KEY)
}

/// The fragment key of a lesson: several labs in one link,
/// `lesson=<payload>` with a lesson bundle ([`super::lesson`]) as payload.
pub const LESSON_KEY: &str = "lesson=";

/// The fragment (`lesson=<payload>`) for a lesson bundle's JSON text.
pub fn lesson_fragment(json: &str) -> String {
    format!("{LESSON_KEY}{}", encode(json))
}

/// The lesson bundle's JSON text of a link's fragment; `Ok(None)` when it
/// carries no lesson.
pub fn lesson_from_fragment(fragment: &str) -> Result<Option<String>, LinkError> {
    payload_of(fragment, LESSON_KEY)
}

/// The decoded payload of the `key` part of a fragment, if there is one.
fn payload_of(fragment: &str, key: &str) -> Result<Option<String>, LinkError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    match fragment.split('&').find_map(|part| part.strip_prefix(key)) {
        Some(payload) => decode(payload).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_json_travels_as_plain_base64() {
        let json = r#"{"version": 2, "title": "a demo"}"#;
        let payload = encode(json);
        let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&payload);
        assert_eq!(plain.as_deref(), Ok(json.as_bytes()));
        assert_eq!(decode(&payload).as_deref(), Ok(json));
    }

    #[test]
    fn long_json_is_compressed_and_comes_back_exactly() {
        let rows: Vec<String> = (0..60)
            .map(|i| format!(r#"{{"optimizer": "gd:lr=0.0{i}", "label": "row {i} ‖∇f‖"}}"#))
            .collect();
        let json = format!(r#"{{"version": 2, "rows": [{}]}}"#, rows.join(", "));
        let payload = encode(&json);
        assert!(
            payload.len() < json.len() / 2,
            "{} vs {}",
            payload.len(),
            json.len()
        );
        assert!(
            payload
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "not URL-safe: {payload}"
        );
        assert_eq!(decode(&payload).as_deref(), Ok(json.as_str()));
        assert_eq!(
            from_fragment(&format!("#{}", fragment(&json)))
                .ok()
                .flatten(),
            Some(json)
        );
    }

    #[test]
    fn fragments_without_a_lab_or_with_other_parts() {
        assert_eq!(from_fragment(""), Ok(None));
        assert_eq!(from_fragment("#step=3"), Ok(None));
        let json = "{}";
        let f = format!("#step=3&{}", fragment(json));
        assert_eq!(from_fragment(&f), Ok(Some(json.to_owned())));
    }

    #[test]
    fn bad_payloads_are_errors_not_panics() {
        assert!(matches!(decode("!!!"), Err(LinkError::Base64(_))));
        // A zlib header followed by garbage.
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let bad = engine.encode([0x78, 0x9c, 0xff, 0xff, 0x00]);
        assert!(matches!(decode(&bad), Err(LinkError::Inflate(_))));
        let not_text = engine.encode([0xff, 0xfe, 0x00]);
        assert_eq!(decode(&not_text), Err(LinkError::NotText));
        // A zip bomb: 9 MB of spaces compress to a few kB.
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b' '; 9 << 20], 9);
        assert_eq!(decode(&engine.encode(bomb)), Err(LinkError::TooLarge));
    }
}
