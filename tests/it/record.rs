//! `rambok record TYPE`: one subcommand per event type, its options the schema's fields; every
//! type's help example appends what importing its JSON line would, and the help reads as a form.

use crate::cli::{kalmar, ok, rambok};
use std::path::Path;

/// The example of `record TYPE --help`, split into arguments as a shell would split it.
fn help_example(db: &Path, type_name: &str) -> Vec<String> {
    let help = ok(db, &["record", type_name, "--help"]);
    let example: String = help
        .lines()
        .skip_while(|l| l.trim() != "Exempel:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_end_matches('\\').to_string())
        .collect::<Vec<_>>()
        .join(" ");
    // Double quotes, and single quotes (JSON), in which every character is itself.
    let (mut words, mut word, mut quote) = (Vec::new(), String::new(), None);
    for c in example.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (' ', None) => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (c, _) => word.push(c),
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
    (
        "indicator_defined",
        r#"{"type":"indicator_defined","indicator":"LOKALYTA","name":"Lokalyta per anställd","unit":"kvm","direction":"lower","goal":"NM17-17","office":"KLK"}"#,
    ),
    (
        "target_set",
        r#"{"type":"target_set","indicator":"LOKALYTA","year":2018,"value":"22.5","decision":{"body":"KS","date":"2017-11-21","case":"KS 2017/1130"}}"#,
    ),
    (
        "measured",
        r#"{"type":"measured","indicator":"LOKALYTA","year":2017,"value":"24.1","date":"2018-02-15"}"#,
    ),
    (
        "reported_parts",
        r#"{"type":"reported_parts","report":"investments","office":"KLK","year":2017,"row":"Infrastruktur och skydd","column":"outcome","parts":[{"label":"brandstationen","amount":"60000"},{"label":"exploatering","amount":"38412.5"}],"unit":"tkr","source":"Årsredovisning 2017, Investeringar (text)","date":"2018-02-15"}"#,
    ),
    (
        "reported_count",
        r#"{"type":"reported_count","office":"KLK","year":2017,"items":"activities","status":"påbörjad","count":1,"share_percent":"2","source":"Årsredovisning 2017, Aktiviteter","date":"2018-02-15"}"#,
    ),
    (
        "reported_target",
        r#"{"type":"reported_target","indicator":"LOKALYTA","year":2018,"value":"22.5","source":"Verksamhetsplan 2018, bilaga","date":"2017-11-21"}"#,
    ),
    (
        "delegation_set",
        r#"{"type":"delegation_set","name":"Kommunstyrelsens delegationsordning 2018","rules":{"transfer":["KF","KS","kommundirektör"],"budget_line":["KF","$committee"]},"net_zero_only":["kommundirektör"],"decision":{"body":"KS","date":"2017-12-12","case":"KS 2017/1201","paragraph":"§ 240"}}"#,
    ),
];

/// The events after the Kalmar fixtures, as `log --format json` prints them.
fn events_after_fixtures(db: &Path) -> Vec<serde_json::Value> {
    ok(db, &["log", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["seq"].as_u64().unwrap() > crate::kalmar_events())
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
        let seq = crate::kalmar_events() as usize + i + 1;
        assert!(
            out.starts_with(&format!("registrerad som sekvens {seq}: ")),
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
    let next = format!("registrerad som sekvens {}", crate::kalmar_events() + 1);
    assert!(out.starts_with(&next), "{out}");
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
    let next = format!("registrerad som sekvens {}", crate::kalmar_events() + 2);
    assert!(out.starts_with(&next), "{out}");
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
        for line in help.lines().take_while(|l| l.trim() != "Exempel:") {
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
            about.len() > 20 && !about.contains("Vem som registrerar"),
            "{}: {about}",
            form.name
        );
        assert!(help.contains("Exempel:\n  rambok record "), "{}", form.name);
        let has_decision = form
            .fields
            .iter()
            .any(|f| f.input == rambok::json::Input::Decision);
        assert_eq!(help.contains("\nBeslut ("), has_decision, "{}", form.name);
    }
}
