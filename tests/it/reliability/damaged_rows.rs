//! Damaged rows on PostgreSQL, the counterpart of `damaged_files_are_reported_never_misread` on
//! sled: a ledger of the Kalmar fixtures and synthetic events in the shared cluster has bytes
//! changed in one row at a time, as someone with the database's password could change them — a
//! record block, an index entry (key or value), or the head's hash — and then `report frames` and
//! `verify` run on it. Each must report the damage (a non-zero exit and a message) or print
//! exactly what it printed undamaged; other figures, a panic or a hang are failures. The row is
//! put back after each trial.

use super::{first_line, judge, long, run_bin, seed, Outcome, Rng, HANG, REPORT_ARGS};
use chrono::Utc;
use rambok::json::parse_event;
use std::collections::BTreeMap;

/// Synthetic events on top of the Kalmar fixtures, in two appends.
const SYNTHETIC: usize = 4_000;

/// Where the bytes are changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Row {
    /// A block of records (`rambok_blocks.bytes`).
    Block,
    /// An index entry's value (`rambok_derived.value`).
    DerivedValue,
    /// An index entry's key (`rambok_derived.key`), when no other entry has the changed key.
    DerivedKey,
    /// The head's hash (`rambok_heads.hash`).
    HeadHash,
}

/// What puts a damaged row back.
type Undo = Box<dyn Fn(&mut postgres::Client)>;

fn client(db: &std::path::Path) -> (postgres::Client, String) {
    let rambok::store::target::Target::Postgres(url) =
        rambok::store::target::Target::parse(db).unwrap()
    else {
        panic!("{db:?} is no PostgreSQL URL")
    };
    let client = postgres::Client::connect(&url.conninfo, postgres::NoTls).unwrap();
    (client, url.ledger)
}

/// Flips 1 bit, 1 byte, 2–8 bytes or a 64-byte run of `bytes`.
fn damage(rng: &mut Rng, bytes: &mut [u8]) -> String {
    let len = bytes.len() as u64;
    let (kind, flips) = match rng.below(10) {
        0..=4 => ("one bit", 1),
        5..=6 => ("one byte", 1),
        7..=8 => ("2-8 bytes", 2 + rng.below(7)),
        _ => ("64-byte run", 64.min(len)),
    };
    let start = rng.below(len);
    let mut at_list = Vec::new();
    for k in 0..flips {
        let at = if kind == "64-byte run" {
            ((start + k) % len) as usize
        } else {
            rng.below(len) as usize
        };
        let mask = if kind == "one bit" {
            1u8 << rng.below(8)
        } else {
            1 + rng.below(255) as u8
        };
        bytes[at] ^= mask;
        if at_list.len() < 4 {
            at_list.push(format!("{at}^{mask:#04x}"));
        }
    }
    format!("{kind} at {}", at_list.join(" "))
}

#[test]
fn damaged_rows_are_reported_never_misread() {
    let seed = seed("damaged_rows");
    let mut rng = Rng::new(seed);
    let trials = if long() { 600 } else { 60 };
    let db = crate::engines::fresh_on(crate::engines::Engine::Pg, "damaged_rows");
    {
        let ledger = crate::engines::open(&db.path);
        let fixtures = rambok::cli::demo::fixture_events().unwrap();
        ledger
            .append(&fixtures, "fixtures", Some(0), Utc::now())
            .unwrap();
        let mut synthetic = Vec::new();
        rambok::gen::municipality(SYNTHETIC, 7, |v| synthetic.push(parse_event(&v).unwrap()));
        let (first, second) = synthetic.split_at(SYNTHETIC / 2);
        for part in [first, second] {
            ledger.append(part, "gen", None, Utc::now()).unwrap();
        }
    }
    let report = run_bin(&db.path, &REPORT_ARGS, HANG);
    let verify = run_bin(&db.path, &["verify"], HANG);
    for run in [&report, &verify] {
        assert_eq!(run.status.and_then(|s| s.code()), Some(0), "{}", run.stderr);
    }
    assert!(report.stdout.contains("\"F40\""), "{}", report.stdout);
    let (mut c, ledger) = client(&db.path);
    let blocks: Vec<i64> = c
        .query(
            "SELECT first_seq FROM rambok_blocks WHERE ledger = $1 ORDER BY first_seq",
            &[&ledger],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let keys: Vec<Vec<u8>> = c
        .query(
            "SELECT key FROM rambok_derived WHERE ledger = $1 ORDER BY key",
            &[&ledger],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        blocks.len() > 10 && keys.len() > 100,
        "{} {}",
        blocks.len(),
        keys.len()
    );

    let mut tally: BTreeMap<(Outcome, Row), usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for trial in 0..trials {
        let row = match rng.below(100) {
            0..=44 => Row::Block,
            45..=74 => Row::DerivedValue,
            75..=89 => Row::DerivedKey,
            _ => Row::HeadHash,
        };
        // Each arm damages one row and returns how, and the statement that puts it back.
        let (what, undo): (String, Undo) = match row {
            Row::Block => {
                let seq = blocks[rng.below(blocks.len() as u64) as usize];
                let sql =
                    "UPDATE rambok_blocks SET bytes = $3 WHERE ledger = $1 AND first_seq = $2";
                let old: Vec<u8> = c
                    .query_one(
                        "SELECT bytes FROM rambok_blocks WHERE ledger = $1 AND first_seq = $2",
                        &[&ledger, &seq],
                    )
                    .unwrap()
                    .get(0);
                let mut new = old.clone();
                let how = damage(&mut rng, &mut new);
                c.execute(sql, &[&ledger, &seq, &new]).unwrap();
                let l = ledger.clone();
                (
                    format!("block {seq}: {how}"),
                    Box::new(move |c| {
                        c.execute(sql, &[&l, &seq, &old]).unwrap();
                    }),
                )
            }
            Row::DerivedValue => {
                let key = keys[rng.below(keys.len() as u64) as usize].clone();
                let sql = "UPDATE rambok_derived SET value = $3 WHERE ledger = $1 AND key = $2";
                let old: Vec<u8> = c
                    .query_one(
                        "SELECT value FROM rambok_derived WHERE ledger = $1 AND key = $2",
                        &[&ledger, &key],
                    )
                    .unwrap()
                    .get(0);
                if old.is_empty() {
                    continue;
                }
                let mut new = old.clone();
                let how = damage(&mut rng, &mut new);
                c.execute(sql, &[&ledger, &key, &new]).unwrap();
                let l = ledger.clone();
                (
                    format!("index value of {}: {how}", show_key(&key)),
                    Box::new(move |c| {
                        c.execute(sql, &[&l, &key, &old]).unwrap();
                    }),
                )
            }
            Row::DerivedKey => {
                let key = keys[rng.below(keys.len() as u64) as usize].clone();
                let mut new = key.clone();
                let how = damage(&mut rng, &mut new);
                if keys.binary_search(&new).is_ok() {
                    continue;
                }
                let sql = "UPDATE rambok_derived SET key = $3 WHERE ledger = $1 AND key = $2";
                c.execute(sql, &[&ledger, &key, &new]).unwrap();
                let l = ledger.clone();
                (
                    format!("index key {}: {how}", show_key(&key)),
                    Box::new(move |c| {
                        c.execute(sql, &[&l, &new, &key]).unwrap();
                    }),
                )
            }
            Row::HeadHash => {
                let sql = "UPDATE rambok_heads SET hash = $2 WHERE ledger = $1";
                let old: Vec<u8> = c
                    .query_one(
                        "SELECT hash FROM rambok_heads WHERE ledger = $1",
                        &[&ledger],
                    )
                    .unwrap()
                    .get(0);
                let mut new = old.clone();
                let how = damage(&mut rng, &mut new);
                c.execute(sql, &[&ledger, &new]).unwrap();
                let l = ledger.clone();
                (
                    format!("head hash: {how}"),
                    Box::new(move |c| {
                        c.execute(sql, &[&l, &old]).unwrap();
                    }),
                )
            }
        };
        let reported = run_bin(&db.path, &REPORT_ARGS, HANG);
        let verified = run_bin(&db.path, &["verify"], HANG);
        undo(&mut c);
        let outcome = match (
            judge(&reported, &report.stdout),
            judge(&verified, &verify.stdout),
        ) {
            (Err((kind, detail)), _) => Err(("report", kind, detail)),
            (_, Err((kind, detail))) => Err(("verify", kind, detail)),
            (Ok(None), Ok(None)) => Ok(Outcome::Unchanged),
            (Ok(Some(r)), _) | (Ok(None), Ok(Some(r))) => Ok(Outcome::Reported(r)),
        };
        let outcome = outcome.unwrap_or_else(|(command, kind, detail)| {
            failures.push(format!(
                "trial {trial} ({what}): {command}: {kind}: {detail}; report said: {}{}; \
                 verify said: {}{}",
                first_line(&reported.stdout),
                first_line(&reported.stderr),
                first_line(&verified.stdout),
                first_line(&verified.stderr)
            ));
            Outcome::Failure(format!("{command}: {kind}"))
        });
        *tally.entry((outcome, row)).or_default() += 1;
    }
    // The ledger is whole again after the last trial.
    let after = run_bin(&db.path, &["verify"], HANG);
    assert_eq!(after.stdout, verify.stdout, "{}", after.stderr);
    for ((outcome, row), n) in &tally {
        eprintln!("damaged_rows: {n:>4} {row:?}: {outcome:?}");
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {trials} damaged rows were misread, panicked or hung:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// An index key for messages: its printable bytes, the others as `.`.
fn show_key(key: &[u8]) -> String {
    key.iter()
        .take(40)
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
        .collect()
}
