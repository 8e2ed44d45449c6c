//! Several processes on one PostgreSQL ledger, many ledgers in one database, damage, and the
//! database stopped hard under load.

use super::{open, Cluster};
use crate::cli::{ok, rambok};
use chrono::Utc;
use rambok::domain::event::Event;
use rambok::ledger::LedgerError;
use rambok::store::Store;
use std::sync::Arc;

fn office(code: &str) -> Event {
    let line =
        format!(r#"{{"type":"office_defined","office":"{code}","name":"förvaltning {code}"}}"#);
    rambok::json::parse_event_line(&line).unwrap()
}

/// Two ledger handles on one ledger stand for two processes: each has its own connections,
/// writer state and group commit, and only the database between them.
#[test]
fn two_writers_on_one_ledger_lose_nothing_and_keep_the_sequence_gapless() {
    let pg = Cluster::start();
    let url = pg.url("delad");
    ok(&url, &["init"]);
    let a = Arc::new(open(&url));
    let b = Arc::new(open(&url));
    let writers = 32;
    let per_writer = 8;
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let ledger = if w % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    let e = office(&format!("W{w}N{i}"));
                    let done = ledger.append(&[e], "skrivare", None, Utc::now()).unwrap();
                    assert_eq!(done.added, 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let total = (writers * per_writer) as u64;
    for l in [&a, &b] {
        assert_eq!(l.store().head().unwrap().seq, total);
        let records = l.records().unwrap();
        assert_eq!(records.len() as u64, total);
        let names: std::collections::BTreeSet<_> =
            records.iter().map(|r| format!("{:?}", r.event)).collect();
        assert_eq!(names.len() as u64, total, "every event once");
        rambok::control::verify::verify(l.as_ref()).unwrap();
    }
    // Both sides grouped appends into fewer commits than appends (group commit still groups)
    // while the database serialised them.
    let stats = [a.commit_stats(), b.commit_stats()];
    assert!(stats.iter().all(|s| s.groups > 0), "{stats:?}");
    // A writer that read the ledger before the other appended learns of it from the database:
    // with --expect-seq it is a conflict, typed, and nothing is written.
    a.append(&[office("FORE")], "a", Some(total), Utc::now())
        .unwrap();
    match b.append(&[office("EFTER")], "b", Some(total), Utc::now()) {
        Err(LedgerError::Conflict { expected, actual }) => {
            assert_eq!((expected, actual), (total, total + 1));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Without it, b catches up and appends after a's record.
    let done = b.append(&[office("EFTER")], "b", None, Utc::now()).unwrap();
    assert_eq!(done.head_seq, total + 2);
    assert!(
        pg.psql("SELECT count(*) FROM rambok_blocks WHERE ledger = 'delad'")
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[test]
fn ledgers_in_one_database_never_see_each_other() {
    let pg = Cluster::start();
    let (kalmar, vaxjo) = (pg.url("kalmar"), pg.url("vaxjo"));
    ok(&kalmar, &["init"]);
    ok(&vaxjo, &["init"]);
    ok(
        &kalmar,
        &[
            "record",
            "office_defined",
            "--office",
            "KLK",
            "--name",
            "kommunledningskontoret",
        ],
    );
    ok(
        &kalmar,
        &[
            "record",
            "office_defined",
            "--office",
            "BUF",
            "--name",
            "barn- och ungdomsförvaltningen",
        ],
    );
    ok(
        &vaxjo,
        &[
            "record",
            "office_defined",
            "--office",
            "KLK",
            "--name",
            "kommunledningskontoret i Växjö",
        ],
    );
    let (k, v) = (open(&kalmar), open(&vaxjo));
    assert_eq!(k.store().head().unwrap().seq, 2);
    assert_eq!(v.store().head().unwrap().seq, 1);
    assert_eq!(v.records().unwrap().len(), 1);
    assert!(format!("{:?}", v.records().unwrap()[0].event).contains("Växjö"));
    // The index of one holds none of the other's entries.
    let v_entries = v.store().scan_derived(b"").count();
    let k_entries = k.store().scan_derived(b"").count();
    assert!(k_entries > v_entries, "{k_entries} vs {v_entries}");
    // An office known in Kalmar only is unknown in Växjö.
    let (code, _, err) = rambok(
        &vaxjo,
        &[
            "report", "bridge", "--office", "BUF", "--from", "2016", "--to", "2017",
        ],
    );
    assert_ne!(code, 0, "{err}");
    // Each ledger verifies, and its log is its own.
    assert!(ok(&kalmar, &["verify"]).contains("ok: 2 poster"));
    assert!(ok(&vaxjo, &["verify"]).contains("ok: 1 post"));
    assert!(!ok(&vaxjo, &["log"]).contains("BUF"));
    // The tokens of each ledger are its own, in the database; a folder for them is refused.
    let dir = tempfile::tempdir().unwrap();
    for (db, name) in [(&kalmar, "kalmar.revisor"), (&vaxjo, "vaxjo.revisor")] {
        let folder = dir.path().join(name);
        let (code, _, err) = rambok(db, &["token", "--tokens", folder.to_str().unwrap(), "list"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("--tokens") && err.contains("i databasen"),
            "{err}"
        );
        assert!(!folder.exists());
        let args = [
            "token", "add", "--role", "auditor", "--name", name, "--by", "test",
        ];
        ok(db, &args);
    }
    let listed = ok(&vaxjo, &["token", "list"]);
    assert!(
        listed.contains("vaxjo.revisor") && !listed.contains("kalmar"),
        "{listed}"
    );
    let logged = ok(&kalmar, &["token", "log", "--format", "json"]);
    assert!(
        logged.contains("kalmar.revisor") && !logged.contains("vaxjo"),
        "{logged}"
    );
}

#[test]
fn a_changed_row_is_found_by_verify() {
    let pg = Cluster::start();
    let url = pg.url("skadad");
    ok(&url, &["init"]);
    for code in ["AAA", "BBB", "CCC"] {
        ok(
            &url,
            &[
                "record",
                "office_defined",
                "--office",
                code,
                "--name",
                "en förvaltning",
            ],
        );
    }
    assert!(ok(&url, &["verify"]).contains("ok: 3 poster"));
    // One byte of the second block's record changed, as someone with the database's password could.
    pg.psql("UPDATE rambok_blocks SET bytes = overlay(bytes placing '\\x58'::bytea from length(bytes) - 3 for 1) WHERE ledger = 'skadad' AND first_seq = 2");
    let (code, _, err) = rambok(&url, &["verify"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("sekvens 2"), "{err}");
    // A removed block is a missing record.
    pg.psql("DELETE FROM rambok_blocks WHERE ledger = 'skadad' AND first_seq = 2");
    let (code, _, err) = rambok(&url, &["verify"]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("saknad post") || err.contains("saknas"),
        "{err}"
    );
}

#[test]
fn a_database_stopped_hard_under_load_keeps_every_acknowledged_event() {
    let pg = Cluster::start();
    let url = pg.url("krasch");
    ok(&url, &["init"]);
    let ledger = Arc::new(open(&url));
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let (ledger, acked, stop) = (ledger.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let code = format!("K{w}N{i}");
                    if ledger
                        .append(&[office(&code)], "last", None, Utc::now())
                        .is_ok()
                    {
                        acked.lock().unwrap().push(code);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(700));
    pg.stop_hard();
    let at_stop = acked.lock().unwrap().len();
    std::thread::sleep(std::time::Duration::from_millis(200));
    pg.start_again();
    // The writers go on once the database is back: the same handle takes appends again.
    let started = std::time::Instant::now();
    while acked.lock().unwrap().len() <= at_stop + 10 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no append after the database came back ({at_stop} before it stopped)"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 10, "{} acknowledged", acked.len());
    // A fresh process reads what the database kept: every acknowledged event, the chain whole.
    let after = open(&url);
    rambok::control::verify::verify(&after).unwrap();
    let stored: std::collections::HashSet<String> = after
        .records()
        .unwrap()
        .iter()
        .map(|r| format!("{:?}", r.event))
        .collect();
    for code in &acked {
        assert!(
            stored.iter().any(|s| s.contains(&format!("\"{code}\""))),
            "{code} was acknowledged but is gone"
        );
    }
}

/// Two `rambok serve` processes on one ledger, 32 clients posting through both at once: every
/// acknowledged event is stored once, the sequence has no gap, and both servers answer with the
/// same head afterwards.
#[test]
fn two_servers_on_one_database_take_32_writers_with_nothing_lost() {
    use crate::server::start_serve;
    let pg = Cluster::start();
    let url = pg.url("tva");
    ok(&url, &["init"]);
    let mut servers = Vec::new();
    for name in ["a", "b"] {
        let token = ok(
            &url,
            &[
                "token",
                "add",
                "--role",
                "controller",
                "--name",
                name,
                "--by",
                "test",
            ],
        );
        let (child, address) = start_serve(&url, &[]);
        servers.push((child, address, token.trim().to_string()));
    }
    let clients = 32;
    let per_client = 6;
    let targets: Vec<(String, String)> = servers
        .iter()
        .map(|(_, a, t)| (a.clone(), t.clone()))
        .collect();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (address, token) = targets[c % 2].clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let mut acked = Vec::new();
                for i in 0..per_client {
                    let code = format!("S{c}N{i}");
                    let body = serde_json::json!({"type": "office_defined", "office": code, "name": "en förvaltning"});
                    let mut r = agent
                        .post(&format!("{address}/api/events"))
                        .header("Authorization", format!("Bearer {token}"))
                        .send(body.to_string())
                        .unwrap();
                    let status = r.status().as_u16();
                    let text = r.body_mut().read_to_string().unwrap();
                    assert_eq!(status, 201, "{text}");
                    acked.push(code);
                }
                acked
            })
        })
        .collect();
    let acked: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(acked.len(), clients * per_client);
    let total = acked.len() as u64;
    let ledger = open(&url);
    rambok::control::verify::verify(&ledger).unwrap();
    let records = ledger.records().unwrap();
    assert_eq!(records.len() as u64, total, "nothing lost, nothing doubled");
    assert_eq!(records.last().unwrap().seq, total);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (_, address, token) in &servers {
        let text = agent
            .get(&format!("{address}/api/verify"))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        assert!(text.contains(&format!("\"records\":{total}")), "{text}");
    }
    // The recorder is each server's token holder.
    let by: std::collections::BTreeSet<_> = records.iter().map(|r| r.recorded_by.clone()).collect();
    assert_eq!(by.into_iter().collect::<Vec<_>>(), ["a", "b"]);
}
