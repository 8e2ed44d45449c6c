//! One import line, as `rambok import` reads it (src/cli/import.rs, `parse_line`): a UTF-8
//! byte-order mark stripped, UTF-8 checked, the line end trimmed, blank lines skipped, then
//! `serde_json::from_str` and `rambok::json::parse_event`. Nothing may panic, and an accepted line
//! must mean the same after a round trip through the ledger's own forms: `event_to_json` →
//! `parse_event` gives the same event, and its record encodes, splits and decodes back to it.
//!
//! `tests/it/props.rs` runs the same checks without cargo-fuzz (`fuzz_import_line_*`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rambok::json::{event_to_json, parse_event};
use rambok::store::record;

fuzz_target!(|bytes: &[u8]| {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Ok(event) = parse_event(&value) else {
        return;
    };
    let again = parse_event(&event_to_json(&event)).expect("an accepted event reads back");
    assert_eq!(
        again, event,
        "event_to_json → parse_event changed the event"
    );
    let at = chrono::DateTime::from_timestamp_micros(1_479_807_000_000_000).unwrap();
    let (bytes, hash) = record::encode(&record::GENESIS_HASH, 1, at, "fuzz", &event);
    let (raw, next) = record::split(&bytes, 0).expect("a fresh record splits");
    assert_eq!(next, bytes.len());
    let back = record::decode(&raw).expect("a fresh record decodes");
    assert_eq!(back.event, event);
    assert_eq!(back.hash, hash);
});
