//! Indicators, targets and measurements end to end: each event type accepted and refused (the
//! exact message, nothing written), the assessment of a goal at several as-of dates, the
//! indicators report in its three formats and from the API, and the control finding where a
//! status recorded by hand and the assessment disagree.

use crate::cli::{kalmar, ok, rambok, Db};
use expect_test::expect;
use serde_json::Value;
use std::path::Path;

/// Imports `lines` into `db` as one file; returns the exit code and stderr, the file's path
/// written as `FILE`.
fn import(db: &Path, lines: &str) -> (i32, String) {
    let file = db.parent().unwrap().join("in.jsonl");
    std::fs::write(&file, lines).unwrap();
    let (code, _, stderr) = rambok(db, &["import", file.to_str().unwrap()]);
    (code, stderr.replace(&file.display().to_string(), "FILE"))
}

/// The whole log, to show nothing was written.
fn log(db: &Path) -> String {
    ok(db, &["log", "--format", "json"])
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&ok(db, &all)).unwrap()
}

const DEFINE: &str = r#"{"type":"indicator_defined","indicator":"LOKAL","name":"Lokalyta per anställd","unit":"kvm","direction":"lower","goal":"NM17-01","office":"KLK"}"#;
const TARGET: &str = r#"{"type":"target_set","indicator":"LOKAL","year":2017,"value":"22.5","decision":{"body":"KS","date":"2016-11-22"}}"#;
const MEASURED: &str =
    r#"{"type":"measured","indicator":"LOKAL","year":2017,"value":"22.50","date":"2018-02-15"}"#;

/// Given the Kalmar ledger, when each indicator event arrives, then it is recorded; when a bad
/// one arrives, then it is refused with the message below and the ledger is unchanged.
#[test]
fn each_event_type_is_accepted_and_bad_ones_are_refused_with_nothing_written() {
    let db = kalmar();
    // (line, the message of line 1)
    let refused = [
        (
            r#"{"type":"target_set","indicator":"OKÄND","year":2017,"value":"3.5","decision":{"body":"KS","date":"2016-11-22"}}"#,
            "FILE:1: fältet indicator: 'OKÄND' är inte en definierad indikator (definiera den först med indicator_defined)",
        ),
        (
            r#"{"type":"measured","indicator":"OKÄND","year":2017,"value":"3.5","date":"2018-01-10"}"#,
            "FILE:1: fältet indicator: 'OKÄND' är inte en definierad indikator (definiera den först med indicator_defined)",
        ),
        (
            r#"{"type":"measured","indicator":"IND17-10","year":2017,"value":"hög","date":"2018-01-10"}"#,
            "FILE:1: fältet value: 'hög' är inget tal (skriv till exempel \"3.5\" eller \"2500\")",
        ),
        (
            r#"{"type":"measured","indicator":"IND17-10","year":2017,"value":3.5,"date":"2018-01-10"}"#,
            "FILE:1: fältet value: ska vara ett decimaltal som sträng, till exempel \"3.5\", inte ett JSON-tal (ett tal kan tappa precision)",
        ),
        (
            r#"{"type":"target_set","indicator":"IND17-10","year":2017,"value":"3,5","decision":{"body":"KS","date":"2016-11-22"}}"#,
            "FILE:1: fältet value: '3,5' är inget tal (skriv till exempel \"3.5\" eller \"2500\")",
        ),
        (
            r#"{"type":"target_set","indicator":"IND17-10","year":2017,"value":"0.0000000001","decision":{"body":"KS","date":"2016-11-22"}}"#,
            "FILE:1: fältet value: '0.0000000001' har fler än 9 decimaler",
        ),
        (
            r#"{"type":"target_set","indicator":"IND17-10","year":1066,"value":"3.5","decision":{"body":"KS","date":"2016-11-22"}}"#,
            "FILE:1: fältet year: 1066 är inte ett år mellan 1900 och 2200",
        ),
        (
            r#"{"type":"target_set","indicator":"IND17-10","year":2017,"value":"3.5"}"#,
            "FILE:1: fältet decision: saknas: en händelse av typen target_set behöver ett beslut {body, date, case, paragraph}",
        ),
        (
            r#"{"type":"measured","indicator":"IND17-10","year":2017,"value":"3.5","date":"2016-12-31"}"#,
            "FILE:1: fältet date: 2016-12-31 ligger före mätåret 2017: en mätning för 2017 görs tidigast 2017-01-01",
        ),
        (
            r#"{"type":"indicator_defined","indicator":"IND17-10","name":"n","unit":"%","direction":"lower"}"#,
            "FILE:1: fältet indicator: 'IND17-10' är redan definierad",
        ),
        (
            r#"{"type":"indicator_defined","indicator":"NY","name":"n","unit":"%","direction":"down"}"#,
            "FILE:1: fältet direction: 'down' är inte en av higher, lower",
        ),
        (
            r#"{"type":"indicator_defined","indicator":"NY","name":"n","unit":"%","direction":"lower","goal":"NM99"}"#,
            "FILE:1: fältet goal: 'NM99' är inte ett definierat mål",
        ),
        (
            r#"{"type":"indicator_defined","indicator":"NY","name":"n","unit":"%","direction":"lower","office":"XYZ"}"#,
            "FILE:1: fältet office: 'XYZ' är inte en definierad förvaltning (definiera den först med office_defined)",
        ),
    ];
    let before = log(&db.path);
    for (line, message) in refused {
        let (code, stderr) = import(&db.path, &format!("{line}\n"));
        assert_eq!(code, 1, "{line}: {stderr}");
        assert_eq!(
            stderr.lines().next(),
            Some(format!("rambok: {message}").as_str()),
            "{line}"
        );
        assert!(stderr.contains("inget importerades"), "{stderr}");
        assert_eq!(log(&db.path), before, "{line}: the ledger changed");
    }
    // A definition, a target and a measurement are each one event; the same again adds nothing.
    for line in [DEFINE, TARGET, MEASURED] {
        let (code, stderr) = import(&db.path, &format!("{line}\n"));
        assert_eq!(code, 0, "{line}: {stderr}");
    }
    let (code, stderr) = import(&db.path, &format!("{TARGET}\n"));
    assert_eq!(code, 0, "{stderr}");
    let events = log(&db.path).lines().count();
    assert_eq!(events as u64, crate::kalmar_events() + 3);
    // "22.50" is the same value as "22.5": stored exactly, compared exactly, equal meets.
    let v = json(&db.path, &["report", "indicators", "--year", "2017"]);
    let row = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "LOKAL")
        .unwrap();
    assert_eq!(
        (&row["target"], &row["value"], &row["met"]),
        (
            &Value::from("22.5"),
            &Value::from("22.5"),
            &Value::from(true)
        )
    );
}

/// A small ledger: one goal with two indicators, targets decided in 2016, measurements in 2018.
fn goal_ledger(extra: &str) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    ok(&path, &["init"]);
    let lines = [
        r#"{"type":"office_defined","office":"KLK","name":"kommunledningskontoret","committee":"KS"}"#,
        r#"{"type":"goal_defined","goal":"FM","level":"fullmäktigemål","focus_area":"Verksamhet och medarbetare","title":"Sjukfrånvaron","year":2017,"decision":{"body":"KF","date":"2016-06-30"}}"#,
        r#"{"type":"goal_defined","goal":"NM","level":"nämndsmål","parent":"FM","office":"KLK","focus_area":"Verksamhet och medarbetare","title":"Frisk arbetsplats","year":2017,"decision":{"body":"KS","date":"2016-11-22"}}"#,
        r#"{"type":"indicator_defined","indicator":"SJUK","name":"Sjukfrånvaro","unit":"%","direction":"lower","goal":"NM","office":"KLK"}"#,
        r#"{"type":"indicator_defined","indicator":"NOJD","name":"Nöjda medarbetare","unit":"%","direction":"higher","goal":"NM","office":"KLK"}"#,
        r#"{"type":"target_set","indicator":"SJUK","year":2017,"value":"3.5","decision":{"body":"KS","date":"2016-11-22"}}"#,
        r#"{"type":"target_set","indicator":"NOJD","year":2017,"value":"80","decision":{"body":"KS","date":"2016-11-22"}}"#,
        r#"{"type":"measured","indicator":"SJUK","year":2017,"value":"3.5","date":"2018-02-01"}"#,
        r#"{"type":"measured","indicator":"NOJD","year":2017,"value":"75","date":"2018-03-01"}"#,
        r#"{"type":"measured","indicator":"NOJD","year":2017,"value":"80.0","date":"2018-04-01"}"#,
        r#"{"type":"measured","indicator":"SJUK","year":2017,"value":"3.7","date":"2018-05-01"}"#,
        r#"{"type":"measured","indicator":"NOJD","year":2017,"value":"79.9","date":"2018-05-01"}"#,
        extra,
    ];
    let file = dir.path().join("goal.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    ok(&path, &["import", file.to_str().unwrap()]);
    Db { _dir: dir, path }
}

/// The committee goal of the goals report as of `as_of`: its status, its assessment, and each
/// indicator's met.
fn goal_at(db: &Path, as_of: &str) -> (Value, Value, Vec<Value>) {
    let v = json(db, &["report", "goals", "--year", "2017", "--as-of", as_of]);
    let g = &v["focus_areas"][0]["council_goals"][0]["committee_goals"][0]["goal"];
    assert_eq!(g["code"], "NM");
    let met = g["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["met"].clone())
        .collect();
    (g["status"].clone(), g["assessment"].clone(), met)
}

/// Given targets and measurements over time, when the goals report is asked as of a date, then
/// the assessment follows the rule of docs/events.md.
#[test]
fn the_assessment_follows_the_measurements_as_of_each_date() {
    let db = goal_ledger("");
    let null = Value::Null;
    // (as of, assessment, SJUK met, NOJD met)
    let cases = [
        // Targets decided, nothing measured: no assessment.
        ("2017-12-31", null.clone(), null.clone(), null.clone()),
        // Sick leave 3,5 against at most 3,5 meets it; the other target is not measured yet.
        (
            "2018-02-01",
            "delvis uppfyllt".into(),
            true.into(),
            null.clone(),
        ),
        // 75 against at least 80 does not.
        (
            "2018-03-01",
            "delvis uppfyllt".into(),
            true.into(),
            false.into(),
        ),
        // 80,0 is 80: equal meets it.
        ("2018-04-01", "uppfyllt".into(), true.into(), true.into()),
        // 3,7 above at most 3,5, and 79,9 below at least 80: neither.
        (
            "2018-05-01",
            "ej uppfyllt".into(),
            false.into(),
            false.into(),
        ),
    ];
    for (as_of, assessment, sjuk, nojd) in cases {
        let (status, got, met) = goal_at(&db.path, as_of);
        assert_eq!(status, null, "no status was recorded by hand");
        assert_eq!((got, met), (assessment, vec![sjuk, nojd]), "as of {as_of}");
    }
    // Known before the measurements were recorded, nothing was measured.
    let v = json(
        &db.path,
        &[
            "report",
            "goals",
            "--year",
            "2017",
            "--known-at",
            "2000-01-01",
        ],
    );
    assert_eq!(v["focus_areas"], Value::Array(vec![]));
    // The table shows the assessment beside the status, and each indicator under its goal.
    let table = ok(
        &db.path,
        &["report", "goals", "--year", "2017", "--as-of", "2018-03-01"],
    );
    expect![[r#"
        Mål och uppdrag 2017 (per 2018-03-01)
        Mål / aktivitet / uppdrag                  Ansvarig  Start  Slut  Status     Bedömning           Målvärde  Värde
        ────────────────────────────────────────────────────────────────────────────────────────────────────────────────
        Fokusområde: Verksamhet och medarbetare
          Fullmäktigemål: Sjukfrånvaron [FM]
            Nämndsmål: Frisk arbetsplats [NM]                             Ej bedömd  delvis uppfyllt
              Indikator: Sjukfrånvaro [SJUK]                                         uppfyllt         högst 3,5 %  3,5 %
              Indikator: Nöjda medarbetare [NOJD]                                    ej uppfyllt       minst 80 %   75 %"#]]
    .assert_eq(table.split("\n\n").next().unwrap());
}

/// `control --year 2017` as JSON (it exits 0: a status that differs from the assessment is a
/// warning, and the small ledger has no error).
fn control(db: &Path) -> Value {
    let (code, stdout, stderr) = rambok(db, &["control", "--year", "2017", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// Given a status recorded by hand, when control runs, then it reports a goal whose status
/// differs from its assessment, and is silent where they agree or nothing is measured.
#[test]
fn control_reports_a_hand_status_that_differs_from_the_assessment() {
    let status = |s: &str| {
        format!(r#"{{"type":"status_updated","target":"NM","status":"{s}","date":"2018-05-02"}}"#)
    };
    // (status by hand, finding expected)
    for (by_hand, differs) in [
        ("uppfyllt", true),
        ("delvis uppfyllt", true),
        ("ej uppfyllt", false),
    ] {
        let db = goal_ledger(&status(by_hand));
        let v = control(&db.path);
        let found: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "goals.assessment")
            .map(|f| f["cause"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(found.len(), usize::from(differs), "{by_hand}: {v}");
        for message in found {
            assert!(
                message.contains(&format!(
                    "status '{by_hand}' registrerad för hand, men indikatorerna ger 'ej uppfyllt'"
                )),
                "{message}"
            );
        }
    }
    let v = control(&goal_ledger(&status("uppfyllt")).path);
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "goals.assessment")
        .cloned()
        .unwrap();
    assert_eq!(finding["seqs"], serde_json::json!([13]), "the status event");
    assert_eq!(finding["severity"], "varning");
    expect![[r#"
        "Frisk arbetsplats [NM]: status 'uppfyllt' registrerad för hand, men indikatorerna ger 'ej uppfyllt' (SJUK 3,7 % mot målvärdet högst 3,5 %; NOJD 79,9 % mot målvärdet minst 80 %)"
    "#]]
    .assert_eq(&format!("{}\n", finding["examples"][0]));
    // The Kalmar goals have no status recorded by hand: no such finding.
    let kalmar = kalmar();
    let (_, stdout, _) = rambok(&kalmar.path, &["control", "--year", "2017"]);
    assert!(!stdout.contains("goals.assessment"), "{stdout}");
}

/// The indicators report on the Kalmar ledger: the 2014 and 2015 sick leave as measured, the
/// 2017 targets as decided, in a table, CSV and JSON; the API answers the same question.
#[test]
fn report_indicators_in_all_three_formats_and_from_the_api() {
    let db = kalmar();
    let v = json(&db.path, &["report", "indicators", "--year", "2014"]);
    let sick = |v: &Value| {
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == "IND17-10")
            .cloned()
            .unwrap()
    };
    expect![[r#"
        {
          "indicator": "IND17-10",
          "name": "Sjukfrånvaro på kommunledningskontoret i procent av arbetad tid",
          "unit": "%",
          "direction": "lower",
          "goal": "NM17-15",
          "office": "KLK",
          "target": null,
          "value": "3.6",
          "measured_on": "2015-01-21",
          "met": null
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&sick(&v)).unwrap());
    assert_eq!(v["indicators"].as_array().unwrap().len(), 10);
    // 2015 as known from the 2017 plan; before that document's date, not measured yet.
    let v = json(&db.path, &["report", "indicators", "--year", "2015"]);
    assert_eq!(sick(&v)["value"], "3.4");
    let v = json(
        &db.path,
        &[
            "report",
            "indicators",
            "--year",
            "2015",
            "--as-of",
            "2016-11-21",
        ],
    );
    assert_eq!(sick(&v)["value"], Value::Null, "missing is not zero");
    // 2017: targets as the annex prints them, nothing measured.
    let table = ok(
        &db.path,
        &["report", "indicators", "--year", "2017", "--office", "KLK"],
    );
    expect![[r#"
        Indikatorer 2017, KLK
        Indikator  Namn                                                                                        Mål      Enhet      Riktning  Målvärde  Värde  Mätt  Uppfyllt
        ────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
        IND17-01   Nettokostnadernas andel av skatteintäkter, generella statsbidrag och kommunal utjämning, …  FM17-01  %          högst           99      –               –
        IND17-02   Investeringarnas självfinansieringsgrad, rullande femårsperiod                              FM17-02  %          minst           50      –               –
        IND17-03   Andel ekologisk eller närproducerad mat i de kommunala verksamheterna                       NM17-07  %          minst            –      –               –
        IND17-04   Solcellsanläggningar på kommunens byggnader                                                 NM17-08  antal      minst            –      –               –
        IND17-05   Planerade bostäder till och med 2018                                                        NM17-10  antal      minst            –      –               –
        IND17-06   Planerade småhus till och med 2018                                                          NM17-10  antal      minst            –      –               –
        IND17-07   Andel gymnasieelever som provar att vara UF-företagare                                      NM17-12  %          minst           30      –               –
        IND17-08   Kalmars placering bland Sveriges skolkommuner i SKL:s Öppna jämförelser                     FM17-15  placering  högst            –      –               –
        IND17-09   Kalmars placering bland Sveriges äldreomsorgskommuner i SKL:s Öppna jämförelser             FM17-16  placering  högst            –      –               –
        IND17-10   Sjukfrånvaro på kommunledningskontoret i procent av arbetad tid                             NM17-15  %          högst          3,5      –               –
    "#]]
    .assert_eq(&table);
    // CSV: exact figures with a decimal comma, missing ones empty (never 0).
    let csv = ok(
        &db.path,
        &["report", "indicators", "--year", "2014", "--format", "csv"],
    );
    let row = csv.lines().find(|l| l.starts_with("IND17-10;")).unwrap();
    assert_eq!(
        row,
        "IND17-10;Sjukfrånvaro på kommunledningskontoret i procent av arbetad tid;NM17-15;%;högst;;3,6;2015-01-21;"
    );
    // The API asks the same query: the same JSON as the CLI.
    let served = crate::server::kalmar();
    let api = crate::server::get(&served, "/api/indicators?year=2014&office=KLK");
    assert_eq!(api.status, axum::http::StatusCode::OK, "{}", api.text());
    assert_eq!(
        api.json(),
        json(
            &db.path,
            &["report", "indicators", "--year", "2014", "--office", "KLK"]
        )
    );
    let csv_api = crate::server::get(&served, "/api/indicators?year=2014&format=csv").text();
    assert!(csv_api.contains(row), "{csv_api}");
    let unknown = crate::server::get(&served, "/api/indicators?year=2014&office=XYZ");
    assert_eq!(unknown.status, axum::http::StatusCode::NOT_FOUND);
}

/// `record` takes a value as Swedish users write it; the forms for all three types exist.
#[test]
fn record_takes_swedish_figures_for_values() {
    let db = kalmar();
    let out = ok(
        &db.path,
        &[
            "record",
            "measured",
            "--indicator",
            "IND17-10",
            "--year",
            "2016",
            "--value",
            "3,4",
            "--date",
            "2016-11-22",
        ],
    );
    assert!(out.contains(r#""value":"3.4""#), "{out}");
    let (code, _, err) = rambok(
        &db.path,
        &[
            "record",
            "target_set",
            "--indicator",
            "IND17-10",
            "--year",
            "2018",
            "--value",
            "låg",
            "--body",
            "KS",
            "--date",
            "2017-11-21",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("--value: 'låg' är inget tal"),
        "the flag is named: {err}"
    );
    for t in ["indicator_defined", "target_set", "measured"] {
        let help = ok(&db.path, &["record", t, "--help"]);
        assert!(help.contains("Exempel:"), "{t}: {help}");
    }
}
