//! One import line, as `rambok import` reads it (src/cli/import.rs, `parse_line`): a UTF-8
//! byte-order mark stripped, UTF-8 checked, the line end trimmed, blank lines skipped, then
//! `rambok::json::parse_event_line`. Nothing may panic; `serde_json::from_str` and
//! `rambok::json::parse_event` (the value reader) must give the same answer unless the line has a
//! key twice; and an accepted line must mean the same after a round trip through the ledger's own
//! forms: `event_to_json` → `parse_event_line` gives the same event, and its record encodes,
//! splits and decodes back to it.
//!
//! `tests/it/props.rs` runs the same checks without cargo-fuzz (`fuzz_import_line_*`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rambok::json::{event_to_json, parse_event, parse_event_line, LineError};
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
    let read = parse_event_line(text);
    // The line reader and the value reader (server requests, `record`) agree on every line whose
    // JSON has no key twice, which only the line reader refuses.
    match (&read, serde_json::from_str::<serde_json::Value>(text)) {
        (Err(LineError::Json(_)), _) => {}
        (_, Err(e)) => panic!("the line reader accepted JSON that serde_json refuses: {e}"),
        (Ok(event), Ok(value)) => {
            assert_eq!(parse_event(&value).as_ref(), Ok(event), "the readers disagree");
        }
        (Err(LineError::Field(e)), Ok(value)) => {
            assert_eq!(parse_event(&value).as_ref(), Err(e), "the readers disagree");
        }
    }
    let Ok(event) = read else {
        return;
    };
    let json = event_to_json(&event);
    let again = parse_event_line(&json.to_string()).expect("an accepted event reads back");
    assert_eq!(
        again, event,
        "event_to_json → parse_event_line changed the event"
    );
    let at = chrono::DateTime::from_timestamp_micros(1_479_807_000_000_000).unwrap();
    let (bytes, hash) = record::encode(&record::GENESIS_HASH, 1, at, "fuzz", &event);
    let (raw, next) = record::split(&bytes, 0).expect("a fresh record splits");
    assert_eq!(next, bytes.len());
    let back = record::decode(&raw).expect("a fresh record decodes");
    assert_eq!(back.event, event);
    assert_eq!(back.hash, hash);
});
