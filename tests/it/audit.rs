//! For auditors and revisors: tamper evidence of every kind, the digest, each control rule
//! triggered and not triggered, history with corrections, diff, the waterfall, and the workbook.

use chrono::{DateTime, TimeZone, Utc};
use rambok::control::delegation::Delegation;
use rambok::control::rules::{control, Settings};
use rambok::control::verify::{verify, verify_against};
use rambok::domain::event::{Date, Event};
use rambok::json::parse_event;
use rambok::ledger::{Damage, Ledger, LedgerError};
use rambok::projection::Clock;
use rambok::store::record::Recorded;
use rambok::store::sled_store::block_key;
use std::process::Command;

const DELEGATION: &str = include_str!("../../fixtures/kalmar/delegation.json");

fn ev(s: &str) -> Event {
    parse_event(&serde_json::from_str(s).unwrap()).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

const OFFICES: &str = r#"{"type":"office_defined","office":"KLK","name":"kommunledningskontoret","committee":"KS"}
{"type":"office_defined","office":"SBK","name":"samhällsbyggnadskontoret","committee":"SBN"}
{"type":"area_defined","office":"KLK","area":"ADM","name":"Administration och stöd","kind":"verksamhetsområde"}"#;

fn frame_set(body: &str, case: &str) -> String {
    format!(
        r#"{{"type":"frame_set","office":"KLK","year":2017,"amount":"1000","unit":"tkr","decision":{{"body":"{body}","date":"2016-06-30"{case}}}}}"#
    )
}

const REF: &str = r#","case":"KS 2016/1","paragraph":"§ 1""#;

/// A ledger holding `lines`, each batch recorded by `who` at `when`.
fn ledger(batches: &[(&str, DateTime<Utc>, &str)]) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    for (who, when, lines) in batches {
        let events: Vec<Event> = lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(ev)
            .collect();
        l.append(&events, who, None, *when).unwrap();
    }
    (dir, l)
}

fn rules_found(records: &[Recorded], year: i32) -> Vec<&'static str> {
    let settings = Settings {
        year,
        late_days: 30,
        delegation: Some((
            Delegation::parse(DELEGATION).unwrap(),
            "delegation.json".into(),
        )),
    };
    let mut rules: Vec<&'static str> = control(records, &settings)
        .findings
        .into_iter()
        .map(|f| f.rule)
        .collect();
    rules.dedup();
    rules
}

/// Given these lines (recorded by anna on 2016-07-01, offices defined first), the rule fires or not.
fn check_rule(rule: &str, triggering: &str, clean: &str) {
    for (lines, expect) in [(triggering, true), (clean, false)] {
        let all = format!("{OFFICES}\n{lines}");
        let (_d, l) = ledger(&[("anna", at(2016, 7, 1), &all)]);
        let records = l.records().unwrap();
        let found = rules_found(&records, 2017).contains(&rule);
        assert_eq!(
            found,
            expect,
            "rule {rule} on:\n{lines}\nfound: {:?}",
            rules_found(&records, 2017)
        );
    }
}

#[test]
fn delegation_rules_fire_only_on_bodies_without_authority() {
    let transfer = |body: &str| {
        format!(
            r#"{{"type":"transfer","from":"SBK","to":"KLK","year":2017,"amount":"5","unit":"tkr","reason":"HR","decision":{{"body":"{body}","date":"2016-10-01"{REF}}}}}"#
        )
    };
    check_rule(
        "delegation.transfer",
        &transfer("SBN"),
        &transfer("kommundirektör"),
    );
    check_rule("delegation.transfer", &transfer("KSAU"), &transfer("KS"));
    check_rule(
        "delegation.frame",
        &frame_set("KS", REF),
        &frame_set("KF", REF),
    );
    let change = |body: &str| {
        format!(
            r#"{{"type":"frame_changed","office":"KLK","year":2017,"amount":"5","unit":"tkr","category":"ramjustering","reason":"x","decision":{{"body":"{body}","date":"2016-10-01"{REF}}}}}"#
        )
    };
    check_rule(
        "delegation.director_not_net_zero",
        &change("kommundirektör"),
        &change("KF"),
    );
    let line = |body: &str| {
        format!(
            r#"{{"type":"budget_line","office":"KLK","year":2017,"area":"ADM","net":"1000","unit":"tkr","decision":{{"body":"{body}","date":"2016-11-22"{REF}}}}}"#
        )
    };
    check_rule("delegation.frame", &line("SBN"), &line("KS"));
}

#[test]
fn missing_case_or_paragraph_is_a_finding() {
    check_rule(
        "decision.reference",
        &frame_set("KF", r#","case":"KS 2016/1""#),
        &frame_set("KF", REF),
    );
}

#[test]
fn one_sided_moves_between_offices_must_net_to_zero() {
    let mv = |office: &str, amount: &str| {
        format!(
            r#"{{"type":"frame_changed","office":"{office}","year":2017,"amount":"{amount}","unit":"tkr","category":"ramväxling","reason":"flytt","decision":{{"body":"KF","date":"2016-10-01"{REF}}}}}"#
        )
    };
    check_rule(
        "transfers.net_zero",
        &mv("KLK", "100"),
        &format!("{}\n{}", mv("KLK", "100"), mv("SBK", "-100")),
    );
}

#[test]
fn internal_budget_must_sum_to_the_frame() {
    let line = |net: &str| {
        format!(
            r#"{{"type":"budget_line","office":"KLK","year":2017,"area":"ADM","net":"{net}","unit":"tkr","decision":{{"body":"KS","date":"2016-11-22"{REF}}}}}"#
        )
    };
    let frame = frame_set("KF", REF);
    check_rule(
        "budget.equals_frame",
        &format!("{frame}\n{}", line("999")),
        &format!("{frame}\n{}", line("1000")),
    );
}

#[test]
fn four_eyes_needs_an_approval_by_someone_else() {
    let frame = ev(&frame_set("KF", REF));
    let approve = format!(
        r#"{{"type":"approved","event":"{}","comment":"attesterad"}}"#,
        frame.id
    );
    let base = format!("{OFFICES}\n{}", frame_set("KF", REF));
    let found = |approver: Option<&str>| {
        let mut batches = vec![("anna", at(2016, 7, 1), base.as_str())];
        if let Some(who) = approver {
            batches.push((who, at(2016, 7, 2), approve.as_str()));
        }
        let (_d, l) = ledger(&batches);
        rules_found(&l.records().unwrap(), 2017)
            .into_iter()
            .filter(|r| r.starts_with("four_eyes"))
            .collect::<Vec<_>>()
    };
    assert_eq!(found(None), ["four_eyes"], "never approved: a warning");
    assert_eq!(
        found(Some("anna")),
        ["four_eyes.own_recorder"],
        "approved by its own recorder: an error"
    );
    assert!(found(Some("bo")).is_empty(), "approved by someone else");
}

/// The attack: an entry recorded by `karin.lind`, approved by `karin.lind` plus a zero-width space
/// (or with a Cyrillic і), which looks the same in every listing.
#[test]
fn a_look_alike_approver_is_refused_and_control_sees_through_one() {
    let frame = ev(&frame_set("KF", REF));
    let approve = ev(&format!(
        r#"{{"type":"approved","event":"{}","comment":"attesterad"}}"#,
        frame.id
    ));
    let (dir, l) = ledger(&[("karin.lind", at(2016, 7, 1), OFFICES)]);
    l.append(&[frame], "karin.lind", None, at(2016, 7, 1))
        .unwrap();
    for look_alike in [
        "karin.lind\u{200B}",
        "kar\u{0456}n.lind",
        "karin.lind\u{202E}",
        "karin\nlind",
    ] {
        match l.append(
            std::slice::from_ref(&approve),
            look_alike,
            None,
            at(2016, 7, 2),
        ) {
            Err(LedgerError::BadRecorder(m)) => assert!(m.contains("användarnamnet"), "{m}"),
            other => panic!("{look_alike:?} was not refused: {other:?}"),
        }
    }
    // A name is stored in NFC: "Rene" + combining acute is the same recorder as "René".
    l.append(
        std::slice::from_ref(&approve),
        "Rene\u{301}",
        None,
        at(2016, 7, 2),
    )
    .unwrap();
    assert_eq!(
        l.records().unwrap().last().unwrap().recorded_by,
        "Ren\u{e9}"
    );

    // A ledger written before names were checked may hold a look-alike: control compares people
    // by their normalised name, so the approval is still the recorder's own.
    let mut records = l.records().unwrap();
    for (who, own) in [
        ("karin.lind\u{200B}", true),
        ("Karin.Lind", true),
        ("karin.lindh", false),
    ] {
        records.last_mut().unwrap().recorded_by = who.to_string();
        let own_found = rules_found(&records, 2017).contains(&"four_eyes.own_recorder");
        assert_eq!(own_found, own, "approved by {who:?}");
    }

    // The same names from the command line: refused with exit 1, nothing written.
    let before = l.records().unwrap().len();
    drop(l);
    let path = dir.path().join("l");
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .arg("--db")
        .arg(&path)
        .args([
            "token",
            "add",
            "--role",
            "controller",
            "--name",
            "karin.lind\u{200B}",
            // Who makes the change, so the name is what is refused whatever USER says.
            "--by",
            "anna",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("U+200B"), "{err}");
    let file = dir.path().join("approve.jsonl");
    std::fs::write(
        &file,
        serde_json::to_string(&rambok::json::event_to_json(&approve)).unwrap(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .arg("--db")
        .arg(&path)
        .args(["import", "--user", "kar\u{0456}n.lind"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("blandar bokstäver från två skriftsystem"),
        "{err}"
    );
    assert_eq!(
        Ledger::open(&path).unwrap().records().unwrap().len(),
        before
    );
}

#[test]
fn late_recording_and_changes_after_closing_are_findings() {
    let base = format!("{OFFICES}\n{}", frame_set("KF", REF));
    let (_d, l) = ledger(&[("anna", at(2016, 9, 15), &base)]);
    assert!(
        rules_found(&l.records().unwrap(), 2017).contains(&"recorded.late"),
        "77 days after the decision"
    );
    let (_d, l) = ledger(&[("anna", at(2016, 7, 10), &base)]);
    assert!(!rules_found(&l.records().unwrap(), 2017).contains(&"recorded.late"));

    let close = r#"{"type":"year_closed","year":2017,"date":"2018-02-15"}"#;
    let change = r#"{"type":"frame_changed","office":"KLK","year":2017,"amount":"5","unit":"tkr","category":"ramjustering","reason":"sent","decision":{"body":"KF","date":"2018-03-01","case":"KS 2018/1","paragraph":"§ 2"}}"#;
    let (_d, l) = ledger(&[
        ("anna", at(2016, 7, 1), &base),
        ("bo", at(2018, 2, 16), close),
        ("anna", at(2018, 3, 2), change),
    ]);
    assert!(rules_found(&l.records().unwrap(), 2017).contains(&"year.closed"));
    let (_d, l) = ledger(&[
        ("anna", at(2016, 7, 1), &base),
        ("anna", at(2016, 7, 2), change),
        ("bo", at(2018, 2, 16), close),
    ]);
    assert!(!rules_found(&l.records().unwrap(), 2017).contains(&"year.closed"));
}

#[test]
fn published_2014_figures_reconcile_except_the_sources_markforvarv_deviation() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    l.append(
        &rambok::cli::demo::fixture_events().unwrap(),
        "t",
        None,
        at(2015, 1, 22),
    )
    .unwrap();
    let settings = Settings {
        year: 2014,
        late_days: 100_000,
        delegation: Some((
            Delegation::parse(DELEGATION).unwrap(),
            "delegation.json".into(),
        )),
    };
    let findings: Vec<_> = control(&l.records().unwrap(), &settings)
        .findings
        .into_iter()
        .filter(|f| f.rule == "reported.reconciles")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].count, 1, "{findings:#?}");
    assert!(findings[0].examples[0].contains("investeringsredovisning KLK 2014, rad 'Markförvärv', avvikelse: tryckt −2 895 tkr men liggaren räknar fram −2 788,0 tkr per 2015-01-21 (skillnad −107,0 tkr)"), "{:?}", findings[0].examples);
}

fn tamper(mutate: impl FnOnce(&sled::Tree)) -> LedgerError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        for i in 0..4 {
            let change = format!(
                r#"{{"type":"frame_changed","office":"KLK","year":2017,"amount":"{}","category":"x","reason":"r","decision":{{"body":"KF","date":"2016-06-30"}}}}"#,
                i + 1
            );
            l.append(&[ev(&change)], "anna", None, at(2016, 7, 1))
                .unwrap();
        }
        mutate(l.store().raw_tree());
        l.store().raw_tree().flush().unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    verify(&l).unwrap_err()
}

#[test]
fn every_kind_of_tampering_is_named_with_its_first_bad_sequence_number() {
    let kind = |e: LedgerError| match e {
        LedgerError::Corrupt { seq, kind, .. } => (seq, kind),
        other => panic!("not a damage report: {other}"),
    };
    let changed = tamper(|t| {
        let mut v = t.get(block_key(2)).unwrap().unwrap().to_vec();
        let n = v.len();
        v[n - 40] ^= 0x20;
        t.insert(block_key(2), v).unwrap();
    });
    assert_eq!(kind(changed), (2, Damage::ChangedBytes));
    let missing = tamper(|t| {
        t.remove(block_key(3)).unwrap();
    });
    assert_eq!(kind(missing), (3, Damage::Missing));
    let reordered = tamper(|t| {
        let b2 = t.get(block_key(2)).unwrap().unwrap();
        let b3 = t.get(block_key(3)).unwrap().unwrap();
        t.insert(block_key(2), b3).unwrap();
        t.insert(block_key(3), b2).unwrap();
    });
    assert_eq!(kind(reordered), (2, Damage::Reordered));
    let version = tamper(|t| {
        let mut v = t.get(block_key(4)).unwrap().unwrap().to_vec();
        v[0] = 3;
        t.insert(block_key(4), v).unwrap();
    });
    assert_eq!(kind(version), (4, Damage::WrongVersion));
}

#[test]
fn the_cli_names_the_damage_and_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        l.append(&[ev(&frame_set("KF", REF))], "anna", None, at(2016, 7, 1))
            .unwrap();
        l.append(&[ev(&frame_set("KS", REF))], "anna", None, at(2016, 7, 1))
            .unwrap();
        l.store().raw_tree().remove(block_key(1)).unwrap();
        l.store().raw_tree().flush().unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .arg("--db")
        .arg(&path)
        .arg("verify")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("skadad vid sekvens 1 (saknad post)"), "{err}");
}

#[test]
fn a_digest_kept_elsewhere_catches_a_consistently_rewritten_chain() {
    let (_d1, original) = ledger(&[(
        "anna",
        at(2016, 7, 1),
        &format!("{OFFICES}\n{}", frame_set("KF", REF)),
    )]);
    let digest = verify(&original).unwrap().head;
    // The ledger grows: it still extends the digest.
    original
        .append(&[ev(&frame_set("KS", REF))], "bo", None, at(2016, 8, 1))
        .unwrap();
    assert!(verify_against(&original, &digest).is_ok());
    // A forger rewrites history with a self-consistent chain: verify alone passes, the digest does not.
    let (_d2, forged) = ledger(&[(
        "anna",
        at(2016, 7, 1),
        &format!(
            "{OFFICES}\n{}",
            frame_set("KF", r#","case":"KS 2016/9","paragraph":"§ 9""#)
        ),
    )]);
    assert!(verify(&forged).is_ok());
    match verify_against(&forged, &digest) {
        Err(LedgerError::Corrupt {
            seq,
            kind: Damage::ChangedBytes,
            ..
        }) => assert_eq!(seq, digest.seq),
        other => panic!("forgery not caught: {other:?}"),
    }
    let text = rambok::control::verify::digest_text(&digest);
    assert_eq!(
        rambok::control::verify::parse_digest(&text).unwrap(),
        digest
    );
}

#[test]
fn history_shows_a_correction_beside_what_it_corrects_and_known_at_shows_the_past() {
    let wrong = ev(
        r#"{"type":"frame_changed","office":"KLK","year":2017,"amount":"100","unit":"tkr","category":"x","reason":"Felaktig","decision":{"body":"KF","date":"2016-06-30"}}"#,
    );
    let correction = format!(
        r#"{{"type":"correction","corrects":"{}","reason":"fel belopp"}}"#,
        wrong.id
    );
    let base = format!(
        "{OFFICES}\n{}\n{}",
        frame_set("KF", REF),
        rambok::json::event_to_json(&wrong)
    );
    let (_d, l) = ledger(&[
        ("anna", at(2016, 7, 1), &base),
        ("bo", at(2016, 9, 1), &correction),
    ]);
    let records = l.records().unwrap();
    let h = rambok::projection::history::history(&records, "KLK", 2017, None, &Clock::default());
    assert_eq!(h.lines.len(), 2, "the corrected event stays in the history");
    let c = h.lines[1]
        .corrected_by
        .as_ref()
        .expect("shown as corrected");
    assert_eq!(
        (c.recorded_by.as_str(), c.reason.as_str()),
        ("bo", "fel belopp")
    );
    assert_eq!(h.lines[1].running, None);
    assert_eq!(h.end.unwrap().ore(), 100_000_000);
    let before = Clock {
        as_of: None,
        known_at: Some(at(2016, 8, 1)),
    };
    let h = rambok::projection::history::history(&records, "KLK", 2017, None, &before);
    assert!(h.lines[1].corrected_by.is_none());
    assert_eq!(
        h.end.unwrap().ore(),
        110_000_000,
        "before the correction was recorded, the old figure"
    );
}

#[test]
fn diff_lists_what_changed_between_two_dates_with_totals() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l")).unwrap();
    l.append(
        &rambok::cli::demo::fixture_events().unwrap(),
        "t",
        None,
        at(2017, 1, 1),
    )
    .unwrap();
    let d = rambok::projection::history::diff(
        &l.records().unwrap(),
        Date::ymd(2016, 7, 1).unwrap(),
        Date::ymd(2016, 11, 22).unwrap(),
        None,
    );
    let klk = d.frames.iter().find(|f| f.office == "KLK").unwrap();
    assert_eq!(
        (klk.before.unwrap().ore(), klk.after.unwrap().ore()),
        (46_689_000_000, 47_756_900_000)
    );
    assert_eq!(klk.events.len(), 7);
    assert_eq!(d.frames.len(), 8);
    assert!(
        d.frames_total.is_zero(),
        "transfers net to zero across the municipality"
    );
    assert_eq!(d.budgets.len(), 5, "the 2017 internal budget per area");
    assert_eq!(d.statuses.len(), 55);
    assert!(d.statuses.iter().all(|s| s.before.is_none()));
}

#[test]
fn history_svg_is_a_waterfall_with_swedish_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        l.append(
            &rambok::cli::demo::fixture_events().unwrap(),
            "t",
            None,
            at(2017, 1, 1),
        )
        .unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .args([
            "--db",
            path.to_str().unwrap(),
            "history",
            "--office",
            "KLK",
            "--year",
            "2017",
            "--format",
            "svg",
        ])
        .output()
        .unwrap();
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert_eq!(
        svg.matches("<rect").count(),
        2 + 6 + 7,
        "start, six council changes, seven transfers, end"
    );
    assert!(
        svg.contains("Budgetram KLK 2017: från 469 265 tkr till 477 569 tkr"),
        "{svg}"
    );
    assert!(svg.contains("<title>Besparingskrav 1%, stabil ekonomi: \u{2212}1 990 tkr</title>"));
}

#[test]
fn the_workbook_opens_and_holds_numbers_not_text() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let l = Ledger::open(&path).unwrap();
        l.append(
            &rambok::cli::demo::fixture_events().unwrap(),
            "t",
            None,
            at(2017, 1, 1),
        )
        .unwrap();
    }
    let file = dir.path().join("revision-2017.xlsx");
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .args([
            "--db",
            path.to_str().unwrap(),
            "export",
            "--year",
            "2017",
            "--out",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut wb: Xlsx<_> = open_workbook(&file).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Ramar",
            "Brygga",
            "Driftsbudget",
            "Utfall",
            "Investeringar",
            "Mål",
            "Verifikationskedja",
            "Kontroll"
        ]
    );
    let ramar = wb.worksheet_range("Ramar").unwrap();
    let klk = ramar
        .rows()
        .find(|r| r.first() == Some(&Data::String("KLK".into())))
        .unwrap();
    assert_eq!(
        klk[2],
        Data::Float(477_569.0),
        "the frame is a number in tkr"
    );
    let brygga = wb.worksheet_range("Brygga").unwrap();
    let end = brygga
        .rows()
        .find(|r| r.first() == Some(&Data::String("Budgetram 2017".into())))
        .unwrap();
    assert_eq!(end[1], Data::Float(477_569.0));
    let trail = wb.worksheet_range("Verifikationskedja").unwrap();
    let hashes: Vec<String> = trail
        .rows()
        .skip(3)
        .filter_map(|r| match &r[5] {
            Data::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        hashes.len() as u64,
        crate::kalmar_events(),
        "every event with its hash"
    );
    assert!(hashes.iter().all(|h| h.len() == 64));
    let kontroll = wb.worksheet_range("Kontroll").unwrap();
    // One row per cause, its severity first: the fixtures' KF decisions without case number.
    assert!(kontroll
        .rows()
        .any(|r| r.first() == Some(&Data::String("varning".into()))
            && r.get(1) == Some(&Data::String("decision.reference".into()))));
}
