//! The read cache of a PostgreSQL ledger (`src/store/pg/`): a process that answered a question
//! from what it read before still sees what another process appended since, and answers as a
//! process that never read anything would.

use super::{open, Cluster};
use crate::cli::ok;
use chrono::Utc;
use rambok::projection::Clock;
use rambok::query;

fn change(office: &str, reason: &str) -> rambok::domain::event::Event {
    let v = serde_json::json!({"type": "frame_changed", "office": office, "year": 2024,
        "amount": "-125", "unit": "tkr", "category": "ramjustering", "reason": reason,
        "decision": {"body": "KF", "date": "2024-03-14", "case": "KS 2024/000001"}});
    rambok::json::parse_event(&v).unwrap()
}

#[test]
fn a_reader_that_cached_a_question_sees_what_another_process_appended() {
    let pg = Cluster::start();
    let url = pg.url("cache");
    ok(&url, &["init"]);
    let writer = open(&url);
    let mut events = Vec::new();
    rambok::gen::municipality(20_000, 1, |v| {
        events.push(rambok::json::parse_event(&v).unwrap())
    });
    writer.append(&events, "import", None, Utc::now()).unwrap();
    let reader = open(&url);
    let clock = Clock::default();
    let before = query::frames(&reader, 2024, &clock).unwrap();
    let history_before = query::history(&reader, "F07", 2024, None, &clock).unwrap();
    // Asked again with nothing appended: the same answer (now from the cache).
    assert_eq!(query::frames(&reader, 2024, &clock).unwrap(), before);
    for i in 0..3 {
        writer
            .append(
                &[change("F07", &format!("Cachetest {i}"))],
                "annan process",
                None,
                Utc::now(),
            )
            .unwrap();
        let after = query::frames(&reader, 2024, &clock).unwrap();
        assert_ne!(
            after, before,
            "the change {i} is seen by the reader that cached"
        );
        let fresh = open(&url);
        assert_eq!(after, query::frames(&fresh, 2024, &clock).unwrap());
        assert_eq!(
            query::history(&reader, "F07", 2024, None, &clock).unwrap(),
            query::history(&fresh, "F07", 2024, None, &clock).unwrap()
        );
    }
    assert_ne!(
        query::history(&reader, "F07", 2024, None, &clock).unwrap(),
        history_before
    );
}
