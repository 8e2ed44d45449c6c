//! The command line end to end on the Kalmar fixtures: the report formats, the two clocks, the log
//! and its re-import, single records with Swedish figures, and status changes over time.

use expect_test::expect;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn rambok(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
        .env_remove("RAMBOK_DB")
        .env("RAMBOK_USER", "cli.test")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(db: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = rambok(db, args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    stdout
}

fn kalmar() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    ok(&path, &["init"]);
    let files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/kalmar"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .map(|p| p.display().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = ok(&path, &args);
    assert!(out.contains("288 added, 0 skipped"), "{out}");
    Db { _dir: dir, path }
}

#[test]
fn frames_json_has_the_documented_shape_and_exact_kronor() {
    let db = kalmar();
    let out = ok(
        &db.path,
        &[
            "report",
            "frames",
            "--year",
            "2017",
            "--as-of",
            "2016-07-01",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["year"], 2017);
    assert_eq!(v["as_of"], "2016-07-01");
    assert_eq!(v["unit"], "kr", "JSON amounts are exact kronor, and say so");
    let of = |v: &serde_json::Value, office: &str| {
        v["frames"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["office"] == office)
            .cloned()
            .unwrap_or_else(|| panic!("no {office} in {v}"))
    };
    assert_eq!(of(&v, "KLK")["frame"], "466890000");
    // Defined, but no 2017 frame decided by then: listed as missing, never as 0.
    let sbk = of(&v, "SBK");
    assert_eq!(sbk["frame"], serde_json::Value::Null, "{sbk}");
    assert_eq!(sbk["set"], false);
    let out = ok(
        &db.path,
        &[
            "report",
            "frames",
            "--year",
            "2017",
            "--as-of",
            "2016-11-22",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let klk = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["office"] == "KLK")
        .unwrap();
    assert_eq!(klk["frame"], "477569000");
}

#[test]
fn bridge_csv_opens_in_a_swedish_spreadsheet() {
    let db = kalmar();
    let out = ok(
        &db.path,
        &[
            "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--format",
            "csv", "--sign", "result",
        ],
    );
    assert!(
        out.starts_with('\u{FEFF}'),
        "a byte order mark first: {out}"
    );
    expect![[r#"
        Förändringar 2017 jämfört med 2016, KLK, tkr;Enhet: tkr;Tecken: kostnad negativ
        Rad;Belopp (tkr);Beslut
        Budgetram 2016;-469265;
        Flyttkostnader arkivcentrum;-1000;KF 2016-06-30
        Förändrad debiteringsmodell IT;273;KF 2016-06-30
        Tillfälligt ökad ram 2016 integrationspengar;280;KF 2016-06-30
        Besparingskrav 1%, stabil ekonomi;1990;KF 2016-06-30
        Förändring ram Gymnasieförbundet;3406;KF 2016-06-30
        Kompensation kostnadsökning, köpt verksamhet och löneökningar;-2574;KF 2016-06-30
        Summa förändringar, KF 2016-06-30;2375;
        Budgetram från samhällsbyggnadskontoret;-691;
        Budgetram från serviceförvaltningen;-1013;
        Budgetram från barn- och ungdomsförvaltningen;-1353;
        Budgetram från kultur- och fritidsförvaltningen;-710;
        Budgetram från socialförvaltningen;-1980;
        Budgetram från omsorgsförvaltningen;-4261;
        Budgetram från Södermøre kommundelsförvaltning;-671;
        Summa förändringar mellan förvaltningar;-10679;
        Summa förändringar mellan 2016 och 2017;-8304;
        Budgetram 2017;-477569;
    "#]]
    .assert_eq(&out.trim_start_matches('\u{FEFF}').replace("\r\n", "\n"));
}

#[test]
fn outcome_table_prints_swedish_figures_in_kr_and_mnkr_too() {
    let db = kalmar();
    let out = ok(
        &db.path,
        &["report", "outcome", "--office", "KLK", "--year", "2014"],
    );
    assert!(
        out.contains(
            "Koncernledning                         16 099,0   17 424,8   \u{2212}1 325,8"
        ),
        "{out}"
    );
    let kr = ok(
        &db.path,
        &[
            "report",
            "outcome",
            "--office",
            "KLK",
            "--year",
            "2014",
            "--unit",
            "kr",
            "--decimals",
            "0",
            "--format",
            "csv",
        ],
    );
    assert!(kr.contains("Totalt;187602000;186654498;947502"), "{kr}");
    let mnkr = ok(
        &db.path,
        &[
            "report", "outcome", "--office", "KLK", "--year", "2014", "--unit", "mnkr", "--format",
            "csv",
        ],
    );
    assert!(mnkr.contains("Totalt;187,6;186,7;0,9"), "{mnkr}");
}

#[test]
fn known_at_before_a_later_change_shows_the_earlier_figure() {
    let db = kalmar();
    let (_, log, _) = rambok(
        &db.path,
        &["log", "--format", "json", "--type", "frame_set"],
    );
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    let imported_at = last["recorded_at"].as_str().unwrap().to_string();
    // The import's time as the log table prints it, to the second in Swedish time; the record
    // below comes a second later, so the printed second holds the import and not the record.
    let printed = ok(&db.path, &["log", "--type", "frame_set"]);
    let printed_at = swedish_time_in(printed.lines().last().unwrap()).to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = ok(
        &db.path,
        &[
            "record",
            "frame_changed",
            "--office",
            "KLK",
            "--year",
            "2017",
            "--amount",
            "\u{2212}1 325,8",
            "--unit",
            "tkr",
            "--category",
            "ramjustering",
            "--reason",
            "Tilläggsanslag",
            "--body",
            "KF",
            "--date",
            "2017-02-20",
            "--case",
            "KS 2017/0001",
            "--paragraph",
            "§ 12",
        ],
    );
    assert!(out.starts_with("recorded as sequence 289"), "{out}");
    let frame = |args: &[&str]| {
        let mut a = vec![
            "report", "frames", "--year", "2017", "--format", "json", "--unit", "kr",
        ];
        a.extend_from_slice(args);
        let v: serde_json::Value = serde_json::from_str(&ok(&db.path, &a)).unwrap();
        v["frames"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["office"] == "KLK")
            .map_or("none".to_string(), |f| {
                f["frame"].as_str().unwrap().to_string()
            })
    };
    assert_eq!(frame(&[]), "476243200", "477 569 − 1 325,8 tkr");
    assert_eq!(frame(&["--as-of", "2017-02-19"]), "477569000");
    // Known at: the JSON's exact time, the table's time (its whole second), and the same as RFC
    // 3339 in UTC, all include the import and not the later record.
    assert_eq!(frame(&["--known-at", &imported_at]), "477569000");
    assert_eq!(frame(&["--known-at", &printed_at]), "477569000");
    let whole_second = format!("{}Z", &imported_at[..19]);
    assert_eq!(frame(&["--known-at", &whole_second]), "477569000");
    // A date is the end of that day in Swedish time: today's holds everything, 2016's nothing.
    let today = &printed_at[..10];
    assert_eq!(frame(&["--known-at", today]), "476243200");
    assert_eq!(frame(&["--known-at", "2016-11-22"]), "none");
    let (code, _, err) = rambok(
        &db.path,
        &["report", "frames", "--year", "2017", "--known-at", "igår"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("--known-at: 'igår' is not a moment; write a date 2017-01-15 (the end of that day in Swedish time)")
            && err.contains("RFC 3339"),
        "{err}"
    );
}

/// The Swedish time in a line of a table, `2026-12-01 18:21:32 CET`; panics if there is none.
fn swedish_time_in(line: &str) -> &str {
    let words: Vec<(usize, &str)> = line
        .split(' ')
        .scan(0, |at, w| {
            let start = *at;
            *at += w.len() + 1;
            Some((start, w))
        })
        .collect();
    let is_date = |w: &str| w.len() == 10 && w.as_bytes()[4] == b'-' && w.as_bytes()[7] == b'-';
    let is_time = |w: &str| w.len() == 8 && w.as_bytes()[2] == b':' && w.as_bytes()[5] == b':';
    for i in 0..words.len().saturating_sub(2) {
        let (start, date) = words[i];
        let (_, time) = words[i + 1];
        let (zone_at, zone) = words[i + 2];
        if is_date(date) && is_time(time) && (zone == "CET" || zone == "CEST") {
            return &line[start..zone_at + zone.len()];
        }
    }
    panic!("no Swedish time in {line:?}")
}

#[test]
fn tables_show_swedish_time_with_its_zone_and_json_stays_utc() {
    let db = kalmar();
    let json = ok(&db.path, &["log", "--format", "json"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    let recorded_at = first["recorded_at"].as_str().unwrap();
    assert!(recorded_at.ends_with('Z'), "{recorded_at}");
    let at = chrono::DateTime::parse_from_rfc3339(recorded_at)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let swedish = rambok::domain::time::shown(at);
    let table = ok(&db.path, &["log"]);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.contains("registrerad ") && !header.contains("UTC"),
        "{header}"
    );
    assert_eq!(swedish_time_in(lines.next().unwrap()), swedish);
    let history = ok(&db.path, &["history", "--office", "KLK", "--year", "2017"]);
    assert!(!history.contains("UTC"), "{history}");
    let row = history
        .lines()
        .find(|l| l.contains("Flyttkostnader"))
        .unwrap();
    assert_eq!(swedish_time_in(row), swedish);
    let known = ok(
        &db.path,
        &[
            "report",
            "frames",
            "--year",
            "2017",
            "--known-at",
            "2017-01-15T12:00:00Z",
        ],
    );
    assert!(
        known.starts_with("Budgetramar 2017, tkr (känt 2017-01-15 13:00:00 CET)"),
        "{known}"
    );
}

/// The example of `record TYPE --help`, split into arguments as a shell would split it.
fn help_example(db: &Path, type_name: &str) -> Vec<String> {
    let help = ok(db, &["record", type_name, "--help"]);
    let example: String = help
        .lines()
        .skip_while(|l| l.trim() != "Example:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_end_matches('\\').to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let (mut words, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in example.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    words.push(word);
    assert_eq!(
        words[..3],
        ["rambok", "record", type_name],
        "{type_name}: {example}"
    );
    words.split_off(1)
}

/// Each type's `record TYPE --help` example as the JSON line an import would read.
const EXAMPLE_AS_JSON: &[(&str, &str)] = &[
    (
        "office_defined",
        r#"{"type":"office_defined","office":"MHF","name":"miljö- och hälsoskyddsförvaltningen","committee":"MHN","from":"2018-01-01"}"#,
    ),
    (
        "area_defined",
        r#"{"type":"area_defined","office":"KLK","area":"SAKERHET","name":"Säkerhet och beredskap","kind":"enhet","parent":"INFRA","group":"driftresultat","from":"2018-01-01"}"#,
    ),
    (
        "frame_set",
        r#"{"type":"frame_set","office":"KLK","year":2018,"amount":"477569","unit":"tkr","decision":{"body":"KF","date":"2017-06-20","case":"KS 2017/0412","paragraph":"§ 98"}}"#,
    ),
    (
        "frame_changed",
        r#"{"type":"frame_changed","office":"KLK","year":2018,"amount":"1325.8","unit":"tkr","category":"ramjustering","reason":"Flyttkostnader arkivcentrum, etapp 2","decision":{"body":"KF","date":"2017-06-20","case":"KS 2017/0412","paragraph":"§ 98"}}"#,
    ),
    (
        "savings_required",
        r#"{"type":"savings_required","office":"KLK","year":2018,"amount":"2000","unit":"tkr","rate_percent":"0.4","reason":"Effektivisering 0,4 %","decision":{"body":"KF","date":"2017-06-20"}}"#,
    ),
    (
        "transfer",
        r#"{"type":"transfer","from":"SBK","to":"KLK","year":2018,"amount":"691","unit":"tkr","reason":"Budgetram från samhällsbyggnadskontoret","decision":{"body":"kommundirektör","date":"2017-10-02"}}"#,
    ),
    (
        "budget_line",
        r#"{"type":"budget_line","office":"KLK","year":2018,"area":"ADM","revenue":"65595","cost":"174102","unit":"tkr","decision":{"body":"KS","date":"2017-11-21","case":"KS 2017/1130"}}"#,
    ),
    (
        "outcome",
        r#"{"type":"outcome","office":"KLK","year":2017,"area":"ADM","period":"2017-06","amount":"52310.4","unit":"tkr","date":"2017-07-20"}"#,
    ),
    (
        "forecast",
        r#"{"type":"forecast","office":"KLK","year":2017,"area":"ADM","amount":"108000","unit":"tkr","date":"2017-08-31"}"#,
    ),
    (
        "investment_budget",
        r#"{"type":"investment_budget","office":"KLK","year":2018,"project":"Infrastruktur och skydd","amount":"120000","unit":"tkr","decision":{"body":"KF","date":"2017-06-20"}}"#,
    ),
    (
        "investment_outcome",
        r#"{"type":"investment_outcome","office":"KLK","year":2017,"project":"Infrastruktur och skydd","amount":"98412.5","unit":"tkr","date":"2018-01-24"}"#,
    ),
    (
        "goal_defined",
        r#"{"type":"goal_defined","goal":"NM17-17","office":"KLK","level":"nämndsmål","parent":"FM17-03","focus_area":"Ordning och reda i ekonomin","title":"Effektiv lokalanvändning","text":"Kommunledningskontoret ska använda sina lokaler effektivt","year":2017,"decision":{"body":"KS","date":"2017-03-20","case":"KS 2017/0190"}}"#,
    ),
    (
        "activity_defined",
        r#"{"type":"activity_defined","activity":"AKT17-45","goal":"NM17-17","title":"Kartlägga lokalbehovet","responsible":"Annette Andersson","start":"2017-04-01","end":"2017-12-31","decision":{"body":"KS","date":"2017-03-20"}}"#,
    ),
    (
        "assignment_defined",
        r#"{"type":"assignment_defined","assignment":"UPP17-12","office":"KLK","title":"Lokalförsörjningsplan","text":"Kommunstyrelsen får i uppdrag att ta fram en lokalförsörjningsplan","focus_area":"Ordning och reda i ekonomin","goal":"FM17-03","year":2017,"decision":{"body":"KF","date":"2016-06-30"}}"#,
    ),
    (
        "status_updated",
        r#"{"type":"status_updated","target":"AKT17-45","status":"påbörjad","date":"2017-05-02","comment":"Kartläggningen har börjat"}"#,
    ),
    (
        "correction",
        r#"{"type":"correction","corrects":"ee38aadd-47b2-5230-9588-78ff367123a3","reason":"Registrerad av misstag: prognosen gällde 2018"}"#,
    ),
    (
        "approved",
        r#"{"type":"approved","event":"c6a58d9e-b88e-598b-898f-811636300dfc","comment":"Attesterad mot protokollet"}"#,
    ),
    (
        "year_closed",
        r#"{"type":"year_closed","office":"KLK","year":2017,"date":"2018-02-15"}"#,
    ),
    (
        "reported",
        r#"{"type":"reported","report":"investments","office":"KLK","year":2017,"row":"Infrastruktur och skydd","column":"outcome","amount":"98412.5","unit":"tkr","source":"Årsredovisning 2017, Investeringsredovisning (tkr)","date":"2018-02-15"}"#,
    ),
];

/// The events after the Kalmar fixtures, as `log --format json` prints them.
fn events_after_fixtures(db: &Path) -> Vec<serde_json::Value> {
    ok(db, &["log", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["seq"].as_u64().unwrap() > 288)
        .map(|r| r["event"].clone())
        .collect()
}

#[test]
fn record_of_every_type_appends_one_event_equal_to_importing_its_json_line() {
    let recorded = kalmar();
    let imported = kalmar();
    let mut lines = String::new();
    for (i, type_name) in rambok::json::TYPE_NAMES.iter().enumerate() {
        let (_, line) = EXAMPLE_AS_JSON
            .iter()
            .find(|(t, _)| t == type_name)
            .unwrap_or_else(|| panic!("no JSON line for {type_name}"));
        lines.push_str(line);
        lines.push('\n');
        let args = help_example(&recorded.path, type_name);
        let out = ok(
            &recorded.path,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let seq = 288 + i + 1;
        assert!(
            out.starts_with(&format!("recorded as sequence {seq}: ")),
            "{type_name}: exactly one event appended: {out}"
        );
    }
    let file = imported.path.parent().unwrap().join("examples.jsonl");
    std::fs::write(&file, lines).unwrap();
    ok(&imported.path, &["import", file.to_str().unwrap()]);
    let (by_record, by_import) = (
        events_after_fixtures(&recorded.path),
        events_after_fixtures(&imported.path),
    );
    assert_eq!(by_record.len(), rambok::json::TYPE_NAMES.len());
    for (r, i) in by_record.iter().zip(&by_import) {
        assert_eq!(r, i, "record and import differ for {}", r["type"]);
    }
    assert_eq!(by_record.len(), by_import.len());
    // None of them moves the figures the README quotes.
    let frames = ok(
        &recorded.path,
        &[
            "report",
            "frames",
            "--year",
            "2017",
            "--as-of",
            "2016-11-22",
        ],
    );
    assert!(frames.contains("477 569"), "{frames}");
}

#[test]
fn record_approved_takes_the_event_and_record_correction_withdraws_it() {
    let db = kalmar();
    let (_, log, _) = rambok(
        &db.path,
        &["log", "--format", "json", "--type", "frame_changed"],
    );
    let moving: serde_json::Value = serde_json::from_str(
        log.lines()
            .find(|l| l.contains("Flyttkostnader arkivcentrum"))
            .unwrap(),
    )
    .unwrap();
    let id = moving["event"]["id"].as_str().unwrap().to_string();
    let (code, out, err) = rambok(
        &db.path,
        &[
            "record",
            "approved",
            "--event",
            &id,
            "--comment",
            "Attesterad",
            "--user",
            "karin.lind",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("recorded as sequence 289"), "{out}");
    assert!(out.contains(&format!(r#""event":"{id}""#)), "{out}");
    let (code, out, err) = rambok(
        &db.path,
        &[
            "record",
            "correction",
            "--corrects",
            &id,
            "--reason",
            "Dubbelregistrerad",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("recorded as sequence 290"), "{out}");
    let frames = ok(&db.path, &["report", "frames", "--year", "2017"]);
    assert!(frames.contains("476 569"), "477 569 − 1 000 tkr: {frames}");
}

#[test]
fn record_type_help_is_a_form_with_every_field_of_the_schema() {
    let db = kalmar();
    let not_fields = [
        "user",
        "expect-seq",
        "db",
        "server",
        "token",
        "ca-cert",
        "help",
    ];
    for form in rambok::json::FORMS {
        let mut expected: Vec<String> = Vec::new();
        for f in form.fields {
            if f.input == rambok::json::Input::Decision {
                expected.extend(
                    rambok::json::DECISION_FORM
                        .iter()
                        .map(|d| d.key.to_string()),
                );
            } else {
                expected.push(f.key.replace('_', "-"));
            }
        }
        if form.amounts && !expected.contains(&"unit".to_string()) {
            expected.push("unit".into());
        }
        expected.extend(rambok::json::COMMON_FORM.iter().map(|c| c.key.to_string()));
        expected.sort();
        let help = ok(&db.path, &["record", form.name, "--help"]);
        let mut listed: Vec<String> = Vec::new();
        for line in help.lines().take_while(|l| l.trim() != "Example:") {
            let Some(option) = line.trim_start().strip_prefix("--") else {
                continue;
            };
            let (flag, rest) = option.split_once(' ').unwrap_or((option, ""));
            if not_fields.contains(&flag) {
                continue;
            }
            let explained = rest.split_once('>').map_or("", |(_, h)| h.trim());
            assert!(
                rest.trim_start().starts_with('<') && explained.len() > 10,
                "{}: --{flag} has no help: {line:?}",
                form.name
            );
            listed.push(flag.to_string());
        }
        listed.sort();
        assert_eq!(listed, expected, "{}: options of the form", form.name);
        let about = help.lines().next().unwrap();
        assert!(
            about.len() > 20 && !about.contains("Who records"),
            "{}: {about}",
            form.name
        );
        assert!(help.contains("Example:\n  rambok record "), "{}", form.name);
        let has_decision = form
            .fields
            .iter()
            .any(|f| f.input == rambok::json::Input::Decision);
        assert_eq!(help.contains("\nDecision"), has_decision, "{}", form.name);
    }
}

#[test]
fn the_log_lists_sequence_hash_recorder_and_time_and_its_events_import_again() {
    let db = kalmar();
    let log = ok(&db.path, &["log", "--format", "json"]);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 288);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[287]["seq"], 288);
    assert_eq!(lines[0]["recorded_by"], "cli.test");
    assert_eq!(lines[0]["hash"].as_str().unwrap().len(), 64);
    assert!(lines[0]["recorded_at"].as_str().unwrap().ends_with('Z'));
    let events: String = lines.iter().map(|l| format!("{}\n", l["event"])).collect();
    let file = db.path.parent().unwrap().join("again.jsonl");
    std::fs::write(&file, events).unwrap();
    let out = ok(&db.path, &["import", file.to_str().unwrap()]);
    assert!(out.contains("0 added, 288 skipped"), "{out}");
    let transfers = ok(
        &db.path,
        &[
            "log", "--type", "transfer", "--office", "KLK", "--format", "json",
        ],
    );
    assert_eq!(transfers.lines().count(), 7);
    let by_case = ok(
        &db.path,
        &[
            "log",
            "--case",
            "KS 2016/1130",
            "--since",
            "2016-11-22",
            "--until",
            "2016-11-22",
            "--format",
            "json",
        ],
    );
    assert!(by_case.lines().count() > 60, "{by_case}");
    let table = ok(&db.path, &["log", "--year", "2016", "--type", "frame_set"]);
    assert_eq!(
        table.lines().count(),
        2,
        "the header and the 2016 frame_set\n{table}"
    );
}

#[test]
fn a_status_change_shows_from_its_date_on() {
    let db = kalmar();
    ok(
        &db.path,
        &[
            "record",
            "status_updated",
            "--target",
            "AKT17-01",
            "--status",
            "Genomförd",
            "--date",
            "2017-03-30",
            "--comment",
            "Klar",
        ],
    );
    let counts = |as_of: &str| {
        let v: serde_json::Value = serde_json::from_str(&ok(
            &db.path,
            &[
                "report", "goals", "--year", "2017", "--as-of", as_of, "--format", "json",
            ],
        ))
        .unwrap();
        v["counts"][0]["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(counts("2017-03-29"), vec![44, 0, 0]);
    assert_eq!(counts("2017-03-30"), vec![43, 0, 1]);
    let table = ok(&db.path, &["report", "goals", "--year", "2017"]);
    assert!(
        table.contains("Aktiviteter  Ej påbörjad  Påbörjad  Genomförd  Totalt"),
        "{table}"
    );
    assert!(
        table.contains("Antal                 43         0          1      44"),
        "{table}"
    );
    assert!(
        table.contains("Andel               98 %       0 %        2 %   100 %"),
        "{table}"
    );
}

/// An office the ledger does not hold is an error naming the nearest code, not a table of zeros.
#[test]
fn an_unknown_office_is_an_error_that_names_the_nearest() {
    let db = kalmar();
    for args in [
        ["report", "budget", "--office", "klk", "--year", "2017"].as_slice(),
        &["report", "outcome", "--office", "KLX", "--year", "2014"],
        &["history", "--office", "klk", "--year", "2017"],
    ] {
        let (code, out, err) = rambok(&db.path, args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains("Did you mean KLK?"), "{args:?}: {err}");
        assert!(
            out.is_empty(),
            "{args:?}: nothing printed but the error: {out}"
        );
    }
    let (code, _, err) = rambok(
        &db.path,
        &["report", "budget", "--office", "XYZQW", "--year", "2017"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no office 'XYZQW'") && err.contains("KLK"),
        "{err}"
    );
    // A year the ledger holds nothing for, and an area the office does not have.
    for (args, wanted) in [
        (
            ["report", "frames", "--year", "2030"].as_slice(),
            "nothing in this ledger for the year 2030. Nearest: 2017.",
        ),
        (
            &["report", "outcome", "--office", "KLK", "--year", "2031"],
            "Years: 2014, 2016, 2017",
        ),
        (&["report", "goals", "--year", "2030"], "year 2030"),
        (
            &[
                "history", "--office", "KLK", "--year", "2017", "--area", "adm",
            ],
            "no area 'adm' in this ledger. Did you mean ADM?",
        ),
    ] {
        let (code, out, err) = rambok(&db.path, args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains(wanted), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
}

/// The attack: the log untouched, the index forged so that `report frames` would print 487 569
/// instead of 477 569; and a record copy in the index replaced by another, well-formed record.
/// A report never prints from an entry the log does not back: it says the ledger is damaged.
#[test]
fn a_report_never_prints_from_a_forged_index() {
    let db = kalmar();
    let frames = ["report", "frames", "--year", "2017"];
    assert!(ok(&db.path, &frames).contains("477 569"));
    {
        let ledger = rambok::ledger::Ledger::open(&db.path).unwrap();
        let tree = ledger.store().raw_tree();
        // The frame KF set for KLK, 469 265 tkr, in öre as the frame entry stores it.
        let set = 46_926_500_000i64.to_le_bytes();
        let more = 47_926_500_000i64.to_le_bytes();
        let mut forged = 0;
        for kv in tree.scan_prefix(b"xf") {
            let (k, v) = kv.unwrap();
            if let Some(at) = v.windows(8).position(|w| w == set) {
                let mut v = v.to_vec();
                v[at..at + 8].copy_from_slice(&more);
                tree.insert(k, v).unwrap();
                forged += 1;
            }
        }
        assert!(forged >= 1);
        tree.flush().unwrap();
    }
    let (code, out, err) = rambok(&db.path, &frames);
    assert_eq!(code, 6, "{out}{err}");
    assert!(!out.contains("487 569"), "{out}");
    assert!(
        err.contains("damaged") && err.contains("differs from the log"),
        "{err}"
    );

    // Genuine records of the log, filed under a question they have no part in: KLK's 2016 frame
    // records stored as its 2017 ones.
    let db = kalmar();
    let history = ["history", "--office", "KLK", "--year", "2017"];
    let before = ok(&db.path, &history);
    {
        use rambok::index::{prefix, Kind};
        let ledger = rambok::ledger::Ledger::open(&db.path).unwrap();
        let tree = ledger.store().raw_tree();
        let run = |year| {
            let mut p = b"x".to_vec();
            p.extend(prefix::records("KLK", year, Kind::Frame));
            tree.scan_prefix(p).next().unwrap().unwrap()
        };
        let (k2017, _) = run(2017);
        let (_, v2016) = run(2016);
        tree.insert(k2017, v2016).unwrap();
        tree.flush().unwrap();
    }
    let (code, out, err) = rambok(&db.path, &history);
    assert_eq!(code, 6, "{before}\n---\n{out}{err}");
    assert!(err.contains("damaged"), "{err}");
}

/// One answer per question at every date: before any 2017 decision (2015-11-30) nothing is
/// carried over from 2016; offices that only sent transfers show them apart from a frame; the
/// history names what KF's June decision did and says what it gave.
#[test]
fn a_frame_not_decided_is_said_so_everywhere() {
    let db = kalmar();
    let early = ["--as-of", "2015-11-30"];
    let with = |args: &[&str]| {
        let mut v: Vec<&str> = args.to_vec();
        v.extend(early);
        ok(&db.path, &v)
    };
    let frames = with(&["report", "frames", "--year", "2017"]);
    let klk = frames.lines().find(|l| l.starts_with("KLK ")).unwrap();
    assert!(
        klk.contains('–') && klk.contains("ingen ram beslutad"),
        "{frames}"
    );
    let bridge = with(&[
        "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017",
    ]);
    let last = bridge
        .lines()
        .rfind(|l| l.starts_with("Budgetram 2017"))
        .unwrap();
    assert!(
        last.contains('–') && last.contains("ingen ram beslutad") && !last.contains("469 265"),
        "{bridge}"
    );
    let history = with(&["history", "--office", "KLK", "--year", "2017"]);
    let end = history.lines().find(|l| l.contains("Slutlig ram")).unwrap();
    assert!(
        end.contains("ingen ram beslutad") && end.trim_end().ends_with('–'),
        "{history}"
    );
    let json = with(&[
        "history", "--office", "KLK", "--year", "2017", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["end"], serde_json::Value::Null, "{json}");

    // Later: offices that only sent transfers have no negative "frame".
    let frames = ok(
        &db.path,
        &[
            "report",
            "frames",
            "--year",
            "2017",
            "--as-of",
            "2016-11-22",
        ],
    );
    let sbk = frames.lines().find(|l| l.starts_with("SBK ")).unwrap();
    assert!(
        sbk.contains("−691") && sbk.contains("ingen ram beslutad"),
        "{frames}"
    );
    let header = frames.lines().nth(1).unwrap();
    assert!(header.contains("Ändringar utan ram"), "{frames}");

    // KF's June decision: its first line is the starting point; the decision's sum says 466 890.
    let history = ok(&db.path, &["history", "--office", "KLK", "--year", "2017"]);
    assert!(!history.contains("fastställd"), "{history}");
    assert!(history.contains("Utgångsram 2017 i beslutet"), "{history}");
    let sum = history
        .lines()
        .find(|l| l.contains("Summa beslut KF 2016-06-30"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(sum.trim_end().ends_with("466 890"), "{sum}");
}

/// Every title and money column names the unit in force; mnkr shows a decimal by default.
#[test]
fn the_unit_in_force_is_named_in_every_view() {
    let db = kalmar();
    for unit in ["kr", "tkr", "mnkr"] {
        let budget = ok(
            &db.path,
            &[
                "report", "budget", "--office", "KLK", "--year", "2017", "--unit", unit,
            ],
        );
        let title = budget.lines().next().unwrap();
        assert!(title.ends_with(&format!(", {unit}")), "{title}");
        assert!(!budget.contains("tkr") || unit == "tkr", "{budget}");
        let bridge = ok(
            &db.path,
            &[
                "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--unit",
                unit, "--format", "csv",
            ],
        );
        assert!(
            bridge.contains(&format!("Rad;Belopp ({unit});Beslut")),
            "{bridge}"
        );
        let svg = ok(
            &db.path,
            &[
                "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--unit",
                unit, "--format", "svg",
            ],
        );
        assert!(svg.contains(&format!("Belopp i {unit}")), "{svg}");
    }
    let mnkr = ok(
        &db.path,
        &["report", "frames", "--year", "2017", "--unit", "mnkr"],
    );
    let sbk = mnkr.lines().find(|l| l.starts_with("SBK ")).unwrap();
    assert!(sbk.contains("−0,7"), "691 tkr is 0,7 mnkr, not 0: {sbk}");
}

/// The waterfall follows the sign convention: with `--sign result` a frame is negative, its bar
/// hangs below the zero line, and the figures carry the minus.
#[test]
fn the_waterfall_follows_the_sign() {
    let db = kalmar();
    let args = |sign: &'static str| {
        [
            "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--format",
            "svg", "--sign", sign,
        ]
    };
    let cost = ok(&db.path, &args("cost"));
    let result = ok(&db.path, &args("result"));
    assert!(
        cost.contains(">477 569<") && !cost.contains("−477 569"),
        "{cost}"
    );
    assert!(result.contains(">−477 569<"), "{result}");
    // Every bar has a positive height and the full label as a tooltip.
    assert!(result
        .contains("<title>Kompensation kostnadsökning, köpt verksamhet och löneökningar</title>"));
    for svg in [&cost, &result] {
        for h in svg.split("height=\"").skip(2) {
            let n: i64 = h[..h.find('"').unwrap()].parse().unwrap();
            assert!(n >= 1, "{svg}");
        }
    }
}
