//! Budget and outcome sheets from Excel: the Kalmar 2017 internal budget, as page 16 of the plan
//! prints it (area names, revenue positive, costs and net negative, a sum row), built here as a
//! workbook and imported through `rambok import FILE.xlsx` and `POST /api/import.xlsx`, gives the
//! fixture's figures; a preview prints the events and writes nothing; every problem names the
//! sheet, the row and the column, and nothing is imported; hostile workbooks are refused.

use super::cli::{ok, rambok, Db};
use super::server::{call, kalmar as kalmar_server};
use axum::body::Body;
use axum::http::StatusCode;
use rust_xlsxwriter::Workbook;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A cell: a number, or a text as typed.
#[derive(Clone, Copy)]
pub(crate) enum C {
    N(f64),
    T(&'static str),
}
use C::{N, T};

/// The *Driftsbudget tkr* table of KS 2016/1130, p. 16, from its first row: headings on rows 1–3,
/// the areas on rows 4–8, the sum on row 9; ADM's cost typed as text with a real minus.
pub(crate) fn driftsbudget() -> Vec<Vec<C>> {
    vec![
        vec![T("Driftsbudget tkr"), T("2017"), T(""), T(""), T("2016")],
        vec![
            T(""),
            T("Budget"),
            T("Budget"),
            T("Budget"),
            T("Budget"),
            T("Budget"),
            T("Budget"),
        ],
        vec![
            T("Verksamhet"),
            T("Intäkter"),
            T("Kostnader"),
            T("Netto"),
            T("Intäkter"),
            T("Kostnader"),
            T("Netto"),
            T("Skillnad"),
        ],
        vec![
            T("Administration och stöd"),
            N(65595.0),
            T("\u{2212}174 102"),
            N(-108507.0),
            N(53409.0),
            N(-149974.0),
            N(-96565.0),
            N(11942.0),
        ],
        vec![
            T("Infrastruktur och skydd"),
            N(105425.0),
            N(-119737.0),
            N(-14312.0),
            N(98377.0),
            N(-113630.0),
            N(-15253.0),
            N(-941.0),
        ],
        vec![
            T("Näringsliv och arbetsmarknad"),
            N(63253.0),
            N(-136270.0),
            N(-73017.0),
            N(60044.0),
            N(-132818.0),
            N(-72774.0),
            N(243.0),
        ],
        vec![
            T("politisk  verksamhet"),
            N(450.0),
            N(-13890.0),
            N(-13440.0),
            N(462.0),
            N(-13436.0),
            N(-12974.0),
            N(466.0),
        ],
        vec![
            T("GYMN"),
            N(0.0),
            N(-268293.0),
            N(-268293.0),
            N(0.0),
            N(-271699.0),
            N(-271699.0),
            N(-3406.0),
        ],
        vec![
            T("Summa"),
            N(234723.0),
            N(-712292.0),
            N(-477569.0),
            N(212292.0),
            N(-681557.0),
            N(-469265.0),
            N(8304.0),
        ],
    ]
}

pub(crate) fn workbook(sheet: &str, rows: &[Vec<C>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell {
                N(n) => ws.write_number(r as u32, c as u16, *n).unwrap(),
                T("") => ws,
                T(t) => ws.write_string(r as u32, c as u16, *t).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

/// The Kalmar fixtures without the 2017 internal budget, which the sheet brings.
pub(crate) fn kalmar_without_2017_budget() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    ok(&path, &["init"]);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kalmar");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let kept = dir.path().join("03-2016.jsonl");
    let lines: Vec<String> =
        std::fs::read_to_string(fixtures.join("03_internal_budget_2016_2017.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains("\"year\": 2017"))
            .map(str::to_string)
            .collect();
    assert_eq!(lines.len(), 5);
    std::fs::write(&kept, lines.join("\n")).unwrap();
    let mut args: Vec<String> = vec!["import".into()];
    for f in files {
        args.push(if f.ends_with("03_internal_budget_2016_2017.jsonl") {
            kept.display().to_string()
        } else {
            f.display().to_string()
        });
    }
    ok(&path, &args.iter().map(String::as_str).collect::<Vec<_>>());
    Db { _dir: dir, path }
}

const SETTINGS: &[&str] = &[
    "--office",
    "KLK",
    "--year",
    "2017",
    "--unit",
    "tkr",
    "--sign",
    "result",
    "--map",
    "area=A,revenue=B,cost=C,net=D",
    "--first-row",
    "4",
    "--body",
    "KS",
    "--date",
    "2016-11-22",
    "--case",
    "KS 2016/1130",
];

/// Imports `file` with [`SETTINGS`], each flag in `extra` given instead of the same one there.
fn import(db: &Db, file: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["import", file.to_str().unwrap()];
    let given = |flag: &str| extra.contains(&flag);
    for pair in SETTINGS.chunks(2) {
        if !given(pair[0]) {
            args.extend_from_slice(pair);
        }
    }
    args.extend_from_slice(extra);
    rambok(&db.path, &args)
}

pub(crate) fn budget_2017(db: &Path) -> Value {
    let out = ok(
        db,
        &[
            "report", "budget", "--office", "KLK", "--year", "2017", "--format", "json",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    serde_json::json!({"rows": v["rows"], "total": v["total"]})
}

fn log_len(db: &Path) -> usize {
    ok(db, &["log", "--format", "json"]).lines().count()
}

#[test]
fn the_kalmar_2017_internal_budget_from_excel_gives_the_fixtures_figures() {
    let db = kalmar_without_2017_budget();
    let file = db._dir.path().join("internbudget 2017.xlsx");
    std::fs::write(&file, workbook("Driftsbudget", &driftsbudget())).unwrap();
    let before = log_len(&db.path);

    // The preview: the events as JSON Lines, validated, nothing written.
    let (code, preview, stderr) = import(&db, &file, &["--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    let events: Vec<Value> = preview
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 5, "{preview}");
    assert_eq!(events[0]["area"], "ADM");
    assert_eq!(events[0]["cost"], "174102000");
    assert_eq!(
        events[3]["area"], "POL",
        "found by its name, case and spacing aside"
    );
    assert_eq!(events[4]["decision"]["case"], "KS 2016/1130");
    assert!(
        stderr.contains("läste 5 rader: 5 händelser skulle läggas till"),
        "{stderr}"
    );
    assert!(stderr.contains("inget registrerades"), "{stderr}");
    assert_eq!(log_len(&db.path), before, "a preview writes nothing");

    let (code, out, stderr) = import(&db, &file, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.starts_with("läste 5 rader: 5 tillagda"), "{out}");
    let fixtures = super::cli::kalmar();
    assert_eq!(budget_2017(&db.path), budget_2017(&fixtures.path));
    // Again: the same events, skipped.
    let (_, out, _) = import(&db, &file, &[]);
    assert!(out.contains("0 tillagda, 5 överhoppade"), "{out}");
}

/// Runs an import of `rows` that must fail with `expected` on stderr, writing nothing.
fn refused(rows: &[Vec<C>], extra: &[&str], expected: &str) {
    let db = kalmar_without_2017_budget();
    let file = db._dir.path().join("budget.xlsx");
    std::fs::write(&file, workbook("Driftsbudget", rows)).unwrap();
    let before = log_len(&db.path);
    let (code, out, stderr) = import(&db, &file, extra);
    assert_eq!(code, 1, "{out}{stderr}");
    assert!(
        stderr.contains(expected),
        "wanted {expected:?} in:\n{stderr}"
    );
    assert!(stderr.contains("inget importerades"), "{stderr}");
    assert_eq!(log_len(&db.path), before);
}

#[test]
fn every_problem_names_sheet_row_and_column_and_nothing_is_imported() {
    let mut wrong_sum = driftsbudget();
    wrong_sum[8][1] = N(234724.0);
    refused(&wrong_sum, &[], "budget.xlsx: Driftsbudget, rad 9, kolumn B: summan 234 724 stämmer inte med raderna ovanför, som ger 234 723 tkr");
    let mut bad_figure = driftsbudget();
    bad_figure[4][2] = T("abc");
    refused(
        &bad_figure,
        &[],
        "Driftsbudget, rad 5, kolumn C: 'abc' är inte ett belopp",
    );
    let mut unknown = driftsbudget();
    unknown[5][0] = T("Näringsliv");
    refused(
        &unknown,
        &[],
        "Driftsbudget, rad 6, kolumn A: 'Näringsliv' är inget verksamhetsområde i KLK",
    );
    let mut net_off = driftsbudget();
    net_off[6][3] = N(-13441.0);
    refused(
        &net_off,
        &[],
        "Driftsbudget, rad 7, kolumn D: fältet net: är ",
    );
    refused(
        &driftsbudget(),
        &["--first-row", "20"],
        "Driftsbudget, rad 20, kolumn A: ingen rad att läsa här",
    );
    refused(
        &driftsbudget(),
        &["--sheet", "Blad1"],
        "arbetsboken har inget blad 'Blad1' (den har 'Driftsbudget')",
    );
    refused(
        &driftsbudget(),
        &["--date", "2016-13-01"],
        "Driftsbudget, rad 4: fältet decision.date",
    );
    // The ledger's own rules, at the row: an office the ledger does not know.
    refused(
        &driftsbudget(),
        &["--office", "KLX"],
        "--office: ingen förvaltning 'KLX' i liggaren. Menade du KLK?",
    );
}

#[test]
fn settings_are_named_by_their_flags() {
    let db = kalmar_without_2017_budget();
    let file = db._dir.path().join("budget.xlsx");
    std::fs::write(&file, workbook("Driftsbudget", &driftsbudget())).unwrap();
    let f = file.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["import", f, "--office", "KLK", "--year", "2017"],
            "--map: saknas: ange kolumnerna",
        ),
        (
            vec![
                "import",
                f,
                "--office",
                "KLK",
                "--year",
                "2017",
                "--map",
                "area=A,netto=D",
            ],
            "--map: 'netto' är inget fält en rad har",
        ),
        (
            vec![
                "import",
                f,
                "--office",
                "KLK",
                "--year",
                "17x",
                "--map",
                "area=A,net=D",
            ],
            "--year: '17x' är inget år",
        ),
        (
            vec![
                "import",
                f,
                "--office",
                "KLK",
                "--year",
                "2017",
                "--map",
                "area=A,net=D",
                "--sign",
                "minus",
            ],
            "--sign: 'minus' är inget tecken",
        ),
        (
            vec![
                "import",
                f,
                "--office",
                "KLK",
                "--year",
                "2017",
                "--map",
                "area=A,net=D",
                "--period",
                "2017-06",
            ],
            "--period: gäller inte ett blad med budget_line",
        ),
        (
            vec!["import", "a.jsonl", "--office", "KLK"],
            "--office: gäller bara en arbetsbok (.xlsx)",
        ),
        (
            vec!["import", f, f, "--office", "KLK"],
            "en arbetsbok (.xlsx) importeras ensam",
        ),
    ] {
        let (code, _, stderr) = rambok(&db.path, &args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: wanted {expected:?} in {stderr}"
        );
    }
}

#[test]
fn an_outcome_sheet_gives_outcomes_for_the_month() {
    let db = super::cli::kalmar();
    let file = db._dir.path().join("utfall.xlsx");
    let rows = vec![
        vec![T("Område"), T("Netto")],
        vec![T("ADM"), T("52 310,4")],
        vec![T("INFRA"), N(7100.25)],
    ];
    std::fs::write(&file, workbook("Utfall juni", &rows)).unwrap();
    let out = ok(
        &db.path,
        &[
            "import",
            file.to_str().unwrap(),
            "--type",
            "outcome",
            "--office",
            "KLK",
            "--year",
            "2017",
            "--unit",
            "tkr",
            "--map",
            "area=A,net=B",
            "--period",
            "2017-06",
            "--date",
            "2017-07-20",
            "--dry-run",
        ],
    );
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0]["type"].as_str(), events[0]["amount"].as_str()),
        (Some("outcome"), Some("52310400"))
    );
    assert_eq!(
        (events[1]["period"].as_str(), events[1]["amount"].as_str()),
        (Some("2017-06"), Some("7100250"))
    );
    let (code, _, stderr) = rambok(
        &db.path,
        &[
            "import",
            file.to_str().unwrap(),
            "--type",
            "outcome",
            "--office",
            "KLK",
            "--year",
            "2017",
            "--map",
            "area=A,net=B",
            "--body",
            "KS",
            "--date",
            "2017-07-20",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--body: gäller inte ett blad med outcome"),
        "{stderr}"
    );
}

/// A workbook with one part replaced (or added), as a hostile sender would make it.
fn with_part(book: &[u8], name: &str, content: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let part_name = part.name().unwrap().to_string();
        if part_name == name {
            continue;
        }
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        out.start_file(part_name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.start_file(name, options).unwrap();
    out.write_all(content).unwrap();
    out.finish().unwrap().into_inner()
}

#[test]
fn hostile_workbooks_are_refused_before_they_are_parsed() {
    let k = kalmar_server();
    let book = workbook("Driftsbudget", &driftsbudget());
    let post = |bytes: Vec<u8>| {
        call(&k.state, "POST",
            "/api/import.xlsx?office=KLK&year=2017&unit=tkr&sign=result&map=area%3DA%2Crevenue%3DB%2Ccost%3DC%2Cnet%3DD&first_row=4&body=KS&date=2016-11-22&dry_run=true",
            Some(&k.controller), Body::from(bytes))
    };
    let strings = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="99999999999" uniqueCount="99999999999"><si><t>x</t></si></sst>"#;
    let r = post(with_part(&book, "xl/sharedStrings.xml", strings));
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("anger fler än 1000000 texter"),
        "{}",
        r.text()
    );
    let zeros = vec![b' '; 65 << 20];
    let bomb = with_part(&book, "xl/worksheets/sheet2.xml", &zeros);
    assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
    let r = post(bomb);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("packas upp till mer än"),
        "{}",
        r.text()
    );
    let r = post(b"PK\x03\x04 not really".to_vec());
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("filen är ingen arbetsbok"),
        "{}",
        r.text()
    );
}

#[test]
fn the_page_imports_the_same_sheet_through_the_api() {
    let k = kalmar_server();
    let book = workbook("Driftsbudget", &driftsbudget());
    let uri = |dry: bool| {
        format!(
        "/api/import.xlsx?office=KLK&year=2017&unit=tkr&sign=result&map=area%3DA%2Crevenue%3DB%2Ccost%3DC%2Cnet%3DD&first_row=4&body=KS&date=2016-12-01&case=KS%202016%2F1130{}",
        if dry { "&dry_run=true" } else { "" }
    )
    };
    let head = || k.state.ledger().head().seq;
    let before = head();
    let r = call(
        &k.state,
        "POST",
        &uri(true),
        Some(&k.controller),
        Body::from(book.clone()),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rows"], serde_json::json!([4, 5, 6, 7, 8]));
    assert_eq!(v["events"].as_array().unwrap().len(), 5);
    assert_eq!(v["added"], 5, "a new decision date: new events");
    assert_eq!(
        v["effects"][0]["text"],
        "KLK 2017: budgetram 477 569 → 477 569 tkr; ADM netto 108 507 → 108 507 tkr, internbudgeten 477 569 → 477 569 tkr"
    );
    assert_eq!(head(), before);
    let r = call(
        &k.state,
        "POST",
        &uri(false),
        Some(&k.controller),
        Body::from(book.clone()),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(head(), before + 5);
    // A problem comes back with its place.
    let mut rows = driftsbudget();
    rows[4][2] = T("abc");
    let r = call(
        &k.state,
        "POST",
        &uri(true),
        Some(&k.controller),
        Body::from(workbook("Driftsbudget", &rows)),
    );
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = r.json();
    assert_eq!(
        (
            e["errors"][0]["row"].clone(),
            e["errors"][0]["column"].clone()
        ),
        (serde_json::json!(5), serde_json::json!("C"))
    );
    // Those who examine do not import.
    let r = call(
        &k.state,
        "POST",
        &uri(true),
        Some(&k.revisor),
        Body::from(book),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
