//! The ledger against a real sled store: the write path, the hash chain, idempotent import,
//! optimistic concurrency, group commit, corrections under both clocks, and damage detection.

use chrono::{Duration, TimeZone, Utc};
use rambok::domain::event::{Date, Event};
use rambok::json::parse_event;
use rambok::ledger::{Ledger, LedgerError};
use rambok::projection::frames::frame;
use rambok::projection::Clock;
use rambok::store::sled_store::block_key;
use rambok::store::{Store, StoreError};
use std::sync::Arc;

fn ev(s: &str) -> Event {
    parse_event(&serde_json::from_str(s).unwrap()).unwrap()
}

fn frame_change(n: i64) -> Event {
    ev(&format!(
        r#"{{"type":"frame_changed","office":"KLK","year":2017,"amount":"{n}","unit":"tkr","category":"test","reason":"change {n}","decision":{{"body":"KF","date":"2016-06-30"}}}}"#
    ))
}

fn frame_set() -> Event {
    ev(
        r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"469265","unit":"tkr","decision":{"body":"KF","date":"2016-06-30","case":"KS 2016/1","paragraph":"§ 1"}}"#,
    )
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2016, 7, 1, 8, 0, 0).unwrap()
}

#[test]
fn appends_are_gapless_chained_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        l.append(&[frame_set()], "anna", None, t0()).unwrap();
        let done = l
            .append(
                &(1..=600).map(frame_change).collect::<Vec<_>>(),
                "bo",
                Some(1),
                t0(),
            )
            .unwrap();
        assert_eq!((done.added, done.head_seq), (600, 601));
    }
    let l = Ledger::open(&path).unwrap();
    let records = l.records().unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=601).collect::<Vec<_>>()
    );
    assert_eq!(records[0].recorded_by, "anna");
    assert_eq!(records[600].recorded_by, "bo");
    assert_eq!(l.head().hash, records[600].hash);
    // 600 events of one batch were packed into more than one block but far fewer than 600 keys.
    let blocks = l.store().raw_tree().scan_prefix(b"b").count();
    assert!((2..10).contains(&blocks), "{blocks} block keys");
}

#[test]
fn reimport_adds_nothing_and_changed_content_under_a_known_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    let batch = vec![frame_set(), frame_change(5)];
    assert_eq!(l.append(&batch, "a", None, t0()).unwrap().added, 2);
    let again = l.append(&batch, "a", None, t0()).unwrap();
    assert_eq!((again.added, again.skipped, again.head_seq), (0, 2, 2));
    let mut changed = frame_change(6);
    changed.id = batch[1].id;
    let err = l.append(&[changed], "a", None, t0()).unwrap_err();
    assert!(
        matches!(err, LedgerError::Rejected { index: 0, ref error } if error.field == "id"),
        "{err}"
    );
    assert_eq!(l.head().seq, 2);
}

#[test]
fn expected_sequence_number_detects_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    l.append(&[frame_set()], "a", Some(0), t0()).unwrap();
    let err = l
        .append(&[frame_change(1)], "b", Some(0), t0())
        .unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::Conflict {
                expected: 0,
                actual: 1
            }
        ),
        "{err}"
    );
    assert_eq!(l.head().seq, 1);
}

#[test]
fn a_rejected_event_rejects_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    let bad = ev(
        r#"{"type":"transfer","from":"A","to":"A","year":2017,"amount":"1","reason":"r","decision":{"body":"KS","date":"2016-10-01"}}"#,
    );
    let err = l.append(&[frame_set(), bad], "a", None, t0()).unwrap_err();
    assert!(
        matches!(err, LedgerError::Rejected { index: 1, .. }),
        "{err}"
    );
    assert_eq!(l.head().seq, 0);
    assert!(l.records().unwrap().is_empty());
}

#[test]
fn concurrent_writers_lose_nothing_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let l = Arc::new(Ledger::open(&dir.path().join("l")).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let l = Arc::clone(&l);
            std::thread::spawn(move || {
                for i in 0..25 {
                    l.append(
                        &[frame_change(t * 1000 + i + 1)],
                        &format!("w{t}"),
                        None,
                        Utc::now(),
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let records = l.records().unwrap();
    assert_eq!(records.len(), 200);
    let mut ids: Vec<_> = records.iter().map(|r| r.event.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    assert!(
        records
            .windows(2)
            .all(|w| w[0].recorded_at <= w[1].recorded_at),
        "recorded_at is monotonic"
    );
}

#[test]
fn a_second_process_gets_a_clear_in_use_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let _held = Ledger::open(&path).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_rambok"))
        .args(["--db", path.to_str().unwrap(), "log"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("används av en annan process"), "{stderr}");
}

#[test]
fn a_correction_disappears_from_every_date_but_not_from_the_past_knowledge() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    let wrong = frame_change(1000);
    l.append(&[frame_set(), wrong.clone()], "a", None, t0())
        .unwrap();
    let corrected_at = t0() + Duration::days(30);
    let correction = ev(&format!(
        r#"{{"type":"correction","corrects":"{}","reason":"fel belopp"}}"#,
        wrong.id
    ));
    l.append(std::slice::from_ref(&correction), "b", None, corrected_at)
        .unwrap();
    let records = l.records().unwrap();
    let tkr = |c: Clock| {
        frame(&records, "KLK", 2017, &c)
            .unwrap()
            .frame
            .rounded(rambok::domain::amount::Unit::Tkr, 0)
    };
    assert_eq!(
        tkr(Clock::default()),
        469_265,
        "current reports exclude the corrected event"
    );
    assert_eq!(
        tkr(Clock {
            as_of: Date::ymd(2016, 7, 1),
            known_at: None
        }),
        469_265,
        "at every as-of date"
    );
    let before = Clock {
        as_of: None,
        known_at: Some(corrected_at - Duration::seconds(1)),
    };
    assert_eq!(
        tkr(before),
        470_265,
        "known-at before the correction still shows the old figure"
    );
    assert_eq!(records.len(), 3, "the corrected event stays in the log");
    let twice = ev(&format!(
        r#"{{"type":"correction","corrects":"{}","reason":"igen"}}"#,
        wrong.id
    ));
    assert!(
        l.append(&[twice], "b", None, Utc::now()).is_err(),
        "an event is corrected once"
    );
    let of_correction = ev(&format!(
        r#"{{"type":"correction","corrects":"{}","reason":"ångra"}}"#,
        correction.id
    ));
    assert!(
        l.append(&[of_correction], "b", None, Utc::now()).is_err(),
        "a correction is not corrected"
    );
}

#[test]
fn changed_bytes_in_the_store_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        l.append(
            &[frame_set(), frame_change(1), frame_change(2)],
            "a",
            None,
            t0(),
        )
        .unwrap();
        let tree = l.store().raw_tree();
        let key = block_key(1);
        let mut bytes = tree.get(key).unwrap().unwrap().to_vec();
        // Flip one byte of the second record's amount area: the chain must notice.
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        tree.insert(key, bytes).unwrap();
        tree.flush().unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    match l.records() {
        Err(LedgerError::Corrupt { seq, kind, what }) => {
            assert!((1..=3).contains(&seq), "{seq}: {what}");
            assert_eq!(kind, rambok::ledger::Damage::ChangedBytes, "{what}");
        }
        other => panic!("tampering went unnoticed: {other:?}"),
    }
}

#[test]
fn blocks_beyond_the_head_are_invisible_and_dropped_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        l.append(&[frame_set()], "a", None, t0()).unwrap();
        // What a crash halfway through a large append leaves: a block written, the head not moved.
        let (blocks, _) = rambok::ledger::encode_blocks(l.head(), t0(), "a", &[&frame_change(9)]);
        l.store()
            .raw_tree()
            .insert(block_key(2), blocks[0].bytes.clone())
            .unwrap();
        assert_eq!(l.records().unwrap().len(), 1);
    }
    let l = Ledger::open(&path).unwrap();
    assert!(l.store().raw_tree().get(block_key(2)).unwrap().is_none());
    let done = l.append(&[frame_change(10)], "a", None, t0()).unwrap();
    assert_eq!(done.head_seq, 2);
    assert_eq!(l.records().unwrap().len(), 2);
}

#[test]
fn store_trait_reports_head_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    assert_eq!(l.store().head().unwrap().seq, 0);
    l.append(&[frame_set()], "a", None, t0()).unwrap();
    let blocks: Vec<_> = l
        .store()
        .blocks(1, 1)
        .collect::<Result<Vec<_>, StoreError>>()
        .unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].first_seq, 1);
}
