//! What a revisor takes away, as a Swedish Excel opens and prints it: CSV files with a byte order
//! mark and a stamp row above each header; workbooks whose amounts, dates and shares are numbers,
//! with frozen headers, filters and a print setup; both in the unit, sign convention and decimals
//! asked for (CLI and server alike); and no file or sheet empty without a word.

use super::server::{get, kalmar as served_kalmar};
use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use rambok::ledger::Ledger;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHEETS: [&str; 8] = [
    "Ramar",
    "Brygga",
    "Driftsbudget",
    "Utfall",
    "Investeringar",
    "Mål",
    "Verifikationskedja",
    "Kontroll",
];

/// A ledger in a folder named `kalmar`, with the Kalmar fixtures or empty.
struct Db {
    dir: tempfile::TempDir,
    path: PathBuf,
}

fn ledger(fixtures: bool) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kalmar");
    let l = Ledger::open(&path).unwrap();
    if fixtures {
        let events = rambok::cli::demo::fixture_events().unwrap();
        l.append(&events, "test", None, chrono::Utc::now()).unwrap();
    }
    Db { dir, path }
}

fn ok(db: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .env_remove("RAMBOK_DB")
        .env_remove("RAMBOK_SERVER")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `rambok export --format csv` for `year` with `options`: each sheet's file, by sheet name.
fn export_csv(db: &Db, year: &str, options: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let out = db
        .dir
        .path()
        .join(format!("csv-{year}-{}", options.join("")));
    let mut args = vec!["export", "--year", year, "--format", "csv", "--out"];
    args.push(out.to_str().unwrap());
    args.extend(options);
    ok(&db.path, &args);
    SHEETS
        .iter()
        .map(|s| {
            let bytes = std::fs::read(out.join(format!("{s}.csv")))
                .unwrap_or_else(|e| panic!("{s}.csv: {e}"));
            (s.to_string(), bytes)
        })
        .collect()
}

/// `rambok export --format xlsx` for `year` with `options`: the workbook's bytes.
fn export_xlsx(db: &Db, year: &str, options: &[&str]) -> Vec<u8> {
    let out = db
        .dir
        .path()
        .join(format!("{year}-{}.xlsx", options.join("")));
    let mut args = vec!["export", "--year", year, "--out", out.to_str().unwrap()];
    args.extend(options);
    ok(&db.path, &args);
    std::fs::read(out).unwrap()
}

/// A CSV file's rows (after the byte order mark), each split at `;` (the rows read here quote none).
fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{FEFF}').expect("a byte order mark");
    text.split("\r\n")
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

fn book(bytes: &[u8]) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap()
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let range = book(bytes).worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The row whose first cell is `first`.
fn row_of(rows: &[Vec<Data>], first: &str) -> Vec<Data> {
    rows.iter()
        .find(|r| r.first() == Some(&Data::String(first.into())))
        .unwrap_or_else(|| panic!("no row {first}: {rows:?}"))
        .clone()
}

/// One file inside the workbook's zip, as text.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn every_csv_starts_with_a_byte_order_mark_and_a_stamp_row() {
    let db = ledger(true);
    let files = export_csv(&db, "2017", &[]);
    for (name, bytes) in &files {
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "{name}");
        let rows = rows(bytes);
        assert_eq!(
            rows[0][1..3],
            ["Enhet: tkr", "Tecken: kostnad positiv"],
            "{name}"
        );
        assert!(rows[0][3].starts_with("Känt: 20"), "{name}: {:?}", rows[0]);
        let seq = format!("Seq: {}", crate::kalmar_events());
        assert_eq!(rows[0][4..], ["Liggare: kalmar", seq.as_str()], "{name}");
    }
    // (arguments, the stamp row, the header row)
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["report", "frames", "--year", "2017", "--format", "csv"],
            "Budgetramar 2017, tkr;Enhet: tkr;Tecken: kostnad positiv",
            "Kontor;Namn;Budgetram;Ändringar utan ram;Anm.",
        ),
        (
            &[
                "report", "frames", "--year", "2017", "--as-of", "2016-07-01", "--known-at",
                "2100-01-01T00:00:00Z", "--format", "csv", "--sign", "result", "--unit", "mnkr",
            ],
            "Budgetramar 2017, mnkr (per 2016-07-01, känt 2100-01-01 01:00:00 CET);Enhet: mnkr;Tecken: kostnad negativ;Per: 2016-07-01;Känt: 2100-01-01T00:00:00Z",
            "Kontor;Namn;Budgetram;Ändringar utan ram;Anm.",
        ),
        (
            &["history", "--office", "KLK", "--year", "2017", "--format", "csv", "--unit", "kr"],
            "Historik: Budgetram KLK 2017, kr;Enhet: kr;Tecken: kostnad positiv",
            "Seq;Beslutsdatum;Organ;Ärende;§;Händelse;Belopp (kr);Ram efter;Registrerad av;Registrerad;Anm.",
        ),
    ];
    for (args, stamp, header) in cases {
        let out = ok(&db.path, args);
        assert_eq!(&out[..3], &[0xEF, 0xBB, 0xBF], "{args:?}");
        let text = String::from_utf8(out[3..].to_vec()).unwrap();
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next(), Some(stamp), "{args:?}");
        assert_eq!(lines.next(), Some(header), "{args:?}");
    }
}

#[test]
fn unit_sign_and_decimals_change_the_figures_and_the_headers() {
    let db = ledger(true);
    // (options, KLK's 2017 frame in the CSV, in the workbook, the bridge's amount header, the
    // workbook's amount format)
    let cases: [(&[&str], &str, f64, &str, &str); 4] = [
        (&[], "477569", 477_569.0, "Belopp (tkr)", "#,##0;-#,##0"),
        (
            &["--unit", "mnkr", "--sign", "result"],
            "-478",
            -477.569,
            "Belopp (mnkr)",
            "#,##0;-#,##0",
        ),
        (
            &["--unit", "mnkr", "--decimals", "3"],
            "477,569",
            477.569,
            "Belopp (mnkr)",
            "#,##0.000;-#,##0.000",
        ),
        (
            &["--unit", "kr", "--sign", "result", "--decimals", "2"],
            "-477569000,00",
            -477_569_000.0,
            "Belopp (kr)",
            "#,##0.00;-#,##0.00",
        ),
    ];
    for (options, csv_frame, xlsx_frame, header, pattern) in cases {
        let unit = options
            .iter()
            .position(|o| *o == "--unit")
            .map_or("tkr", |i| options[i + 1]);
        let csv = export_csv(&db, "2017", options);
        let ramar = rows(&csv["Ramar"]);
        assert!(ramar[0].contains(&format!("Enhet: {unit}")), "{options:?}");
        let klk = ramar.iter().find(|r| r[0] == "KLK").unwrap();
        assert_eq!(klk[2], csv_frame, "{options:?}");
        assert_eq!(rows(&csv["Brygga"])[1][1], header, "{options:?}");

        let xlsx = export_xlsx(&db, "2017", options);
        let ramar = sheet(&xlsx, "Ramar");
        assert_eq!(
            row_of(&ramar, "KLK")[2],
            Data::Float(xlsx_frame),
            "{options:?}"
        );
        let stamp = ramar[0][0].to_string();
        assert!(stamp.contains(&format!("Enhet: {unit}")), "{stamp}");
        let brygga = sheet(&xlsx, "Brygga");
        assert_eq!(brygga[2][1], Data::String(header.into()), "{options:?}");
        assert!(
            part(&xlsx, "xl/styles.xml").contains(&format!("formatCode=\"{pattern}\"")),
            "{options:?}"
        );
    }
}

#[test]
fn workbook_cells_are_numbers_dates_and_percentages() {
    let db = ledger(true);
    let xlsx = export_xlsx(&db, "2017", &[]);
    let date = |d: &Data| match d {
        Data::DateTime(x) => {
            let (y, m, d, ..) = x.to_ymd_hms_milli();
            (y, m, d)
        }
        other => panic!("not a date: {other:?}"),
    };
    let goals = sheet(&xlsx, "Mål");
    let activity = goals
        .iter()
        .find(|r| matches!(&r[0], Data::String(s) if s.ends_with("[AKT17-01]")))
        .unwrap();
    assert_eq!(date(&activity[2]), (2017, 1, 1), "Start");
    assert_eq!(date(&activity[3]), (2017, 3, 31), "Slut");
    let mut share = row_of(&goals, "Andel");
    share.retain(|c| *c != Data::Empty);
    assert!(share.len() > 2);
    for cell in &share[1..] {
        assert!(
            matches!(cell, Data::Float(f) if (0.0..=1.0).contains(f)),
            "a share is a fraction with a percent format: {share:?}"
        );
    }
    assert_eq!(share.last(), Some(&Data::Float(1.0)));
    let trail = sheet(&xlsx, "Verifikationskedja");
    assert!(matches!(trail[3][0], Data::Float(f) if f == 1.0), "seq");
    assert!(matches!(trail[3][1], Data::DateTime(_)), "{:?}", trail[3]);
    let brygga = sheet(&xlsx, "Brygga");
    assert_eq!(row_of(&brygga, "Budgetram 2017")[1], Data::Float(477_569.0));
}

#[test]
fn workbook_freezes_filters_and_prints_readably() {
    let db = ledger(true);
    let xlsx = export_xlsx(&db, "2017", &["--unit", "mnkr"]);
    // (the sheet's part, its name, its orientation: landscape when wide)
    let cases = [
        ("sheet1", "Ramar", "landscape"),
        ("sheet3", "Driftsbudget", "landscape"),
        ("sheet6", "Mål", "landscape"),
        ("sheet7", "Verifikationskedja", "landscape"),
        ("sheet8", "Kontroll", "landscape"),
    ];
    for (file, name, orientation) in cases {
        let xml = part(&xlsx, &format!("xl/worksheets/{file}.xml"));
        for wanted in [
            r#"<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>"#,
            r#"<autoFilter ref="A3:"#,
            r#"<pageSetUpPr fitToPage="1"/>"#,
            // Fit to one page wide (Excel's default width, so not written) and unlimited height.
            r#"fitToHeight="0""#,
            r#"paperSize="9""#,
            &format!(r#"orientation="{orientation}""#),
            &format!(
                "<oddHeader>&amp;Lkalmar&amp;C{name}&amp;REnhet: mnkr, kostnad positiv</oddHeader>"
            ),
            "&amp;LKänt: 20",
            &format!("Seq: {}&amp;CSida &amp;P av &amp;N", crate::kalmar_events()),
        ] {
            assert!(xml.contains(wanted), "{name}: no {wanted} in {xml:.3000}");
        }
    }
    let workbook = part(&xlsx, "xl/workbook.xml");
    for name in SHEETS {
        let titles = format!(
            r#"<definedName name="_xlnm.Print_Titles" localSheetId="{}">"#,
            { SHEETS.iter().position(|s| *s == name).unwrap() }
        );
        assert!(workbook.contains(&titles), "{name}: {workbook}");
        assert!(
            workbook.contains(&format!("{name}!$2:$3</definedName>"))
                || workbook.contains(&format!("'{name}'!$2:$3</definedName>")),
            "{name}: the title and header rows repeat on every page: {workbook}"
        );
    }
    // The goals sheet holds the tree and three count tables: each later one filters on its own.
    let tables = part(&xlsx, "xl/tables/table1.xml");
    assert!(tables.contains("<autoFilter"), "{tables}");
    let counts = part(&xlsx, "xl/worksheets/sheet6.xml");
    assert!(counts.contains("<tableParts count=\"3\">"), "{counts:.200}");
}

#[test]
fn an_empty_sheet_or_file_says_so() {
    let kalmar = ledger(true);
    let empty = ledger(false);
    // (ledger, year, sheet, the row it holds instead of nothing)
    let cases = [
        (
            &kalmar,
            "2017",
            "Utfall",
            "Inget utfall rapporterat för 2017",
        ),
        (&kalmar, "2014", "Mål", "Inga mål registrerade för 2014"),
        (
            &empty,
            "2017",
            "Ramar",
            "Inga budgetramar registrerade för 2017",
        ),
        (
            &empty,
            "2017",
            "Brygga",
            "Ingen budgetram fastställd för 2017",
        ),
        (
            &empty,
            "2017",
            "Driftsbudget",
            "Ingen internbudget registrerad för 2017",
        ),
        (
            &empty,
            "2017",
            "Utfall",
            "Inget utfall rapporterat för 2017",
        ),
        (
            &empty,
            "2017",
            "Investeringar",
            "Ingen investeringsbudget registrerad för 2017",
        ),
        (&empty, "2017", "Mål", "Inga mål registrerade för 2017"),
        (
            &empty,
            "2017",
            "Verifikationskedja",
            "Inga händelser registrerade",
        ),
        (&empty, "2017", "Kontroll", "Inga iakttagelser för 2017"),
    ];
    for (db, year, name, words) in cases {
        let csv = rows(&export_csv(db, year, &[])[name]);
        assert_eq!(csv[2][0], words, "{name} {year}: {csv:?}");
        let xlsx = sheet(&export_xlsx(db, year, &[]), name);
        assert_eq!(xlsx[3][0], Data::String(words.into()), "{name} {year}");
    }
    // A report's table without rows, as CSV: one row saying so.
    let goals = ok(
        &kalmar.path,
        &["report", "goals", "--year", "2014", "--format", "csv"],
    );
    let goals = rows(&goals);
    assert_eq!(goals[2], ["Inga uppgifter"], "{goals:?}");
}

#[test]
fn the_servers_workbooks_follow_unit_sign_and_decimals() {
    let k = served_kalmar();
    let export = get(
        &k,
        "/api/export.xlsx?year=2017&unit=mnkr&sign=result&decimals=2",
    );
    assert_eq!(export.status, StatusCode::OK, "{}", export.text());
    let ramar = sheet(&export.body, "Ramar");
    assert_eq!(row_of(&ramar, "KLK")[2], Data::Float(-477.569));
    let stamp = ramar[0][0].to_string();
    assert!(
        stamp.contains("Enhet: mnkr") && stamp.contains("Tecken: kostnad negativ"),
        "{stamp}"
    );
    assert!(part(&export.body, "xl/styles.xml").contains(r##"formatCode="#,##0.00;-#,##0.00""##));
    // One report as a workbook: the sign convention turns its figures too.
    let frames = get(
        &k,
        "/api/frames?year=2017&as_of=2016-07-01&format=xlsx&unit=mnkr&sign=result",
    );
    let ramar = sheet(&frames.body, "Ramar");
    assert_eq!(row_of(&ramar, "KLK")[2], Data::Float(-466.89));
    // (query, the field its error names)
    let refused = [
        ("/api/export.xlsx?year=2017&unit=dkk", "unit"),
        ("/api/export.xlsx?year=2017&sign=plus", "sign"),
        ("/api/export.xlsx?year=2017&decimals=9", "decimals"),
    ];
    for (uri, field) in refused {
        let r = get(&k, uri);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(r.json()["field"], field, "{uri}");
    }
}
