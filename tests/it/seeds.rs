//! The published tables of the two Kalmar documents, reproduced from the fixture events figure by
//! figure, and the time travel between them.

use rambok::cli::demo::fixture_events;
use rambok::domain::amount::Unit;
use rambok::domain::event::Date;
use rambok::ledger::Ledger;
use rambok::projection::Clock;
use rambok::query::{answer, answer_from_records, Report};
use rambok::report::number::money;
use rambok::report::number::{Sign, Style};
use rambok::report::table::{cell_text, Cell, Table};
use rambok::store::record::Recorded;

fn kalmar() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    let events = fixture_events().unwrap();
    ledger
        .append(&events, "test", None, chrono::Utc::now())
        .unwrap();
    (dir, ledger)
}

/// The table as printed text, cell by cell, with `−` written as `-` to compare with the seeds.
fn printed(table: &Table, decimals: u32, sign: Sign) -> Vec<Vec<String>> {
    let style = Style::terminal(Unit::Tkr, decimals, sign);
    table
        .rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|c| match c {
                    Cell::Money { amount, flips } => {
                        money(*amount, *flips, &style).replace('\u{2212}', "-")
                    }
                    other => cell_text(other, &style),
                })
                .collect()
        })
        .collect()
}

/// Checks every row of `expected` (label, printed figures as the seed prints them) against the
/// table's rows in order: same number of rows, each figure equal.
fn check(report: Report, clock: Clock, decimals: u32, sign: Sign, expected: &[(&str, &[&str])]) {
    let (_dir, ledger) = kalmar();
    let records: Vec<Recorded> = ledger.records().unwrap();
    // The published table from the persisted index, and the same from the fold over the log.
    let rendered = answer(&ledger, &report, &clock).unwrap();
    let folded = answer_from_records(&report, &records, &clock);
    assert_eq!(
        rendered.json, folded.json,
        "index and fold differ on {report:?}"
    );
    let rows = printed(&rendered.tables[0], decimals, sign);
    assert_eq!(rows.len(), expected.len(), "rows of {report:?}: {rows:#?}");
    for (row, (label, figures)) in rows.iter().zip(expected) {
        assert!(
            row[0].starts_with(label),
            "expected row '{label}', found '{}'",
            row[0]
        );
        let got: Vec<&str> = row[1..]
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .take(figures.len())
            .collect();
        assert_eq!(&got, figures, "row '{label}'");
    }
}

fn at(y: i32, m: u32, d: u32) -> Clock {
    Clock {
        as_of: Date::ymd(y, m, d),
        known_at: None,
    }
}

#[test]
fn bridge_reproduces_forandringar_2017_jamfort_med_2016() {
    check(
        Report::Bridge {
            office: "KLK".into(),
            from: 2016,
            to: 2017,
        },
        Clock::default(),
        0,
        Sign::Result,
        &[
            ("Budgetram 2016", &["-469 265"]),
            ("Flyttkostnader arkivcentrum", &["-1 000"]),
            ("Förändrad debiteringsmodell IT", &["273"]),
            ("Tillfälligt ökad ram 2016 integrationspengar", &["280"]),
            ("Besparingskrav 1%, stabil ekonomi", &["1 990"]),
            ("Förändring ram Gymnasieförbundet", &["3 406"]),
            (
                "Kompensation kostnadsökning, köpt verksamhet och löneökningar",
                &["-2 574"],
            ),
            ("Summa förändringar, KF", &["2 375"]),
            ("Budgetram från samhällsbyggnadskontoret", &["-691"]),
            ("Budgetram från serviceförvaltningen", &["-1 013"]),
            ("Budgetram från barn- och ungdomsförvaltningen", &["-1 353"]),
            ("Budgetram från kultur- och fritidsförvaltningen", &["-710"]),
            ("Budgetram från socialförvaltningen", &["-1 980"]),
            ("Budgetram från omsorgsförvaltningen", &["-4 261"]),
            ("Budgetram från Södermøre kommundelsförvaltning", &["-671"]),
            ("Summa förändringar mellan förvaltningar", &["-10 679"]),
            ("Summa förändringar mellan 2016 och 2017", &["-8 304"]),
            ("Budgetram 2017", &["-477 569"]),
        ],
    );
}

#[test]
fn budget_reproduces_driftsbudget_2017_2016() {
    // Revenue, cost and net in the document's convention; its "Skillnad" column is the increase in
    // net cost, which keeps its sign in both conventions (see fixtures/kalmar/README.md).
    check(
        Report::Budget {
            office: "KLK".into(),
            year: 2017,
            compare: Some(2016),
        },
        Clock::default(),
        0,
        Sign::Result,
        &[
            (
                "Administration och stöd",
                &[
                    "65 595", "-174 102", "-108 507", "53 409", "-149 974", "-96 565", "11 942",
                ],
            ),
            (
                "Infrastruktur och skydd",
                &[
                    "105 425", "-119 737", "-14 312", "98 377", "-113 630", "-15 253", "-941",
                ],
            ),
            (
                "Näringsliv och arbetsmarknad",
                &[
                    "63 253", "-136 270", "-73 017", "60 044", "-132 818", "-72 774", "243",
                ],
            ),
            (
                "Politisk verksamhet",
                &[
                    "450", "-13 890", "-13 440", "462", "-13 436", "-12 974", "466",
                ],
            ),
            (
                "Gymnasieskola",
                &[
                    "0", "-268 293", "-268 293", "0", "-271 699", "-271 699", "-3 406",
                ],
            ),
            (
                "Summa",
                &[
                    "234 723", "-712 292", "-477 569", "212 292", "-681 557", "-469 265", "8 304",
                ],
            ),
        ],
    );
}

#[test]
fn investments_reproduce_investeringsbudget_2017_2016() {
    check(
        Report::Investments {
            office: "KLK".into(),
            year: 2017,
            compare: Some(2016),
        },
        Clock::default(),
        0,
        Sign::Result,
        &[
            ("Administration och stöd", &["200", "200", "0"]),
            ("Infrastruktur och skydd", &["133 700", "63 500", "70 200"]),
            (
                "Investeringar fastigheter och infrastruktur enl KF budget",
                &["363 050", "421 338", "-58 288"],
            ),
            ("Summa", &["496 950", "485 038", "11 912"]),
        ],
    );
}

#[test]
fn outcome_reproduces_driftredovisning_2014_totals_included() {
    check(
        Report::Outcome {
            office: "KLK".into(),
            year: 2014,
        },
        Clock::default(),
        1,
        Sign::Cost,
        &[
            ("Koncernledning", &["16 099,0", "17 424,8", "-1 325,8"]),
            (
                "Kansli- och omvärldsenhet",
                &["39 851,0", "35 383,4", "4 467,6"],
            ),
            ("Ekonomienhet", &["35 495,0", "35 433,8", "61,2"]),
            ("Personalenhet", &["16 154,0", "16 523,7", "-369,7"]),
            ("Kommunhälsan", &["8 759,0", "8 048,5", "710,5"]),
            (
                "Näringslivs- och arbetsmarknadsenhet",
                &["44 097,0", "40 952,3", "3 144,7"],
            ),
            (
                "Projekt- och exploateringsenhet",
                &["9 164,0", "12 013,3", "-2 849,3"],
            ),
            ("Kommunikationsenhet", &["6 450,0", "5 865,9", "584,1"]),
            ("Brandkår", &["41 533,0", "40 774,7", "758,3"]),
            (
                "Summa driftresultat",
                &["217 602,0", "212 420,3", "5 181,7"],
            ),
            (
                "Exploateringsverksamhet",
                &["-30 000,0", "-25 765,8", "-4 234,2"],
            ),
            ("Totalt", &["187 602,0", "186 654,5", "947,5"]),
        ],
    );
}

/// Every printed figure of the 2014 Investeringsredovisning but one comes out; Markförvärv's
/// printed deviation −2 895 is not its budget 3 920 minus its outcome 6 708 (= −2 788): the
/// source's own error, which the ledger does not copy.
#[test]
fn investments_2014_reproduce_all_but_the_sources_markforvarv_error() {
    check(
        Report::Investments {
            office: "KLK".into(),
            year: 2014,
            compare: None,
        },
        Clock::default(),
        0,
        Sign::Cost,
        &[
            ("Samlingsanslag KLK", &["200", "296", "-96"]),
            ("Brandkår", &["3 400", "1 732", "1 669"]),
            ("Kommuninvest mm", &["0", "9 331", "-9 331"]),
            ("Hamnverksamhet", &["4 000", "1 551", "2 449"]),
            ("Markförvärv", &["3 920", "6 708", "-2 788"]),
            ("Exploateringsverksamhet", &["49 176", "47 751", "1 424"]),
            ("Summa", &["60 696", "67 369", "-6 673"]),
        ],
    );
}

#[test]
fn klk_2017_frame_travels_in_time() {
    let (_dir, ledger) = kalmar();
    let records = ledger.records().unwrap();
    let frame_at = |clock: Clock| {
        let indexed = rambok::query::frames(&ledger, 2017, &clock).unwrap();
        // KLK is listed from its definition on; a frame is there once something moved it.
        let indexed = indexed
            .into_iter()
            .find(|f| f.office == "KLK" && f.events > 0);
        let folded = rambok::projection::frames::frame(&records, "KLK", 2017, &clock);
        assert_eq!(indexed, folded, "index and fold differ at {clock:?}");
        indexed.map(|f| f.frame.rounded(Unit::Tkr, 0))
    };
    assert_eq!(
        frame_at(at(2016, 6, 29)),
        None,
        "nothing decided before KF's June decision"
    );
    assert_eq!(
        frame_at(at(2016, 7, 1)),
        Some(466_890),
        "after KF's June decision, before the transfers"
    );
    assert_eq!(
        frame_at(at(2016, 11, 22)),
        Some(477_569),
        "on the document's date"
    );
    assert_eq!(frame_at(Clock::default()), Some(477_569));
    let known_before = Clock {
        as_of: None,
        known_at: Some(records[0].recorded_at - chrono::Duration::seconds(1)),
    };
    assert_eq!(
        frame_at(known_before),
        None,
        "nothing known before it was recorded"
    );
}

#[test]
fn goals_annex_counts_and_statuses() {
    let (_dir, ledger) = kalmar();
    let g = rambok::query::goals(&ledger, 2017, None, &Clock::default()).unwrap();
    let records = ledger.records().unwrap();
    assert_eq!(
        g,
        rambok::projection::goals::goals(&records, 2017, None, &Clock::default())
    );
    let council: usize = g.focus_areas.iter().map(|f| f.council_goals.len()).sum();
    let committee: usize = g
        .focus_areas
        .iter()
        .map(|f| {
            f.council_goals
                .iter()
                .map(|c| c.committee_goals.len())
                .sum::<usize>()
                + f.own_goals.len()
        })
        .sum();
    assert_eq!((council, committee), (20, 16));
    let counts: Vec<(String, usize, Vec<usize>)> = g
        .counts
        .iter()
        .map(|c| {
            (
                c.kind.name().to_string(),
                c.total,
                c.by_status.iter().map(|(_, n)| *n).collect(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("activity".to_string(), 44, vec![44, 0, 0]),
            ("assignment".to_string(), 11, vec![11, 0, 0]),
            ("goal".to_string(), 16, vec![0, 0, 0, 16]),
        ]
    );
    // The day before KS's plan, its activities did not exist yet.
    let before = rambok::query::goals(&ledger, 2017, None, &at(2016, 11, 21)).unwrap();
    assert_eq!(before.counts[0].total, 0);
    assert_eq!(g.focus_areas.len(), 5);
}
