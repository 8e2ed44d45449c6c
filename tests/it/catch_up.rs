//! The writer's validation state after an append that did not commit: taken back out by its
//! journal, not read again from the whole log (`Ledger::state_reads` counts the records read
//! into it). A batch refused half-way, on both engines; an append that lost its commit to another
//! process, on PostgreSQL (the only engine several processes share).

use crate::engines::{fresh, fresh_on, on_both_engines, open, Engine};
use chrono::Utc;
use rambok::control::verify::verify;
use rambok::domain::event::Event;
use rambok::ledger::LedgerError;

fn event(v: serde_json::Value) -> Event {
    rambok::json::parse_event(&v).unwrap()
}

fn office(code: &str) -> Event {
    event(
        serde_json::json!({"type": "office_defined", "office": code, "name": "nytt kontor",
        "committee": "KS"}),
    )
}

/// A frame in a year and on a date nothing else uses, so the index gets new catalogue markers.
fn frame(code: &str, year: i32) -> Event {
    event(
        serde_json::json!({"type": "frame_set", "office": code, "year": year,
        "amount": "1000", "unit": "tkr",
        "decision": {"body": "KF", "date": format!("{}-06-1{}", year - 1, year % 10)}}),
    )
}

fn generated(n: usize) -> Vec<Event> {
    let mut events = Vec::new();
    rambok::gen::municipality(n, 1, |v| events.push(event(v)));
    events
}

on_both_engines! {
    fn a_batch_refused_half_way_is_taken_back_without_reading_the_log() {
        let db = fresh("refused_half_way");
        let ledger = open(&db.path);
        let events = generated(400);
        ledger.append(&events, "import", None, Utc::now()).unwrap();
        let read = ledger.state_reads();
        // Good events first (a new office, a frame in a new year), then one naming no office.
        let good = [office("NYA"), frame("NYA", 2041)];
        let mut batch = good.to_vec();
        batch.push(frame("FINNS_INTE", 2042));
        match ledger.append(&batch, "anna", None, Utc::now()) {
            Err(LedgerError::Rejected { index: 2, .. }) => {}
            other => panic!("the third event is refused: {other:?}"),
        }
        // The good events were taken back: the same ones are new again, and written with
        // their index entries (the new year's and date's markers among them).
        let done = ledger.append(&good, "anna", None, Utc::now()).unwrap();
        assert_eq!((done.added, done.skipped), (2, 0));
        assert_eq!(
            ledger.state_reads(),
            read,
            "the writer's state was not read again from the log"
        );
        verify(&ledger).unwrap();
        let head = ledger.head();
        drop(ledger);
        let fresh = open(&db.path);
        verify(&fresh).unwrap();
        assert_eq!(fresh.head(), head);
    }
}

#[test]
fn an_append_that_lost_to_another_process_catches_up_from_its_head() {
    let db = fresh_on(Engine::Pg, "lost_to_another");
    let first = open(&db.path);
    let other = open(&db.path);
    first
        .append(&generated(500), "import", None, Utc::now())
        .unwrap();
    other
        .append(&[office("ANDRA")], "bertil", None, Utc::now())
        .unwrap();
    first
        .append(&[office("FORSTA")], "anna", None, Utc::now())
        .unwrap();
    let read = first.state_reads();
    // `first` builds an append on its head; `other` moves the head before it commits.
    let mut appender = first.begin("anna", None, Utc::now()).unwrap();
    appender.push(&office("FORLORAD")).unwrap();
    appender.push(&frame("FORLORAD", 2043)).unwrap();
    other
        .append(&[frame("ANDRA", 2044)], "bertil", None, Utc::now())
        .unwrap();
    match appender.commit() {
        Err(LedgerError::Conflict { .. }) => {}
        other => panic!("a conflict: {other:?}"),
    }
    // Sent again: the lost events are new (taken back), chained after the other's.
    let done = first
        .append(
            &[office("FORLORAD"), frame("FORLORAD", 2043)],
            "anna",
            None,
            Utc::now(),
        )
        .unwrap();
    assert_eq!((done.added, done.skipped), (2, 0));
    let caught_up = first.state_reads() - read;
    assert!(
        caught_up <= 2,
        "only the other process's record was read (not the {} records of the log): {caught_up}",
        done.head_seq
    );
    // And a conflict with several appends queued behind it takes them all back.
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let url = db.path.clone();
            std::thread::spawn(move || {
                let mine = open(&url);
                for j in 0..5 {
                    mine.append(&[office(&format!("P{i}_{j}"))], "cecilia", None, Utc::now())
                        .unwrap();
                }
            })
        })
        .collect();
    for j in 0..20 {
        first
            .append(&[office(&format!("F_{j}"))], "anna", None, Utc::now())
            .unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    verify(&first).unwrap();
    let fresh = open(&db.path);
    verify(&fresh).unwrap();
    assert_eq!(fresh.head().seq, done.head_seq + 40);
    assert!(
        first.state_reads() - read < 100,
        "the writer caught up, never read the {} records again",
        fresh.head().seq
    );
}
