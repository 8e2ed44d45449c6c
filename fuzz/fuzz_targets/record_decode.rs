//! Stored bytes, as the ledger reads a block (src/ledger.rs): records split off one after another
//! with `rambok::store::record::split` and decoded with `decode`. Whatever the bytes, this must
//! return an error, never panic, and never allocate without bound. A record that decodes must
//! encode back to bytes that decode to the same record.
//!
//! `tests/it/props.rs` runs the same checks without cargo-fuzz (`fuzz_record_decode_*`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rambok::store::record;

fuzz_target!(|bytes: &[u8]| {
    let mut at = 0;
    while at < bytes.len() {
        let Ok((raw, next)) = record::split(bytes, at) else {
            return;
        };
        assert!(next > at && next <= bytes.len(), "split must move forward");
        at = next;
        let Ok(r) = record::decode(&raw) else {
            continue;
        };
        // The writer never stores a longer recorder name (decode reads up to u16::MAX bytes).
        if r.recorded_by.len() > record::RECORDED_BY_BYTES_MAX {
            continue;
        }
        let prev = record::GENESIS_HASH;
        let (again, _) = record::encode(&prev, r.seq, r.recorded_at, &r.recorded_by, &r.event);
        let (raw2, _) = record::split(&again, 0).expect("a re-encoded record splits");
        let back = record::decode(&raw2).expect("a re-encoded record decodes");
        assert_eq!(back.event, r.event);
        assert_eq!(back.recorded_at, r.recorded_at);
        assert_eq!(back.recorded_by, r.recorded_by);
        assert_eq!(back.seq, r.seq);
    }
});
