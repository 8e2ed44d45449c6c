//! The persisted index against the reference fold: random ledgers (frames, transfers, budgets,
//! outcomes, investments, goals and statuses, indicators with targets and measurements, renamed offices, corrections, several appends at
//! several moments), every report kind asked through the index at random as-of dates and
//! known-at moments must equal the fold over the whole log. And the index's life: a store of the
//! old layout is rebuilt once, an abandoned append leaves nothing, `verify` finds a forged entry.

use crate::engines::{self, Engine};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use rambok::domain::event::{Date, Event};
use rambok::gen::Rng;
use rambok::ledger::{Damage, Ledger, LedgerError};
use rambok::projection::history;
use rambok::projection::Clock;
use rambok::query::{self, Report};
use rambok::store::record::Recorded;
use rambok::store::Store;
use serde_json::{json, Value};

/// 24 cases on sled, 6 on PostgreSQL (each a ledger of a few hundred events appended over
/// connections), unless PROPTEST_CASES says otherwise.
fn config(engine: Engine) -> Config {
    let default = match engine {
        Engine::Sled => 24,
        Engine::Pg => 6,
    };
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
        failure_persistence: None,
        ..Config::default()
    }
}

const OFFICES: [&str; 3] = ["A", "B", "C"];
const AREAS: [&str; 2] = ["X", "Y"];
const YEARS: [i32; 2] = [2017, 2018];

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len() as u64) as usize]
}

/// A day from 2016 to 2018.
fn day(rng: &mut Rng) -> String {
    let d = Date::ymd(2016, 1, 1).unwrap().0 + Duration::days(rng.below(3 * 365) as i64);
    d.format("%Y-%m-%d").to_string()
}

fn decision(rng: &mut Rng) -> Value {
    json!({"body": pick(rng, &["KF", "KS", "A"]), "date": day(rng)})
}

fn event(v: Value) -> Event {
    rambok::json::parse_event(&v).unwrap_or_else(|e| panic!("{v}: {e:?}"))
}

/// Definitions every ledger starts with: offices, areas (in one group, for subtotals), and per
/// year a council goal, a committee goal with activities (some starting the year before), and
/// an assignment.
fn definitions() -> Vec<Event> {
    let mut out = Vec::new();
    for o in OFFICES {
        out.push(event(
            json!({"type": "office_defined", "office": o, "name": format!("kontor {o}")}),
        ));
        for a in AREAS {
            out.push(event(json!({"type": "area_defined", "office": o, "area": a, "name": format!("område {a}"), "kind": "enhet", "group": "drift"})));
        }
    }
    for y in YEARS {
        let d = json!({"body": "KF", "date": format!("{}-06-20", y - 1)});
        out.push(event(json!({"type": "goal_defined", "goal": format!("FM{y}"), "level": "fullmäktigemål", "focus_area": "Ekonomi", "title": "Mål", "year": y, "decision": d})));
        out.push(event(json!({"type": "goal_defined", "goal": format!("NM{y}"), "level": "nämndsmål", "office": "A", "parent": format!("FM{y}"), "focus_area": "Ekonomi", "title": "Nämndsmål", "year": y, "decision": d})));
        for (i, start) in [format!("{y}-01-01"), format!("{}-09-01", y - 1)]
            .iter()
            .enumerate()
        {
            out.push(event(json!({"type": "activity_defined", "activity": format!("AK{y}-{i}"), "goal": format!("NM{y}"), "title": "Aktivitet", "responsible": "Anna", "start": start, "end": format!("{y}-12-31"), "decision": d})));
        }
        out.push(event(json!({"type": "assignment_defined", "assignment": format!("UP{y}"), "office": "B", "title": "Uppdrag", "focus_area": "Ekonomi", "year": y, "decision": d})));
        out.push(event(json!({"type": "indicator_defined", "indicator": format!("IN{y}"), "name": "Andel", "unit": "%", "direction": "higher", "goal": format!("NM{y}"), "office": "A"})));
        out.push(event(json!({"type": "indicator_defined", "indicator": format!("IF{y}"), "name": "Sjukfrånvaro", "unit": "%", "direction": "lower", "goal": format!("FM{y}")})));
    }
    out
}

/// One random event; `n` makes its content unique. Corrections pick an earlier event.
fn random_event(rng: &mut Rng, n: u64, correctable: &mut Vec<Event>) -> Event {
    let office = pick(rng, &OFFICES);
    let year = YEARS[rng.below(2) as usize];
    let area = pick(rng, &AREAS);
    let amount = (1 + rng.below(900)).to_string();
    let note = format!("h{n}");
    let v = match rng.below(16) {
        0 => {
            json!({"type": "frame_set", "office": office, "year": year, "amount": amount, "unit": "tkr", "decision": decision(rng), "note": note})
        }
        1 | 2 => {
            json!({"type": "frame_changed", "office": office, "year": year, "amount": format!("-{amount}"), "unit": "tkr", "category": "ramjustering", "reason": "r", "decision": decision(rng), "note": note})
        }
        3 => {
            json!({"type": "savings_required", "office": office, "year": year, "amount": amount, "unit": "tkr", "reason": "s", "decision": decision(rng), "note": note})
        }
        4 | 5 => {
            let to = OFFICES
                .iter()
                .find(|o| **o != office)
                .copied()
                .unwrap_or("A");
            let (from, to) = if rng.below(2) == 0 {
                (office, to)
            } else {
                (to, office)
            };
            json!({"type": "transfer", "from": from, "to": to, "year": year, "amount": amount, "unit": "tkr", "reason": "t", "decision": decision(rng), "note": note})
        }
        6 => {
            json!({"type": "budget_line", "office": office, "year": year, "area": area, "revenue": amount, "cost": "1000", "unit": "tkr", "decision": decision(rng), "note": note})
        }
        7 => {
            json!({"type": "outcome", "office": office, "year": year, "area": area, "period": format!("{year}-{:02}", 1 + rng.below(12)), "amount": amount, "unit": "tkr", "date": day(rng), "note": note})
        }
        8 => {
            json!({"type": "investment_budget", "office": office, "year": year, "project": pick(rng, &["P1", "P2"]), "amount": amount, "unit": "tkr", "decision": decision(rng), "note": note})
        }
        9 => {
            json!({"type": "investment_outcome", "office": office, "year": year, "project": pick(rng, &["P1", "P2"]), "amount": amount, "unit": "tkr", "date": day(rng), "note": note})
        }
        10 => {
            let (target, statuses) = match rng.below(3) {
                0 => (
                    format!("NM{year}"),
                    ["uppfyllt", "delvis uppfyllt", "ej uppfyllt"],
                ),
                1 => (
                    format!("AK{year}-{}", rng.below(2)),
                    ["ej påbörjad", "påbörjad", "genomförd"],
                ),
                _ => (
                    format!("UP{year}"),
                    ["ej påbörjad", "påbörjad", "genomförd"],
                ),
            };
            json!({"type": "status_updated", "target": target, "status": pick(rng, &statuses), "date": day(rng), "comment": note})
        }
        12 | 13 => {
            let indicator = format!(
                "{}{}",
                pick(rng, &["IN", "IF"]),
                YEARS[rng.below(2) as usize]
            );
            let value = format!("{}.{}", rng.below(10), rng.below(10));
            if rng.below(2) == 0 {
                json!({"type": "target_set", "indicator": indicator, "year": year, "value": value, "decision": decision(rng), "note": note})
            } else {
                let date = format!("{}-{:02}-15", year + rng.below(2) as i32, 1 + rng.below(12));
                json!({"type": "measured", "indicator": indicator, "year": year, "value": value, "date": date, "note": note})
            }
        }
        11 => {
            json!({"type": "office_defined", "office": office, "name": format!("kontor {office} {n}"), "from": day(rng)})
        }
        _ if !correctable.is_empty() => {
            let i = rng.below(correctable.len() as u64) as usize;
            let corrected = correctable.swap_remove(i);
            json!({"type": "correction", "corrects": corrected.id.to_string(), "reason": note})
        }
        _ => {
            json!({"type": "frame_changed", "office": office, "year": year, "amount": amount, "unit": "tkr", "category": "ramjustering", "reason": "r", "decision": decision(rng), "note": note})
        }
    };
    let e = event(v);
    if !matches!(e.body, rambok::domain::event::EventBody::Correction { .. }) {
        correctable.push(e.clone());
    }
    e
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 3, 1, 12, 0, 0).unwrap()
}

/// A ledger on sled drawn from `seed`: the definitions, then `events` random events in `appends`
/// appends recorded an hour apart.
fn ledger_from(seed: u64, events: usize, appends: usize) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    fill(&ledger, seed, events, appends);
    (dir, ledger)
}

/// Appends to `ledger` what [`ledger_from`] draws from `seed`.
fn fill<S: Store>(ledger: &Ledger<S>, seed: u64, events: usize, appends: usize) {
    ledger.append(&definitions(), "def", None, t0()).unwrap();
    let mut rng = Rng(seed | 1);
    let mut correctable = Vec::new();
    let per = events.div_ceil(appends.max(1));
    let mut n = 0;
    for a in 0..appends {
        let batch: Vec<Event> = (0..per)
            .map(|_| {
                n += 1;
                random_event(&mut rng, n, &mut correctable)
            })
            .collect();
        let at = t0() + Duration::hours(a as i64 + 1);
        ledger.append(&batch, "rec", None, at).unwrap();
    }
}

fn reports() -> Vec<Report> {
    let mut out = Vec::new();
    for year in YEARS {
        out.push(Report::Frames { year });
        out.push(Report::Goals { office: None, year });
        out.push(Report::Goals {
            office: Some("A".into()),
            year,
        });
        out.push(Report::Indicators { office: None, year });
        out.push(Report::Indicators {
            office: Some("B".into()),
            year,
        });
        for o in OFFICES {
            let office = o.to_string();
            out.push(Report::Bridge {
                office: office.clone(),
                from: year - 1,
                to: year,
            });
            out.push(Report::Budget {
                office: office.clone(),
                year,
                compare: Some(year - 1),
            });
            out.push(Report::Outcome {
                office: office.clone(),
                year,
            });
            out.push(Report::Investments {
                office,
                year,
                compare: Some(2017),
            });
        }
    }
    out
}

/// Clocks to ask at: no limit, random dates, and known-at moments before, between and after the
/// appends.
fn clocks(rng: &mut Rng, appends: usize) -> Vec<Clock> {
    let mut out = vec![Clock::default()];
    for _ in 0..3 {
        let day = day(rng);
        let as_of = rambok::json::parse_date(&day).ok();
        let hours = rng.below(appends as u64 + 2) as i64;
        let known_at =
            Some(t0() + Duration::minutes(30) + Duration::hours(hours) - Duration::hours(1));
        out.push(Clock {
            as_of,
            known_at: None,
        });
        out.push(Clock { as_of, known_at });
    }
    out
}

fn check_ledger(engine: Engine, seed: u64, events: usize, appends: usize) {
    let db = engines::fresh_on(engine, "index");
    let ledger = engines::open(&db.path);
    fill(&ledger, seed, events, appends);
    let records: Vec<Recorded> = ledger.records().unwrap();
    let mut rng = Rng(seed.rotate_left(17) | 1);
    for clock in clocks(&mut rng, appends) {
        for report in reports() {
            let indexed = query::answer(&ledger, &report, &clock).unwrap();
            let folded = query::answer_from_records(&report, &records, &clock);
            assert_eq!(
                indexed.json, folded.json,
                "seed {seed}: {report:?} at {clock:?}"
            );
        }
        for office in OFFICES {
            for year in YEARS {
                for area in [None, Some("X")] {
                    let indexed = query::history(&ledger, office, year, area, &clock).unwrap();
                    let folded = history::history(&records, office, year, area, &clock);
                    assert_eq!(
                        indexed, folded,
                        "seed {seed}: history {office} {year} {area:?} at {clock:?}"
                    );
                }
            }
        }
        let from = rambok::json::parse_date(&day(&mut rng)).unwrap();
        let to = rambok::json::parse_date(&day(&mut rng)).unwrap();
        let (from, to) = (from.min(to), from.max(to));
        let indexed = query::diff(&ledger, from, to, clock.known_at).unwrap();
        let folded = history::diff(&records, from, to, clock.known_at);
        assert_eq!(
            indexed, folded,
            "seed {seed}: diff {from}..{to} at {clock:?}"
        );
    }
    ledger.check_index().unwrap();
}

/// Every report through the index equals the fold over the log, on each engine.
mod every_report_from_the_index_equals_the_fold_over_the_log {
    use super::*;

    proptest! {
        #![proptest_config(config(Engine::Sled))]
        #[test]
        fn sled(seed in any::<u64>(), events in 10usize..160, appends in 1usize..5) {
            check_ledger(Engine::Sled, seed, events, appends);
        }
    }

    proptest! {
        #![proptest_config(config(Engine::Pg))]
        #[test]
        fn pg(seed in any::<u64>(), events in 10usize..160, appends in 1usize..5) {
            check_ledger(Engine::Pg, seed, events, appends);
        }
    }
}

#[test]
fn the_catalogue_lists_the_offices_years_and_dates_the_log_holds() {
    let (_dir, ledger) = ledger_from(7, 40, 2);
    let c = query::catalogue(&ledger).unwrap();
    let records = ledger.records().unwrap();
    let mut years: Vec<i32> = records.iter().filter_map(|r| r.event.body.year()).collect();
    years.sort();
    years.dedup();
    assert_eq!(c.years, years);
    let mut dates: Vec<Date> = records
        .iter()
        .filter_map(|r| r.event.body.effective_date())
        .collect();
    dates.sort();
    dates.dedup();
    assert_eq!(c.dates, dates);
    assert_eq!(c.offices.len(), 3);
}

/// A store whose index is of the layout before this one (a frame index under `h`, `f`, `n`,
/// `c`): opening it rebuilds the index from the log once, and the answers are those of the fold.
#[test]
fn a_store_with_the_old_index_layout_is_rebuilt_on_open_and_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let (_d, source) = ledger_from(11, 60, 2);
        let records = source.records().unwrap();
        let ledger = Ledger::open(&path).unwrap();
        for r in &records {
            ledger
                .append(
                    std::slice::from_ref(&r.event),
                    &r.recorded_by,
                    None,
                    r.recorded_at,
                )
                .unwrap();
        }
        // Replace the index by what the previous layout kept: every derived key goes, and a
        // layout-1 head (version 1, sequence number, no manifest entries) takes its place.
        let tree = ledger.store().raw_tree();
        let keys: Vec<_> = tree.scan_prefix(b"x").map(|kv| kv.unwrap().0).collect();
        for k in keys {
            tree.remove(k).unwrap();
        }
        let mut old_head = vec![1u8];
        old_head.extend_from_slice(&(records.len() as u64).to_le_bytes());
        tree.insert(b"xh", old_head).unwrap();
        tree.insert(b"xfold-layout-entry", &b"\x01"[..]).unwrap();
        ledger.store().raw_tree().flush().unwrap();
    }
    let ledger = Ledger::open(&path).unwrap();
    let tree = ledger.store().raw_tree();
    assert!(tree.get(b"xh").unwrap().is_none(), "the old head is gone");
    assert!(tree.get(b"xfold-layout-entry").unwrap().is_none());
    ledger.check_index().unwrap();
    let records = ledger.records().unwrap();
    for report in reports() {
        let clock = Clock::default();
        assert_eq!(
            query::answer(&ledger, &report, &clock).unwrap().json,
            query::answer_from_records(&report, &records, &clock).json,
            "{report:?}"
        );
    }
}

/// An import large enough to stage blocks and index entries beyond the head, abandoned (as a
/// crash between staging and the head's move would leave it): the staged entries are invisible
/// to questions, removed on the next open, and index and log agree.
#[test]
fn an_abandoned_append_leaves_no_index_entries_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let before;
    {
        let (_d, source) = ledger_from(3, 30, 1);
        let ledger = Ledger::open(&path).unwrap();
        for r in source.records().unwrap() {
            ledger
                .append(&[r.event], &r.recorded_by, None, r.recorded_at)
                .unwrap();
        }
        before = ledger.store().raw_tree().scan_prefix(b"x").count();
        let mut appender = ledger.begin("bulk", None, t0()).unwrap();
        for i in 0..150_000 {
            appender
                .push(&event(json!({"type": "frame_changed", "office": "A", "year": 2017, "amount": "1", "unit": "kr", "category": "c", "reason": format!("r{i}"), "decision": {"body": "KF", "date": "2016-06-01"}})))
                .unwrap();
        }
        let staged = ledger.store().raw_tree().scan_prefix(b"x").count();
        assert!(
            staged > before,
            "the append staged index entries ({staged} > {before})"
        );
        let frames = query::frames(&ledger, 2017, &Clock::default()).unwrap();
        let a = frames
            .iter()
            .find(|f| f.office == "A")
            .map(|f| f.events)
            .unwrap_or(0);
        assert!(
            a < 100,
            "staged entries are not seen by a question ({a} events)"
        );
        // A crash: the appender never commits and never cleans up.
        std::mem::forget(appender);
    }
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.store().raw_tree().scan_prefix(b"x").count(), before);
    ledger.check_index().unwrap();
}

/// A changed index entry (the log untouched) is found by `verify`'s index check, and an entry of
/// the index that does not decode stops a report instead of printing from it.
#[test]
fn a_forged_index_entry_is_damage() {
    let (_dir, ledger) = ledger_from(5, 40, 2);
    let tree = ledger.store().raw_tree();
    let (key, value) = tree.scan_prefix(b"xf").next().unwrap().unwrap();
    let mut forged = value.to_vec();
    forged[30] ^= 0x40;
    tree.insert(&key, forged).unwrap();
    match ledger.check_index() {
        Err(LedgerError::Corrupt {
            kind: Damage::Index,
            ..
        }) => {}
        other => panic!("a forged frame entry passed: {other:?}"),
    }
    let (rkey, _) = tree.scan_prefix(b"xr").next().unwrap().unwrap();
    tree.insert(&rkey, &b"not a record"[..]).unwrap();
    let office = std::str::from_utf8(&rkey[2..rkey.iter().position(|b| *b == 0).unwrap()])
        .unwrap()
        .to_string();
    let err = query::history(&ledger, &office, 2017, None, &Clock::default())
        .and_then(|_| query::history(&ledger, &office, 2018, None, &Clock::default()))
        .and_then(|_| query::budget(&ledger, &office, 2017, Some(2018), &Clock::default()))
        .and_then(|_| query::outcome(&ledger, &office, 2017, &Clock::default()))
        .and_then(|_| query::outcome(&ledger, &office, 2018, &Clock::default()))
        .and_then(|_| query::investments(&ledger, &office, 2017, Some(2018), &Clock::default()));
    assert!(
        matches!(
            err,
            Err(LedgerError::Corrupt {
                kind: Damage::Index,
                ..
            })
        ),
        "{err:?}"
    );
}

/// `verify --against` checks everything `verify` checks: a forged index entry (the log untouched)
/// fails it too. And a digest of sequence 0 holds only with the empty ledger's hash.
#[test]
fn verify_against_a_digest_checks_the_index_and_refuses_a_forged_empty_digest() {
    use rambok::control::verify::{verify, verify_against};
    use rambok::store::Head;
    let (_dir, ledger) = ledger_from(9, 30, 2);
    let head = ledger.head();
    verify_against(&ledger, &head).unwrap();
    let empty = Head {
        seq: 0,
        hash: rambok::store::record::GENESIS_HASH,
    };
    verify_against(&ledger, &empty).unwrap();
    let forged_empty = Head {
        seq: 0,
        hash: [7; 32],
    };
    assert!(matches!(
        verify_against(&ledger, &forged_empty),
        Err(LedgerError::Corrupt { .. })
    ));
    let tree = ledger.store().raw_tree();
    let (key, value) = tree.scan_prefix(b"xf").next().unwrap().unwrap();
    let mut forged = value.to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    tree.insert(&key, forged).unwrap();
    for result in [verify(&ledger), verify_against(&ledger, &head)] {
        assert!(
            matches!(
                result,
                Err(LedgerError::Corrupt {
                    kind: Damage::Index,
                    ..
                })
            ),
            "{result:?}"
        );
    }
}

/// Text that would make a report lie to its reader: a reason with a newline (a forged history
/// row), a right-to-left override (text shown reversed), a reason that a spreadsheet would run as
/// a formula, a line separator in JSON. Shown escaped, neutralised, never as what it pretends.
#[test]
fn hostile_text_prints_visibly_and_never_as_a_formula() {
    use rambok::query::{render, Common, Format, SignArg};
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    ledger.append(&definitions(), "def", None, t0()).unwrap();
    let d = json!({"body": "KF", "date": "2016-06-20"});
    let events = [
        json!({"type": "frame_set", "office": "A", "year": 2017, "amount": "1000", "unit": "tkr", "decision": d}),
        json!({"type": "frame_changed", "office": "A", "year": 2017, "amount": "-1", "unit": "tkr", "category": "c", "reason": "Flytt\nGodkänd av KF 999 999", "decision": d}),
        json!({"type": "frame_changed", "office": "A", "year": 2017, "amount": "-2", "unit": "tkr", "category": "c", "reason": "Flytt\u{200B} ok", "decision": d}),
        json!({"type": "frame_changed", "office": "A", "year": 2017, "amount": "-3", "unit": "tkr", "category": "c", "reason": "=1+1", "decision": d}),
        json!({"type": "frame_changed", "office": "A", "year": 2017, "amount": "-4", "unit": "tkr", "category": "c", "reason": "rad\u{2028}två", "decision": d}),
    ];
    let events: Vec<Event> = events.into_iter().map(event).collect();
    ledger.append(&events, "rec", None, t0()).unwrap();
    let clock = Clock::default();
    let common = |format| Common {
        as_of: None,
        known_at: None,
        format,
        unit: rambok::domain::amount::Unit::Tkr,
        sign: SignArg::Result,
        decimals: None,
    };
    let h = query::history(&ledger, "A", 2017, None, &clock).unwrap();
    let table = render(&query::history_rendered(&h, &clock), &common(Format::Table)).unwrap();
    assert!(
        !table.lines().any(|l| l.starts_with("Godkänd av KF")),
        "{table}"
    );
    assert!(table.contains("Flytt\\nGodkänd av KF 999 999"), "{table}");
    assert!(
        !table.contains('\u{200B}') && table.contains("Flytt<U+200B> ok"),
        "{table}"
    );
    // A right-to-left override has no use in a reason: refused at the door, naming the field.
    let reversed = json!({"type": "frame_changed", "office": "A", "year": 2017, "amount": "-2", "unit": "tkr", "category": "c", "reason": "Flytt \u{202E}0001- rkt\u{202C} ok", "decision": d});
    let refused = rambok::json::parse_event(&reversed).unwrap_err();
    assert_eq!(refused.field, "reason");
    assert!(refused.message.contains("U+202E"), "{refused:?}");
    assert_eq!(
        rambok::report::table::visible("Flytt \u{202E}0001- rkt\u{202C} ok"),
        "Flytt <U+202E>0001- rkt<U+202C> ok",
        "text already in an older ledger still shows escaped"
    );
    let bridge = query::answer(
        &ledger,
        &Report::Bridge {
            office: "A".into(),
            from: 2016,
            to: 2017,
        },
        &clock,
    )
    .unwrap();
    let csv = render(&bridge, &common(Format::Csv)).unwrap();
    assert!(!csv.contains(";=1+1") && !csv.starts_with("=1+1"), "{csv}");
    assert!(csv.contains("'=1+1;3;"), "{csv}");
    assert!(
        csv.contains("Ny budgetram 2017;-1000;"),
        "a negative amount stays a number: {csv}"
    );
    let json = render(&bridge, &common(Format::Json)).unwrap();
    assert!(
        !json.contains('\u{2028}') && json.contains("\\u2028"),
        "{json}"
    );
}
